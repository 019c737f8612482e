"""The warehouse lock and DuckLake commit races: the contracts every writer relies on."""

from __future__ import annotations

import logging
import multiprocessing as mp
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from warehouse import db


def _hold_lock(path: str, seconds: float, ready) -> None:
    with db.connect(Path(path)):
        ready.set()
        time.sleep(seconds)


def test_schema_is_created_idempotently(isolated_warehouse: Path) -> None:
    for _ in range(2):
        with db.connect() as con:
            tables = {r[0] for r in con.execute(
                "select table_schema || '.' || table_name from information_schema.tables").fetchall()}
    assert {"raw.pages", "raw.fetches", "raw.page_tables", "audit.quarantined_mentions"} <= tables


def test_second_process_waits_for_the_lock_instead_of_failing(isolated_warehouse: Path) -> None:
    path = isolated_warehouse / "warehouse.duckdb"
    ctx = mp.get_context("spawn")
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(path), 1.5, ready))
    holder.start()
    assert ready.wait(60)
    started = time.monotonic()
    with db.connect(path) as con:  # would raise "Could not set lock" without the file lock
        waited = time.monotonic() - started
        assert con.execute("select 1").fetchone() == (1,)
    holder.join(10)
    assert waited > 0.5


def test_busy_warehouse_says_what_to_do(isolated_warehouse: Path) -> None:
    path = isolated_warehouse / "warehouse.duckdb"
    with db.lock_for(path):
        try:
            with db.connect(path, timeout=0.2):
                raise AssertionError("lock should not be granted twice")
        except db.WarehouseBusy as exc:
            assert "lock" in str(exc)


# --- commit races on DuckLake (a local catalog: one process, real conflicts) -------------------

@pytest.fixture
def local_lake(
    isolated_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh DuckLake with a local catalog file, opened once: several cursors of this
    connection are independent transactions, so they race as two processes would."""
    from warehouse import backends

    monkeypatch.setenv("KEJIWATCH_BACKEND", "ducklake")
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_CATALOG", raising=False)
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_DATA_PATH", raising=False)
    backends._ENSURED.clear()
    con = backends.open_ducklake()
    try:
        backends.ensure_schema(con)
        yield con
    finally:
        con.close()
        backends._ENSURED.clear()


def _cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    from warehouse import backends

    cur = con.cursor()
    cur.execute(f"use {backends.LAKE_ALIAS}")
    return cur


def test_a_transaction_that_lost_a_commit_race_runs_again(
    local_lake: duckdb.DuckDBPyConnection, caplog: pytest.LogCaptureFixture
) -> None:
    from warehouse import conflicts

    con, other = _cursor(local_lake), _cursor(local_lake)
    con.execute("create table raw.scratch (k varchar, v varchar)")
    con.execute("insert into raw.scratch values ('a', 'old')")
    attempts = []

    def upsert() -> None:
        attempts.append(1)
        con.execute("begin")
        try:
            con.execute("update raw.scratch set v = 'new' where k = 'a'")
            if len(attempts) == 1:  # another writer commits into the same table meanwhile
                other.execute("insert into raw.scratch values ('b', 'other')")
            con.execute("commit")
        except Exception:
            conflicts.rollback(con)
            raise

    with caplog.at_level(logging.WARNING, logger="warehouse.conflicts"):
        conflicts.run(upsert, what="test upsert", max_wait=0.05)
    assert len(attempts) == 2
    assert sorted(con.execute("select k, v from raw.scratch").fetchall()) == [
        ("a", "new"), ("b", "other")]
    [record] = [r for r in caplog.records if r.name == "warehouse.conflicts"]
    assert "test upsert" in record.getMessage() and "Transaction conflict" in record.getMessage()


def test_only_conflicts_are_retried_and_the_last_one_propagates(
    local_lake: duckdb.DuckDBPyConnection,
) -> None:
    from warehouse import conflicts

    calls = []

    def broken() -> None:
        calls.append(1)
        local_lake.execute("select * from raw.no_such_table")

    with pytest.raises(duckdb.CatalogException):
        conflicts.run(broken, what="broken")
    assert len(calls) == 1

    def always_losing() -> None:
        calls.append(1)
        raise duckdb.TransactionException("Transaction conflict - but another transaction has deleted it")

    calls.clear()
    with pytest.raises(duckdb.TransactionException):
        conflicts.run(always_losing, what="losing", max_attempts=3, max_wait=0.01)
    assert len(calls) == 3


def test_concurrent_landers_land_every_batch_once(local_lake: duckdb.DuckDBPyConnection) -> None:
    """Writers landing different portals at once (each batch MERGE-upserts its run row and the
    registry, so they collide on the same tables): every batch lands, none twice."""
    from warehouse import landing

    writers, batches = 3, 4

    def batch(w: int, b: int) -> landing.PortalBatch:
        portal, now = f"p{w}", datetime(2026, 1, 1)
        pages = [{"page_version_id": f"{portal}-{b}-{i}", "url": f"http://{portal}/{b}/{i}",
                  "portal_id": portal, "run_id": f"r{b}", "fetched_at": now, "content_hash": f"h{b}{i}",
                  "html": "<p>x</p>", "body_text": "x"} for i in range(3)]
        return landing.PortalBatch(
            run_id=f"r{b}", portal_id=portal, pages=pages,
            fetches=[{"fetch_id": f"f-{p['page_version_id']}", "portal_id": portal, "url": p["url"],
                      "kind": "article", "requested_at": now} for p in pages],
            run_portal={"run_id": f"r{b}", "portal_id": portal, "status": "ok"},
            portal_rows=[{"portal_id": portal, "name": f"portal {w} batch {b}",
                          "publisher_type": "city_bureau"}],
        )

    def write(w: int) -> list[int]:
        cur = _cursor(local_lake)
        return [landing._land(cur, batch(w, b)).pages for b in range(batches)]

    with ThreadPoolExecutor(writers) as pool:
        landed = list(pool.map(write, range(writers)))
    assert landed == [[3] * batches] * writers
    con = _cursor(local_lake)
    assert con.execute("select count(*), count(distinct page_version_id) from raw.pages").fetchone() == (
        writers * batches * 3, writers * batches * 3)
    assert con.execute("select count(*) from raw.crawl_run_portals").fetchone()[0] == writers * batches
    assert con.execute("select count(*), count(distinct portal_id) from raw.portals").fetchone() == (
        writers, writers)
    # a re-landing adds nothing
    assert landing._land(con, batch(0, 0)).pages == 0
    assert con.execute("select count(*) from raw.pages").fetchone()[0] == writers * batches * 3


def test_registry_row_changes_only_when_the_portal_config_changes(isolated_warehouse: Path) -> None:
    from warehouse import landing

    row = {"portal_id": "p1", "name": "某市科学技术局", "publisher_type": "city_bureau",
           "region_code": "330500", "region_name": "湖州市",
           "base_url": "http://kjj.example.gov.cn/", "authority_rank": 1,
           "config_hash": "h1", "updated_at": datetime(2026, 1, 1)}
    assert landing.land_portals([row]) == 1
    # the same config crawled again later: nothing is rewritten, updated_at keeps the config's time
    assert landing.land_portals([dict(row, updated_at=datetime(2026, 2, 1))]) == 0
    assert landing.land_portals([dict(row, config_hash="h2", updated_at=datetime(2026, 3, 1))]) == 1
    with db.connect(read_only=True) as con:
        stored = con.execute("select config_hash, updated_at from raw.portals").fetchall()
    assert stored == [("h2", datetime(2026, 3, 1))]
