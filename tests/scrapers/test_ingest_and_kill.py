"""ingest_url (the "ingest this URL now" event), and a crawl killed with SIGKILL then re-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from replay import answer_key
from scrapers.crawl import crawl
from scrapers.ingest import ingest_url
from tests.scrapers.conftest import FAST, replay_portals, rows

ROOT = Path(__file__).resolve().parents[2]


def test_ingest_url_lands_one_article_with_its_attachments(isolated_warehouse, replay_server) -> None:
    server = replay_server()
    portals = replay_portals(server)
    hosts = {h for p in portals.values() for h in p.allowed_hosts}
    entry = next(e for e in answer_key.load() if e["host"] in hosts and e["attachments"])
    res = ingest_url(entry["url"], proxy=server.proxy_url, portals=portals, policy=FAST)
    assert res.status == "ok" and res.pages_landed == 1, res.reason
    assert rows("select url, title from raw.pages") == [(entry["url"], entry["title"])]
    assert rows("select count(*) from raw.attachments")[0][0] == len(entry["attachments"])
    assert rows("select trigger, outcome from raw.crawl_runs") == [("event", "ok")]
    # the same URL again: a conditional GET, nothing new
    again = ingest_url(entry["url"], proxy=server.proxy_url, portals=portals, policy=FAST)
    assert again.pages_landed == 0 and again.pages_not_modified == 1
    # a URL on no portal is refused without a request
    off = ingest_url("http://example.invalid/a.html", proxy=server.proxy_url, portals=portals, policy=FAST)
    assert off.status == "failed" and "not on the allowed" in off.reason


CHILD = """
import sys
from scrapers.crawl import crawl
from scrapers.fetch import FetchPolicy
crawl(proxy=sys.argv[1], policy=FetchPolicy(rate=float(sys.argv[2])), trigger="cli")
"""


@pytest.mark.slow
def test_kill_9_mid_crawl_then_rerun_loses_nothing_and_duplicates_nothing(
    isolated_warehouse, replay_server
) -> None:
    server = replay_server()
    portals = replay_portals(server)
    hosts = {h for p in portals.values() for h in p.allowed_hosts}
    expected = sorted(e["url"] for e in answer_key.load() if e["host"] in hosts)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # a slow crawl (8 req/s per host) in another process, killed once some portals have landed
    child = subprocess.Popen([sys.executable, "-c", CHILD, server.proxy_url, "8"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        landed_portals = 0
        while time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.5)
            if (isolated_warehouse / "warehouse.duckdb").exists():
                landed_portals = rows("select count(*) from raw.crawl_run_portals")[0][0]
                if landed_portals >= 1:
                    break
        assert child.poll() is None, "the crawl finished before it could be killed: slow it down"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    before = rows("select count(*) from raw.pages")[0][0]
    assert 0 < before < len(expected)  # killed mid-run: some portals landed, others not
    assert rows("select count(*) from raw.crawl_runs where finished_at is null")[0][0] == 1

    summary = crawl(proxy=server.proxy_url, policy=FAST, portals=portals)
    assert summary.outcome == "ok", {p: r.reason for p, r in summary.portals.items()}
    landed = rows("select url, count(*) from raw.pages group by url order by url")
    assert [u for u, _ in landed] == expected  # nothing lost
    assert all(n == 1 for _, n in landed)  # nothing twice
    assert rows("select count(*) from raw.fetches where run_id = ?", [summary.run_id])[0][0] > 0
