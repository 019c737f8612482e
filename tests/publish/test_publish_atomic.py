"""Atomic publication: the manifest, readable storage version, identical re-publication, a blocked
gate leaving the file untouched, and a concurrent reader that never sees an error or a mixed state."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from expectations import sample_warehouse as sw
from expectations.result import Failure, GateBlocked, GateResult
from kejiwatch import settings
from warehouse import db
from warehouse.publish import DEFAULT_STORAGE_VERSION, publish, read_manifest


def _passed(gate: str = "marts") -> GateResult:
    return GateResult(gate=gate, gate_run_id=f"{gate}-test", success=True)


def _tables(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' order by 1"
            ).fetchall()
        ]
        return {n: con.execute(f'select * from "{n}"').fetchall() for n in names}


def test_publish_copies_marts_quarantine_and_manifest(isolated_warehouse: Path, backend: str) -> None:
    sw.build(settings.warehouse_path())
    with db.connect() as con:  # a dbt view that names its catalog, as dbt-duckdb writes them
        catalog = con.execute("select current_database()").fetchone()[0]  # warehouse | lake
        con.execute(
            f"create view marts.contract_count as select count(*) as n from {catalog}.marts.fct_contracts"
        )
    pub = publish([_passed("facts"), _passed("marts")])
    path = settings.marts_path()
    assert pub.path == str(path) and path.exists()
    tables = _tables(path)
    expected = {
        "fct_indicator_reports",
        "fct_contracts",
        "fct_enterprises",
        "fct_platforms",
        "dim_document",
        "dim_source",
        "dim_region",
        "contract_count",
        "quarantined_mentions",
        "publication_manifest",
    }
    assert set(tables) == expected
    assert tables["contract_count"] == [(3,)]  # the view was materialised with its rows
    manifest = read_manifest()
    assert {m["publish_id"] for m in manifest} == {pub.publish_id}
    counts = {m["table_name"]: m["row_count"] for m in manifest}
    assert counts == {t: len(rows) for t, rows in tables.items() if t != "publication_manifest"}
    assert counts["fct_indicator_reports"] == len(sw.sample_mentions(sw.sample_pages()))
    gate_runs = json.loads(manifest[0]["gate_runs"])
    assert [g["gate_run_id"] for g in gate_runs] == ["facts-test", "marts-test"]
    assert manifest[0]["gate_outcome"] == "passed" and manifest[0]["code_version"]
    assert manifest[0]["newest_document_at"] is not None
    # readable by DuckDB 1.x clients: the file declares the old storage version
    with duckdb.connect() as con:
        con.execute(f"attach '{path}' as m (read_only)")
        tags = con.execute("select tags from duckdb_databases() where database_name = 'm'").fetchone()[0]
    assert tags["storage_version"].startswith(DEFAULT_STORAGE_VERSION)
    # no temp files left next to the target
    assert sorted(p.name for p in path.parent.glob("marts.duckdb*")) == ["marts.duckdb"]


def test_republishing_identical_marts_gives_identical_tables(isolated_warehouse: Path, backend: str) -> None:
    sw.build(settings.warehouse_path())
    first = publish([_passed()])
    tables_1 = _tables(settings.marts_path())
    # rebuild the same marts (dbt would rewrite them, possibly in another physical row order)
    with db.connect() as con:
        con.execute(
            "create or replace table marts.fct_indicator_reports as "
            "select * from marts.fct_indicator_reports order by mention_id desc"
        )
    second = publish([_passed()])
    tables_2 = _tables(settings.marts_path())
    assert first.publish_id != second.publish_id
    manifest_1, manifest_2 = tables_1.pop("publication_manifest"), tables_2.pop("publication_manifest")
    assert tables_1 == tables_2
    assert [r[3:5] for r in manifest_1] == [r[3:5] for r in manifest_2]  # table names and row counts


def test_blocked_gate_leaves_the_previous_file_byte_for_byte(isolated_warehouse: Path, backend: str) -> None:
    sw.build(settings.warehouse_path())
    publish([_passed()])
    path = settings.marts_path()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    mtime = path.stat().st_mtime_ns
    blocked = GateResult(
        gate="marts",
        gate_run_id="marts-bad",
        success=False,
        blocking=[
            Failure(
                expectation="marts.row_count_not_collapsing", gate="marts", severity="error", description="x"
            )
        ],
    )
    with db.connect() as con:
        con.execute("delete from marts.fct_indicator_reports")
    with pytest.raises(GateBlocked, match=r"marts\.row_count_not_collapsing"):
        publish([_passed("facts"), blocked])
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert path.stat().st_mtime_ns == mtime
    with pytest.raises(ValueError, match="gate results"):
        publish([])


READER = textwrap.dedent("""
    import json, sys, time
    from pathlib import Path
    import duckdb

    path, stop, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    stats = {"reads": 0, "errors": [], "mixed": [], "publish_ids": []}

    def check(con):
        manifest = con.execute(
            "select publish_id, table_name, row_count from publication_manifest").fetchall()
        ids = {m[0] for m in manifest}
        if len(ids) != 1:
            stats["mixed"].append(f"manifest with {ids}")
        for _, table, count in manifest:
            actual = con.execute(f'select count(*) from "{table}"').fetchone()[0]
            if actual != count:
                stats["mixed"].append(f"{table} has {actual} rows, manifest says {count}")
        # every report of this snapshot references a document of the same snapshot
        orphans = con.execute("select count(*) from fct_indicator_reports r anti join dim_document d "
                              "using (page_version_id)").fetchone()[0]
        if orphans:
            stats["mixed"].append(f"{orphans} reports without their document")
        return ids.pop() if ids else None

    held = duckdb.connect(str(path), read_only=True) if mode == "held" else None
    Path(str(stop) + f".{mode}.ready").touch()
    deadline = time.monotonic() + 110
    while not stop.exists() and time.monotonic() < deadline:
        try:
            if held is not None:     # a BI tool that keeps the file open
                pid = check(held)
            else:                    # a BI tool that reconnects for every query
                with duckdb.connect(str(path), read_only=True) as con:
                    pid = check(con)
            if pid and (not stats["publish_ids"] or stats["publish_ids"][-1] != pid):
                stats["publish_ids"].append(pid)
            stats["reads"] += 1
        except Exception as exc:
            stats["errors"].append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.03)
    if held is not None:
        held.close()
    print(json.dumps(stats))
""")


def test_readers_never_see_an_error_or_a_mixed_state(isolated_warehouse: Path, tmp_path: Path) -> None:
    """Two reader processes during 20 consecutive publications: one holds the file open for the
    whole time (keeps its snapshot), one reconnects for every read (follows the publications)."""
    pages = sw.sample_pages(n_extra=2)
    sw.build(settings.warehouse_path(), pages)
    first = publish([_passed()]).publish_id
    stop = tmp_path / "stop"
    script = tmp_path / "reader.py"
    script.write_text(READER)
    readers = {
        mode: subprocess.Popen(
            [sys.executable, str(script), str(settings.marts_path()), str(stop), mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for mode in ("held", "fresh")
    }
    published = [first]
    try:
        deadline = time.monotonic() + 60
        while not all(Path(f"{stop}.{m}.ready").exists() for m in readers) and time.monotonic() < deadline:
            time.sleep(0.05)
        for i in range(20):
            # each publication differs: one more document and its report, so a torn read would show
            with db.connect() as con:
                pv = f"gen{i:03d}"
                con.execute(
                    "insert into marts.dim_document (page_version_id, portal_id, title) "
                    "values (?, 'yk_kjj', 'generated')",
                    [pv],
                )
                con.execute(
                    "insert into marts.fct_indicator_reports (mention_id, page_version_id) values (?, ?)",
                    [f"m{i:03d}", pv],
                )
            published.append(publish([_passed()]).publish_id)
            time.sleep(0.05)  # give the reconnecting reader a chance to see each one
    finally:
        stop.touch()
        outputs = {m: p.communicate(timeout=120) for m, p in readers.items()}
    stats = {}
    for mode, (out, err) in outputs.items():
        assert readers[mode].returncode == 0, err
        stats[mode] = json.loads(out)
        assert stats[mode]["errors"] == [] and stats[mode]["mixed"] == [], mode
        assert stats[mode]["reads"] >= 20, mode
    # the held connection kept its one consistent snapshot throughout
    assert stats["held"]["publish_ids"] == [first]
    # the reconnecting reader followed the publications, in order
    seen = stats["fresh"]["publish_ids"]
    assert set(seen) <= set(published) and len(seen) >= 5
    assert seen == sorted(seen, key=published.index)
    assert read_manifest()[0]["publish_id"] == published[-1]
