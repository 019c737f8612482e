"""Dates of list entries, and the publish-date range a backfill crawl is limited to.

A list entry's date is looked for inside the entry's own item (``<li>``, ``<tr>``, ``<dd>``/``<dt>``,
Hanweb's ``<record>``), never across the neighbouring article links: lists put the date before the
link (Destoon, PageAdmin), after it (TRS, Hanweb) or inside it (a ``<span>`` in the ``<a>``), and
only the item boundary tells which date belongs to which link. The link's own text is read last and
only from its child elements, because titles often hold dates (``关于2024年12月20日…``). An entry with
no item around it, or none of these, has no list date: the crawler then reads the article's date.
"""

from __future__ import annotations

import html as htmlmod
import re
from dataclasses import dataclass
from datetime import date, datetime

from scrapers.dates import parse_date

_ITEM_OPEN = re.compile(r"<(?:li|tr|dd|dt|record)\b", re.I)
_ITEM_CLOSE = re.compile(r"</(?:li|tr|dd|dt|record)\s*>|<(?:li|tr|dd|dt|record)\b", re.I)
_TAGS = re.compile(r"<[^>]+>")
_CHILD = re.compile(r"<(\w+)\b[^>]*>(.*?)</\1\s*>", re.S)


def _text(fragment: str) -> str:
    return htmlmod.unescape(_TAGS.sub(" ", fragment))


def entry_date(html_text: str, start: int, end: int, inner: str, lo: int, hi: int) -> date | None:
    """The date of the list entry whose link spans ``html_text[start:end]`` (``inner`` = the link's
    inner HTML), looked for between ``lo`` (the previous article link's end) and ``hi`` (the next
    one's start)."""
    opens = list(_ITEM_OPEN.finditer(html_text, lo, start))
    close = _ITEM_CLOSE.search(html_text, end, hi)
    if opens and close:
        around = _text(html_text[opens[-1].start():start]) + " " + _text(html_text[end:close.start()])
        found = parse_date(around)
        if found:
            return found.date()
    for m in _CHILD.finditer(inner):
        found = parse_date(_text(m.group(2)))
        if found:
            return found.date()
    return None


@dataclass(frozen=True)
class DateRange:
    """Publish dates ``since``..``until``, both inclusive, as Asia/Shanghai calendar dates (the wall
    time portals publish in). Either end may be open."""

    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")

    @classmethod
    def parse(cls, since: str | date | None, until: str | date | None) -> DateRange:
        """From ISO dates (``2025-10-01``; a datetime string keeps its date part)."""
        return cls(_as_date(since), _as_date(until))

    def contains(self, day: date) -> bool:
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def older(self, day: date) -> bool:
        """Published before the range: lists are newest first, so what follows is older still."""
        return self.since is not None and day < self.since

    def as_dict(self) -> dict[str, str | None]:
        return {"since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None}

    def __str__(self) -> str:
        return f"{self.since or '…'}..{self.until or '…'}"


def _as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError as exc:
        raise ValueError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc
