"""The warehouse lock: the contract every writer relies on."""

from __future__ import annotations

import multiprocessing as mp
import time
from pathlib import Path

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
