"""PageAdmin (.NET) county site: `/news/list.aspx?page=N` with a 末页 link, articles at
`/news/detail.aspx?id=NNN`, .NET zh-CN dates such as `2024/12/20 9:12:16`, only `SiteName` of the
government meta tags, a static view count, uploads under `/upload/files/YYYY/MM/`."""

from __future__ import annotations

import zlib
from typing import Any

from replay.content import Article, Column
from replay.sites.base import Site


def net_time(moment: Any) -> str:
    """.NET zh-CN default: no zero padding of month, day or hour."""
    return f"{moment.year}/{moment.month}/{moment.day} {moment.hour}:{moment.minute:02d}:{moment.second:02d}"


class PageAdminSite(Site):
    platform = "pageadmin"
    table_style = "ueditor"

    def list_paths(self, col: Column) -> list[str]:
        base = f"/{col.id}/list.aspx"
        return [base] + [f"{base}?page={n}" for n in range(2, self.page_count(col) + 1)]

    def list_dir(self, col: Column) -> str:
        return f"/{col.id}/"

    def article_path(self, a: Article) -> str:
        return f"/{a.column}/detail.aspx?id={a.num % 100000}"

    def attachment_path(self, a: Article, att: dict[str, Any]) -> str:
        digits = zlib.crc32(f"{a.id}/{att['name']}".encode()) % 10**8
        return f"/upload/files/{a.published:%Y/%m}/{a.published:%Y%m%d%H%M}{digits:08d}.{att['kind']}"

    def pubdate(self, a: Article) -> str:
        return net_time(a.published)

    def views(self, a: Article) -> int:
        return 20 + a.num % 300
