"""`kejiwatch status` after real runs: a failed first run, a successful run, a failure after a
success (BI still sees the previous publication), and while a pipeline holds the warehouse lock.

The states are built with the real functions: the crawler (against the replay portals, or a dead
proxy), the gate's own audit.gate_runs table and GateResult records (the GX validation itself is
the quality engineer's and too slow here), and the real publisher. dbt is not run: the marts
tables the publisher copies are a two-table fixture following the real column names."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from expectations.gate import GATE_RUNS_DDL
from expectations.result import Failure, GateResult
from kejiwatch import settings
from kejiwatch.cli import app
from scrapers.crawl import crawl
from scrapers.fetch import FetchPolicy
from warehouse import db, publish

FAST = FetchPolicy(rate=100, connect_timeout=2.0, read_timeout=2.5, attachment_read_timeout=20.0, retries=1,
                   backoff_initial=0.05, backoff_max=0.2, jitter=0.05, max_retry_after=1.5)
PORTAL = "yingkou_kjj"


def dead_proxy() -> str:
    """A loopback port nobody listens on: every fetch fails fast with connection refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def record_gate(gate: str, success: bool, failing: list[str] | None = None) -> GateResult:
    """Record one gate run the way expectations.gate does (audit.gate_runs, GateResult JSON)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    result = GateResult(
        gate=gate, gate_run_id=f"{gate}-{now:%H%M%S%f}", success=success,
        blocking=[Failure(expectation=e, gate=gate, severity="error", description=f"{e} failed",
                          unexpected_count=1, element_count=1, portals=[PORTAL]) for e in failing or []],
        counts={"rows": 1}, data_docs_path="/tmp/gx/index.html",
        started_at=now.isoformat(timespec="seconds"), finished_at=now.isoformat(timespec="seconds"),
    )
    with db.connect() as con:
        con.execute(GATE_RUNS_DDL)
        con.execute("insert into audit.gate_runs values (?, ?, ?, ?, ?, ?)",
                    [result.gate_run_id, gate, now, now, success, result.to_json()])
    return result


def build_fixture_marts() -> None:
    """Two marts tables with the real column names, from what was crawled."""
    with db.connect() as con:
        con.execute("create schema if not exists marts")
        con.execute("create or replace table marts.dim_document as select page_version_id, portal_id, url,"
                    " title, published_at, fetched_at from raw.pages")
        con.execute("create or replace table marts.fct_contracts as select md5(page_version_id) as fact_id,"
                    " 1.0 as value from raw.pages limit 3")


def successful_run(proxy: str) -> str:
    summary = crawl([PORTAL], proxy=proxy, policy=FAST)
    assert summary.outcome == "ok", {p: r.reason for p, r in summary.portals.items()}
    build_fixture_marts()
    results = [record_gate(g, True) for g in ("landing", "facts", "marts")]
    return publish.publish(results).publish_id


def failed_run() -> None:
    summary = crawl([PORTAL], proxy=dead_proxy(), policy=FAST)
    assert summary.outcome == "failed"
    record_gate("landing", False, ["landing.portals_reachable"])


def status(*args: str) -> tuple[int, Any]:
    result = CliRunner().invoke(app, ["status", "--json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


def test_status_after_a_failed_first_run(isolated_warehouse: Path) -> None:
    failed_run()
    code, st = status("--check")
    assert code == 1 and st["overall"] == "failed"
    assert st["crawl"]["state"] == "failed"
    assert st["crawl"]["portals"][0]["portal_id"] == PORTAL and st["crawl"]["portals"][0]["reason"]
    assert st["validate"]["landing"]["success"] is False
    assert st["publish"]["state"] == "never"
    stages = {p["stage"] for p in st["problems"]}
    assert {"crawl", "validate", "publish"} <= stages
    crawl_problem = next(p for p in st["problems"] if p["stage"] == "crawl")
    assert f"kejiwatch crawl --portal {PORTAL}" in crawl_problem["next_step"]
    gate_problem = next(p for p in st["problems"] if p["stage"] == "validate")
    assert "landing.portals_reachable" in gate_problem["message"]
    assert "/tmp/gx/index.html" in gate_problem["next_step"]  # where to look


def test_status_after_a_successful_run(isolated_warehouse: Path, replay_server) -> None:
    publish_id = successful_run(replay_server().proxy_url)
    code, st = status("--check")
    assert code == 0 and st["overall"] == "ok", st["problems"]
    assert st["problems"] == []
    assert st["crawl"]["state"] == "ok" and st["crawl"]["pages_landed"] > 0
    assert st["build"]["facts"] == {"fct_contracts": 3}
    assert all(g["success"] for g in st["validate"].values()) and len(st["validate"]) == 3
    assert st["publish"]["publish_id"] == publish_id and st["publish"]["gate_outcome"] == "passed"
    assert st["publish"]["row_counts"]["dim_document"] == st["crawl"]["page_versions_total"]
    # the human view says the same
    text = CliRunner().invoke(app, ["status"], env={"COLUMNS": "200"}).stdout
    assert "all stages ok" in text and publish_id in text


def test_status_after_a_failure_that_followed_a_success(isolated_warehouse: Path, replay_server) -> None:
    publish_id = successful_run(replay_server().proxy_url)
    failed_run()
    code, st = status("--check")
    assert code == 1 and st["overall"] == "failed"
    assert st["crawl"]["state"] == "failed"
    # BI still reads the last good publication, and status says so
    assert st["publish"]["publish_id"] == publish_id and st["publish"]["stale"] is True
    publish_problem = next(p for p in st["problems"] if p["stage"] == "publish")
    assert publish_id in publish_problem["message"]


def test_status_answers_from_the_published_file_while_the_warehouse_is_busy(
    isolated_warehouse: Path, replay_server
) -> None:
    publish_id = successful_run(replay_server().proxy_url)
    with db.locked():  # what a running crawl, dbt build or gate holds
        code, st = status()
    assert code == 0
    assert st["warehouse"]["state"] == "busy"
    assert st["crawl"] == {} and st["validate"] == {}
    assert st["publish"]["publish_id"] == publish_id
    assert any(p["stage"] == "warehouse" and "busy" in p["message"] for p in st["problems"])


def test_status_reports_a_failed_dbt_build(isolated_warehouse: Path, replay_server) -> None:
    from warehouse.dbt import target_dir

    successful_run(replay_server().proxy_url)
    # what dbt writes after a build with a failing test (run_results.json, schema v6, abridged)
    results = target_dir(settings.warehouse_path()) / "run_results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({
        "metadata": {"generated_at": "2026-11-23T08:00:00Z"}, "elapsed_time": 12.5,
        "args": {"which": "build", "select": ["marts"]},
        "results": [
            {"unique_id": "model.kejiwatch.fct_contracts", "status": "success", "message": "OK"},
            {"unique_id": "test.kejiwatch.unique_fct_contracts_fact_id", "status": "fail",
             "message": "Got 2 results, configured to fail if != 0"},
        ],
    }), encoding="utf-8")
    code, st = status("--check")
    assert code == 1
    dbt_run = st["build"]["last_dbt_invocation"]
    assert dbt_run["success"] is False and dbt_run["command"] == "dbt build --select marts"
    problem = next(p for p in st["problems"] if p["stage"] == "build")
    assert "test.kejiwatch.unique_fct_contracts_fact_id" in problem["message"]
    assert "kejiwatch build" in problem["next_step"]


def test_status_says_when_the_html_report_is_behind(isolated_warehouse: Path, replay_server) -> None:
    from kejiwatch.report import render_report

    proxy = replay_server().proxy_url
    successful_run(proxy)
    render_report()  # the report of the first publication (default paths)
    _, st = status()
    assert st["report"]["state"] == "written" and "stale" not in st["report"]
    assert st["report"]["publish_id"] == st["publish"]["publish_id"]
    newer = successful_run(proxy)  # a second publication: the report now shows an older one
    _, st = status()
    assert st["report"]["stale"] is True and st["publish"]["publish_id"] == newer
    assert any(p["stage"] == "report" and "kejiwatch report" in p["next_step"] for p in st["problems"])


def test_status_before_anything_ran(isolated_warehouse: Path) -> None:
    code, st = status("--check")
    assert code == 0 and st["overall"] == "empty"
    assert st["warehouse"]["state"] == "missing" and st["publish"]["state"] == "never"
    assert any("kejiwatch run" in p["next_step"] for p in st["problems"])


def test_status_reads_the_ducklake_backend(isolated_warehouse: Path, replay_server, monkeypatch) -> None:
    from warehouse import backends

    monkeypatch.setenv("KEJIWATCH_BACKEND", "ducklake")
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_CATALOG", raising=False)
    monkeypatch.delenv("KEJIWATCH_DUCKLAKE_DATA_PATH", raising=False)
    backends._ENSURED.clear()
    _, st = status()
    assert st["warehouse"]["state"] == "missing" and st["warehouse"]["path"].startswith("ducklake:")
    summary = crawl([PORTAL], proxy=replay_server().proxy_url, policy=FAST)
    assert summary.outcome == "ok"
    _, st = status()
    assert st["warehouse"]["state"] == "ok", st["warehouse"]
    assert not settings.warehouse_path().exists()  # everything went to the lake
    assert st["crawl"]["state"] == "ok"
    assert st["crawl"]["pages_landed"] == summary.portals[PORTAL].pages_landed


def test_status_names_the_tables_due_for_compaction(isolated_warehouse: Path, replay_server) -> None:
    """Increments leave small row groups behind (writers run without DuckDB's vacuum); status lists
    the tables past the threshold and says how they get compacted, without calling it a problem."""
    import duckdb

    from warehouse import compact

    successful_run(replay_server().proxy_url)
    code, st = status("--check")
    assert code == 0 and st["build"]["compaction_due"] == []

    con = duckdb.connect(str(settings.warehouse_path()), config={"max_vacuum_tasks": 0})
    con.execute("create table marts.fct_scratch as select i as id from range(200000) t(i)")
    for i in range(compact.MAX_EXTRA_ROW_GROUPS + 2):  # one small row group per "increment"
        con.execute("delete from marts.fct_scratch where id % 50 = ?", [i])
        con.execute("insert into marts.fct_scratch select 1000000 + ? * 500 + i from range(500) t(i)", [i])
        con.execute("checkpoint")
    con.close()

    code, st = status("--check")
    assert code == 0 and st["overall"] == "ok", st["problems"]
    assert st["build"]["compaction_due"] == ["marts.fct_scratch"]
    text = CliRunner().invoke(app, ["status"], env={"COLUMNS": "250"}).stdout
    assert "1 table due for compaction" in text
