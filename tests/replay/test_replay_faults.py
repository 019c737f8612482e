"""Each fault scenario produces the response it names, over plain HTTP through the proxy."""

from __future__ import annotations

import re

import pytest
import requests

from replay import faults
from replay.server import ReplayServer
from replay.web import web

PROV = "kjt.fixture-prov.gov.cn"
COUNTY = "kjj.fixture-county.gov.cn"


def site(host: str):
    return web(0).site(host)


def article_url(host: str, index: int = 0) -> str:
    s = site(host)
    return s.url(s.article_path(s.articles[index]))


def get(srv: ReplayServer, url: str, **kw) -> requests.Response:
    kw.setdefault("timeout", 5)
    return requests.get(url, proxies=srv.proxies, **kw)


def test_unknown_scenario_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        ReplayServer(scenario="clean,exploding")


def test_error_500_once_then_success(replay_server) -> None:
    srv = replay_server("error_500_once")
    url = article_url(PROV, 3)
    assert get(srv, url).status_code == 500
    assert get(srv, url).status_code == 200
    # list pages are not affected
    assert get(srv, site(PROV).start_urls()[0]).status_code == 200


def test_unavailable_503_with_retry_after(replay_server) -> None:
    srv = replay_server("unavailable_503")
    url = site(PROV).start_urls()[0]
    for _ in range(2):
        r = get(srv, url)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
    assert get(srv, url).status_code == 200


def test_slow_responses(replay_server) -> None:
    srv = replay_server("slow")
    r = get(srv, site(PROV).start_urls()[0])
    assert r.status_code == 200 and r.elapsed.total_seconds() >= faults.SLOW_DELAY * 0.9


def test_timeout_on_the_newest_article(replay_server) -> None:
    srv = replay_server("timeout")
    with pytest.raises(requests.Timeout):
        get(srv, article_url(PROV, 0), timeout=0.5)
    assert get(srv, article_url(PROV, 2), timeout=2).status_code == 200


def test_not_found_article_still_linked(replay_server) -> None:
    srv = replay_server("not_found")
    s = site(PROV)
    gone = s.articles[1]
    assert get(srv, article_url(PROV, 1)).status_code == 404
    listing = get(srv, s.url(s.list_paths(s.portal.column(gone.column))[0])).text
    assert f"t{gone.published:%Y%m%d}_{gone.num}" in listing


def test_robots_disallows_a_column(replay_server) -> None:
    clean = replay_server()
    assert "Disallow: \n" in get(clean, f"http://{PROV}/robots.txt").text + "\n" or get(
        clean, f"http://{PROV}/robots.txt"
    ).text.strip().endswith("Disallow:")
    srv = replay_server("robots_disallow")
    text = get(srv, f"http://{PROV}/robots.txt").text
    assert "Disallow: /kjzx/gzdt/" in text
    from protego import Protego

    rules = Protego.parse(text)
    assert not rules.can_fetch(f"http://{PROV}/kjzx/gzdt/index.html", "kejiwatch")
    assert rules.can_fetch(f"http://{PROV}/kjzx/tzgg/index.html", "kejiwatch")


def test_wrong_charset_header_on_gbk_pages(replay_server) -> None:
    srv = replay_server("wrong_charset")
    r = get(srv, article_url("kjj.fixture-yk.gov.cn"))
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        r.content.decode("utf-8")
    assert "科学技术局" in r.content.decode("gbk")


def test_gbk_without_header_charset_falls_back_to_latin1(replay_server) -> None:
    srv = replay_server()
    r = get(srv, article_url("gxq.fixture-city.gov.cn"))
    assert r.headers["Content-Type"] == "text/html"
    assert r.encoding == "ISO-8859-1"  # what requests does; the crawler must read the <meta>
    assert b"charset=gb2312" in r.content
    assert "高新" in r.content.decode("gbk")


def test_truncated_body_breaks_the_read(replay_server) -> None:
    srv = replay_server("truncated")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(srv, article_url(PROV))


def test_redirect_loop(replay_server) -> None:
    srv = replay_server("redirect_loop")
    s = site(PROV)
    second = s.url(s.list_paths(s.portal.columns[0])[1])
    r = get(srv, second, allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"].endswith("?loop=1")
    with pytest.raises(requests.TooManyRedirects):
        get(srv, second)


def test_malformed_html_loses_closing_tags(replay_server) -> None:
    srv = replay_server("malformed_html")
    body = get(srv, article_url(PROV)).text
    assert "</div>" not in body and "</html>" not in body
    assert site(PROV).articles[0].paragraphs[-1] in body  # the content is still there


def test_oversized_first_list_page(replay_server) -> None:
    srv = replay_server("oversized")
    r = get(srv, site(PROV).start_urls()[0], stream=True)
    assert int(r.headers["Content-Length"]) >= faults.OVERSIZED_BYTES
    r.close()


def _attachment(host: str, kind: str) -> str:
    s = site(host)
    for a in s.articles:
        for att in a.attachments:
            if att["kind"] == kind and "url" not in att:
                return s.attachment_url(a, att)
    raise AssertionError(f"no {kind} attachment on {host}")


def test_corrupt_xlsx(replay_server) -> None:
    import io
    import zipfile

    url = _attachment(PROV, "xlsx")
    good = get(replay_server(), url).content
    assert zipfile.is_zipfile(io.BytesIO(good))
    bad = get(replay_server("corrupt_xlsx"), url)
    assert bad.status_code == 200 and bad.content != good
    assert not zipfile.is_zipfile(io.BytesIO(bad.content))


def test_pdf_served_as_html(replay_server) -> None:
    url = _attachment("www.fixture-innocom.gov.cn", "pdf")
    assert get(replay_server(), url).headers["Content-Type"] == "application/pdf"
    r = get(replay_server("pdf_as_html"), url)
    assert r.headers["Content-Type"] == "text/html" and r.content.startswith(b"%PDF")


def test_jsl_521_challenge_until_cookie(replay_server) -> None:
    srv = replay_server("challenge_521")
    url = site("www.fixture-innocom.gov.cn").start_urls()[0]
    r = get(srv, url)
    assert r.status_code == 521
    assert "document.cookie" in r.text and "__jsluid_h" in r.headers["Set-Cookie"]
    cookie = "".join(re.findall(r"\('([^']*)'\)", r.text.split("+';max-age")[0]))
    name, _, value = cookie.partition("=")
    assert name == "__jsl_clearance_s"
    assert get(srv, url, cookies={name: value}).status_code == 200
    assert get(srv, site(PROV).start_urls()[0]).status_code == 200  # other hosts unaffected


def test_riversec_412_stub(replay_server) -> None:
    srv = replay_server("challenge_412")
    s = site(COUNTY)
    r = get(srv, s.url(s.list_paths(s.portal.columns[0])[1]))
    assert r.status_code == 412 and "$_ts" in r.text
    assert get(srv, s.start_urls()[0]).status_code == 200


def test_faults_combine(replay_server) -> None:
    srv = replay_server("error_500_once,pdf_as_html")
    url = article_url(PROV, 4)
    assert [get(srv, url).status_code for _ in range(2)] == [500, 200]


def test_every_named_fault_is_tested() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    for fault in faults.FAULTS:
        assert any(fault.split("_")[0] in t for t in tested), fault
