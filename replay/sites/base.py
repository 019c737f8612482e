"""What every replay portal shares: routing by path, rendering a platform's Jinja templates in the
portal's encoding, article bodies with tables, attachments, robots.txt. A platform subclass decides
its URL scheme (`article_path`, `list_path`) and its list-page routes (`build_lists`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from replay import attachments, tables
from replay.content import Article, Column, Portal, articles_of
from replay.http import Request, Response

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(["html", "xml"]),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)

Route = Callable[[Request], Response]


class Site:
    platform = "base"
    table_style = "mso"

    def __init__(self, portal: Portal, day: int = 0) -> None:
        self.portal = portal
        self.day = day
        self.routes: dict[str, Route] = {}
        self._cache: dict[str, Response] = {}
        self.articles: list[Article] = self._load()
        self.by_column: dict[str, list[Article]] = {
            col.id: [a for a in self.articles if a.column == col.id] for col in portal.columns
        }
        self.routes["/robots.txt"] = self._robots
        self.routes["/"] = self._home
        for article in self.articles:
            path = self.article_path(article)
            if path in self.routes:  # two articles on one URL would make the answer key lie
                raise ValueError(f"{portal.id}: {article.id} collides with another article at {path}")
            self.routes[path] = self._article_route(article)
            for att in article.attachments:
                if "url" not in att and not att.get(
                    "external"
                ):  # an absolute link to another host's file is not ours to serve
                    self.routes[self.attachment_path(article, att)] = self._attachment_route(article, att)
        self.build_lists()

    def _load(self) -> list[Article]:
        """This portal's articles on this day, newest first (from the content data)."""
        return articles_of(self.portal.id, self.day)

    # --- URL scheme (platforms override) -------------------------------------------------------
    def article_path(self, a: Article) -> str:
        raise NotImplementedError

    def attachment_path(self, a: Article, att: dict[str, Any]) -> str:
        raise NotImplementedError

    def list_paths(self, col: Column) -> list[str]:
        """The list pages of a column in order; the first is the column's start URL."""
        raise NotImplementedError

    def build_lists(self) -> None:
        for col in self.portal.columns:
            items = self.by_column[col.id]
            pages = self.paginate(items, col.per_page)
            for n, path in enumerate(self.list_paths(col)):
                self.routes[path] = self._list_route(col, n, pages)

    def list_dir(self, col: Column) -> str:
        """The path prefix of a column (what robots.txt disallows to shut it)."""
        return self.list_paths(col)[0].rsplit("/", 1)[0] + "/"

    def start_urls(self) -> list[str]:
        return [self.url(self.list_paths(col)[0]) for col in self.portal.columns]

    # --- helpers ---------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://{self.portal.host}{path}"

    @staticmethod
    def paginate(items: list[Article], per_page: int) -> list[list[Article]]:
        count = max(1, math.ceil(len(items) / per_page))
        return [items[i * per_page : (i + 1) * per_page] for i in range(count)]

    def page_count(self, col: Column) -> int:
        return max(1, math.ceil(len(self.by_column[col.id]) / col.per_page))

    def render(self, template: str, **ctx: Any) -> bytes:
        name = template if template.startswith("_") else f"{self.platform}/{template}"
        text = _env.get_template(name).render(site=self, portal=self.portal, **ctx)
        # A character the portal's encoding lacks becomes an NCR, as CMSs do when publishing.
        return text.encode(self.portal.encoding, errors="xmlcharrefreplace")

    def content_type(self) -> str:
        if self.portal.header_charset:
            return f"text/html; charset={self.portal.header_charset}"
        return "text/html"

    def page(self, template: str, modified: dt.datetime | None, **ctx: Any) -> Response:
        return Response(
            body=self.render(template, **ctx), content_type=self.content_type(), modified=modified
        )

    def handle(self, req: Request) -> Response | None:
        key = req.target if req.target in self.routes else req.path
        route = self.routes.get(key)
        if route is None:
            return None
        # A site is immutable for its day, so a page is rendered once; every request gets its own
        # Response (faults rewrite them).
        cached = self._cache.get(key)
        if cached is None:
            cached = self._cache[key] = route(req)
        return dataclasses.replace(cached, headers=list(cached.headers))

    # --- article pages -----------------------------------------------------------------------------
    def blocks(self, a: Article) -> list[tuple[str, str]]:
        """Body as ('p', text) and ('table', html) blocks, tables placed after their paragraph."""
        out: list[tuple[str, str]] = []
        placed = {int(t.get("after", len(a.paragraphs) - 1)): t for t in a.tables}
        if -1 in placed:
            out.append(("table", tables.html(placed[-1], self.table_style)))
        for i, para in enumerate(a.paragraphs):
            out.append(("p", para))
            if i in placed:
                out.append(("table", tables.html(placed[i], self.table_style)))
        return out

    def neighbours(self, a: Article) -> tuple[Article | None, Article | None]:
        items = self.by_column.get(a.column, [])
        i = items.index(a)
        newer = items[i - 1] if i > 0 else None
        older = items[i + 1] if i + 1 < len(items) else None
        return newer, older

    def list_title(self, a: Article) -> str:
        """The title as list pages show it: CMS templates cut long titles and add "…" (the full
        title stays in the link's title attribute)."""
        if a.list_title:
            return a.list_title
        limit = int(self.portal.extra.get("list_title_max", 0))
        return a.title if not limit or len(a.title) <= limit else a.title[: limit - 1] + "…"

    def pubdate(self, a: Article) -> str:
        return a.published.strftime(self.portal.extra.get("pubdate_format", "%Y-%m-%d %H:%M"))

    def meta_tags(self, a: Article) -> list[tuple[str, str]]:
        """The ten government-website article meta tags, with this portal's variants."""
        col = self.portal.column(a.column)
        domain = self.portal.site_domain if self.portal.site_domain is not None else self.portal.host
        tags = [
            ("SiteName", self.portal.site_name),
            ("SiteDomain", domain),
            ("SiteIDCode", self.portal.site_id_code),
            ("ColumnName", col.name),
            ("ColumnDescription", f"{self.portal.site_name}{col.name}"),
            ("ColumnKeywords", f"{col.name},科技,创新"),
            ("ColumnType", col.name),
            ("ArticleTitle", a.title),
            ("PubDate", self.pubdate(a)),
            ("ContentSource", a.source),
        ]
        if self.portal.extra.get("meta_lowercase"):
            rename = {"PubDate": "pubdate", "ContentSource": "contentSource"}
            tags = [(rename.get(k, k), v) for k, v in tags]
        return tags

    def attachment_links(self, a: Article) -> list[tuple[str, str]]:
        return [(att["name"], att.get("url") or self.attachment_href(a, att)) for att in a.attachments]

    def attachment_href(self, a: Article, att: dict[str, Any]) -> str:
        """The href as written in the article (platforms may make it relative)."""
        return self.attachment_path(a, att)

    def attachment_url(self, a: Article, att: dict[str, Any]) -> str:
        """Absolute URL of an attachment: ours, or the original site's for a repost's link."""
        return att["url"] if "url" in att else self.url(self.attachment_path(a, att))

    def article_context(self, a: Article) -> dict[str, Any]:
        newer, older = self.neighbours(a)
        return {
            "a": a,
            "col": self.portal.column(a.column),
            "blocks": self.blocks(a),
            "meta": self.meta_tags(a),
            "pubdate": self.pubdate(a),
            "newer": newer,
            "older": older,
            "attachments": self.attachment_links(a),
        }

    def _article_route(self, a: Article) -> Route:
        def route(req: Request) -> Response:
            ctx = self.article_context(a)
            # the page also shows its neighbours' titles (上一篇/下一篇), so it changes when they do
            modified = max(x.modified for x in (a, ctx["newer"], ctx["older"]) if x is not None)
            return self.page("article.html", modified, **ctx)

        return route

    def _list_route(self, col: Column, n: int, pages: list[list[Article]]) -> Route:
        def route(req: Request) -> Response:
            items = pages[n] if n < len(pages) else []
            modified = max((a.modified for a in self.by_column[col.id]), default=None)
            return self.page(
                "list.html",
                modified,
                col=col,
                items=items,
                page=n,
                pages=len(pages),
                paths=self.list_paths(col),
            )

        return route

    def _attachment_route(self, a: Article, att: dict[str, Any]) -> Route:
        def route(req: Request) -> Response:
            data = attachments.render(att["list"], att["kind"], attachments.title_of(att))
            return Response(body=data, content_type=attachments.MIME[att["kind"]], modified=a.published)

        return route

    def _home(self, req: Request) -> Response:
        """A plain home page: the columns and their newest items (site pages carry 3 gov meta tags)."""
        return self.page("_home.html", max((a.modified for a in self.articles), default=None))

    def _robots(self, req: Request) -> Response:
        return Response(body=b"User-agent: *\nDisallow:\n", content_type="text/plain", cacheable=False)
