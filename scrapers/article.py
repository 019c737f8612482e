"""Article pages → title, publish date, source line, clean body text, tables and attachment links.

``parse_article(html, url, config=None)`` is the one entry point. With a portal config that has
selectors, those are used field by field; anything they miss (or every field when ``config`` is
None) comes from the generic parser, which relies on what Chinese government pages share:

* the national government-website meta tags (``ArticleTitle``, ``PubDate``, ``ContentSource``
  and their variants: lowercase names, ``Maketime``, ``createDate``, ``publishdate`` …);
* the meta line (``发布时间：… 来源：…``, Discuz ``发表于``) for date and source;
* the body: a known CMS container (TRS_Editor, Hanweb #zoom, Ucap, …) or, failing that, the
  block with the highest content density (punctuated non-link text credited to its parents).

Boilerplate that these sites put inside or right after the body is stripped: tool strips
(【打印本页】, 字体：大 中 小), 上一篇/下一篇 and 相关文章 blocks, footers, breadcrumbs and the Discuz
archiver's ``页: [1]`` / ``查看完整版本``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from scrapers.css import compile_selector
from scrapers.dates import DATE_RE, parse_date
from scrapers.html_tables import extract_tables
from scrapers.htmltree import Element, Page, classes
from scrapers.tables import Grid

ATTACHMENT_EXTS = ("xls", "xlsx", "csv", "pdf", "doc", "docx", "wps", "et", "zip", "rar", "txt")

# meta name (lower-cased, spaces removed) → field, in order of preference
META_TITLE = ("articletitle", "title", "og:title")
META_DATE = ("pubdate", "publishdate", "publishtime", "firstpublishedtime", "article:published_time",
             "maketime", "createdate", "htmlgeneratetime")
META_SOURCE = ("contentsource", "source", "articlesource")

# Containers of the CMS platforms met on bureau sites (see docs of the portal research).
KNOWN_BODY = (
    "div.TRS_Editor", ".TRS_Editor", "#zoom", "#UCAP-CONTENT", "ucapcontent", "#detailContent",
    ".wzcon", ".pages_content", ".article-content", ".article_content", ".art_con",
)

BLOCK_TAGS = frozenset({
    "p", "div", "table", "tr", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "header", "footer", "blockquote", "pre", "dl", "dt", "dd", "form", "center", "thead", "tbody", "main",
    "aside", "nav", "hr",
})
DROP_TAGS = frozenset({"script", "style", "noscript", "iframe", "object", "embed", "select", "button",
                       "input", "textarea", "svg", "canvas", "head", "template"})
# ids/classes of chrome, never of content
CHROME_RE = re.compile(
    r"(^|[-_ ])(footer|foot|header|nav|navbar|menu|breadcrumb|crumb|position|location|share|bdshare|"
    r"print|toolbar|tool|sidebar|side|related|relate|xgwz|comment|pagination|pager|copyright|"
    r"topbar|banner|search|login|ad|ads)([-_ ]|\d|$)",
    re.I,
)

# Text that tool strips and footers put in; removed wherever it appears.
TOOL_TOKENS = re.compile(
    r"【\s*(?:打印本页|打印|关闭窗口|关闭|收藏|返回顶部|我要纠错|纠错)\s*】|"
    r"(?:字体|字号)\s*[：:]?\s*[【〖\[]?\s*大\s*中\s*小\s*[】〗\]]?|"
    r"【\s*(?:字体|字号)\s*[：:]?\s*大\s*中\s*小\s*】|"
    r"扫一扫在手机(?:上)?打开当前页|分享到\s*[：:]?|"
    r"\[\s*(?:打印|关闭|返回)\s*\]"
)
# A line starting like this ends the article (everything after is navigation or chrome).
END_LINE = re.compile(
    r"^\s*(?:上一篇|下一篇|上一条|下一条|相关文章|相关链接|相关阅读|相关新闻|相关信息|相关稿件|【相关|"
    r"查看完整版本|版权所有|Copyright|网站标识码|主办单位|主办[：:]|技术支持|网站地图|联系我们|"
    r"Powered by)",
    re.I,
)
# Lines dropped but not ending the article.
DROP_LINE = re.compile(
    r"^\s*(?:页\s*[：:]\s*(?:\[?\d+\]?\s*)+$|当前位置|您现在的位置|您的位置|"
    r"(?:打印|关闭|返回|收藏)\s*$|浏览次数\s*[：:]|访问次数\s*[：:]|点击\s*[：:]|阅读\s*[：:]?\s*\d*\s*次?$)"
)
META_LINE = re.compile(
    r"^\s*[\[【(（]?\s*(?:发布时间|发布日期|发表时间|更新时间|日期|时间|来源|信息来源|文章来源|作者|"
    r"发表于|发布者|发布机构|编辑|责任编辑|浏览次数|点击数|字号)\s*[：:]"
)
# "附件：" alone, or followed by one attachment's name
ATTACH_LINE = re.compile(r"^\s*(?:相关)?附件\s*\d*\s*[：:]")
# Discuz archiver: "<user> 发表于 2023-8-23 10:05"
AUTHOR_LINE = re.compile(r"^\S{1,30}\s+发表于\s*" + DATE_RE.pattern + r"\s*$")
SOURCE_RE = re.compile(
    r"(?:信息来源|文章来源|稿件来源|来源|来自)\s*[：:]\s*(?P<s>[^\s|｜【\[（）()]{2,40}?)"
    r"(?=\s{1,}|$|\||｜|【|\[|[（）()]|发布|时间|日期|作者|浏览|点击|字号|字体|编辑)"
)
LABELLED_DATE_RE = re.compile(
    r"(?:发布时间|发布日期|发表时间|发表于|成文日期|更新时间|日期|时间)\s*[：:]?\s*[\[【]?\s*"
    + DATE_RE.pattern
)
TITLE_SPLIT = re.compile(r"\s*(?:_|\||｜|——| - | – |-{2,})\s*")


@dataclass
class AttachmentLink:
    url: str
    name: str
    ext: str


@dataclass
class ParsedArticle:
    title: str | None
    published_at: datetime | None
    source: str | None
    body_text: str
    tables: list[Grid] = field(default_factory=list)
    attachments: list[AttachmentLink] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)
    method: str = "generic"  # generic | selectors | mixed


# ---------------------------------------------------------------- helpers


_SPACES = re.compile(r"[ \t\r\f\v\xa0\u3000]+")
_LINE_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")


def _norm_space(s: str) -> str:
    return _SPACES.sub(" ", s).strip()


def _norm_line(s: str) -> str:
    """Collapse whitespace runs but keep ideographic spaces inside a line (they are the author's),
    trimming them at the ends."""
    return _LINE_SPACES.sub(" ", s).strip(" \u3000")


def read_meta(page: Page) -> dict[str, str]:
    """All <meta name|property=… content=…> with names lower-cased and spaces dropped."""
    out: dict[str, str] = {}
    for top in page.elements:
        for m in top.iter("meta"):
            name = m.get("name") or m.get("property")
            content = m.get("content")
            if name and content is not None:
                key = re.sub(r"\s+", "", name).lower()
                out.setdefault(key, _norm_space(content))
    return out


def _first_meta(meta: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for k in keys:
        v = meta.get(k)
        if v:
            return v
    return None


def _select_text(page: Page, selector: str | None) -> str | None:
    if not selector:
        return None
    el = compile_selector(selector).select_one(page)
    if el is None:
        return None
    if el.tag == "meta":
        return _norm_space(el.get("content") or "") or None
    return _norm_space(page.text(el, " ")) or None


def _chrome(el: Element) -> bool:
    ident = " ".join([el.get("id") or "", *classes(el)])
    return bool(ident.strip()) and bool(CHROME_RE.search(ident))


# ---------------------------------------------------------------- body

_INLINE = frozenset({"a", "span", "font", "strong", "b", "em", "i", "br", "img"})
_PARA = frozenset({"p", "li", "pre", "h3", "h4", "dd", "td", "font", "center", "blockquote"})
_PUNCT = re.compile(r"[，。；、,.;：:！？]")


def _link_density(page: Page, el: Element) -> float:
    text = page.text_len(el)
    if not text:
        return 1.0
    return page.link_text_len(el) / text


def _density_body(page: Page, body: Element | None) -> Element | None:
    """Readability-style: punctuated paragraphs credit their containers; best container wins."""
    scores: dict[Element, float] = {}
    for el in page.descendants(body):
        if el.tag in _INLINE:
            continue
        n, links = page.own_text_len(el, BLOCK_TAGS)
        if n - links < 12:
            continue
        if el.tag in ("td", "th") and n < 100:
            continue  # a data-table cell (an enterprise name): tables are landed as grids
        text = page.stripped_text(el)
        score = 1 + len(_PUNCT.findall(text[:2000])) + min(n / 100, 3)
        parent = el.getparent()
        if el.tag in _PARA:
            targets = [(parent, 1.0), (parent.getparent() if parent is not None else None, 0.5)]
        else:  # a div/td that holds text directly (Discuz archiver, old TRS <br> bodies)
            targets = [(el, 1.0), (parent, 0.5)]
        for t, w in targets:
            if t is not None and t.tag not in ("body", "html"):
                scores[t] = scores.get(t, 0.0) + score * w
    if not scores:
        return None
    return max(scores, key=lambda t: scores[t] * (1 - _link_density(page, t)))


_KNOWN_BODY = [compile_selector(sel) for sel in KNOWN_BODY]


def _known_body(page: Page) -> Element | None:
    """The first container (in document order) of the most specific known kind. One selector at a
    time: a page has one kind, most are ruled out by the page's ids/classes without an XPath walk."""
    for sel in _KNOWN_BODY:
        for el in sel.select(page):
            if page.text_len(el) >= 20:
                return el
    return None


def _render_lines(page: Page, el: Element | None) -> list[str]:
    """Text of el (None: the whole document) with one line per block element/<br>; data tables
    left out."""
    lines: list[str] = []
    buf: list[str] = []
    dead = page.dead

    def flush() -> None:
        line = _norm_line("".join(buf))
        if line:
            lines.append(line)
        buf.clear()

    def walk(node: Element | None) -> None:
        if node is not None and node.text:
            buf.append(node.text.replace("\n", " "))
        for child in (page.tops if node is None else node):
            tag = child.tag
            if tag.__class__ is str and child not in dead:
                if tag == "br":
                    flush()
                elif tag == "table" and page.find(child, "table") is None:
                    flush()  # data tables are landed as grids (raw.page_tables), not as body text
                elif tag in BLOCK_TAGS:
                    flush()
                    walk(child)
                    flush()
                else:
                    walk(child)
            if child.tail:  # the text after an element (or a comment) is the parent's
                buf.append(child.tail.replace("\n", " "))

    walk(el)
    flush()
    return lines


def clean_lines(lines: list[str], title: str | None = None, drop: set[str] | None = None) -> list[str]:
    """Drop chrome lines, stop at 上一篇/footers; ``drop`` holds exact lines to remove (attachment
    link texts: attachments are landed as files, not as body text)."""
    out: list[str] = []
    drop = drop or set()
    for raw in lines:
        line = _norm_line(TOOL_TOKENS.sub(" ", raw))
        if not line:
            continue
        if line in drop:
            continue
        m = ATTACH_LINE.match(line)
        if m and line[m.end():].strip() in drop | {""}:
            continue
        if END_LINE.match(line):
            if out:  # chrome before any content (a top bar) must not end the article
                break
            continue
        if DROP_LINE.match(line):
            continue
        if META_LINE.match(line) and len(line) < 120:
            continue
        if AUTHOR_LINE.match(line):
            continue
        if title and line == title and len(out) < 3:
            continue  # the heading repeated at the top of the body
        out.append(line)
    return out


_CHROME_TAGS = frozenset({"nav", "footer", "header", "aside"})
_CHROME_CANDIDATES = frozenset({"div", "ul", "p", "span", "table", "section", "td"})


def _strip_chrome(page: Page, root: Element | None) -> None:
    page.remove([t for t in page.descendants(root) if t.tag in _CHROME_TAGS
                 or (t.tag in _CHROME_CANDIDATES and _chrome(t))])


# ---------------------------------------------------------------- fields


def _title(page: Page, meta: dict[str, str], page_title: str) -> str | None:
    t = meta.get("articletitle")
    if t:
        return t
    first = TITLE_SPLIT.split(page_title)[0] if page_title else ""
    for tag in ("h1", "h2", "h3"):
        for h in page.iter(tag):
            text = _norm_space(page.text(h, " "))
            if len(text) >= 4 and not _chrome(h) and (tag == "h1" or not first or text[:6] == first[:6]):
                return text
    return first or _first_meta(meta, ("title", "og:title"))


def _published(meta: dict[str, str], page_text: str, title: str | None) -> datetime | None:
    for k in META_DATE:
        d = parse_date(meta.get(k))
        if d:
            return d
    m = LABELLED_DATE_RE.search(page_text)
    if m:
        return parse_date(m.group(0))
    # An unlabelled date right under the heading (PageAdmin: "2024/12/20 9:12:16  来源：…").
    at = page_text.find(title) if title else -1
    if at >= 0:
        return parse_date(page_text[at + len(title) : at + len(title) + 200])
    return None


def _source(meta: dict[str, str], page_text: str) -> str | None:
    s = _first_meta(meta, META_SOURCE)
    if s:
        return s
    m = SOURCE_RE.search(page_text)
    return m.group("s").strip("：: ") if m else None


def _attachment_ext(url: str, name: str) -> str | None:
    parts = urlsplit(url)
    candidates = [unquote(parts.path)]
    if "." in parts.query or "%" in parts.query:  # else no query value can end in ".ext"
        for values in parse_qs(parts.query).values():
            candidates.extend(values)
    candidates.append(name)
    for c in candidates:
        m = _EXT_AT_END.search(c.strip())
        if m and m.group(1).lower() in ATTACHMENT_EXTS:
            return m.group(1).lower()
    return None


_EXT_AT_END = re.compile(r"\.([A-Za-z]{2,4})\s*$")
# Something that can end a path, query value or name in an attachment extension (or hide one
# percent-encoded): a link without it anywhere is not an attachment, whatever the base URL.
_EXT_HINT = re.compile(r"\.(?:" + "|".join(ATTACHMENT_EXTS) + r")(?![A-Za-z])|%", re.I)


def _may_be_attachment(a: Element, href: str) -> bool:
    """Cheap test first: pages carry hundreds of navigation links."""
    if not href or href[0] == "?":  # the link's path is the page's own
        return True
    return bool(_EXT_HINT.search(href) or _EXT_HINT.search(a.get("title") or "")
                or any(_EXT_HINT.search(t) for t in a.itertext()))


def find_attachments(page: Page, root: Element | None, base_url: str | None) -> list[AttachmentLink]:
    """Links to files under ``root`` (the whole document when None)."""
    seen: set[str] = set()
    out: list[AttachmentLink] = []
    for a in page.descendants(root, "a"):
        href = a.get("href")
        if href is None:
            continue
        href = href.strip()
        if href.lower().startswith(("javascript:", "mailto:", "#")) or not _may_be_attachment(a, href):
            continue
        url = urljoin(base_url, href) if base_url else href
        name = _norm_space(page.text(a, " ")) or (a.get("title") or "")
        ext = _attachment_ext(url, name)
        if ext and url not in seen:
            seen.add(url)
            out.append(AttachmentLink(url=url, name=name, ext=ext))
    return out


def _cfg_selectors(config: Any) -> Any:
    return getattr(config, "selectors", config) if config is not None else None


def parse_article(html: str, url: str | None = None, config: Any = None) -> ParsedArticle:
    """Parse one article page; ``config`` is a PortalConfig (or its selectors) or None (generic)."""
    page = Page(html)
    meta = read_meta(page)
    title_el = page.first("title")
    page_title = _norm_space(page.text(title_el)) if title_el is not None else ""
    base = page.first("base", "href")  # Discuz pages resolve links against <base href>
    link_base = urljoin(url, base.get("href")) if base is not None and url else url
    sel = _cfg_selectors(config)
    used_sel = False

    # Fields from the full page first (the meta line sits outside the body container).
    page.remove(page.iter(*DROP_TAGS))
    page_text = _norm_space(" ".join(page.document_strings()))

    title = _select_text(page, getattr(sel, "title", None))
    used_sel |= title is not None
    title = title or _title(page, meta, page_title)

    date_text = _select_text(page, getattr(sel, "date", None))
    published = parse_date(date_text) if date_text else None
    used_sel |= published is not None
    published = published or _published(meta, page_text, title)

    source_text = _select_text(page, getattr(sel, "source", None))
    source = None
    if source_text:
        m = SOURCE_RE.search(source_text)
        source = m.group("s") if m else re.sub(r"^.*?[：:]\s*", "", source_text).strip() or None
        used_sel |= source is not None
    source = source or _source(meta, page_text)

    body_sel = getattr(sel, "body", None)
    body_el = compile_selector(body_sel).select_one(page) if body_sel else None
    used_sel |= body_el is not None
    page_body = page.first("body")
    attachments = find_attachments(page, page_body, link_base)
    if body_el is None:
        body_el = _known_body(page)
    if body_el is None:
        # No known container: the densest block of the page once chrome is gone. Without a
        # <body> (a frameset, a head-only stub) the document itself, as ``None``.
        _strip_chrome(page, page_body)
        body_el = _density_body(page, page_body)
        if body_el is None:
            body_el = page_body
    tables = extract_tables(body_el, page)
    lines = clean_lines(_render_lines(page, body_el), title, {a.name for a in attachments if a.name})
    method = "generic" if not used_sel else ("selectors" if sel and all(
        getattr(sel, k, None) for k in ("title", "date", "source", "body")) else "mixed")
    return ParsedArticle(
        title=title,
        published_at=published,
        source=source,
        body_text="\n".join(lines),
        tables=tables,
        attachments=attachments,
        meta=meta,
        method=method,
    )

