"""HTML page → body text (and what the page says about itself) for the extractor.

Uses the crawler's generic article parser (``scrapers.article.parse_article``) and its decoder, so a
page reads the same in ``kejiwatch extract`` as in the pipeline; falls back to a plain BeautifulSoup
text when the scrapers package is not importable."""

from __future__ import annotations

import re
from datetime import date, datetime


def decode_html(raw: bytes) -> str:
    try:
        from scrapers.decode import decode

        return decode(raw).text
    except ImportError:  # pragma: no cover - the scrapers ship with the project
        m = re.search(rb"charset=[\"']?([A-Za-z0-9_-]+)", raw[:2048])
        enc = m.group(1).decode("ascii") if m else "utf-8"
        return raw.decode(enc, errors="replace")


def page_text(page: bytes | str, url: str | None = None) -> tuple[str, dict]:
    """(body text, {title, published, source}) of an HTML page."""
    html = page if isinstance(page, str) else decode_html(page)
    try:
        from scrapers.article import parse_article
    except ImportError:  # pragma: no cover
        parse_article = None
    if parse_article is not None:
        art = parse_article(html, url)
        pub = art.published_at
        if isinstance(pub, datetime):
            pub = pub.date()
        meta = {"title": art.title or "", "published": pub if isinstance(pub, date) else None,
                "source": art.source}
        return art.body_text or "", meta
    return _soup_text(html)


def _soup_text(html: str) -> tuple[str, dict]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    for t in soup(["script", "style", "noscript", "nav", "header", "footer"]):
        t.decompose()
    title = soup.title.get_text(strip=True) if soup.title else ""
    text = soup.get_text("\n")
    text = "\n".join(line.strip() for line in text.splitlines() if line.strip())
    return text, {"title": title, "published": None, "source": None}
