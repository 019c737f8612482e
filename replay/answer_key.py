"""The labelled truth of the replay web: per article what a perfect crawler lands and a perfect
extractor finds. `load(day)` returns one dict per article that exists on that day (in that day's
version), each with:

- `doc` (article id = the gold `doc`), `portal`, `host`, `url`, `list_url` (first list page),
  `title`, `published` (ISO, Asia/Shanghai wall time), `published_date`, `source`, `day`, `edited_on`;
- `body_text` (paragraphs joined by "\\n", tables excluded), `first_sentence`, `last_sentence`;
- `tables`: grids with spans expanded, `{"header_rows": n, "grid": [[...]]}`;
- `attachments`: `{"url", "name", "type", "mime", "tables": [grid]}`;
- `facts`: rows in the gold format of dev_gold.jsonl (`doc`, `quote`, `fact`, `indicator`,
  `level`, `measure`, `value`, `unit`, `qualifier`, `region`, `period`);
- `repost_of`, `language` (`zh-Hans` / `zh-Hant`).

`facts(day)` flattens the facts into gold rows; `write_jsonl(path, day)` writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from replay import attachments, tables
from replay.content import Article
from replay.sites.base import Site
from replay.web import web

GOLD_FIELDS = (
    "doc",
    "quote",
    "fact",
    "indicator",
    "level",
    "measure",
    "value",
    "unit",
    "qualifier",
    "region",
    "period",
)


def _article_entry(site: Site, a: Article) -> dict[str, Any]:
    grids = []
    for spec in a.tables:
        rows, header_rows = tables.spec_rows(spec)
        grids.append({"header_rows": header_rows, "grid": tables.grid(spec)})
    atts = []
    for att in a.attachments:
        header, rows = tables.list_rows(att["list"])
        title = attachments.title_of(att)
        # Spreadsheets carry the title in a merged first row; the PDF prints it above the table.
        grid = [header, *rows]
        if att["kind"] in ("xlsx", "xls"):
            grid = [[title] + [""] * (len(header) - 1), *grid]
        atts.append(
            {
                "url": site.attachment_url(a, att),
                "name": att["name"],
                "type": att["kind"],
                "mime": attachments.MIME[att["kind"]],
                "title": title,
                "served_here": "url" not in att and not att.get("external"),
                "tables": [grid],
            }
        )
    facts = [{"doc": a.id, **{k: f[k] for k in GOLD_FIELDS if k != "doc"}} for f in a.facts]
    return {
        "doc": a.id,
        "portal": a.portal,
        "host": site.portal.host,
        "url": site.url(site.article_path(a)),
        "list_url": site.url(site.list_paths(site.portal.column(a.column))[0]),
        "title": a.title,
        "published": a.published.isoformat(timespec="minutes"),
        "published_date": a.published.date().isoformat(),
        "source": a.source,
        "day": a.day,
        "edited_on": a.edited_on,
        "body_text": a.body_text,
        "first_sentence": a.paragraphs[0] if a.paragraphs else "",
        "last_sentence": a.paragraphs[-1] if a.paragraphs else "",
        "tables": grids,
        "attachments": atts,
        "facts": facts,
        "repost_of": a.repost_of,
        "language": a.extra.get("language", "zh-Hans"),
    }


def load(day: int | None = None) -> list[dict[str, Any]]:
    """Every article of the replay web on `day` (None = day 0), sorted by portal then URL."""
    w = web(day or 0)
    out = [_article_entry(site, a) for site in w.sites.values() for a in site.articles]
    return sorted(out, key=lambda e: (e["portal"], e["url"]))


def facts(day: int | None = None, reposts: bool = True) -> list[dict[str, Any]]:
    """Gold rows of every article; `reposts=False` leaves out the copies on the trade site and
    forum (a pipeline that folds near-duplicates extracts each statement once, from the original)."""
    return [f for entry in load(day) if reposts or not entry["repost_of"] for f in entry["facts"]]


def write_jsonl(path: Path, day: int | None = None) -> int:
    rows = facts(day)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)
