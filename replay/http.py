"""Plain request/response values passed between the server, the portal sites and the faults."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    host: str  # lower-case host name without port
    path: str  # path without query
    query: str = ""  # raw query string
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

    @property
    def target(self) -> str:
        """Path plus query, the key the sites route on."""
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.target}"

    @property
    def params(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.query, keep_blank_values=True).items()}

    @property
    def cookies(self) -> dict[str, str]:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(self.headers.get("cookie", ""))
        except Exception:  # a malformed Cookie header is the client's problem, not a crash
            return {}
        return {k: m.value for k, m in jar.items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    modified: dt.datetime | None = None  # Last-Modified (Asia/Shanghai wall time) for conditional GET
    delay: float = 0.0  # seconds to wait before answering (slow/timeout faults)
    truncate_at: int | None = None  # send only this many body bytes, then drop the connection
    cacheable: bool = True  # ETag/Last-Modified/304 apply (200 pages only)

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def text_response(status: int, text: str, content_type: str = "text/html; charset=utf-8") -> Response:
    return Response(status=status, body=text.encode("utf-8"), content_type=content_type, cacheable=False)
