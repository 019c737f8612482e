"""warehouse.compact: the tables that increments fragmented (dbt runs without DuckDB's row-group
vacuum) are rewritten with the same rows in the same order; the others, and raw.*, are not."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from warehouse import compact, db


def _fragment(path: Path, increments: int) -> None:
    """What dbt's increments do to a mart: delete+insert, then a checkpoint without vacuum."""
    con = duckdb.connect(str(path), config={"max_vacuum_tasks": 0})
    try:
        for i in range(increments):
            con.execute(
                "delete from marts.fct_example where id in"
                " (select id from marts.fct_example where id % 97 = ? limit 1500)",
                [i],
            )
            con.execute(
                "insert into marts.fct_example"
                " select 1000000 + ? * 5000 + i, 'inc ' || i, i * 0.5 from range(5000) t(i)",
                [i],
            )
            con.execute("checkpoint")
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "warehouse.duckdb"
    with db.connect(path) as con:  # raw.* and audit.* as on a real warehouse
        con.execute("create schema if not exists marts")
        con.execute(
            "create table marts.fct_example as"
            " select i as id, 'row ' || i as label, i * 0.25 as value from range(300000) t(i)"
        )
        con.execute(
            "create table marts.dim_small as select i as id from range(1000) t(i)"
        )
    return path


def _contents(path: Path, table: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f"select * from {table}").fetchall()
    finally:
        con.close()


def _by_name(results: list[compact.Compaction]) -> dict[str, compact.Compaction]:
    return {f"{r.before.schema}.{r.before.name}": r for r in results}


def test_a_fragmented_table_is_rewritten_with_the_same_rows_in_the_same_order(warehouse: Path) -> None:
    _fragment(warehouse, increments=12)
    before_rows = _contents(warehouse, "marts.fct_example")

    planned = _by_name(compact.compact(warehouse, dry_run=True))
    fragmented = planned["marts.fct_example"].before
    assert fragmented.needs_compaction()
    assert fragmented.row_groups > fragmented.ideal_row_groups + compact.MAX_EXTRA_ROW_GROUPS
    assert not planned["marts.fct_example"].rewritten  # a dry run only reports

    done = _by_name(compact.compact(warehouse))
    result = done["marts.fct_example"]
    assert result.rewritten
    assert result.after is not None
    # a parallel CREATE TABLE AS may leave one partly filled row group per thread
    assert result.after.extra_row_groups <= 2 < fragmented.extra_row_groups
    assert not result.after.needs_compaction()
    assert result.after.dead_fraction == 0
    assert result.after.rows == fragmented.rows
    assert _contents(warehouse, "marts.fct_example") == before_rows


def test_compaction_leaves_compact_tables_and_the_landing_alone(warehouse: Path) -> None:
    results = _by_name(compact.compact(warehouse))
    assert not any(r.rewritten for r in results.values())
    assert all(schema in compact.DBT_SCHEMAS for schema, _ in (k.split(".") for k in results))
    assert "marts.dim_small" in results


def test_compaction_is_idempotent(warehouse: Path) -> None:
    _fragment(warehouse, increments=12)
    first = _by_name(compact.compact(warehouse))
    second = _by_name(compact.compact(warehouse))
    assert first["marts.fct_example"].rewritten
    assert not second["marts.fct_example"].rewritten


def test_many_deleted_rows_alone_trigger_a_rewrite(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), config={"max_vacuum_tasks": 0})
    try:
        con.execute("delete from marts.fct_example where id % 3 = 0")
        con.execute("checkpoint")
    finally:
        con.close()
    planned = _by_name(compact.compact(warehouse, dry_run=True))["marts.fct_example"].before
    assert planned.dead_fraction > compact.MAX_DEAD_FRACTION
    assert planned.extra_row_groups <= compact.MAX_EXTRA_ROW_GROUPS
    done = _by_name(compact.compact(warehouse))["marts.fct_example"]
    assert done.after is not None and done.after.dead_fraction == 0


def test_a_landing_process_does_not_vacuum_the_marts(warehouse: Path) -> None:
    """With DuckDB's vacuum on, any later checkpoint (a crawler's, say) would merge the marts'
    row groups, paying the cost the dbt profile avoids in another process."""
    _fragment(warehouse, increments=12)
    with db.connect(warehouse, read_only=True) as con:
        before = compact.layout(con, "marts", "fct_example")
    with db.connect(warehouse) as con:
        con.execute("create table marts.touched as select 1 as one")
        con.execute("checkpoint")
    with db.connect(warehouse, read_only=True) as con:
        after = compact.layout(con, "marts", "fct_example")
    assert after.row_groups == before.row_groups > before.ideal_row_groups + compact.MAX_EXTRA_ROW_GROUPS


def test_the_cli_reports_then_compacts(isolated_warehouse: Path) -> None:
    from typer.testing import CliRunner

    from kejiwatch.cli import app

    path = isolated_warehouse / "warehouse.duckdb"
    missing = CliRunner().invoke(app, ["compact", "--dry-run"])
    assert missing.exit_code == 2 and "kejiwatch run" in missing.output

    with db.connect(path) as con:
        con.execute("create schema if not exists marts")
        con.execute("create table marts.fct_example as select i as id from range(300000) t(i)")
    _fragment_ids_only(path)

    dry = CliRunner().invoke(app, ["compact", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "1 table, 1 due for compaction (dry run: nothing rewritten)" in dry.output
    done = CliRunner().invoke(app, ["compact"])
    assert done.exit_code == 0, done.output
    assert "marts.fct_example: 243,900 rows, 14 row groups (ideal 2)" in done.output
    assert re.search(r"rewritten to [234] row groups", done.output), done.output
    assert "1 table, 1 rewritten" in done.output


def _fragment_ids_only(path: Path) -> None:
    con = duckdb.connect(str(path), config={"max_vacuum_tasks": 0})
    try:
        for i in range(compact.MAX_EXTRA_ROW_GROUPS + 3):
            con.execute("delete from marts.fct_example where id % 50 = ?", [i])
            con.execute(
                "insert into marts.fct_example select 1000000 + ? * 1000 + i from range(1000) t(i)", [i]
            )
            con.execute("checkpoint")
    finally:
        con.close()


def test_on_ducklake_maintenance_merges_files_and_expires_old_snapshots(
    isolated_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from kejiwatch.cli import app
    from warehouse import backends

    monkeypatch.setenv("KEJIWATCH_BACKEND", "ducklake")
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_CATALOG", raising=False)
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_DATA_PATH", raising=False)
    backends._ENSURED.clear()
    try:
        with db.connect() as con:
            con.execute("create schema if not exists marts")
            con.execute("create table marts.fct_example as select i as id from range(3000) t(i)")
            for i in range(5):  # each increment its own Parquet file and snapshot
                con.execute(
                    "insert into marts.fct_example select 100000 + ? * 3000 + i from range(3000) t(i)", [i]
                )
            con.execute("delete from marts.fct_example where id < 500")
            expected = sorted(r[0] for r in con.execute("select id from marts.fct_example").fetchall())

            kept = compact.maintain_lake(con, retain_days=7)  # nothing is a week old yet
            # none expired (the merge adds a snapshot of its own), no file deleted
            assert kept.snapshots_after >= kept.snapshots_before and kept.files_deleted == 0
            assert kept.live_files_after < kept.live_files_before

            done = compact.maintain_lake(con, retain_days=0)
            assert done.snapshots_after < done.snapshots_before and done.files_deleted > 0
            ids = sorted(r[0] for r in con.execute("select id from marts.fct_example").fetchall())
            assert ids == expected

        result = CliRunner().invoke(app, ["compact"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("DuckLake: live data files")
    finally:
        backends._ENSURED.clear()
