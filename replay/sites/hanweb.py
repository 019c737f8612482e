"""Hanweb 大汉 JCMS: `/col/col1229/index.html` embeds the first page of records as XML in a
`<script type="text/xml"><datastore>` (invisible to html.parser until the CDATA is read), later
pages come from `/module/web/jpage/dataproxy.jsp?page=N&columnid=…&unitid=…` (XML with
totalrecord/totalpage) or `index.html?pageNum=N`; articles at `/art/2024/3/5/art_1229_NNN.html`;
downloads via `/module/download/downfile.jsp?classid=0&filename=…`."""

from __future__ import annotations

import math
import zlib
from html import escape
from typing import Any

from replay.content import Article, Column
from replay.http import Request, Response
from replay.sites.base import Site


class HanwebSite(Site):
    platform = "hanweb"
    table_style = "ueditor"
    PROXY = "/module/web/jpage/dataproxy.jsp"

    def col_num(self, col: Column | str) -> str:
        col_id = col if isinstance(col, str) else col.id
        return col_id.removeprefix("col")

    def unit_id(self, col: Column) -> int:
        return 200000 + int(self.col_num(col))

    def list_paths(self, col: Column) -> list[str]:
        base = f"/col/{col.id}/index.html"
        return [base] + [f"{base}?pageNum={n}" for n in range(2, self.page_count(col) + 1)]

    def article_path(self, a: Article) -> str:
        p = a.published
        return f"/art/{p.year}/{p.month}/{p.day}/art_{self.col_num(a.column)}_{a.num}.html"

    def attachment_path(self, a: Article, att: dict[str, Any]) -> str:
        digits = zlib.crc32(f"{a.id}/{att['name']}".encode()) % 10**10
        name = f"{a.published:%y%m%d}{digits:010d}.{att['kind']}"
        return f"/module/download/downfile.jsp?classid=0&filename={name}"

    def record(self, a: Article) -> str:
        title = escape(a.title, quote=True)
        return (
            f"<li><a href='{self.article_path(a)}' title='{title}' target='_blank'>"
            f"{escape(self.list_title(a))}</a><span>{a.published:%Y-%m-%d}</span></li>"
        )

    def nextgroup(self, col: Column) -> str:
        return (
            f'<a href="{self.PROXY}?page=1&appid=1&webid={self.portal.extra.get("webid", 3)}&path=/'
            f"&columnid={self.col_num(col)}&unitid={self.unit_id(col)}&webname={self.portal.site_name}"
            f'&permissiontype=0"></a>'
        )

    def handle(self, req: Request) -> Response | None:
        if req.path == self.PROXY:
            return self.dataproxy(req)
        return super().handle(req)

    def dataproxy(self, req: Request) -> Response:
        """The XML pager: page/perpage or startrecord/endrecord, as Hanweb's jpage answers."""
        params = req.params
        col = next((c for c in self.portal.columns if self.col_num(c) == params.get("columnid")), None)
        items = self.by_column[col.id] if col else []
        perpage = min(int(params.get("perpage") or (col.per_page if col else 15)), 300)
        if params.get("startrecord"):
            start = max(int(params["startrecord"]) - 1, 0)
            end = int(params.get("endrecord") or start + perpage)
        else:
            page = max(int(params.get("page") or 1), 1)
            start, end = (page - 1) * perpage, page * perpage
        records = "".join(f"<record><![CDATA[{self.record(a)}]]></record>" for a in items[start:end])
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>'
            f"<totalrecord>{len(items)}</totalrecord>"
            f"<totalpage>{max(1, math.ceil(len(items) / perpage))}</totalpage>"
            f"<recordset>{records}</recordset></datastore>"
        )
        modified = max((a.modified for a in items), default=None)
        return Response(body=xml.encode("utf-8"), content_type="text/xml; charset=UTF-8", modified=modified)
