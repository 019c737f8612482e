"""Scenario faults: how real portals misbehave, switched on by name. A scenario is a
comma-separated set of fault names (`clean` = none), e.g. `error_500_once,slow`.

Each fault rewrites the response a page would have given. Targets are chosen from the content so
tests can find them: `Faults.targets(site)` names the URLs a fault hits on a portal."""

from __future__ import annotations

import re
import secrets
import threading
from collections import Counter
from dataclasses import dataclass

from replay.attachments import MIME, corrupt
from replay.http import Request, Response, text_response
from replay.sites.base import Site


@dataclass(frozen=True)
class Fault:
    name: str
    description: str


FAULTS: dict[str, Fault] = {
    f.name: f
    for f in (
        Fault("error_500_once", "every article page answers 500 to its first request, then 200"),
        Fault(
            "unavailable_503", "every list page answers 503 with `Retry-After: 1` to its first two requests"
        ),
        Fault("slow", "every response is delayed by 0.3 s"),
        Fault(
            "timeout", "the newest article of each portal waits 5 s before answering (client timeouts fire)"
        ),
        Fault(
            "not_found", "the second-newest article of each portal answers 404 although lists still link it"
        ),
        Fault("robots_disallow", "robots.txt of each portal with 2+ columns disallows its last column"),
        Fault("wrong_charset", "GBK portals declare `charset=utf-8` in Content-Type (body stays GBK)"),
        Fault(
            "truncated",
            "article pages send half their bytes, then the connection drops (Content-Length is full)",
        ),
        Fault(
            "redirect_loop",
            "the second list page of each column redirects (302) to itself via `?loop=1`, forever",
        ),
        Fault(
            "malformed_html",
            "article pages lose their closing </div> </p> </body> </html> tags and gain stray ones",
        ),
        Fault("oversized", "the first list page of each column is padded to 12 MB with an HTML comment"),
        Fault("corrupt_xlsx", "every .xlsx attachment is half the file followed by junk bytes"),
        Fault("pdf_as_html", "every .pdf attachment is served as `Content-Type: text/html`"),
        Fault(
            "challenge_521",
            "the national site (www.fixture-innocom.gov.cn) answers 521 + a document.cookie script "
            "until the request carries the __jsl_clearance_s cookie",
        ),
        Fault(
            "challenge_412",
            "the county site answers 412 with a Riversec `$_ts` stub on its second list page and "
            "its newest article",
        ),
    )
}

OVERSIZED_BYTES = 12 * 1024 * 1024
TIMEOUT_DELAY = 5.0
SLOW_DELAY = 0.3


def parse_scenario(scenario: str | None) -> frozenset[str]:
    names = {n.strip() for n in (scenario or "clean").split(",") if n.strip()} - {"clean"}
    unknown = names - set(FAULTS)
    if unknown:
        raise ValueError(f"unknown fault(s) {sorted(unknown)}; known: clean, {', '.join(FAULTS)}")
    return frozenset(names)


def is_article(site: Site, path: str) -> bool:
    return any(site.article_path(a) == path for a in site.articles)


def targets(site: Site) -> dict[str, list[str]]:
    """The paths each targeted fault hits on this site (for tests and the README)."""
    arts = site.articles  # newest first
    cols = site.portal.columns
    out: dict[str, list[str]] = {
        "timeout": [site.article_path(arts[0])] if arts else [],
        "not_found": [site.article_path(arts[1])] if len(arts) > 1 else [],
        "redirect_loop": [p for c in cols if len(ps := site.list_paths(c)) > 1 for p in ps[1:2]],
        "oversized": [site.list_paths(c)[0] for c in cols],
        "robots_disallow": [site.list_dir(cols[-1])] if len(cols) > 1 else [],
        "challenge_412": [],
    }
    if site.portal.platform == "pageadmin":
        out["challenge_412"] = [p for c in cols for p in site.list_paths(c)[1:2]]
        if arts:
            out["challenge_412"].append(site.article_path(arts[0]))
    return out


class Faults:
    def __init__(self, scenario: str | None = "clean") -> None:
        self.active = parse_scenario(scenario)
        self._seen: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()
        self._targets: dict[int, dict[str, list[str]]] = {}

    def _count(self, fault: str, url: str) -> int:
        """How many times this fault has seen this URL before (thread-safe)."""
        with self._lock:
            n = self._seen[(fault, url)]
            self._seen[(fault, url)] += 1
            return n

    def _hits(self, site: Site, fault: str, req: Request) -> bool:
        key = id(site)
        if key not in self._targets:
            self._targets[key] = targets(site)
        return req.target in self._targets[key].get(fault, []) or req.path in self._targets[key].get(
            fault, []
        )

    def apply(self, req: Request, site: Site, resp: Response) -> Response:
        if not self.active:
            return resp
        on = self.active.__contains__
        path = req.path
        article = resp.status == 200 and is_article(site, path)
        listing = resp.status == 200 and any(
            req.target in site.list_paths(c) or path in site.list_paths(c) for c in site.portal.columns
        )

        if (
            on("challenge_521")
            and site.portal.platform == "innocom"
            and "__jsl_clearance_s" not in req.cookies
        ):
            return _jsl_challenge()
        if on("challenge_412") and self._hits(site, "challenge_412", req):
            return _riversec_stub()
        if on("redirect_loop") and (self._hits(site, "redirect_loop", req)):
            target = path if req.params.get("loop") else f"{path}?loop=1"
            return Response(
                status=302,
                body=b"",
                content_type="text/html",
                headers=[("Location", target)],
                cacheable=False,
            )
        if on("robots_disallow") and path == "/robots.txt":
            dis = "".join(f"Disallow: {p}\n" for p in targets(site)["robots_disallow"])
            resp = Response(body=f"User-agent: *\n{dis}".encode(), content_type="text/plain", cacheable=False)
        if on("not_found") and self._hits(site, "not_found", req):
            return text_response(
                404, "<html><head><title>404</title></head><body>您访问的页面不存在！</body></html>"
            )
        if on("error_500_once") and article and self._count("error_500_once", req.url) == 0:
            return text_response(500, "<html><body><h1>500 Internal Server Error</h1></body></html>")
        if on("unavailable_503") and listing and self._count("unavailable_503", req.url) < 2:
            r = text_response(503, "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
            r.headers.append(("Retry-After", "1"))
            return r
        if (
            on("wrong_charset")
            and site.portal.encoding.lower() in ("gbk", "gb2312", "gb18030")
            and resp.content_type
            and resp.content_type.startswith("text/html")
        ):
            resp.content_type = "text/html; charset=utf-8"
        if on("malformed_html") and article:
            body = re.sub(rb"</(div|p|body|html)>", b"", resp.body)
            resp.body = body.replace(b"<body>", b'<body></span></td><div class="broken"><font>', 1)
        if on("oversized") and listing and self._hits(site, "oversized", req):
            pad = OVERSIZED_BYTES - len(resp.body)
            resp.body = resp.body.replace(b"</body>", b"<!--" + b"x" * max(pad, 0) + b"--></body>", 1)
        if on("corrupt_xlsx") and resp.status == 200 and resp.content_type == MIME["xlsx"]:
            resp.body = corrupt(resp.body)
        if on("pdf_as_html") and resp.content_type == "application/pdf":
            resp.content_type = "text/html"
        if on("truncated") and article:
            resp.truncate_at = len(resp.body) // 2
        if on("timeout") and self._hits(site, "timeout", req):
            resp.delay = max(resp.delay, TIMEOUT_DELAY)
        if on("slow"):
            resp.delay = max(resp.delay, SLOW_DELAY)
        return resp


def _jsl_challenge() -> Response:
    """加速乐 (Knownsec JSL) first stage: 521, a uid cookie, and a script that sets the clearance
    cookie and reloads. Crawlers should detect and report it, not solve it."""
    clearance = "1732345678.123|0|" + secrets.token_hex(16)
    script = (
        "<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')+('n')"
        f"+('c')+('e')+('_')+('s')+('=')+('{clearance}')+';max-age=3600;path=/';"
        "location.href=location.pathname+location.search</script>"
    )
    return Response(
        status=521,
        body=script.encode(),
        content_type="text/html",
        headers=[("Set-Cookie", f"__jsluid_h={secrets.token_hex(16)}; max-age=31536000; path=/; HttpOnly")],
        cacheable=False,
    )


def _riversec_stub() -> Response:
    """瑞数 (Riversec) stub: 412 and a `$_ts` bootstrap script; detect, do not solve."""
    body = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "<script type=\"text/javascript\">$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=84215;"
        '$_ts.cd="qEhrrrAlEaGqrGVrEqAqcGLqEGqmqrL";</script>'
        '<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVIc/c.FxJzG50F.0d1b0b2.js" r="m">'
        "</script></head><body></body></html>"
    )
    return Response(
        status=412,
        body=body.encode(),
        content_type="text/html",
        headers=[
            (
                "Set-Cookie",
                "FSSBBIl1UgzbN7N80S=" + "a" * 64 + "; Path=/; expires=Fri, 01 Jan 2027 00:00:00 GMT",
            )
        ],
        cacheable=False,
    )
