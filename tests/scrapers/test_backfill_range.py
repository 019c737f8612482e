"""Backfill a date range: a range crawl lands exactly the answer key's articles published in the
range, skips (unfetched) what its list dates place outside it, walks only as deep as the range
needs, and a second crawl of the same range lands nothing and only revalidates what it landed."""

from __future__ import annotations

from datetime import date

import pytest

from replay import answer_key
from scrapers.crawl import crawl
from scrapers.listing import ListLink, article_links
from scrapers.listing_dates import DateRange
from scrapers.registry import load_portals
from tests.scrapers.conftest import FAST, rows

pytestmark = pytest.mark.timeout(300)


def _key(portal: str, window: DateRange) -> tuple[set[str], set[str]]:
    """(urls published in the range, all urls) of one portal on day 0."""
    entries = [e for e in answer_key.load(0) if e["portal"] == portal]
    inside = {e["url"] for e in entries if window.contains(date.fromisoformat(e["published_date"]))}
    return inside, {e["url"] for e in entries}


def _article_fetches(run_id: str) -> list[tuple[str, int]]:
    return rows("select url, status from raw.fetches where run_id = ? and kind = 'article'", [run_id])


def test_range_crawl_of_a_dated_list_lands_the_range_and_reruns_land_nothing(
    isolated_warehouse, replay_server
) -> None:
    srv = replay_server(day=0)
    portal = "liaoning_kjt"  # TRS 海云: two columns, several list pages, dates beside each link
    registry = {portal: load_portals()[portal]}
    window = DateRange.parse("2025-01-01", "2025-06-30")
    inside, every = _key(portal, window)
    assert inside and len(inside) < len(every) / 2, "the range should hold a few of the portal's articles"

    first = crawl([portal], proxy=srv.proxy_url, policy=FAST, portals=registry, window=window)
    assert first.outcome == "ok", first.portals[portal].reason
    landed = {u for (u,) in rows("select url from raw.pages")}
    assert landed == inside
    assert first.pages_landed == len(inside)
    # the list shows every date, so nothing outside the range was even fetched
    fetched = {u for u, _ in _article_fetches(first.run_id)}
    assert fetched == inside
    assert first.portals[portal].pages_out_of_range > 0
    # and the walk stopped at the first page of older entries instead of reading every list page
    site = srv.web.sites["kjt.fixture-prov.gov.cn"]
    all_list_pages = sum(len(site.list_paths(c)) for c in site.portal.columns)
    (list_fetches,) = rows("select count(*) from raw.fetches where run_id = ? and kind = 'list'",
                           [first.run_id])[0]
    assert list_fetches < all_list_pages

    second = crawl([portal], proxy=srv.proxy_url, policy=FAST, portals=registry, window=window)
    assert second.outcome == "ok"
    assert second.pages_landed == 0
    again = _article_fetches(second.run_id)
    # only the landed articles are asked again, each with a conditional GET answered 304
    assert {u for u, _ in again} == inside and {s for _, s in again} == {304}
    assert rows("select count(*) from raw.pages")[0][0] == len(inside)


def test_range_crawl_of_an_undated_list_reads_article_dates(isolated_warehouse, replay_server) -> None:
    srv = replay_server(day=0)
    portal = "mgo_bbs"  # Discuz archiver: the thread list shows no dates
    registry = {portal: load_portals()[portal]}
    window = DateRange.parse("2023-01-01", "2023-12-31")
    inside, every = _key(portal, window)
    assert inside and inside != every

    first = crawl([portal], proxy=srv.proxy_url, policy=FAST, portals=registry, window=window)
    assert first.outcome == "ok", first.portals[portal].reason
    assert {u for (u,) in rows("select url from raw.pages")} == inside
    assert first.portals[portal].pages_out_of_range == len(every) - len(inside)

    second = crawl([portal], proxy=srv.proxy_url, policy=FAST, portals=registry, window=window)
    assert second.pages_landed == 0
    # landed articles are revalidated (304); the others are read again only for their date
    statuses = dict(_article_fetches(second.run_id))
    assert {statuses[u] for u in inside} == {304}
    assert rows("select count(*) from raw.pages")[0][0] == len(inside)


def test_ordinary_crawls_after_a_backfill(isolated_warehouse, replay_server) -> None:
    """After a range crawl the incremental crawl still lands what is published later, and a full
    walk lands the history the range left out (an incremental run stops at known articles: it
    does not go back for history, with or without a backfill before it)."""
    portal = "mgo_news"
    registry = {portal: load_portals()[portal]}
    window = DateRange.parse("2025-01-01", "2025-12-31")
    inside, every = _key(portal, window)
    day0 = replay_server(day=0)
    crawl([portal], proxy=day0.proxy_url, policy=FAST, portals=registry, window=window)
    assert {u for (u,) in rows("select url from raw.pages")} == inside
    day0.stop()

    day2 = replay_server(day=2)
    later = {e["url"] for e in answer_key.load(2) if e["portal"] == portal} - every
    assert later, "the replay web publishes nothing new on the trade site by day 2"
    crawl([portal], proxy=day2.proxy_url, policy=FAST, portals=registry)
    assert {u for (u,) in rows("select url from raw.pages")} == inside | later
    crawl([portal], proxy=day2.proxy_url, policy=FAST, portals=registry, full=True)
    assert {u for (u,) in rows("select url from raw.pages")} == every | later


# ---------------------------------------------------------------- list entry dates (no HTTP)


def _links(html: str) -> list[ListLink]:
    cfg = load_portals()["liaoning_kjt"].model_copy(update={"article_url_pattern": r"/a/\d+\.html$"})
    return article_links(html, "http://kjt.fixture-prov.gov.cn/kjzx/tzgg/index.html", cfg)


@pytest.mark.parametrize("item", [
    '<li><span>2025-10-01</span><a href="/a/1.html">关于2024年12月20日会议的通知</a></li>',  # before
    '<li><a href="/a/1.html">关于2024年12月20日会议的通知</a><span>[2025-10-01]</span></li>',  # after
    '<li><a href="/a/1.html">关于2024年12月20日的通知<span class="date">2025/10/1 9:12:16</span></a></li>',
    '<tr><td><a href="/a/1.html">标题</a></td><td class="date">2025年10月1日</td></tr>',
])
def test_list_entry_date_belongs_to_its_own_item(item: str) -> None:
    other = '<li><span>2020-01-01</span><a href="/a/2.html">旧闻</a></li>'
    links = {lk.url.rsplit("/", 1)[1]: lk.published for lk in _links(f"<ul>{other}{item}{other}</ul>")}
    assert links["1.html"] == date(2025, 10, 1)


def test_a_title_date_is_not_the_entry_date() -> None:
    (link,) = _links('<ul><li><a href="/a/1.html">关于2024年12月20日会议的通知</a> (3 篇回复)</li></ul>')
    assert link.published is None


def test_date_range_bounds() -> None:
    r = DateRange.parse("2025-10-01", "2025-10-31")
    assert r.contains(date(2025, 10, 1)) and r.contains(date(2025, 10, 31))
    assert not r.contains(date(2025, 11, 1)) and r.older(date(2025, 9, 30))
    assert DateRange.parse(None, "2025-10-31").contains(date(2001, 1, 1))
    with pytest.raises(ValueError):
        DateRange.parse("2025-11-01", "2025-10-01")
    with pytest.raises(ValueError):
        DateRange.parse("last week", None)
