"""The three gates on small warehouses that follow the agreed column contract."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from expectations import gate
from expectations import sample_warehouse as sw
from expectations.frames import period_start
from expectations.result import GateResult
from kejiwatch import settings
from warehouse import db
from warehouse.publish import publish


def _quarantine() -> list[tuple]:
    with db.connect(read_only=True) as con:
        return con.execute(
            "select mention_id, expectation, gate_run_id, quarantined_at from audit.quarantined_mentions "
            "order by all"
        ).fetchall()


def test_period_start_reads_every_period_form() -> None:
    assert period_start("2024") == date(2024, 1, 1)
    assert period_start("2024H2") == date(2024, 7, 1)
    assert period_start("2024Q3") == date(2024, 7, 1)
    assert period_start("2024-11") == date(2024, 11, 1)
    assert period_start("asof:2025-03-02") == date(2025, 3, 2)
    for bad in ("unknown", "2024-13", "asof:2025-02-30", "24年", None):
        assert period_start(bad) is None


def test_facts_gate_quarantines_bad_rows_idempotently(isolated_warehouse: Path) -> None:
    pages = sw.sample_pages()
    mentions = sw.sample_mentions(pages)
    mentions[0].quote = "技术合同成交额达到9.99亿元"  # evidence that is not in the document
    mentions[2].period_key = "2026"  # a flow that starts after its page was published (2025-01-15)
    mentions[5].measure, mentions[5].period_key = "target", "2027"  # a target may lie in the future
    mentions[7].unit = "yuan"  # a count indicator reported in yuan
    mentions[9].indicator_key = "flying_cars"  # not in the vocabulary
    sw.build(settings.warehouse_path(), pages, mentions)
    ids = [m.row()["mention_id"] for m in mentions]

    result = gate.run_facts_gate()
    assert result.success, result.summary()
    quarantined = {(r[0], r[1]) for r in _quarantine()}
    assert quarantined == {
        (ids[0], "facts.quote_in_document"),
        (ids[2], "facts.period_not_after_publish"),
        (ids[7], "facts.unit_matches_vocabulary"),
        (ids[9], "facts.indicator_known"),
        (ids[9], "facts.unit_matches_vocabulary"),
    }
    assert result.counts["quarantined"] == 4 and result.counts["mentions"] == len(mentions)
    assert all(
        f.severity == "warning" and f.quarantined
        for f in result.warnings
        if f.expectation != "facts.quote_at_offsets"
    )

    # the same data again: nothing new, the first gate run and time are kept
    before = _quarantine()
    again = gate.run_facts_gate()
    assert again.counts["newly_quarantined"] == 0 and _quarantine() == before

    # fixed upstream: the row is released; the others stay
    mentions[7].unit = "count"
    sw.build(settings.warehouse_path(), pages, mentions)
    gate.run_facts_gate()
    assert {r[0] for r in _quarantine()} == {ids[0], ids[2], ids[9]}


def test_a_broken_extractor_blocks_the_batch(
    isolated_warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from expectations import context

    monkeypatch.setattr(context, "STORED_ROWS_PER_EXPECTATION", 3)  # stored results are capped
    pages = sw.sample_pages()
    mentions = sw.sample_mentions(pages)
    for m in mentions:
        if m.unit == "count":
            m.value = -m.value  # every count negative: far beyond the quarantine tolerance
    sw.build(settings.warehouse_path(), pages, mentions)
    result = gate.run_facts_gate()
    assert not result.success
    failing = {f.expectation: f for f in result.blocking}
    # negative platform counts also break their indicators' own floors (key_lab, pilot_base, ...)
    assert set(failing) == {"facts.value_in_range.count", "facts.value_in_range.indicator_min"}
    failure = failing["facts.value_in_range.count"]
    assert failure.unexpected_count == 8 and failure.element_count == 8
    assert set(failure.portals) == {"yk_kjj", "ln_kjt"}
    assert Path(result.data_docs_path).exists()
    # the gate saw all 8 failing rows; the stored GX result keeps 3 of them
    (stored,) = (isolated_warehouse / "gx" / "uncommitted" / "validations" / "facts_mentions").rglob("*.json")
    kept = [
        r["result"]
        for r in json.loads(stored.read_text())["results"]
        if r["expectation_config"]["meta"]["kejiwatch_rule"] == "facts.value_in_range.count"
    ]
    assert len(kept[0]["unexpected_index_list"]) == 3 and kept[0]["unexpected_count"] == 8


def test_facts_gate_without_its_input_blocks(isolated_warehouse: Path) -> None:
    with db.connect() as con:  # a warehouse with raw.* only: dbt never ran
        con.execute("select 1")
    result = gate.run_facts_gate()
    assert not result.success
    assert result.blocking[0].expectation == "facts.inputs_readable"
    assert "int_indicator_mentions" in result.blocking[0].error


def test_landing_gate_names_the_failing_portal(isolated_warehouse: Path) -> None:
    pages = sw.sample_pages()
    pages[3].decode_ok = False
    sw.build(settings.warehouse_path(), pages, fetch_errors={"ln_kjt": 3})
    result = gate.run_landing_gate()
    assert result.success, result.summary()  # one portal of two down: warn, don't block
    warned = {f.expectation: f for f in result.warnings}
    assert set(warned) == {"landing.portal_fetch_error_rate", "landing.decoded_share_warn"}
    assert warned["landing.portal_fetch_error_rate"].portals == ["ln_kjt"]
    assert result.counts == {"portals": 2, "fetches": 7, "pages": 4}

    sw.build(settings.warehouse_path(), pages, fetch_errors={"ln_kjt": 3, "yk_kjj": 5})
    blocked = gate.run_landing_gate(run_id="run-0001")
    assert not blocked.success
    assert [f.expectation for f in blocked.blocking] == ["landing.portals_reachable"]
    assert blocked.blocking[0].portals == ["ln_kjt", "yk_kjj"]


def test_marts_gate_compares_with_the_last_publication(isolated_warehouse: Path) -> None:
    sw.build(settings.warehouse_path(), sw.sample_pages(n_extra=6))
    first = gate.run_marts_gate()
    assert first.success, first.summary()
    publish([first])

    with db.connect() as con:  # 17 reports -> 3; a duplicated grain; a lost dimension
        con.execute("delete from marts.fct_indicator_reports where fact_family <> 'contract'")
        con.execute("insert into marts.fct_contracts select * from marts.fct_contracts limit 1")
        con.execute("drop table marts.dim_source")
    result = gate.run_marts_gate()
    assert not result.success
    failing = {f.expectation: f for f in result.blocking}
    assert set(failing) == {"marts.row_count_not_collapsing", "marts.grain_unique", "marts.table_present"}

    def tables(name: str) -> set[str]:
        return {s.split(" ")[0] for s in failing[name].sample}

    assert tables("marts.row_count_not_collapsing") == {"fct_indicator_reports", "dim_source"}
    assert tables("marts.grain_unique") == {"fct_contracts"}
    assert tables("marts.table_present") == {"dim_source"}

    # a looser drop threshold (82 % lost < 90 %) lets the smaller reports table through
    looser = gate.run_marts_gate(marts__max_row_drop=0.9)
    assert {f.expectation for f in looser.blocking} == {"marts.grain_unique", "marts.table_present"}


def test_suites_are_kept_as_json_with_their_severity(isolated_warehouse: Path) -> None:
    sw.build(settings.warehouse_path())
    gate.run_facts_gate()
    suite = json.loads((isolated_warehouse / "gx" / "expectations" / "facts_mentions.json").read_text())
    rules = {e["meta"]["kejiwatch_rule"]: e for e in suite["expectations"]}
    assert rules["facts.mention_id_unique"]["severity"] == "critical"
    assert rules["facts.quote_at_offsets"]["severity"] == "warning"
    assert rules["facts.quote_in_document"]["meta"]["kejiwatch_quarantine"] is True
    assert (isolated_warehouse / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").exists()
    latest = gate.latest_gate_results()
    assert isinstance(latest["facts"], GateResult) and latest["facts"].success


def test_cli_gate_and_publish(isolated_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from kejiwatch.cli import app

    for var in (
        "KEJIWATCH_SMTP_URL",
        "KEJIWATCH_WEBHOOK_URL",
        "AIRFLOW_CONN_KEJIWATCH_SMTP",
        "AIRFLOW_CONN_KEJIWATCH_WEBHOOK",
    ):
        monkeypatch.delenv(var, raising=False)
    sw.build(settings.warehouse_path())
    runner = CliRunner()
    res = runner.invoke(app, ["gate", "facts"])
    assert res.exit_code == 0, res.output
    assert "facts gate" in res.output and "PASS" in res.output
    res = runner.invoke(app, ["publish"])
    assert res.exit_code == 0, res.output
    with duckdb.connect(str(settings.marts_path()), read_only=True) as con:
        gates = json.loads(con.execute("select gate_runs from publication_manifest limit 1").fetchone()[0])
    assert [g["gate"] for g in gates] == ["facts", "marts"]
    # a duplicate statement makes the facts gate block; publish then refuses (exit 1)
    pages = sw.sample_pages()
    mentions = sw.sample_mentions(pages)
    sw.build(settings.warehouse_path(), pages, [*mentions, mentions[0]])
    assert runner.invoke(app, ["gate", "facts"]).exit_code == 1
    res = runner.invoke(app, ["publish", "--no-gate", "--no-alert"])
    assert res.exit_code == 1 and "NOT published" in res.output
