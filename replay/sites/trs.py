"""TRS sites: 海云 (集约化 provincial platforms, `createPageHTML`) and legacy WCM 5/6
(`var countPage = N//共多少页`). Both use static column dirs — `index.html`, `index_1.html`, … —
and articles in month dirs relative to the column: `./202403/t20240301_1234567.html`;
attachments sit beside the article as `./P0<date><digits>.xlsx`."""

from __future__ import annotations

import zlib
from typing import Any

from replay.content import Article, Column
from replay.sites.base import Site


class TrsSite(Site):
    platform = "trs_hy"

    @property
    def ext(self) -> str:
        return self.portal.extra.get("ext", "html")

    def column_dir(self, col_id: str) -> str:
        return self.portal.extra.get("column_dirs", {}).get(col_id, f"/{col_id}/")

    def list_paths(self, col: Column) -> list[str]:
        base = self.column_dir(col.id)
        return [f"{base}index.{self.ext}"] + [
            f"{base}index_{n}.{self.ext}" for n in range(1, self.page_count(col))
        ]

    def article_rel(self, a: Article) -> str:
        return f"./{a.published:%Y%m}/t{a.published:%Y%m%d}_{a.num}.{self.ext}"

    def article_path(self, a: Article) -> str:
        return self.column_dir(a.column) + self.article_rel(a)[2:]

    def _att_name(self, a: Article, att: dict[str, Any]) -> str:
        digits = zlib.crc32(f"{a.id}/{att['name']}".encode()) % 10**12
        return f"P0{a.published:%Y%m%d}{digits:012d}.{att['kind']}"

    def attachment_path(self, a: Article, att: dict[str, Any]) -> str:
        return f"{self.column_dir(a.column)}{a.published:%Y%m}/{self._att_name(a, att)}"

    def attachment_href(self, a: Article, att: dict[str, Any]) -> str:
        return f"./{self._att_name(a, att)}"  # relative to the article's month dir, as TRS writes it


class TrsWcmSite(TrsSite):
    platform = "trs_wcm"
