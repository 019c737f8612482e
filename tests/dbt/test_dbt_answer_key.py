"""The replay portals end to end through the warehouse: crawl every replay portal into a fresh
warehouse over real HTTP, `dbt build` it (models and tests on realistic pages), then hold the
marts against the replay answer key, article by article.

The figures a labelled article carries in the marts (fct_indicator_reports, text evidence, the
newest version of its URL) are compared with the key's facts as multisets of (indicator, level,
measure, value, qualifier, region, period). Equality for every article is the goal the extractor
works towards; this test prints the articles that differ and holds recall/precision to a floor,
so a regression in landing, extraction inside dbt or the marts shows here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import fresh_warehouse, rows

from warehouse import dbt

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

FACT_FIELDS = ("indicator", "level", "measure", "value", "qualifier", "region", "period")
# Floors under the extractor's measured quality on the replay key (F1 ≈ 0.99 when written).
MIN_RECALL = 0.9
MIN_PRECISION = 0.9


@pytest.fixture(scope="module")
def replay_build(dbt_warehouse_path: Path) -> Iterator[tuple[Path, list[dict], dbt.DbtRun]]:
    from replay import answer_key
    from replay.server import ReplayServer
    from scrapers.crawl import crawl
    from scrapers.fetch import FetchPolicy
    from scrapers.registry import load_portals

    wh = fresh_warehouse(dbt_warehouse_path)
    fast = FetchPolicy(rate=100, connect_timeout=2.0, read_timeout=5.0, retries=2, backoff_initial=0.05,
                       backoff_max=0.2, jitter=0.05, max_retry_after=1.5)
    with ReplayServer() as server:
        served = set(server.web.sites)
        portals = {k: v for k, v in load_portals().items() if set(v.allowed_hosts) & served}
        summary = crawl(proxy=server.proxy_url, policy=fast, portals=portals, warehouse=wh)
    assert summary.outcome in ("ok", "partial"), summary
    hosts = {h for p in portals.values() for h in p.allowed_hosts}
    key = [e for e in answer_key.load() if e["host"] in hosts]
    assert key, "the replay web serves none of the registry's portals"
    yield wh, key, dbt.build(warehouse=wh)


def as_facts(items) -> Counter:
    return Counter(tuple(round(v, 4) if isinstance(v, float) else v for v in item) for item in items)


def test_dbt_build_passes_on_the_replay_web(replay_build) -> None:
    _, _, run = replay_build
    assert run.success, run.summary()


def test_every_labelled_article_is_a_document(replay_build) -> None:
    wh, key, _ = replay_build
    documents = {url for (url,) in rows(wh, "select url from marts.dim_document")}
    missing = [e["url"] for e in key if e["url"] not in documents]
    assert missing == []


def test_reposts_marked_duplicate_are_not_counted(replay_build) -> None:
    wh, _, _ = replay_build
    counted = rows(
        wh,
        "select d.url from marts.fct_indicator_reports r join marts.dim_document d using (page_version_id)"
        " where d.duplicate_of is not null",
    )
    assert counted == []


def test_marts_match_the_answer_key(replay_build) -> None:
    wh, key, _ = replay_build
    marts: dict[str, list[tuple]] = {}
    for url, *fact in rows(
        wh,
        "select url, indicator_key, level, measure, value, qualifier, region_name, period_key"
        " from marts.fct_indicator_reports where evidence_kind = 'text' and not is_superseded",
    ):
        marts.setdefault(url, []).append(tuple(fact))
    duplicates = {url for (url,) in rows(wh, "select url from marts.dim_document where is_duplicate")}

    n_key = n_marts = n_both = 0
    differing: list[str] = []
    labelled = [e for e in key if e["facts"] and e["url"] not in duplicates]
    for entry in labelled:
        expected = as_facts(tuple(f[k] for k in FACT_FIELDS) for f in entry["facts"])
        found = as_facts(marts.get(entry["url"], []))
        n_key += sum(expected.values())
        n_marts += sum(found.values())
        n_both += sum((expected & found).values())
        if expected != found:
            differing.append(
                f"{entry['url']}: missing {sorted(expected - found)[:3]} extra {sorted(found - expected)[:3]}"
            )
    recall, precision = n_both / n_key, n_both / max(n_marts, 1)
    print(f"\nanswer key vs marts: {len(labelled)} labelled articles, {len(labelled) - len(differing)} equal;"
          f" facts recall {recall:.3f} precision {precision:.3f}")
    for line in differing[:15]:
        print("  ", line)
    assert labelled and n_key > 50
    assert recall >= MIN_RECALL and precision >= MIN_PRECISION, differing[:10]
