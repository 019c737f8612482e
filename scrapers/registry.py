"""The portal registry: one YAML file per portal under ``scrapers/portals/``, validated on load.

Adding a portal is adding a file; errors name the file and the field (``kjt.yaml: pagination.kind:
Input should be 'trs_index', …``; ``kjt.yaml: selectors.body: Value error, unsupported CSS selector
'div >': …``) so a typo never reaches a crawl.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kejiwatch import settings

PublisherType = Literal[
    "city_bureau", "provincial_department", "hitech_zone", "county_bureau", "trade_repost", "forum",
    "national_site", "newspaper",
]
PaginationKind = Literal["trs_index", "hanweb_datastore", "query_page", "destoon", "discuz_archiver", "none"]


class PortalConfigError(ValueError):
    """A portal YAML file is missing, unreadable or invalid; the message names file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Selectors(_Strict):
    """CSS selectors for article fields; any left empty falls back to the generic parser."""

    title: str | None = None
    date: str | None = None
    source: str | None = None
    body: str | None = None

    @field_validator("title", "date", "source", "body")
    @classmethod
    def _compiles(cls, selector: str | None) -> str | None:
        """A selector the parser cannot match fails the portal at load, not each of its pages (an
        empty one is no selector, as in ``parse_article``)."""
        if selector:
            from scrapers.css import compile_selector  # lxml only for portals that declare selectors

            compile_selector(selector)
        return selector


class Pagination(_Strict):
    """How list page N is addressed.

    trs_index        index.html, index_1.html … (count from createPageHTML(...) / countPage = N)
    hanweb_datastore column page with <script type="text/xml"><datastore>, then dataproxy.jsp?page=N
    query_page       ?{param}=N (PageAdmin / .NET), N from ``first`` (the page after the start URL)
    destoon          list-{catid}.html, list-{catid}-N.html
    discuz_archiver  archiver/?fid-N.html, …&page=N
    none             the start URLs are the only list pages
    """

    kind: PaginationKind
    param: str = "page"
    # number in the URL of the second list page: default 1 for trs_index (index_1.html), else 2
    first: int | None = Field(None, ge=0)
    max_pages: int = Field(50, ge=1, le=10_000)

    @property
    def second(self) -> int:
        if self.first is not None:
            return self.first
        return 1 if self.kind == "trs_index" else 2


class PortalConfig(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    name: str = Field(min_length=1)
    publisher_type: PublisherType
    region_code: str | None = Field(None, pattern=r"^\d{6}$")
    region_name: str | None = None
    start_urls: list[str] = Field(min_length=1)
    pagination: Pagination
    article_url_pattern: str  # regex searched in absolute article URLs
    selectors: Selectors = Selectors()
    encoding: str | None = None  # hint, used only when header and meta say nothing
    allowed_hosts: list[str] = Field(default_factory=list)  # defaults to the start URLs' hosts
    rate_limit: float = Field(1.0, gt=0, le=100)  # requests per second per host
    authority_rank: int = Field(3, ge=1, le=9)  # 1 = the bureau itself, higher = further away
    stop_after_known: int = Field(3, ge=1)  # consecutive known, unchanged articles that end a walk
    max_response_bytes: int = Field(5_000_000, gt=0)
    max_attachment_bytes: int = Field(20_000_000, gt=0)
    fetch_attachments: bool = True
    enabled: bool = True
    notes: str | None = None

    @field_validator("start_urls")
    @classmethod
    def _http_urls(cls, urls: list[str]) -> list[str]:
        for u in urls:
            parts = urlsplit(u)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an absolute http(s) URL: {u!r}")
        return urls

    @field_validator("article_url_pattern")
    @classmethod
    def _regex(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from exc
        return pattern

    @model_validator(mode="after")
    def _default_hosts(self) -> PortalConfig:
        hosts = [h.lower() for h in self.allowed_hosts] or sorted(
            {urlsplit(u).hostname or "" for u in self.start_urls}
        )
        object.__setattr__(self, "allowed_hosts", hosts)
        return self

    @property
    def base_url(self) -> str:
        p = urlsplit(self.start_urls[0])
        return f"{p.scheme}://{p.netloc}/"

    @property
    def config_hash(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def allows(self, url: str) -> bool:
        """Only http(s) on the portal's allowed hosts is followed."""
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in self.allowed_hosts


def _format_error(path: Path, exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(file)"
        lines.append(f"{path.name}: {field}: {err['msg']}")
    return "\n".join(lines)


def load_portal(path: Path) -> PortalConfig:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PortalConfigError(f"{path.name}: cannot read YAML: {exc}") from exc
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise PortalConfigError(f"{path.name}: (file): expected a mapping of fields, got {kind}")
    try:
        cfg = PortalConfig.model_validate(data)
    except ValidationError as exc:
        raise PortalConfigError(_format_error(path, exc)) from exc
    if cfg.id != path.stem:
        raise PortalConfigError(f"{path.name}: id: {cfg.id!r} must equal the file name {path.stem!r}")
    return cfg


def load_portals(dir: Path | str | None = None, *, include_disabled: bool = False) -> dict[str, PortalConfig]:
    """Every portal under ``dir`` (default ``settings.portals_dir()``), keyed by id, sorted."""
    folder = Path(dir) if dir is not None else settings.portals_dir()
    if not folder.is_dir():
        raise PortalConfigError(f"{folder}: portal folder does not exist")
    out: dict[str, PortalConfig] = {}
    errors: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        try:
            cfg = load_portal(path)
        except PortalConfigError as exc:
            errors.append(str(exc))
            continue
        if cfg.enabled or include_disabled:
            out[cfg.id] = cfg
    if errors:
        raise PortalConfigError("\n".join(errors))
    return out


def portal_for_url(url: str, portals: dict[str, PortalConfig]) -> PortalConfig | None:
    """The portal whose start hosts include the URL's host (first by authority rank)."""
    host = (urlsplit(url).hostname or "").lower()
    hits = [p for p in portals.values() if host in {urlsplit(u).hostname for u in p.start_urls}]
    hits = hits or [p for p in portals.values() if host in p.allowed_hosts]
    return min(hits, key=lambda p: (p.authority_rank, p.id)) if hits else None
