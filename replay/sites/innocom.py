"""高新技术企业认定管理工作网-style national site (TRS shtml): `list_gsgg.shtml`,
`list_gsgg_2.shtml`…, articles `/gqrdw/c101407/202410/<32 hex>.shtml` with `#detailContent`,
attachments `files/<32 hex>.pdf` beside the article. Under the `challenge_521` fault every page
sits behind a 加速乐 JS-cookie challenge."""

from __future__ import annotations

import hashlib
from typing import Any

from replay.content import Article, Column
from replay.sites.base import Site


def _hex(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class InnocomSite(Site):
    platform = "innocom"
    BASE = "/gqrdw/c101407/"

    def list_paths(self, col: Column) -> list[str]:
        # One page more than the records fill: createPageHTML announces it and it is empty, as
        # when a column's page count is cached after records were withdrawn.
        return [f"{self.BASE}list_{col.id}.shtml"] + [
            f"{self.BASE}list_{col.id}_{n}.shtml" for n in range(2, self.page_count(col) + 2)
        ]

    def list_dir(self, col: Column) -> str:
        return f"{self.BASE}list_{col.id}"

    def article_path(self, a: Article) -> str:
        return f"{self.BASE}{a.published:%Y%m}/{_hex(a.id)}.shtml"

    def attachment_href(self, a: Article, att: dict[str, Any]) -> str:
        return f"files/{_hex(a.id + att['name'])}.{att['kind']}"

    def attachment_path(self, a: Article, att: dict[str, Any]) -> str:
        return f"{self.BASE}{a.published:%Y%m}/{self.attachment_href(a, att)}"
