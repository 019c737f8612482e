"""Incremental builds: a second crawl's pages are extracted and added without touching history,
a later version of a page supersedes the earlier one, a full refresh rebuilds exactly the same
tables, and the marts leave out what the facts gate quarantined.

`dbt run` (models only) keeps this module fast; test_dbt_build.py runs the dbt tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import synthetic_landing as landing
from conftest import fresh_warehouse, land, one, rows

from expectations import gate
from warehouse import db, dbt

pytestmark = pytest.mark.timeout(900)  # generous: the machine is shared, dbt parse is slow

LAYERS = ("staging", "intermediate", "marts")
# The only columns that may differ between an incremental and a full build: which extractor
# version (set per build below) extracted the page, when its extraction run started, and when
# a model last wrote the row (loaded_at, the stamp models downstream read changes by).
VOLATILE = {
    "int_page_extractions": ["extractor_version", "extracted_at"],
    "int_indicator_mentions": ["extracted_at"],
    "int_indicator_reports": ["extracted_at", "loaded_at"],
    "fct_indicator_reports": ["loaded_at"],
    "fct_contracts": ["loaded_at"],
    "fct_enterprises": ["loaded_at"],
    "fct_platforms": ["loaded_at"],
    "indicator_yoy": ["loaded_at"],
    "region_indicator_coverage": ["loaded_at"],
    "bi_indicator_series": ["loaded_at"],
    "bi_latest_values": ["loaded_at"],
    "bi_coverage": ["loaded_at"],
}


def dbt_ok(args: list[str], wh: Path) -> dbt.DbtRun:
    run = dbt.run_dbt(args, warehouse=wh)
    assert run.success, run.summary()
    return run


def snapshot(wh: Path, target: Path) -> list[tuple[str, str]]:
    """Copy every table and view of the modelled layers into another DuckDB file."""
    with db.connect(wh) as con:
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables"
            f" where table_catalog = current_database() and table_schema in {LAYERS}"
        ).fetchall()
        con.execute(f"attach '{target}' as snap")
        for schema in LAYERS:
            con.execute(f"create schema if not exists snap.{schema}")
        for schema, name in relations:
            con.execute(f"create or replace table snap.{schema}.{name} as select * from {schema}.{name}")
        con.execute("detach snap")
    return relations


@pytest.fixture(scope="module")
def incremental(
    dbt_warehouse_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Path, list[tuple[str, str]]]]:
    wh = fresh_warehouse(dbt_warehouse_path)
    snap = tmp_path_factory.mktemp("snap") / "incremental.duckdb"
    mp = pytest.MonkeyPatch()
    try:
        land(wh, landing.FIRST_BATCH, with_attachment=True)
        dbt_ok(["seed"], wh)
        mp.setenv("KEJIWATCH_EXTRACTOR_VERSION", "first-build")
        dbt_ok(["run"], wh)
        land(wh, landing.SECOND_BATCH)
        mp.setenv("KEJIWATCH_EXTRACTOR_VERSION", "second-build")
        dbt_ok(["run"], wh)
        relations = snapshot(wh, snap)
        # The same landing rebuilt from raw: must give the same tables.
        dbt_ok(["run", "--full-refresh"], wh)
        yield wh, snap, relations
    finally:
        mp.undo()


def test_incremental_run_extracts_only_the_new_pages(incremental) -> None:
    _, snap, _ = incremental
    versions = dict(rows(snap, "select extractor_version, count(*) from intermediate.int_page_extractions"
                              " group by all"))
    assert versions == {"first-build": len(landing.FIRST_BATCH), "second-build": len(landing.SECOND_BATCH)}
    new_ids = {p.page_version_id for p in landing.SECOND_BATCH}
    staged = {r[0] for r in rows(snap, "select page_version_id from staging.stg_raw__pages")}
    assert new_ids <= staged and len(staged) == len(landing.FIRST_BATCH) + len(landing.SECOND_BATCH)


def test_new_pages_reach_the_marts(incremental) -> None:
    _, snap, _ = incremental
    found = rows(snap, "select value from marts.fct_contracts where chosen_page_version_id = ?",
                 [landing.SHENYANG_2023.page_version_id])
    assert [v for (v,) in found] == [512.3e8]


def test_a_later_version_of_a_page_supersedes_the_earlier(incremental) -> None:
    _, snap, _ = incremental
    superseded = dict(rows(snap, "select page_version_id, is_superseded from marts.fct_indicator_reports"
                                 " where url = ?", [landing.WUHAI_V1.url]))
    assert superseded == {landing.WUHAI_V1.page_version_id: True, landing.WUHAI_V2.page_version_id: False}
    fact_id = one(snap, "select fact_id from marts.fct_indicator_reports where page_version_id = ?",
                  [landing.WUHAI_V2.page_version_id])[0]
    value, n_reports = one(snap, "select value, n_reports from marts.fct_enterprises where fact_id = ?",
                           [fact_id])
    assert (value, n_reports) == (31, 1)


def assert_same_tables(wh: Path, snap: Path, relations: list[tuple[str, str]]) -> None:
    """Every relation of ``snap`` holds exactly the rows (as multisets) of the same one in ``wh``."""
    with db.connect(wh) as con:
        con.execute(f"attach '{snap}' as snap (read_only)")
        for schema, name in relations:
            exclude = VOLATILE.get(name)
            cols = f"* exclude ({', '.join(exclude)})" if exclude else "*"
            full = f"select {cols} from {schema}.{name}"
            incr = f"select {cols} from snap.{schema}.{name}"
            n_full = con.execute(f"select count(*) from {schema}.{name}").fetchone()[0]
            n_incr = con.execute(f"select count(*) from snap.{schema}.{name}").fetchone()[0]
            only_full = con.execute(f"select count(*) from ({full} except all {incr})").fetchone()[0]
            only_incr = con.execute(f"select count(*) from ({incr} except all {full})").fetchone()[0]
            assert (n_full, only_full, only_incr) == (n_incr, 0, 0), f"{schema}.{name} differs"


def test_full_refresh_equals_the_incremental_result(incremental) -> None:
    wh, snap, relations = incremental
    assert len(relations) >= 20
    assert_same_tables(wh, snap, relations)


def test_marts_leave_out_quarantined_mentions(incremental) -> None:
    wh, _, _ = incremental
    mention_id, fact_id = one(
        wh,
        "select report_id, fact_id from marts.fct_indicator_reports where page_version_id = ?"
        " and indicator_key = 'tech_sme'",
        [landing.NEWSPAPER_2023.page_version_id],
    )
    assert one(wh, "select has_conflict from marts.fct_enterprises where fact_id = ?", [fact_id]) == (True,)
    with db.connect(wh) as con:
        con.execute(
            "insert into audit.quarantined_mentions values (?, ?, 'test_expectation', 'planted', 'error',"
            " 'gate-test', now())",
            [mention_id, landing.NEWSPAPER_2023.page_version_id],
        )
    dbt_ok(["run", "--select", "marts"], wh)
    assert rows(wh, "select 1 from marts.fct_indicator_reports where report_id = ?", [mention_id]) == []
    assert one(wh, "select n_reports, has_conflict from marts.fct_enterprises where fact_id = ?",
               [fact_id]) == (1, False)


def test_incremental_marts_after_a_quarantine_equal_a_full_refresh(
    incremental, tmp_path: Path
) -> None:
    """The incremental marts (grains recomputed by fingerprint, rows deleted by post-hooks) after
    the gate quarantined a report that made a grain conflict hold what a rebuild from raw holds."""
    wh, _, _ = incremental
    still_reported = rows(
        wh,
        "select report_id from marts.fct_indicator_reports where page_version_id = ?"
        " and indicator_key = 'tech_sme'",
        [landing.NEWSPAPER_2023.page_version_id],
    )
    if still_reported:  # the test above did not quarantine it (this test run alone)
        with db.connect(wh) as con:
            con.execute(
                "insert into audit.quarantined_mentions values (?, ?, 'test_expectation', 'planted',"
                " 'error', 'gate-test', now())",
                [still_reported[0][0], landing.NEWSPAPER_2023.page_version_id],
            )
        dbt_ok(["run", "--select", "marts"], wh)
    snap = tmp_path / "after_quarantine.duckdb"
    relations = [(s, n) for s, n in snapshot(wh, snap) if s == "marts"]
    dbt_ok(["run", "--select", "marts", "--full-refresh"], wh)
    assert len(relations) >= 12
    assert_same_tables(wh, snap, relations)


def test_a_report_released_from_quarantine_returns_incrementally(incremental, tmp_path: Path) -> None:
    """When the facts gate stops quarantining a report (its rule was fixed), the next
    incremental run of the marts puts it back: the marts then equal a full refresh."""
    wh, _, _ = incremental
    report_id, page_version_id = one(
        wh,
        "select report_id, page_version_id from marts.fct_indicator_reports"
        " where indicator_key = 'tech_contract_turnover' order by report_id limit 1",
    )
    with db.connect(wh) as con:
        con.execute(
            "insert into audit.quarantined_mentions values (?, ?, 'test_release', 'planted', 'error',"
            " 'gate-test', now())",
            [report_id, page_version_id],
        )
    dbt_ok(["run", "--select", "marts"], wh)
    assert rows(wh, "select 1 from marts.fct_indicator_reports where report_id = ?", [report_id]) == []
    # the real facts gate: the planted rule does not fail now, so the gate releases the report
    # and logs the release, by which the marts take it back
    gate.run_facts_gate(warehouse=wh)
    released = "select mention_id from audit.quarantine_releases where expectation = 'test_release'"
    assert rows(wh, released) == [(report_id,)]
    dbt_ok(["run", "--select", "marts"], wh)
    assert rows(wh, "select 1 from marts.fct_indicator_reports where report_id = ?", [report_id]) == [(1,)]
    snap = tmp_path / "after_release.duckdb"
    relations = [(s, n) for s, n in snapshot(wh, snap) if s == "marts"]
    dbt_ok(["run", "--select", "marts", "--full-refresh"], wh)
    assert_same_tables(wh, snap, relations)


def test_a_failing_dbt_test_is_reported_with_its_node(incremental) -> None:
    wh, _, _ = incremental
    with db.connect(wh) as con:
        con.execute(
            "insert into audit.quarantined_mentions values ('m-bogus', null, 'test_expectation', 'planted',"
            " 'not-a-severity', 'gate-test', now())"
        )
    try:
        run = dbt.run_dbt(["test", "--select", "stg_audit__quarantined_mentions"], warehouse=wh)
    finally:
        with db.connect(wh) as con:
            con.execute("delete from audit.quarantined_mentions where mention_id = 'm-bogus'")
    assert not run.success
    assert [n.unique_id for n in run.failing_nodes if "accepted_values" in n.unique_id], run.summary()
    assert "FAILED" in run.summary()


def test_dbt_waits_for_the_warehouse_lock(incremental) -> None:
    wh, _, _ = incremental
    with db.locked(wh), pytest.raises(db.WarehouseBusy):
        dbt.run_dbt(["run", "--select", "dim_period"], warehouse=wh, timeout=0.5)


def test_tables_built_before_the_extraction_watermark_migrate_on_the_next_run(
    dbt_warehouse_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warehouse whose tables predate extracted_at and loaded_at: the next increment compares
    page ids once, recomputes the marts in full (deleting what is gone), adds the columns, and
    the result equals a full refresh; the increment after it goes by the stamps and still does."""
    wh = fresh_warehouse(dbt_warehouse_path)
    land(wh, landing.FIRST_BATCH[:3], with_attachment=True)
    dbt_ok(["seed"], wh)
    dbt_ok(["run"], wh)
    with db.connect(wh) as con:
        for table in ("int_page_extractions", "int_indicator_mentions", "int_indicator_reports"):
            con.execute(f"alter table intermediate.{table} drop column extracted_at")
        stamped = [name for name, columns in VOLATILE.items() if "loaded_at" in columns]
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where table_name in"
            f" ({', '.join(repr(t) for t in stamped)})"
        ).fetchall():
            con.execute(f"alter table {schema}.{table} drop column loaded_at")
    monkeypatch.setenv("KEJIWATCH_EXTRACTOR_VERSION", "migrating")
    land(wh, landing.FIRST_BATCH[3:])
    dbt_ok(["run"], wh)
    migrated = one(wh, "select count(*), count(extracted_at) from intermediate.int_indicator_mentions")
    assert 0 < migrated[1] < migrated[0]  # the new pages' mentions carry it, the old ones not
    # the marts were rewritten in full once: every row carries loaded_at
    assert one(wh, "select count(*) = count(loaded_at) from marts.fct_contracts") == (True,)
    land(wh, landing.SECOND_BATCH)
    dbt_ok(["run"], wh)
    # history stays unstamped: the watermark only ever compares against the latest stamp
    unstamped = one(wh, "select count(*) from intermediate.int_page_extractions where extracted_at is null")
    assert unstamped == (3,)
    snap = tmp_path / "migrated.duckdb"
    relations = snapshot(wh, snap)
    dbt_ok(["run", "--full-refresh"], wh)
    assert_same_tables(wh, snap, relations)


def test_a_mart_that_is_still_empty_fills_in_incrementally(dbt_warehouse_path: Path, tmp_path: Path) -> None:
    """A first crawl without any platform figure leaves fct_platforms empty; its load stamp is
    then unknown, and the next increment must still take every platform report."""
    wh = fresh_warehouse(dbt_warehouse_path)
    land(wh, [landing.SHENYANG_2023])
    dbt_ok(["seed"], wh)
    dbt_ok(["run"], wh)
    assert one(wh, "select count(*) from marts.fct_platforms") == (0,)
    land(wh, [landing.LIAONING_PLATFORMS, landing.YINGKOU_2023])
    dbt_ok(["run"], wh)
    assert one(wh, "select count(*) > 0 from marts.fct_platforms") == (True,)
    snap = tmp_path / "filled.duckdb"
    relations = snapshot(wh, snap)
    dbt_ok(["run", "--full-refresh"], wh)
    assert_same_tables(wh, snap, relations)
