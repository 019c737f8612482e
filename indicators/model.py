"""The extractor's input and output types: the contract with the crawler, dbt and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(frozen=True)
class PageContext:
    """What is known about a page besides its text; every field may be missing."""

    doc: str = ""                        # a stable id: page_version_id, or a file stem
    portal: str | None = None
    publisher_region: str | None = None  # full name of the publishing body's region, e.g. 营口市
    published: date | None = None
    title: str = ""
    source: str | None = None            # the 来源 line, e.g. 营口市科学技术局


@dataclass(frozen=True)
class Fact:
    """One indicator statement. ``quote == text[start:end]`` of the text it came from."""

    fact: str          # contract | enterprise | platform
    indicator: str     # key in the vocabulary seed
    level: str         # national | provincial | municipal | district | unspecified
    measure: str       # total | new | applied | amount | count | growth_pct | target
    value: float
    unit: str          # yuan | count | percent
    qualifier: str     # exact | approx | over | under
    region: str        # full region name, or "unknown"
    period: str        # YYYY | YYYYH1 | YYYYQn | YYYY-MM | asof:YYYY-MM-DD | unknown
    quote: str
    start: int
    end: int
    region_code: str | None = None  # GB/T 2260 code when the region resolves
    extra: dict = field(default_factory=dict, compare=False)

    def as_row(self, doc: str = "") -> dict:
        row = asdict(self)
        row.pop("extra")
        if doc:
            row = {"doc": doc, **row}
        return row
