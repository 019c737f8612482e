"""HTTP for the crawler: one pooled requests Session per host, polite and fault-tolerant.

Every attempt (robots.txt, redirects, retries, 304s, blocks, errors) becomes one ``raw.fetches``
row, so a run's faults are all on record with their cause. Retries use tenacity with exponential
back-off and jitter, or the server's Retry-After when it sends one (capped), and each attempt
passes through the host's rate limiter. Redirects are followed by hand so that a redirect off the
portal's allowed hosts is refused before it is requested.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from scrapers.blocked import blocked_reason
from scrapers.decode import Decoded, decode
from scrapers.politeness import USER_AGENT, HostLimiter, Robots
from scrapers.shared_limiter import SharedHostLimiter, default_state_dir

RETRY_STATUSES = {408, 425, 429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "text/plain")


def utcnow() -> datetime:
    """Fetch times are UTC wall time (naive), publish dates are Asia/Shanghai wall time."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class FetchPolicy:
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    attachment_read_timeout: float = 60.0  # files are bigger and often generated on request
    retries: int = 3  # further attempts after the first
    backoff_initial: float = 1.0
    backoff_max: float = 30.0
    jitter: float = 1.0
    max_retry_after: float = 60.0  # a Retry-After beyond this is capped, not obeyed blindly
    max_redirects: int = 5
    rate: float | None = None  # requests/s per host, overriding every portal's rate_limit
    # The host's spacing holds across processes on this machine (a state file per host under
    # ``politeness_dir``, default <data dir>/politeness); False keeps it to this process only.
    shared_limits: bool = True
    politeness_dir: str | None = None

    @classmethod
    def from_env(cls, **overrides: Any) -> FetchPolicy:
        """Defaults, then ``KEJIWATCH_CRAWL_RATE`` (e.g. 50 for tests against the replay portals)."""
        rate = os.environ.get("KEJIWATCH_CRAWL_RATE")
        base: dict[str, Any] = {"rate": float(rate)} if rate else {}
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)


class _Retryable(Exception):
    def __init__(self, result: FetchResult, retry_after: float | None = None) -> None:
        super().__init__(result.error)
        self.result = result
        self.retry_after = retry_after


@dataclass
class FetchResult:
    url: str
    kind: str
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    decoded: Decoded | None = None
    error: str | None = None
    blocked_reason: str | None = None
    transient: bool = False  # a failure that may go away (timeouts, 5xx): retried next run
    attempts: list[dict[str, Any]] = field(default_factory=list)  # raw.fetches rows
    final_url: str | None = None
    note: str | None = None  # a fault that was worked around (oversized list read up to the cap)

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and not self.error

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error and not self.blocked_reason

    @property
    def text(self) -> str:
        return self.decoded.text if self.decoded else ""

    @property
    def content_hash(self) -> str | None:
        return hashlib.sha256(self.body).hexdigest() if self.ok else None


class HostClient:
    def __init__(self, host: str, rate: float, proxy: str | None, limits_dir: Path | None = None) -> None:
        self.host = host
        self.limiter = SharedHostLimiter(host, rate, limits_dir) if limits_dir else HostLimiter(rate)
        self.session = requests.Session()
        self.session.trust_env = False  # only our proxy setting, never a stray env proxy
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=8, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({
            "User-Agent": USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "zh-CN,zh;q=0.9",
        })
        if proxy:
            self.session.proxies = {"http": proxy, "https": proxy}
        self.robots: Robots | None = None
        self.robots_lock = threading.Lock()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Fetcher:
    """Shared by every portal thread of a run; hosts are created on first use."""

    def __init__(
        self, proxy: str | None = None, policy: FetchPolicy | None = None, run_id: str | None = None
    ) -> None:
        self.proxy = proxy if proxy is not None else os.environ.get("KEJIWATCH_HTTP_PROXY") or None
        self.policy = policy or FetchPolicy.from_env()
        self.run_id = run_id
        self._hosts: dict[str, HostClient] = {}
        self._lock = threading.Lock()
        self.limits_dir: Path | None = None
        if self.policy.shared_limits:
            self.limits_dir = Path(self.policy.politeness_dir or default_state_dir())

    def close(self) -> None:
        for client in self._hosts.values():
            client.session.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ hosts
    def client(self, url: str, rate: float) -> HostClient:
        host = (urlsplit(url).hostname or "").lower()
        rate = self.policy.rate or rate
        with self._lock:
            client = self._hosts.get(host)
            if client is None:
                client = self._hosts[host] = HostClient(host, rate, self.proxy, self.limits_dir)
            else:
                client.limiter.slow_down(1.0 / rate)
        return client

    def _robots(self, client: HostClient, url: str, portal_id: str) -> tuple[Robots, list[dict[str, Any]]]:
        """robots.txt of the URL's host, fetched once per run (4xx: allow all; 5xx/none: deny all)."""
        with client.robots_lock:
            if client.robots is not None:
                return client.robots, []
            p = urlsplit(url)
            robots_url = f"{p.scheme}://{p.netloc}/robots.txt"
            res = self._with_retries(client, robots_url, portal_id, "robots", None, 500_000, lambda u: True)
            if res.status == 200 and not res.error:
                client.robots = Robots(res.body.decode("utf-8", "replace"))
            elif res.status is not None and 400 <= res.status < 500:
                client.robots = Robots()
            else:
                client.robots = Robots(deny_all=True)
            delay = client.robots.crawl_delay()
            if delay and not self.policy.rate:
                client.limiter.slow_down(delay)
            return client.robots, res.attempts

    # ------------------------------------------------------------------ fetch
    def fetch(
        self,
        url: str,
        *,
        portal_id: str,
        kind: str,
        allowed: Callable[[str], bool],
        rate: float = 1.0,
        validators: tuple[str | None, str | None] | None = None,
        max_bytes: int = 5_000_000,
        encoding_hint: str | None = None,
    ) -> FetchResult:
        """GET ``url`` politely; never raises for network or HTTP trouble (see ``.error``)."""
        if not allowed(url):
            res = FetchResult(url, kind, error="URL not on the portal's allowed http(s) hosts",
                              blocked_reason="host_not_allowed")
            res.attempts.append(self._row(res, portal_id, utcnow(), None))
            return res
        client = self.client(url, rate)
        robots, robot_rows = self._robots(client, url, portal_id)
        if not robots.allowed(url):
            res = FetchResult(url, kind, error="disallowed by robots.txt", blocked_reason="robots_disallow")
            res.attempts = [*robot_rows, self._row(res, portal_id, utcnow(), None)]
            return res
        res = self._with_retries(client, url, portal_id, kind, validators, max_bytes, allowed, encoding_hint)
        res.attempts = [*robot_rows, *res.attempts]
        return res

    def _with_retries(
        self,
        client: HostClient,
        url: str,
        portal_id: str,
        kind: str,
        validators: tuple[str | None, str | None] | None,
        max_bytes: int,
        allowed: Callable[[str], bool],
        encoding_hint: str | None = None,
    ) -> FetchResult:
        pol = self.policy
        backoff = wait_exponential_jitter(
            multiplier=pol.backoff_initial, max=pol.backoff_max, jitter=pol.jitter
        )

        def wait(state: Any) -> float:
            exc = state.outcome.exception()
            if isinstance(exc, _Retryable) and exc.retry_after is not None:
                return min(exc.retry_after, pol.max_retry_after)
            return backoff(state)

        rows: list[dict[str, Any]] = []
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(pol.retries + 1),
                wait=wait,
                retry=retry_if_exception_type(_Retryable),
                reraise=False,
            ):
                with attempt:
                    res = self._follow(
                        client, url, portal_id, kind, validators, max_bytes, allowed, encoding_hint
                    )
                    rows.extend(res.attempts)
                    if res.transient:
                        ra = _retry_after(res.attempts[-1].get("_retry_after")) if res.attempts else None
                        if ra is not None:
                            client.limiter.defer(min(ra, pol.max_retry_after))
                        raise _Retryable(res, ra)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            res = last.result if isinstance(last, _Retryable) else FetchResult(url, kind, error=str(last))
            res.error = f"{res.error} (gave up after {pol.retries + 1} attempts)"
            if rows:
                rows[-1]["error"] = res.error
        res.attempts = rows
        for r in rows:
            r.pop("_retry_after", None)
        return res

    def _follow(
        self,
        client: HostClient,
        url: str,
        portal_id: str,
        kind: str,
        validators: tuple[str | None, str | None] | None,
        max_bytes: int,
        allowed: Callable[[str], bool],
        encoding_hint: str | None,
    ) -> FetchResult:
        """One attempt, following redirects that stay on allowed hosts."""
        rows: list[dict[str, Any]] = []
        current = url
        for _ in range(self.policy.max_redirects + 1):
            res = self._once(client, current, portal_id, kind, validators, max_bytes, encoding_hint)
            rows.extend(res.attempts)
            location = res.attempts[-1].get("_location") if res.attempts else None
            if res.status in REDIRECT_STATUSES and location and not res.error:
                nxt = urljoin(current, location)
                if not allowed(nxt):
                    res.error = f"redirect to a URL off the allowed hosts: {nxt}"
                    res.blocked_reason = "host_not_allowed"
                    rows[-1]["error"], rows[-1]["blocked_reason"] = res.error, res.blocked_reason
                    break
                current = nxt
                client = self.client(nxt, 1.0 / client.limiter.interval)
                validators = None
                continue
            break
        else:
            res.error = f"more than {self.policy.max_redirects} redirects"
            rows[-1]["error"] = res.error
        for r in rows:
            r.pop("_location", None)
        res.attempts = rows
        res.url = url
        res.final_url = current
        return res

    def _once(
        self,
        client: HostClient,
        url: str,
        portal_id: str,
        kind: str,
        validators: tuple[str | None, str | None] | None,
        max_bytes: int,
        encoding_hint: str | None,
    ) -> FetchResult:
        pol = self.policy
        headers: dict[str, str] = {}
        if validators:
            etag, last_modified = validators
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        res = FetchResult(url, kind)
        client.limiter.wait()
        started = utcnow()
        t0 = time.perf_counter()
        extra: dict[str, Any] = {}
        try:
            read_timeout = pol.attachment_read_timeout if kind == "attachment" else pol.read_timeout
            resp = client.session.get(
                url, headers=headers, timeout=(pol.connect_timeout, read_timeout),
                stream=True, allow_redirects=False,
            )
        except requests.Timeout as exc:
            res.error, res.transient = f"timeout: {type(exc).__name__}", True
        except requests.ConnectionError as exc:
            res.error, res.transient = f"connection error: {_short(exc)}", True
        except requests.RequestException as exc:
            res.error = f"request failed: {_short(exc)}"
        else:
            with resp:
                res.status = resp.status_code
                res.content_type = resp.headers.get("Content-Type")
                res.etag = resp.headers.get("ETag")
                res.last_modified = resp.headers.get("Last-Modified")
                extra["_retry_after"] = resp.headers.get("Retry-After")
                extra["_location"] = resp.headers.get("Location")
                self._read_body(resp, res, max_bytes, keep_partial=kind == "list")
            if res.error is None:
                self._classify(res, kind, encoding_hint)
        res.attempts.append(self._row(res, portal_id, started, (time.perf_counter() - t0) * 1000, extra))
        return res

    @staticmethod
    def _read_body(resp: requests.Response, res: FetchResult, max_bytes: int, keep_partial: bool) -> None:
        """Read at most ``max_bytes``. A list page over the cap is kept up to the cap (its links come
        first; padding comes last) with a note; anything else over the cap is an error."""
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes and not keep_partial:
            res.error = f"too large: Content-Length {declared} > cap {max_bytes}"
            return
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in resp.iter_content(65536):
                if size + len(chunk) > max_bytes:
                    if keep_partial:
                        chunks.append(chunk[: max_bytes - size])
                        res.body = b"".join(chunks)
                        res.note = f"too large: body exceeds cap {max_bytes} bytes; read up to the cap"
                    else:
                        res.error = f"too large: body exceeds cap {max_bytes} bytes"
                    return
                size += len(chunk)
                chunks.append(chunk)
        except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError) as exc:
            res.error, res.transient = f"truncated response: {_short(exc)}", True
        except requests.Timeout as exc:
            res.error, res.transient = f"timeout while reading body: {type(exc).__name__}", True
        res.body = b"".join(chunks)
        if res.error is None and declared and declared.isdigit() and len(res.body) < int(declared):
            res.error, res.transient = f"truncated response: {len(res.body)} of {declared} bytes", True

    @staticmethod
    def _classify(res: FetchResult, kind: str, encoding_hint: str | None) -> None:
        status = res.status or 0
        textual = kind != "attachment" or (res.content_type or "").startswith("text/html")
        if res.body and textual:
            res.decoded = decode(res.body, res.content_type, encoding_hint)
        why = blocked_reason(status, res.decoded.text if res.decoded else None) if kind != "attachment" else (
            blocked_reason(status, None))
        if why:
            res.blocked_reason = why
            res.error = f"blocked: {why} (http {status})"
            return
        if status == 304 or status in REDIRECT_STATUSES:
            return
        if status in RETRY_STATUSES:
            res.error, res.transient = f"http {status}", True
            return
        if status >= 400 or status < 200:
            res.error = f"http {status}"
            return
        if kind in ("list", "article"):
            ctype = (res.content_type or "text/html").split(";")[0].strip().lower()
            if ctype not in HTML_TYPES:
                res.error = f"unexpected content-type {ctype!r} for an {kind} page"
            elif not res.body.strip():
                res.error = "empty body"

    def _row(
        self, res: FetchResult, portal_id: str, started: datetime, elapsed_ms: float | None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        row = {
            "fetch_id": uuid.uuid4().hex,
            "run_id": self.run_id,
            "portal_id": portal_id,
            "url": res.url,
            "kind": res.kind,
            "requested_at": started,
            "status": res.status,
            "bytes": len(res.body) if res.status is not None else None,
            "elapsed_ms": elapsed_ms,
            "content_type": res.content_type,
            "etag": res.etag,
            "last_modified": res.last_modified,
            "encoding": res.decoded.encoding if res.decoded else None,
            "error": res.error or res.note,
            "blocked_reason": res.blocked_reason,
            "content_hash": hashlib.sha256(res.body).hexdigest() if res.status == 200 and res.body else None,
            "links_complete": None,
        }
        row.update(extra or {})
        return row


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) < 300 else text[:300] + "…"
