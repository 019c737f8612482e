"""The scenario clock: new articles and edits appear on later days; a crawl lands exactly those."""

from __future__ import annotations

import pytest

from replay import answer_key
from scrapers.crawl import crawl
from tests.scrapers.conftest import FAST, replay_portals, rows


@pytest.mark.slow
def test_later_day_lands_new_articles_and_edits_as_new_versions(isolated_warehouse, replay_server) -> None:
    day0 = replay_server(day=0)
    portals = replay_portals(day0)
    hosts = {h for p in portals.values() for h in p.allowed_hosts}
    first = crawl(proxy=day0.proxy_url, policy=FAST, portals=portals)
    assert first.outcome == "ok"
    day0.stop()

    later_day = 2
    key0 = {e["url"]: e for e in answer_key.load(0) if e["host"] in hosts}
    key = {e["url"]: e for e in answer_key.load(later_day) if e["host"] in hosts}
    new = set(key) - set(key0)
    edited = {u for u, e in key.items() if u in key0 and e["edited_on"] is not None}
    assert new and edited, "the replay web has no news or edits on that day"

    later = replay_server(day=later_day)
    second = crawl(proxy=later.proxy_url, policy=FAST, portals=portals)
    assert second.outcome == "ok"
    assert second.pages_landed == len(new) + len(edited)
    versions = dict(rows("select url, count(*) from raw.pages group by url"))
    assert set(versions) == set(key)
    assert {u for u, n in versions.items() if n > 1} == edited  # history kept: old version still there
    for url in edited:
        (title, body), = rows(
            "select title, body_text from raw.pages where url = ? order by fetched_at desc limit 1", [url]
        )
        assert title == key[url]["title"] and key[url]["first_sentence"] in body
    # and the increment was cheap: far fewer requests than the first crawl
    assert second.fetches < first.fetches / 3

    third = crawl(proxy=later.proxy_url, policy=FAST, portals=portals)
    assert third.pages_landed == 0
