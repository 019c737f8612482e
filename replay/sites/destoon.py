"""Destoon B2B trade portal (GBK edition, charset in the header) reposting bureau news:
`/news/list-5.html`, `/news/list-5-2.html`, articles `/news/show-NNNN.html` with
`来源：` the bureau, the original URL and `发布时间：2022年7月6日`."""

from __future__ import annotations

import itertools
from typing import Any

from replay.content import Article, Column
from replay.sites.base import Site


class DestoonSite(Site):
    platform = "destoon"
    table_style = "ueditor"

    def list_paths(self, col: Column) -> list[str]:
        return [f"/news/list-{col.id}.html"] + [
            f"/news/list-{col.id}-{n}.html" for n in range(2, self.page_count(col) + 1)
        ]

    def build_lists(self) -> None:
        # Trade sites page by offset while new posts push items down: each page after the first
        # repeats the previous page's last item, as a crawler walking the pages sees it.
        for col in self.portal.columns:
            pages = self.paginate(self.by_column[col.id], col.per_page)
            pages = [pages[0]] + [[prev[-1], *cur] for prev, cur in itertools.pairwise(pages)]
            for n, path in enumerate(self.list_paths(col)):
                self.routes[path] = self._list_route(col, n, pages)

    def list_dir(self, col: Column) -> str:
        return f"/news/list-{col.id}"

    def article_path(self, a: Article) -> str:
        return f"/news/show-{a.num % 100000}.html"

    def attachment_path(self, a: Article, att: dict[str, Any]) -> str:
        return f"/file/upload/{a.published:%Y%m}/{a.num % 100000}_{len(att['name'])}.{att['kind']}"

    def pubdate(self, a: Article) -> str:
        return f"{a.published.year}年{a.published.month}月{a.published.day}日"
