"""List pages: where page N is, how many there are, and which article links a page holds.

Links are read with a regex over the raw HTML rather than the DOM because Hanweb keeps its first
records inside ``<script type="text/xml">`` CDATA and some sites build lists with JS arrays
(``urls[i]='…'``); html.parser would hide both.
"""

from __future__ import annotations

import html as htmlmod
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapers.listing_dates import entry_date
from scrapers.registry import PortalConfig

_A = re.compile(r"<a\b([^>]*?)href\s*=\s*(['\"])(.*?)\2([^>]*)>(.*?)</a\s*>", re.I | re.S)
_TITLE_ATTR = re.compile(r"title\s*=\s*(['\"])(.*?)\1", re.I | re.S)
_JS_URL = re.compile(r"urls\[\w+\]\s*=\s*(['\"])(.*?)\1")
_TAGS = re.compile(r"<[^>]+>")
_TRS_COUNT = (
    # ('page_div', 22, 1, 'common_list', 'shtml', 325): total pages second
    re.compile(r"createPageHTML\(\s*['\"][^'\"]*['\"]\s*,\s*(\d+)"),
    re.compile(r"createPageHTML\(\s*(\d+)"),  # (9, 0, "index", "html")
    re.compile(r"countPage\s*=\s*(\d+)"),
)
_HANWEB_TOTAL = re.compile(r"<totalpage>\s*(\d+)\s*</totalpage>", re.I)
_DATAPROXY = re.compile(r"[^'\"<>\s]*dataproxy\.jsp\?[^'\"<>\s\]]*", re.I)


@dataclass(frozen=True)
class ListLink:
    url: str
    title: str | None
    published: date | None = None  # the date the list shows beside the link, if any


_BASE = re.compile(r"<base\b[^>]*href\s*=\s*(['\"])(.*?)\1", re.I | re.S)


def base_url(html_text: str, page_url: str) -> str:
    """The URL relative links resolve against: <base href> when the page has one (Discuz)."""
    m = _BASE.search(html_text[:20_000])
    return urljoin(page_url, htmlmod.unescape(m.group(2).strip())) if m else page_url


def article_links(html_text: str, page_url: str, cfg: PortalConfig) -> list[ListLink]:
    """Article links in page order, deduplicated, absolute, on allowed hosts, matching the pattern,
    each with the date its list entry shows (``published``; None when the list shows none)."""
    pattern = re.compile(cfg.article_url_pattern)
    page_url = base_url(html_text, page_url)
    found: list[tuple[str, str | None, int | None]] = []  # url, title, index into anchors
    anchors: list[tuple[str, re.Match[str]]] = []  # the article links' <a>, to bound each entry

    def add(href: str, title: str | None, m: re.Match[str] | None) -> None:
        href = htmlmod.unescape(href.strip())
        if not href or href.lower().startswith(("javascript:", "mailto:", "#")):
            return
        url = urljoin(page_url, href).split("#")[0]
        if not cfg.allows(url) or not pattern.search(url):
            return
        if m is not None:
            anchors.append((url, m))
        found.append((url, title or None, len(anchors) - 1 if m is not None else None))

    for m in _A.finditer(html_text):
        attrs = m.group(1) + " " + m.group(4)
        t = _TITLE_ATTR.search(attrs)
        text = htmlmod.unescape(_TAGS.sub("", m.group(5))).strip()
        add(m.group(3), htmlmod.unescape(t.group(2)).strip() if t else text, m)
    for m in _JS_URL.finditer(html_text):
        add(m.group(2), None, None)

    out: dict[str, ListLink] = {}
    for url, title, i in found:
        published = None
        if i is not None:
            m = anchors[i][1]
            # the entry ends at the neighbouring links to *other* articles (an image link and a
            # text link to one article sit in one entry)
            j, k = i - 1, i + 1
            while j >= 0 and anchors[j][0] == url:
                j -= 1
            while k < len(anchors) and anchors[k][0] == url:
                k += 1
            lo = anchors[j][1].end() if j >= 0 else 0
            hi = anchors[k][1].start() if k < len(anchors) else len(html_text)
            published = entry_date(html_text, m.start(), m.end(), m.group(5), lo, hi)
        if url not in out:
            out[url] = ListLink(url, title, published)
        elif published and out[url].published is None:  # an image link before the dated text link
            out[url] = ListLink(url, out[url].title, published)
    return list(out.values())


def page_count(html_text: str, cfg: PortalConfig) -> int | None:
    """Total list pages as the page itself announces it (a hint: sites get it wrong)."""
    kind = cfg.pagination.kind
    if kind == "trs_index":
        for rx in _TRS_COUNT:
            m = rx.search(html_text)
            if m:
                return int(m.group(1))
    if kind == "hanweb_datastore":
        m = _HANWEB_TOTAL.search(html_text)
        if m:
            return int(m.group(1))
    # Otherwise the highest page number the pager links to (末页, "页: [1] 2 3", list-5-3.html).
    numbers: list[str] = []
    if kind in ("query_page", "discuz_archiver"):
        param = re.escape(cfg.pagination.param)
        numbers = re.findall(r"[?&](?:amp;)?" + param + r"=(\d+)", html_text)
    elif kind == "destoon":
        numbers = re.findall(r"list-\d+-(\d+)\.html", html_text)
    if numbers:
        return max(int(n) for n in numbers)
    return None


def _set_query(url: str, key: str, value: int) -> str:
    p = urlsplit(url)
    q = [(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if k != key]
    q.append((key, str(value)))
    return urlunsplit((p.scheme, p.netloc, p.path, urlencode(q), ""))


def nth_page_url(start_url: str, n: int, cfg: PortalConfig, first_html: str | None = None) -> str | None:
    """URL of list page ``n`` (0 = the start URL); None when the rule cannot address it."""
    if n == 0:
        return start_url
    pg = cfg.pagination
    kind = pg.kind
    if kind == "none":
        return None
    if kind == "trs_index":
        # index.html → index_1.html (the 2nd page); common_list.shtml → common_list_1.shtml …
        p = urlsplit(start_url)
        path = p.path if not p.path.endswith("/") else p.path + "index.html"
        m = re.match(r"^(.*/)([^/]+?)\.(s?html?)$", path)
        if not m:
            return None
        # the first page has no suffix, the second is _1 (never _0) or _2 (innocom's list_gsgg_2)
        number = pg.second + n - 1
        return urlunsplit((p.scheme, p.netloc, f"{m.group(1)}{m.group(2)}_{number}.{m.group(3)}", "", ""))
    if kind == "query_page":
        return _set_query(start_url, pg.param, pg.second + n - 1)
    if kind == "destoon":
        p = urlsplit(start_url)
        m = re.match(r"^(.*/list-\d+)(?:-\d+)?\.html$", p.path)
        if not m:
            return None
        return urlunsplit((p.scheme, p.netloc, f"{m.group(1)}-{pg.second + n - 1}.html", p.query, ""))
    if kind == "discuz_archiver":
        # archiver/?fid-2.html → archiver/?fid-2.html&page=2
        base = re.sub(r"&page=\d+", "", start_url)
        return f"{base}&page={pg.second + n - 1}"
    if kind == "hanweb_datastore":
        # more records come from the dataproxy.jsp URL the column page announces in <nextgroup>
        if not first_html:
            return None
        m = _DATAPROXY.search(first_html)
        if not m:
            return None
        proxy_url = urljoin(start_url, htmlmod.unescape(m.group(0)))
        return _set_query(proxy_url, pg.param, pg.second + n - 1)
    return None
