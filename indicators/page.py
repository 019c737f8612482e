"""What a page says about itself: publish date, publishing body's region, title — inferred from the
text when no portal config supplies them ("发布时间:2023-08-23", a signature "营口市科学技术局 /
2022年7月6日", a 来源 line, the site banner)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from indicators.lexicon import Lexicon, lexicon
from indicators.model import PageContext

_DATE = r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
LABELLED_DATE = re.compile(r"(?:发布时间|发布日期|发文日期|成文日期|日期|时间)\s*[:：]?\s*" + _DATE)
BARE_DATE_LINE = re.compile(r"^\s*" + _DATE + r"\s*$")
ANY_DATE = re.compile(_DATE)
SOURCE_LINE = re.compile(r"(?:来源|信息来源|发布机构|发布单位|发文机关)\s*[:：]\s*([^\s|]{2,30})")
BANNER = re.compile(r"(?:欢迎访问|欢迎来到|欢迎光临)\s*([^\s!！,，/]{2,40})")
ORG = re.compile(r"(?:科学技术局|科技局|科学技术厅|科技厅|人民政府|管理委员会|管委会|科技委员会"
                 r"|科学技术委员会"
                 r"|工业和信息化局)")
YEAR = re.compile(r"(?<![\d—\-~至到])((?:19|20)\d{2})(?!\d)")


def _mkdate(y: str, m: str, d: str) -> date | None:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        return None


def infer_published(text: str) -> date | None:
    """The page's publish date: a labelled date first, then a date alone on its line (a signature)."""
    head = text[:4000]
    m = LABELLED_DATE.search(head) or LABELLED_DATE.search(text)
    if m and (d := _mkdate(*m.groups())):
        return d
    for line in text.splitlines()[:80]:
        m = BARE_DATE_LINE.match(line)
        if m and (d := _mkdate(*m.groups())):
            return d
    return None


def infer_year(text: str) -> int | None:
    """A best guess at the publish year when no date is shown: the latest year the page names
    (not the end of a range or a plan's horizon)."""
    years = [int(y) for y in YEAR.findall(text)]
    years = [y for y in years if 1990 <= y <= 2100]
    return max(years) if years else None


def _org_region(lex: Lexicon, s: str) -> str | None:
    for _end, (_n, region, full) in lex.places.iter(s):
        if full:
            return region.name
    return None


def infer_publisher(text: str, lex: Lexicon | None = None) -> tuple[str | None, str | None]:
    """(publisher region, source) from a signature, a 来源 line or the site banner, in that order."""
    lex = lex or lexicon()
    lines = [ln.strip() for ln in text.splitlines()]
    for i, line in enumerate(lines[:120]):
        if BARE_DATE_LINE.match(line):
            for prev in reversed(lines[max(0, i - 3):i]):
                if prev and ORG.search(prev) and len(prev) <= 30:
                    return _org_region(lex, prev), prev
    m = SOURCE_LINE.search(text[:3000])
    if m and (r := _org_region(lex, m.group(1))):
        return r, m.group(1)
    m = BANNER.search(text[:1000])
    if m and (r := _org_region(lex, m.group(1))):
        return r, m.group(1)
    return None, None


def infer_title(text: str) -> str:
    for line in text.splitlines()[:15]:
        s = line.strip()
        if 6 <= len(s) <= 60 and not s.startswith(lexicon().boilerplate) and "。" not in s:
            return s
    return ""


def fill_context(text: str, ctx: PageContext | None) -> PageContext:
    """``ctx`` with what it lacks inferred from the page's text."""
    ctx = ctx or PageContext()
    changes: dict = {}
    if ctx.published is None and (d := infer_published(text)):
        changes["published"] = d
    if ctx.publisher_region is None and ctx.source and (r := _org_region(lexicon(), ctx.source)):
        changes["publisher_region"] = r
    elif ctx.publisher_region is None:
        region, source = infer_publisher(text)
        if region:
            changes["publisher_region"] = region
            if ctx.source is None:
                changes["source"] = source
    if not ctx.title:
        changes["title"] = infer_title(text)
    return replace(ctx, **changes) if changes else ctx
