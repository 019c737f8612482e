"""The three quality gates: landing (raw.*), facts (before the marts), marts (before publication).

Each gate reads its frames through ``warehouse.db.connect`` with a read-only connection (the
DuckDB file under the warehouse lock, or the DuckLake: ``KEJIWATCH_BACKEND``), validates them
with GX (File context under the data dir, Data Docs rebuilt), turns the outcome into a
``GateResult`` and records it in ``audit.gate_runs``. The facts gate also writes failing rows to
``audit.quarantined_mentions``. A gate never raises for bad data: bad data is its result.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from expectations import frames
from expectations.context import AssetOutcome, data_docs_index, validate_frames
from expectations.result import Failure, GateResult
from expectations.rules import thresholds
from warehouse import backends, conflicts, db

log = logging.getLogger(__name__)

GATE_RUNS_DDL = """
create table if not exists audit.gate_runs (
    gate_run_id  varchar primary key,
    gate         varchar not null,      -- landing | facts | marts
    started_at   timestamp not null,
    finished_at  timestamp not null,
    success      boolean not null,
    result       json not null          -- GateResult.as_dict()
)
"""
ID_COLUMNS = ["mention_id", "page_version_id", "portal_id", "table_name"]
# returned with every failing row so a quarantine reason or an alert sample explains itself
CONTEXT_COLUMNS = ["url", "indicator_key", "value", "unit", "period_key", "published_date", "quote"]
SAMPLE_SIZE = 5


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_gate_run_id(gate: str) -> str:
    return f"{gate}-{_now():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"


# ---------------------------------------------------------------- outcome -> GateResult


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date().isoformat()  # pandas turns DuckDB dates into midnight timestamps
    return str(value)


def _details(
    row: dict[str, Any], skip: tuple[str, ...] = ("mention_id", "page_version_id", "portal_id")
) -> str:
    """'k=v, ...' of a failing row's checked value(s) and context, for reasons and samples."""
    return ", ".join(f"{k}={_fmt(v)}" for k, v in row.items() if k not in skip and k != "table_name")


def _label(row: dict[str, Any]) -> str:
    ident = next((str(row[k]) for k in ID_COLUMNS if row.get(k) is not None), None)
    text = f"{ident} ({_details(row)})" if ident else _details(row)
    return text[:300]


def _collect(
    gate: str, assets: list[AssetOutcome], run_id: str
) -> tuple[list[Failure], list[Failure], list[dict]]:
    blocking: list[Failure] = []
    warnings: list[Failure] = []
    quarantine: list[dict] = []
    for asset in assets:
        for o in asset.outcomes:
            rows = o.unexpected_rows
            portals = sorted({str(r["portal_id"]) for r in rows if r.get("portal_id") is not None})
            failure = Failure(
                expectation=o.rule,
                gate=gate,
                severity=o.severity,
                description=o.description,
                unexpected_count=o.unexpected_count or len(rows),
                element_count=o.element_count,
                portals=portals,
                sample=[_label(r) for r in rows[:SAMPLE_SIZE]],
                data_docs_page=asset.data_docs_page,
                error=o.error,
            )
            if o.quarantine and rows and o.severity == "error":
                for r in rows:
                    if r.get("mention_id") is None:
                        continue
                    quarantine.append(
                        {
                            "mention_id": str(r["mention_id"]),
                            "page_version_id": r.get("page_version_id"),
                            "expectation": o.rule,
                            "reason": f"{o.description}: {_details(r)}"[:1000],
                            "severity": "error",
                            "gate_run_id": run_id,
                        }
                    )
                failure.quarantined = len({r["mention_id"] for r in rows if r.get("mention_id") is not None})
            if not o.success:
                (blocking if o.severity == "error" else warnings).append(failure)
            elif failure.quarantined:
                # the batch passes, but someone should look at the quarantined rows
                warnings.append(Failure(**{**failure.__dict__, "severity": "warning"}))
    return blocking, warnings, quarantine


def _docs_path(
    assets: list[AssetOutcome], blocking: list[Failure], warnings: list[Failure], data_dir: Path | None
) -> str:
    for f in blocking + warnings:
        if f.data_docs_page:
            return f.data_docs_page
    return str(data_docs_index(data_dir))


def _result(
    gate: str,
    run_id: str,
    started: datetime,
    assets: list[AssetOutcome],
    counts: dict[str, int],
    data_dir: Path | None,
    extra_blocking: list[Failure] | None = None,
) -> tuple[GateResult, list[dict]]:
    blocking, warnings, quarantine = _collect(gate, assets, run_id)
    blocking = (extra_blocking or []) + blocking
    result = GateResult(
        gate=gate,
        gate_run_id=run_id,
        success=not blocking,
        blocking=blocking,
        warnings=warnings,
        counts=counts,
        data_docs_path=_docs_path(assets, blocking, warnings, data_dir) if assets else None,
        started_at=started.isoformat(timespec="seconds"),
        finished_at=_now().isoformat(timespec="seconds"),
    )
    return result, quarantine


def _unavailable(
    gate: str, run_id: str, started: datetime, exc: BaseException, what: str = "inputs_readable"
) -> GateResult:
    """A gate that cannot read its inputs (or run GX) blocks: publishing unchecked data is never
    the safe side."""
    failure = Failure(
        expectation=f"{gate}.{what}",
        gate=gate,
        severity="error",
        description=f"the {gate} gate could not "
        + ("read its inputs" if what == "inputs_readable" else "run its validations"),
        error=str(exc)[:500],
    )
    return GateResult(
        gate=gate,
        gate_run_id=run_id,
        success=False,
        blocking=[failure],
        started_at=started.isoformat(timespec="seconds"),
        finished_at=_now().isoformat(timespec="seconds"),
    )


# ---------------------------------------------------------------- persistence


def _record(
    result: GateResult,
    quarantine: list[dict] | None,
    warehouse: Path | None,
) -> int:
    """Store the gate run and (facts gate, ``quarantine`` not None) reconcile the quarantine with
    this run's failing rows; returns the number of rows newly quarantined.

    The facts gate sees every mention, so after it the quarantine holds exactly the (mention, rule)
    pairs failing now: pairs that no longer fail (fixed upstream, thresholds changed, mention gone)
    are released. A pair already quarantined keeps its first gate run and time, so re-running the
    gate on the same data leaves the table (and the next publication) unchanged."""
    with db.connect(warehouse) as con:
        con.execute(_gate_runs_ddl())
        return conflicts.run(lambda: _record_once(con, result, quarantine),
                             what=f"recording the {result.gate} gate run")


def _gate_runs_ddl() -> str:
    # DuckLake has no PRIMARY KEY: the gate run id is unique by construction (time + uuid)
    return backends.without_constraints(GATE_RUNS_DDL) if backends.is_ducklake() else GATE_RUNS_DDL


def _record_once(con: duckdb.DuckDBPyConnection, result: GateResult, quarantine: list[dict] | None) -> int:
    """One transaction; safe to run again after a conflict (it replays the same changes)."""
    added = 0
    con.execute("begin")
    try:
        if quarantine is not None:
            failing = pd.DataFrame(
                quarantine,
                columns=["mention_id", "page_version_id", "expectation", "reason", "severity", "gate_run_id"],
            )
            failing = failing.drop_duplicates(["mention_id", "expectation"])
            con.register("kw_failing", failing)
            try:
                released = """
                    from audit.quarantined_mentions q
                    where not exists (select 1 from kw_failing f
                                      where f.mention_id = q.mention_id and f.expectation = q.expectation)
                """
                # logged before they go: the marts take released reports back by this log
                con.execute(
                    f"""
                    insert into audit.quarantine_releases
                        (mention_id, page_version_id, expectation, quarantined_at, released_at, gate_run_id)
                    select mention_id, page_version_id, expectation, quarantined_at, $now, $run {released}
                """,
                    {"now": _now(), "run": result.gate_run_id},
                )
                con.execute(f"delete {released}")
                # an anti-join rather than ON CONFLICT DO NOTHING: DuckLake has neither keys nor
                # ON CONFLICT; kw_failing holds each (mention, rule) pair once
                added = con.execute(
                    """
                    insert into audit.quarantined_mentions
                        (mention_id, page_version_id, expectation, reason, severity, gate_run_id,
                         quarantined_at)
                    select mention_id, page_version_id, expectation, reason, severity, gate_run_id, $now
                    from kw_failing f
                    where not exists (select 1 from audit.quarantined_mentions q
                                      where q.mention_id = f.mention_id and q.expectation = f.expectation)
                """,
                    {"now": _now()},
                ).fetchone()[0]
            finally:
                con.unregister("kw_failing")
        con.execute(
            "insert into audit.gate_runs values ($id, $gate, $started, $finished, $success, $result)",
            {
                "id": result.gate_run_id,
                "gate": result.gate,
                "started": datetime.fromisoformat(result.started_at),
                "finished": datetime.fromisoformat(result.finished_at),
                "success": result.success,
                "result": result.to_json(),
            },
        )
        con.execute("commit")
    except Exception:
        conflicts.rollback(con)
        raise
    return int(added)


def latest_gate_results(warehouse: Path | None = None) -> dict[str, GateResult]:
    """The most recent recorded result of each gate (for `kejiwatch publish` and status output)."""
    try:
        with db.connect(warehouse, read_only=True) as con:
            rows = con.execute("""
                select result from audit.gate_runs
                qualify row_number() over (partition by gate order by finished_at desc, started_at desc) = 1
            """).fetchall()
    except (duckdb.Error, FileNotFoundError):
        return {}
    return {r.gate: r for r in (GateResult.from_dict(json.loads(row[0])) for row in rows)}


# ---------------------------------------------------------------- the gates


def _run(
    gate: str,
    read: Callable[[duckdb.DuckDBPyConnection], tuple[dict[str, pd.DataFrame], dict]],
    suites: Callable[[dict[str, pd.DataFrame], dict], dict[str, list]],
    *,
    warehouse: Path | None,
    data_dir: Path | None,
    quarantine_frame: str | None = None,
) -> GateResult:
    run_id = new_gate_run_id(gate)
    started = _now()
    try:
        with db.connect(warehouse, read_only=True) as con:
            frame_map, counts = read(con)
    except Exception as exc:  # missing tables, a busy warehouse, a bad column: a recorded block
        log.warning("%s gate cannot read its inputs: %s", gate, exc)
        result = _unavailable(gate, run_id, started, exc)
        _safe_record(result, None, warehouse)
        return result
    try:
        suite_map = suites(frame_map, counts)
        assets = validate_frames(
            gate=gate,
            assets={name: (frame_map[name], suite_map[name]) for name in suite_map},
            id_columns=ID_COLUMNS + CONTEXT_COLUMNS,
            run_name=run_id,
            data_dir=data_dir,
        )
    except Exception as exc:  # GX itself failed: record it and block rather than crash the run
        log.exception("%s gate: validation failed to run", gate)
        result = _unavailable(gate, run_id, started, exc, what="validation_ran")
        _safe_record(result, None, warehouse)
        return result
    result, quarantine = _result(gate, run_id, started, assets, counts, data_dir)
    if quarantine_frame is not None:
        result.counts["quarantined"] = len({q["mention_id"] for q in quarantine})
    added = _safe_record(result, quarantine if quarantine_frame is not None else None, warehouse)
    if quarantine_frame is not None:
        result.counts["newly_quarantined"] = added
    log.info("%s", result.summary())
    return result


def _safe_record(result: GateResult, quarantine: list[dict] | None, warehouse: Path | None) -> int:
    try:
        return _record(result, quarantine, warehouse)
    except (duckdb.Error, OSError) as exc:
        if quarantine:
            # without the quarantine written the marts would include the bad rows: block
            result.success = False
            result.blocking.append(
                Failure(
                    expectation=f"{result.gate}.quarantine_written",
                    gate=result.gate,
                    severity="error",
                    description="quarantined rows could not be written",
                    error=str(exc)[:500],
                )
            )
        log.error("could not record %s gate run: %s", result.gate, exc)
        return 0


def run_landing_gate(
    run_id: str | None = None, *, warehouse: Path | None = None, data_dir: Path | None = None
) -> GateResult:
    """Validate the raw landing of one crawl run (default: the latest run in raw.crawl_runs)."""
    th = thresholds()

    def read(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, pd.DataFrame], dict]:
        rid = run_id or frames.latest_run_id(con)
        fm = frames.landing_frames(con, rid, future_tolerance_days=th["landing"]["future_tolerance_days"])
        return fm, {
            "portals": len(fm["portal_fetches"]),
            "fetches": int(fm["portal_fetches"]["fetches"].sum()),
            "pages": len(fm["pages"]),
        }

    from expectations.suites import landing

    return _run(
        "landing", read, lambda fm, counts: landing.suites(th), warehouse=warehouse, data_dir=data_dir
    )


def run_facts_gate(*, warehouse: Path | None = None, data_dir: Path | None = None) -> GateResult:
    """Validate int_indicator_mentions, quarantine bad rows, block on batch-level errors."""
    th = thresholds()
    vocab = frames.vocabulary()

    def read(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, pd.DataFrame], dict]:
        df = frames.facts_frame(
            con, vocab, th["facts"]["indicators"], th["facts"].get("period_tolerance_days", 0)
        )
        return {"mentions": df}, {"mentions": len(df), "pages": int(df["page_version_id"].nunique())}

    from expectations.suites import facts

    return _run(
        "facts",
        read,
        lambda fm, counts: facts.suites(th, vocab),
        warehouse=warehouse,
        data_dir=data_dir,
        quarantine_frame="mentions",
    )


def run_marts_gate(
    *,
    warehouse: Path | None = None,
    marts: Path | None = None,
    data_dir: Path | None = None,
    **threshold_overrides: Any,
) -> GateResult:
    """Validate the built marts against the last published file (row counts, grain, freshness)."""
    th = thresholds(**threshold_overrides)
    previous = frames.read_previous_manifest(marts)

    def read(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, pd.DataFrame], dict]:
        fm = frames.marts_frames(con, th, previous)
        t = fm["tables"]
        return fm, {"tables": int(t["present"].astype(bool).sum()), "rows": int(t["row_count"].sum())}

    from expectations.suites import marts as marts_suite

    return _run(
        "marts", read, lambda fm, counts: marts_suite.suites(th), warehouse=warehouse, data_dir=data_dir
    )


def run_gate(name: str, **kwargs: Any) -> GateResult:
    return {"landing": run_landing_gate, "facts": run_facts_gate, "marts": run_marts_gate}[name](**kwargs)
