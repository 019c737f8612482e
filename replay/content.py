"""The replay web's content, loaded from data files: one YAML per portal (`data/portals/`) and one
YAML per article (`data/articles/<portal>/`). Adding an article means adding a file; the platform
templates decide how it looks. The scenario clock (`day`) decides which articles exist and which
edit of an article is current."""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"

# libyaml's loader is ~10x faster than the pure-Python one on the article files.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ContentError(ValueError):
    """A content file that cannot be used; the message names the file."""


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # a safe loader (C or Python)
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: {exc}") from exc


# Day 0 of the scenario clock. New articles on day N are published on BASE_DATE + N days, after
# every article of day 0, so they land on top of the list pages.
BASE_DATE = dt.date(2025, 11, 20)


def day_date(day: int) -> dt.date:
    return BASE_DATE + dt.timedelta(days=day)


@dataclass(frozen=True)
class Column:
    id: str  # path segment or platform id of the column (tzgg, col1229, 5 ...)
    name: str  # 通知公告
    per_page: int = 10


@dataclass(frozen=True)
class Portal:
    id: str
    host: str
    platform: str
    site_name: str
    region: str  # region the publisher reports about (我市 resolves to it)
    encoding: str = "utf-8"  # body encoding
    header_charset: str | None = "utf-8"  # charset in Content-Type; None = none (the GBK trap)
    meta_charset: str | None = "utf-8"  # charset declared in <meta>
    site_id_code: str = ""
    site_domain: str | None = None
    columns: tuple[Column, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def column(self, col_id: str) -> Column:
        for col in self.columns:
            if col.id == col_id:
                return col
        raise KeyError(f"portal {self.id} has no column {col_id}")


@dataclass
class Article:
    id: str
    portal: str
    column: str
    title: str
    published: dt.datetime
    source: str
    paragraphs: list[str]
    day: int = 0
    list_title: str | None = None
    author: str | None = None
    tables: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)
    repost_of: str | None = None
    original_url: str | None = None
    edited_on: int | None = None  # the day of the edit now shown, if any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def num(self) -> int:
        """A stable numeric id for URLs (TRS t2024..._NNN, Hanweb art_col_NNN, Destoon show-NNN)."""
        return int(self.extra.get("num") or 1_000_000 + zlib.crc32(self.id.encode()) % 9_000_000)

    @property
    def modified(self) -> dt.datetime:
        """When this version appeared: the edit's day, or the publish time."""
        if self.edited_on is not None:
            return dt.datetime.combine(day_date(self.edited_on), dt.time(9, 30))
        return self.published

    @property
    def body_text(self) -> str:
        return "\n".join(self.paragraphs)


def _parse_dt(value: Any, day: int) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(9, 0))
    if value is None:  # articles of day N>0 default to that day's date
        return dt.datetime.combine(day_date(day), dt.time(10, 0))
    text = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"bad date {value!r}")


@functools.cache
def load_portals(data_dir: Path = DATA_DIR) -> dict[str, Portal]:
    portals: dict[str, Portal] = {}
    for path in sorted((data_dir / "portals").glob("*.yaml")):
        raw = _read_yaml(path)
        cols = tuple(Column(**c) for c in raw.pop("columns", []))
        portals[raw["id"]] = Portal(columns=cols, **raw)
    return portals


@functools.cache
def _raw_articles(data_dir: Path = DATA_DIR) -> tuple[dict[str, Any], ...]:
    out = []
    for path in sorted((data_dir / "articles").glob("*/*.yaml")):
        raw = _read_yaml(path)
        raw.setdefault("id", path.stem)
        raw.setdefault("portal", path.parent.name)
        out.append(raw)
    return tuple(out)


def _materialise(raw: dict[str, Any], day: int) -> Article | None:
    appears = int(raw.get("day", 0))
    if appears > day:
        return None
    data = {k: v for k, v in raw.items() if k not in ("edits",)}
    edited_on = None
    for edit in sorted(raw.get("edits", []), key=lambda e: e["day"]):
        if edit["day"] <= day:
            data.update({k: v for k, v in edit.items() if k != "day"})
            edited_on = edit["day"]
    known = set(Article.__dataclass_fields__) - {"extra", "edited_on"}
    extra = {k: v for k, v in data.items() if k not in known}
    kwargs = {k: v for k, v in data.items() if k in known}
    kwargs["published"] = _parse_dt(data.get("published"), appears)
    kwargs["paragraphs"] = [str(p) for p in data.get("paragraphs", [])]
    kwargs["day"] = appears
    return Article(edited_on=edited_on, extra=extra, **kwargs)


@functools.cache
def articles(day: int = 0) -> tuple[Article, ...]:
    """Every article that exists on `day`, in its version of that day."""
    out = []
    for raw in _raw_articles():
        try:
            article = _materialise(raw, day)
        except (TypeError, ValueError, KeyError) as exc:
            raise ContentError(f"article {raw.get('portal')}/{raw.get('id')}: {exc}") from exc
        if article is not None:
            out.append(article)
    return tuple(out)


def articles_of(portal_id: str, day: int = 0, column: str | None = None) -> list[Article]:
    """A portal's (or column's) articles, newest first, as list pages show them."""
    items = [a for a in articles(day) if a.portal == portal_id and (column is None or a.column == column)]
    return sorted(items, key=lambda a: (a.published, a.id), reverse=True)


@functools.cache
def load_list(list_id: str, data_dir: Path = DATA_DIR) -> dict[str, Any]:
    """An enterprise list (rows of 序号/地区/企业名称/编号) shared by HTML tables and attachments."""
    return _read_yaml(data_dir / "lists" / f"{list_id}.yaml")
