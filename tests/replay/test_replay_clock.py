"""The scenario clock: day N adds articles on top of list pages and shows the day-2 edit, with
ETag/Last-Modified telling an incremental crawler exactly what changed."""

from __future__ import annotations

import requests

from replay import answer_key
from replay.web import web


def _get(srv, url: str, **headers: str) -> requests.Response:
    return requests.get(url, proxies=srv.proxies, timeout=5, headers=headers)


def test_day_n_adds_articles_newest_first(replay_server) -> None:
    day0 = {e["doc"] for e in answer_key.load(0)}
    day1 = {e["doc"] for e in answer_key.load(1)}
    day2 = {e["doc"] for e in answer_key.load(2)}
    assert day0 < day1 < day2
    new = [e for e in answer_key.load(1) if e["doc"] not in day0]
    srv = replay_server(day=1)
    for e in new:
        first_page = _get(srv, e["list_url"])
        text = first_page.content.decode("gbk" if "yk" in e["host"] else "utf-8")
        path = e["url"].split(e["host"], 1)[1]
        tail = path.rsplit("/", 1)[1]
        assert tail in text, e["doc"]
        # newest first: the new article is the first article link of the page
        assert text.index(tail) < min(
            text.find(o.rsplit("/", 1)[1])
            for o in [x["url"] for x in answer_key.load(0) if x["list_url"] == e["list_url"]]
            if o.rsplit("/", 1)[1] in text
        )
        assert _get(srv, e["url"]).status_code == 200
    day0_srv = replay_server(day=0)
    assert all(_get(day0_srv, e["url"]).status_code == 404 for e in new)


def test_moving_the_clock_on_a_running_server(replay_server) -> None:
    edited = next(e for e in answer_key.load(2) if e["edited_on"] == 2)
    before = next(e for e in answer_key.load(0) if e["doc"] == edited["doc"])
    assert before["body_text"] != edited["body_text"] and before["url"] == edited["url"]
    srv = replay_server(day=0)
    old = _get(srv, edited["url"])
    untouched = next(e for e in answer_key.load(0) if e["portal"] == "innocom")
    old_untouched = _get(srv, untouched["url"])
    list_url = srv.start_urls()["yingkou_kjj"][0]
    old_list = _get(srv, list_url)

    srv.day = 2
    assert _get(srv, edited["url"], **{"If-None-Match": old.headers["ETag"]}).status_code == 200
    new = _get(srv, edited["url"])
    assert new.headers["ETag"] != old.headers["ETag"]
    assert "38.6亿元" in new.text and "38.6亿元" not in old.text
    assert _get(srv, edited["url"], **{"If-None-Match": new.headers["ETag"]}).status_code == 304
    # a page nothing touched still answers 304 to yesterday's validators
    assert _get(srv, untouched["url"], **{"If-None-Match": old_untouched.headers["ETag"]}).status_code == 304
    assert (
        _get(
            srv, untouched["url"], **{"If-Modified-Since": old_untouched.headers["Last-Modified"]}
        ).status_code
        == 304
    )
    # the list page that gained an article changed
    assert _get(srv, list_url, **{"If-Modified-Since": old_list.headers["Last-Modified"]}).status_code == 200


def test_extra_bench_hosts(replay_server) -> None:
    srv = replay_server(extra_hosts=3)
    urls = srv.start_urls()
    assert {"bench01", "bench02", "bench03"} <= set(urls)
    r = _get(srv, urls["bench02"][0])
    assert r.status_code == 200 and "createPageHTML(3, 0" in r.text
    site = web(0, 3).site("bench03.fixture-bench.gov.cn")
    assert _get(srv, site.url(site.article_path(site.articles[-1]))).status_code == 200
