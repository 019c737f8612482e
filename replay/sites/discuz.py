"""Discuz! X archiver: `/archiver/?fid-2.html&page=N` lists, `/archiver/?tid-88.html` threads with
`<p class="author"><strong>user</strong> 发表于 2023-8-23 10:05</p>` and the stray
`页: [1]` block every archiver thread ends with (arch_multi's `+ 1`)."""

from __future__ import annotations

from typing import Any

from replay.content import Article, Column
from replay.sites.base import Site


class DiscuzSite(Site):
    platform = "discuz"

    def list_paths(self, col: Column) -> list[str]:
        return [f"/archiver/?fid-{col.id}.html"] + [
            f"/archiver/?fid-{col.id}.html&page={n}" for n in range(2, self.page_count(col) + 1)
        ]

    def list_dir(self, col: Column) -> str:
        return f"/archiver/?fid-{col.id}"

    def article_path(self, a: Article) -> str:
        return f"/archiver/?tid-{a.num % 10000}.html"

    def attachment_path(self, a: Article, att: dict[str, Any]) -> str:
        return f"/data/attachment/forum/{a.published:%Y%m}/{a.num % 10000}.{att['kind']}"

    def pubdate(self, a: Article) -> str:
        p = a.published
        return f"{p.year}-{p.month}-{p.day} {p.hour:02d}:{p.minute:02d}"
