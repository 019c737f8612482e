"""One threaded HTTP server for the whole replay web. It is an HTTP forward proxy: clients send
absolute-URI requests (`requests` with `proxies={"http": server.proxy_url}`) and it dispatches on the
host name, so every portal keeps its own host and per-host politeness in the crawler is real.
Plain requests with a Host header work too.

Every 200 page carries an ETag and Last-Modified and answers 304 to a matching conditional GET;
scenario faults (replay.faults) are applied on top."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from replay import faults as faults_mod
from replay.http import Request, Response, text_response
from replay.web import Web, web

log = logging.getLogger(__name__)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _http_date(moment: dt.datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
    return email.utils.format_datetime(aware.astimezone(dt.UTC), usegmt=True)


def _not_modified(req: Request, etag: str, modified: dt.datetime | None) -> bool:
    inm = req.headers.get("if-none-match")
    if inm is not None:  # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = req.headers.get("if-modified-since")
    if ims and modified is not None:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        aware = modified if modified.tzinfo else modified.replace(tzinfo=SHANGHAI)
        return aware.replace(microsecond=0) <= since
    return False


class ReplayServer:
    """`with ReplayServer(scenario="clean") as srv: requests.get(url, proxies={"http": srv.proxy_url})`."""

    def __init__(
        self,
        scenario: str = "clean",
        day: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        extra_hosts: int = 0,
    ) -> None:
        self.scenario = scenario
        self.faults = faults_mod.Faults(scenario)
        self.extra_hosts = extra_hosts
        self._day = day or 0
        self.web: Web = web(self._day, extra_hosts)
        self._bind = (host, port)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> ReplayServer:
        if self._httpd is None:
            self._httpd = _HTTPServer(self._bind, _Handler)
            self._httpd.replay = self
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.1},
                name="replay-server",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("ReplayServer is not started")
        return self._httpd.server_address[1]

    @property
    def proxy_url(self) -> str:
        host = self._bind[0]
        host = "127.0.0.1" if host in ("0.0.0.0", "") else host
        return f"http://{host}:{self.port}"

    @property
    def proxies(self) -> dict[str, str]:
        return {"http": self.proxy_url}

    # --- the scenario clock --------------------------------------------------------------------------
    @property
    def day(self) -> int:
        return self._day

    @day.setter
    def day(self, value: int) -> None:
        """Move the clock: new articles appear, edits show; the server keeps running."""
        self._day = int(value)
        self.web = web(self._day, self.extra_hosts)

    def start_urls(self) -> dict[str, list[str]]:
        return {s.portal.id: s.start_urls() for s in self.web.sites.values()}

    # --- answering ----------------------------------------------------------------------------------
    def respond(self, req: Request) -> Response:
        site = self.web.site(req.host)
        if site is None:
            return text_response(
                502, f"<html><body><h1>502 Bad Gateway</h1><p>unknown host {req.host}</p></body></html>"
            )
        resp = site.handle(req)
        if resp is None:
            resp = text_response(
                404,
                "<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1>"
                "<p>您访问的页面不存在或已被删除！</p></body></html>",
            )
        resp = self.faults.apply(req, site, resp)
        if resp.status == 200 and resp.cacheable:
            etag = '"' + hashlib.md5(resp.body).hexdigest()[:20] + '"'
            resp.headers.append(("ETag", etag))
            if resp.modified is not None:
                resp.headers.append(("Last-Modified", _http_date(resp.modified)))
            if req.method in ("GET", "HEAD") and _not_modified(req, etag, resp.modified):
                resp = Response(
                    status=304, body=b"", content_type=None, headers=resp.headers, delay=resp.delay
                )
        return resp


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    replay: ReplayServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK add
        # ~40 ms to every keep-alive response.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _request(self) -> Request:
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.path.startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            host, path, query = parts.hostname or "", parts.path or "/", parts.query
        else:
            host = (headers.get("host") or "").rsplit(":", 1)[0] if "]" not in headers.get("host", "") else ""
            path, _, query = self.path.partition("?")
        return Request(method=self.command, host=host.lower(), path=path, query=query, headers=headers)

    def _serve(self, head: bool) -> None:
        try:
            req = self._request()
            resp = self.server.replay.respond(req)
        except Exception:  # a bug in one page must not kill the server thread silently
            log.exception("replay server failed on %s", self.path)
            resp = text_response(500, "<html><body><h1>500 Internal Server Error</h1></body></html>")
        if resp.delay:
            time.sleep(resp.delay)
        try:
            self.send_response(resp.status)
            if resp.content_type:
                self.send_header("Content-Type", resp.content_type)
            for key, value in resp.headers:
                self.send_header(key, value)
            if resp.status != 304:
                self.send_header("Content-Length", str(len(resp.body)))
            if resp.truncate_at is not None:
                self.send_header("Connection", "close")
            self.end_headers()
            if head or resp.status == 304:
                return
            if resp.truncate_at is not None:
                self.wfile.write(resp.body[: resp.truncate_at])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(resp.body)
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up (e.g. its timeout); nothing to do
