"""The replay server over real HTTP: forward-proxy dispatch, Host-header dispatch, GBK pages,
conditional GET."""

from __future__ import annotations

import re

import pytest
import requests

from replay import answer_key
from replay.server import ReplayServer


def test_proxy_dispatches_on_host_and_serves_start_urls(replay_server) -> None:
    srv = replay_server()
    for portal_id, urls in srv.start_urls().items():
        for url in urls:
            r = requests.get(url, proxies=srv.proxies, timeout=5)
            assert r.status_code == 200, (portal_id, url)
            assert r.headers["ETag"]


def test_host_header_dispatch_without_proxy(replay_server) -> None:
    srv = replay_server()
    r = requests.get(
        f"{srv.proxy_url}/kjzx/tzgg/index.html", headers={"Host": "kjt.fixture-prov.gov.cn"}, timeout=5
    )
    assert r.status_code == 200
    assert "createPageHTML(" in r.text


def test_unknown_host_is_bad_gateway(replay_server) -> None:
    srv = replay_server()
    r = requests.get("http://www.example.org/", proxies=srv.proxies, timeout=5)
    assert r.status_code == 502


def test_gbk_city_pages_decode_as_gbk_not_gb2312(replay_server) -> None:
    srv = replay_server()
    for url in srv.start_urls()["yingkou_kjj"]:
        listing = requests.get(url, proxies=srv.proxies, timeout=5)
        assert listing.headers["Content-Type"].lower().endswith("charset=gbk")
        text = listing.content.decode("gbk")
        assert "var countPage" in text and re.search(r'href="\./\d{6}/t\d{8}_\d+\.html"', text)
    body = b""
    for entry in answer_key.load():
        if entry["portal"] == "yingkou_kjj":
            page = requests.get(entry["url"], proxies=srv.proxies, timeout=5).content
            assert entry["title"] in page.decode("gbk")
            body += page
    assert "燊" in body.decode("gbk")  # GBK-only: outside GB2312
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")


def test_conditional_get_answers_304(replay_server) -> None:
    srv: ReplayServer = replay_server()
    url = srv.start_urls()["liaoning_kjt"][0]
    first = requests.get(url, proxies=srv.proxies, timeout=5)
    again = requests.get(
        url, proxies=srv.proxies, timeout=5, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
    since = requests.get(
        url, proxies=srv.proxies, timeout=5, headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert since.status_code == 304
    stale = requests.get(url, proxies=srv.proxies, timeout=5, headers={"If-None-Match": '"nope"'})
    assert stale.status_code == 200


def test_bad_content_names_the_file(tmp_path) -> None:
    from replay import content

    (tmp_path / "articles" / "p").mkdir(parents=True)
    (tmp_path / "articles" / "p" / "broken.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(content.ContentError, match=r"broken\.yaml"):
        content._raw_articles(tmp_path)
