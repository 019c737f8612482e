"""The crawler against the replay portals over real HTTP (the replay server is a forward proxy)."""

from __future__ import annotations

from collections import Counter

import pytest

from replay import answer_key
from scrapers.crawl import crawl
from scrapers.fetch import Fetcher
from scrapers.registry import load_portals
from tests.scrapers.conftest import FAST, replay_portals, rows
from warehouse.landing import land_batch


def _key_for(portals: dict) -> list[dict]:
    hosts = {h for p in portals.values() for h in p.allowed_hosts}
    return [e for e in answer_key.load() if e["host"] in hosts]


def test_gbk_page_is_decoded_with_gbk_only_characters(replay_server) -> None:
    server = replay_server()
    cfg = load_portals()["yingkou_kjj"]
    entry = next(e for e in _key_for({"y": cfg}) if any(c in e["body_text"] for c in "燊喆堃犇珺昇"))
    with Fetcher(server.proxy_url, FAST) as f:
        res = f.fetch(entry["url"], portal_id=cfg.id, kind="article", allowed=cfg.allows)
    assert res.ok and res.decoded is not None
    assert res.decoded.encoding == "gb18030" and res.decoded.ok
    assert entry["title"] in res.text
    assert entry["first_sentence"] in res.text


def test_clean_crawl_matches_answer_key_and_second_run_is_304s(isolated_warehouse, replay_server) -> None:
    server = replay_server()
    portals = replay_portals(server)
    key = _key_for(portals)
    assert key, "the replay web serves none of the registry's portals"

    first = crawl(proxy=server.proxy_url, policy=FAST, portals=portals)
    assert first.outcome == "ok", {p: r.reason for p, r in first.portals.items()}
    landed = {r[0]: r for r in rows(
        "select url, title, cast(published_at as date), source, body_text, page_version_id, duplicate_of "
        "from raw.pages"
    )}
    # every article exactly once, nothing else
    assert sorted(landed) == sorted(e["url"] for e in key)
    assert rows("select count(*) from raw.pages")[0][0] == len(key)
    for e in key:
        url, title, day, source, body, *_ = landed[e["url"]]
        assert (title, day.isoformat(), source) == (e["title"], e["published_date"], e["source"]), url
        assert e["first_sentence"] in body and e["last_sentence"] in body, url
    # tables: spans expanded, header rows detected
    tables = Counter()
    for url, idx, header_rows, grid in rows(
        "select p.url, t.table_index, t.header_rows, t.grid from raw.page_tables t join raw.pages p "
        "using (page_version_id) order by 1, 2"
    ):
        import json

        e = next(x for x in key if x["url"] == url)
        assert json.loads(grid) == e["tables"][idx]["grid"], url
        assert header_rows == e["tables"][idx]["header_rows"], url
        tables[url] += 1
    assert sum(tables.values()) == sum(len(e["tables"]) for e in key)
    # attachments landed with bytes and hash, parsed into the same rows as the key
    atts = {r[0]: r for r in rows("select url, kind, bytes, content_hash, parse_status, attachment_id "
                                  "from raw.attachments")}
    expected_atts = {a["url"]: a for e in key for a in e["attachments"]}
    assert set(atts) == set(expected_atts)
    for url, a in expected_atts.items():
        _, kind, size, chash, status, aid = atts[url]
        assert kind == a["type"] and size > 0 and len(chash) == 64 and status == "parsed", url
        grids = [__import__("json").loads(g) for (g,) in rows(
            "select grid from raw.attachment_tables where attachment_id = ? order by table_index", [aid])]
        assert grids and grids[0] == a["tables"][0], url
    # reposts point at the earliest copy
    by_doc = {e["doc"]: e for e in key}
    for e in key:
        dup = landed[e["url"]][6]
        if e["repost_of"] and e["repost_of"] in by_doc:
            original = landed[by_doc[e["repost_of"]]["url"]][5]
            assert dup == original, e["url"]
        elif not any(x["repost_of"] == e["doc"] for x in key):
            assert dup is None, e["url"]

    # nothing changed: the second run reads list pages only, all 304, and lands nothing
    second = crawl(proxy=server.proxy_url, policy=FAST, portals=portals)
    assert second.outcome == "ok" and second.pages_landed == 0
    kinds = Counter(
        (k, s) for k, s in rows("select kind, status from raw.fetches where run_id = ?", [second.run_id])
    )
    assert set(kinds) <= {("robots", 200), ("list", 304)}, kinds
    assert kinds[("list", 304)] == sum(len(p.start_urls) for p in portals.values())
    assert rows("select count(*) from raw.pages")[0][0] == len(key)
    runs = rows("select outcome, portals_attempted from raw.crawl_runs order by started_at")
    assert runs == [("ok", len(portals)), ("ok", len(portals))]
    assert rows("select count(*) from raw.portals")[0][0] >= len(portals)


def test_relanding_the_same_batch_adds_nothing(isolated_warehouse, replay_server) -> None:
    from scrapers.crawl import PortalCrawl
    from warehouse.landing import PortalState

    server = replay_server()
    cfg = load_portals()["yingkou_kjj"]
    with Fetcher(server.proxy_url, FAST) as f:
        c = PortalCrawl(cfg, f, PortalState(), None)
        c.run()
    c.finish(None)
    first = land_batch(c.batch)
    assert first.pages > 0 and first.fetches == len(c.batch.fetches)
    counts = [rows(f"select count(*) from raw.{t}")[0][0] for t in
              ("fetches", "pages", "page_tables", "attachments", "attachment_tables")]
    again = land_batch(c.batch)
    assert (again.pages, again.fetches, again.page_tables, again.attachments) == (0, 0, 0, 0)
    assert counts == [rows(f"select count(*) from raw.{t}")[0][0] for t in
                      ("fetches", "pages", "page_tables", "attachments", "attachment_tables")]


@pytest.mark.parametrize("bad", [{"id": "Bad Id"}, {"pagination": {"kind": "nope"}}, {"start_urls": ["ftp://x"]}])
def test_registry_errors_name_file_and_field(tmp_path, bad) -> None:
    import yaml

    from scrapers.registry import PortalConfigError

    good = load_portals()["yingkou_kjj"].model_dump(mode="json")
    (tmp_path / "yingkou_kjj.yaml").write_text(yaml.safe_dump({**good, **bad}, allow_unicode=True))
    with pytest.raises(PortalConfigError) as err:
        load_portals(tmp_path)
    field = next(iter(bad))
    assert f"yingkou_kjj.yaml: {field}" in str(err.value)
