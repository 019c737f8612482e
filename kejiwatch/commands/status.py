"""CLI command: `kejiwatch status [--json]` — what was last crawled, built, validated and
published, what failed, and what to do next.

Sources, each read without ever writing:
- crawled:   raw.crawl_runs / raw.crawl_run_portals of the working warehouse (the crawler's runs);
- built:     the marts tables of the working warehouse, and the run_results.json of dbt's last
             invocation on it (warehouse.dbt.target_dir; override: $KEJIWATCH_DBT_RUN_RESULTS);
- validated: audit.gate_runs (one GateResult JSON per gate run, written by expectations.gate);
- published: publication_manifest of the published marts file (read-only, no lock needed);
- report:    the publication the HTML report was rendered from (stale when it is not the current).

The working warehouse is opened read-only under its inter-process lock with a short timeout: when
a pipeline holds it, status says the warehouse is busy and answers from the published file (and
dbt's run_results.json), which readers may always open.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

LOCK_TIMEOUT_S = 1.0
FACT_TABLES = ("fct_contracts", "fct_enterprises", "fct_platforms")


@dataclass
class Problem:
    """Something that failed or needs attention, with the next step."""

    stage: str  # warehouse | crawl | build | validate | publish
    severity: str  # error | warning
    message: str
    next_step: str


@dataclass
class Status:
    overall: str = "ok"  # ok | warning | failed | empty
    warehouse: dict[str, Any] = field(default_factory=dict)
    crawl: dict[str, Any] = field(default_factory=dict)
    build: dict[str, Any] = field(default_factory=dict)
    validate: dict[str, Any] = field(default_factory=dict)
    publish: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, stage: str, severity: str, message: str, next_step: str) -> None:
        self.problems.append(Problem(stage, severity, message, next_step))


# ---------------------------------------------------------------- readers


def _rows(con: Any, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cur = con.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _has_table(con: Any, schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table]).fetchone()[0])


def read_crawl(con: Any) -> dict[str, Any]:
    if not _has_table(con, "raw", "crawl_runs"):
        return {"state": "never"}
    runs = _rows(con, "select * from raw.crawl_runs order by started_at desc limit 1")
    if not runs:
        return {"state": "never"}
    run = runs[0]
    portals = _rows(con, """
        select portal_id, status, reason, fetches, errors, pages_landed, started_at, finished_at
        from raw.crawl_run_portals where run_id = ? order by portal_id""", [run["run_id"]])
    pages = con.execute("select count(*) from raw.pages").fetchone()[0]
    state = run["outcome"] or ("running" if run["finished_at"] is None else "unknown")
    return {
        "state": state,
        "run_id": run["run_id"],
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "trigger": run["trigger"],
        "portals_attempted": run["portals_attempted"],
        "pages_landed": sum(int(p["pages_landed"] or 0) for p in portals),
        "errors": sum(int(p["errors"] or 0) for p in portals),
        "page_versions_total": pages,
        "portals": portals,
    }


def read_build(con: Any) -> dict[str, Any]:
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1"
    ).fetchall()]
    facts = {
        t: con.execute(f'select count(*) from marts."{t}"').fetchone()[0] for t in FACT_TABLES if t in tables
    }
    newest = None
    if "dim_document" in tables:
        newest = con.execute("select max(fetched_at) from marts.dim_document").fetchone()[0]
    return {"state": "built" if tables else "never", "marts_tables": len(tables), "facts": facts,
            "newest_fetched_at": newest, "compaction_due": compaction_due(con)}


def compaction_due(con: Any) -> list[str]:
    """The dbt tables increments fragmented past the threshold (warehouse.compact): not a
    problem, the weekly maintain_warehouse run rewrites them, but worth a line."""
    from warehouse import compact

    return [f"{t.schema}.{t.name}" for t in compact.layouts(con) if t.needs_compaction()]


def _compaction_note(due: list[str]) -> str:
    if not due:
        return ""
    from warehouse.compact import counted

    return (f"; {counted(len(due), 'table')} due for compaction"
            " (weekly maintain_warehouse, or `kejiwatch compact`)")


def read_dbt_run(run_results: Path) -> dict[str, Any] | None:
    """dbt's last invocation in this checkout (target/run_results.json), if any."""
    try:
        data = json.loads(run_results.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    results = data.get("results") or []
    failed = [r for r in results if str(r.get("status")).lower() in {"error", "fail", "runtime error"}]
    args = data.get("args") or {}
    select = args.get("select") or []
    return {
        "finished_at": (data.get("metadata") or {}).get("generated_at"),
        "command": " ".join(["dbt", str(args.get("which", "")), *(["--select", *select] if select else [])]),
        "elapsed_s": round(float(data.get("elapsed_time") or 0), 1),
        "nodes": len(results),
        "success": not failed,
        "failed_nodes": [
            {"node": r.get("unique_id"), "status": r.get("status"),
             "message": (str(r.get("message") or "").strip().splitlines() or [""])[0][:300]}
            for r in failed
        ],
    }


def read_gates(con: Any) -> dict[str, Any]:
    """The latest recorded result of each gate (audit.gate_runs, written by expectations.gate)."""
    if not _has_table(con, "audit", "gate_runs"):
        return {}
    rows = _rows(con, """
        select gate, gate_run_id, finished_at, success, result from audit.gate_runs
        qualify row_number() over (partition by gate order by finished_at desc, started_at desc) = 1
        order by gate""")
    gates = {}
    for r in rows:
        try:
            result = json.loads(r["result"]) if isinstance(r["result"], str) else (r["result"] or {})
        except ValueError:
            result = {}
        gates[r["gate"]] = {
            "gate_run_id": r["gate_run_id"],
            "finished_at": r["finished_at"],
            "success": bool(r["success"]),
            "blocking": [_failure(f) for f in result.get("blocking") or []],
            "warnings": [_failure(f) for f in result.get("warnings") or []],
            "counts": result.get("counts") or {},
            "data_docs_path": result.get("data_docs_path"),
        }
    return gates


def _failure(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f.get(k) for k in ("expectation", "severity", "description", "unexpected_count",
                                  "element_count", "portals", "quarantined", "error")}


def read_publication(marts: Path) -> dict[str, Any]:
    """The manifest of the published file (read-only; readers never need the warehouse lock)."""
    import duckdb

    if not marts.exists():
        return {"state": "never", "path": str(marts)}
    try:
        with duckdb.connect(str(marts), read_only=True) as con:
            if not _has_table(con, "main", "publication_manifest"):
                return {"state": "unknown", "path": str(marts), "error": "no publication_manifest table"}
            rows = _rows(con, "select * from publication_manifest order by table_name")
            quarantined = (con.execute("select count(*) from quarantined_mentions").fetchone()[0]
                           if _has_table(con, "main", "quarantined_mentions") else None)
    except duckdb.Error as exc:
        return {"state": "unreadable", "path": str(marts), "error": str(exc)[:300]}
    if not rows:
        return {"state": "unknown", "path": str(marts), "error": "empty publication_manifest"}
    first = rows[0]
    return {
        "state": "published",
        "path": str(marts),
        "publish_id": first["publish_id"],
        "published_at": first["published_at"],
        "code_version": first["code_version"],
        "gate_outcome": first["gate_outcome"],
        "newest_document_at": first["newest_document_at"],
        "row_counts": {r["table_name"]: r["row_count"] for r in rows},
        "quarantined": quarantined,
        "bytes": marts.stat().st_size,
    }


def read_report(path: Path | None = None) -> dict[str, Any]:
    """The HTML report's publication (the JSON meta it embeds near its end), to tell a stale one."""
    from kejiwatch.report.render import default_out_path

    path = Path(path or default_out_path())
    if not path.exists():
        return {"state": "never", "path": str(path)}
    written_at = datetime.fromtimestamp(path.stat().st_mtime).isoformat(timespec="seconds")
    info: dict[str, Any] = {"state": "written", "path": str(path), "written_at": written_at}
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 65536))
        tail = f.read().decode("utf-8", errors="replace")
    marker = '<script type="application/json" id="report-meta">'
    if marker in tail:
        try:
            meta = json.loads(tail.split(marker, 1)[1].split("</script>", 1)[0])
            info["publish_id"] = meta.get("publish_id")
        except ValueError:
            pass
    return info


# ---------------------------------------------------------------- assembling


def collect(
    warehouse: Path | None = None,
    marts: Path | None = None,
    *,
    run_results: Path | None = None,
    lock_timeout: float = LOCK_TIMEOUT_S,
) -> Status:
    """Everything `kejiwatch status` shows, as data (``--json`` prints it)."""
    import duckdb

    from kejiwatch import settings
    from warehouse import db

    warehouse = Path(warehouse or settings.warehouse_path())
    marts = Path(marts or settings.marts_path())
    override = os.environ.get("KEJIWATCH_DBT_RUN_RESULTS")
    run_results = run_results or (Path(override) if override else _run_results_of(warehouse))
    st = Status()
    present = _warehouse_present(warehouse)
    st.warehouse = {"path": _warehouse_location(warehouse), "state": "ok" if present else "missing"}
    if present:
        try:
            with db.connect(warehouse, read_only=True, timeout=lock_timeout) as con:
                st.crawl = read_crawl(con)
                st.build = read_build(con)
                st.validate = read_gates(con)
        except (db.WarehouseBusy, duckdb.IOException) as exc:
            # A pipeline (crawler, dbt, gate, publisher) holds the single-writer file right now.
            st.warehouse.update(state="busy", detail=str(exc).splitlines()[0][:200])
        except duckdb.Error as exc:
            st.warehouse.update(state="unreadable", detail=str(exc)[:300])
    if present:  # without the warehouse, dbt's last results are about some other one
        dbt_run = read_dbt_run(run_results)
        if dbt_run:
            st.build["last_dbt_invocation"] = dbt_run
    else:
        st.crawl, st.build = {"state": "never"}, {"state": "never"}
    st.publish = read_publication(marts)
    st.report = read_report()
    _diagnose(st)
    return st


def _warehouse_location(warehouse: Path) -> str:
    from warehouse import backends

    if backends.is_ducklake():
        return f"ducklake:{backends.ducklake_catalog()} (data {backends.ducklake_data_path()})"
    return str(warehouse)


def _warehouse_present(warehouse: Path) -> bool:
    """Whether there is a warehouse to read: the DuckDB file, or on the DuckLake backend its
    catalog (a server catalog such as PostgreSQL is taken as present; connecting tells)."""
    from warehouse import backends

    if not backends.is_ducklake():
        return warehouse.exists()
    catalog = backends.ducklake_catalog()
    return ":" in catalog.split("/", 1)[0] or Path(catalog).exists()


def _run_results_of(warehouse: Path) -> Path:
    """dbt's run_results.json of the last invocation on this warehouse (warehouse.dbt keeps one
    target folder per warehouse file; the default warehouse uses dbt_project/target)."""
    from kejiwatch import settings

    try:
        from warehouse.dbt import target_dir

        return target_dir(warehouse) / "run_results.json"
    except (ImportError, AttributeError):
        return settings.dbt_project_dir() / "target" / "run_results.json"


def _diagnose(st: Status) -> None:
    """Turn the readings into problems with next steps, and an overall verdict."""
    wh = st.warehouse
    if wh["state"] == "missing":
        st.add("warehouse", "warning", f"no working warehouse at {wh['path']}",
               "run `kejiwatch run` (crawl the replay portals, build, gate and publish)")
    elif wh["state"] == "busy":
        st.add("warehouse", "warning", "the warehouse is busy: a running pipeline holds its lock; "
               "crawl, build and gate details are not shown, the publication below is current",
               "run `kejiwatch status` again when the pipeline has finished")
    elif wh["state"] == "unreadable":
        st.add("warehouse", "error", f"the warehouse cannot be read: {wh.get('detail')}",
               "check the file; `make clean` then `kejiwatch run` rebuilds it from the portals")

    crawl = st.crawl
    if crawl.get("state") == "never" and wh["state"] == "ok":
        st.add("crawl", "warning", "nothing has been crawled yet", "run `kejiwatch crawl` or `kejiwatch run`")
    elif crawl.get("state") == "running":
        st.add("crawl", "warning", f"crawl run {crawl['run_id']} has not finished (running, or interrupted)",
               "wait for it; if no kejiwatch process runs, start a new `kejiwatch crawl`")
    elif crawl.get("state") in {"failed", "partial"}:
        bad = [p for p in crawl.get("portals", []) if p["status"] != "ok"]
        for p in bad:
            st.add("crawl", "error" if crawl["state"] == "failed" else "warning",
                   f"portal {p['portal_id']} {p['status']} in run {crawl['run_id']}: "
                   f"{p['reason'] or 'no reason'}",
                   f"`kejiwatch crawl --portal {p['portal_id']}` to retry; if it keeps failing, check "
                   f"scrapers/portals/{p['portal_id']}.yaml and the raw.fetches errors of that portal")
        if not bad:
            st.add("crawl", "error", f"crawl run {crawl['run_id']} {crawl['state']}",
                   "`kejiwatch crawl` again and read its summary table")

    dbt_run = st.build.get("last_dbt_invocation")
    if dbt_run and not dbt_run["success"]:
        nodes = ", ".join(n["node"] or "?" for n in dbt_run["failed_nodes"][:5])
        n_failed = len(dbt_run["failed_nodes"])
        st.add("build", "error", f"last dbt invocation failed ({n_failed} nodes: {nodes})",
               "`kejiwatch build` to see the failing models and tests; fix them and re-run")
    if st.build.get("state") == "never" and crawl.get("state") not in {None, "never"}:
        st.add("build", "warning", "the marts have not been built yet",
               "run `kejiwatch build` or `kejiwatch run`")

    for gate, g in st.validate.items():
        if not g["success"]:
            failing = ", ".join(f["expectation"] for f in g["blocking"][:5]) or "(inputs unreadable)"
            docs = f"; see the data docs at {g['data_docs_path']}" if g.get("data_docs_path") else ""
            st.add("validate", "error", f"{gate} gate BLOCKED ({g['gate_run_id']}): {failing}",
                   f"fix the data or the portal behind it, or adjust expectations/thresholds.yaml, "
                   f"then `kejiwatch run`{docs}")
        elif g["warnings"]:
            st.add("validate", "warning",
                   f"{gate} gate passed with {len(g['warnings'])} warnings: "
                   + ", ".join(f["expectation"] for f in g["warnings"][:5]),
                   "look at the quarantined rows in `kejiwatch report` and the GX data docs")

    pub = st.publish
    if pub["state"] == "never":
        st.add("publish", "error" if any(not g["success"] for g in st.validate.values()) else "warning",
               "nothing is published yet: BI tools and the report have no data",
               "run `kejiwatch run`; a blocked gate must pass before anything is published")
    elif pub["state"] in {"unreadable", "unknown"}:
        st.add("publish", "error", f"the published file cannot be used: {pub.get('error')}",
               "re-publish with `kejiwatch run` (the publisher swaps in a complete new file)")
    else:
        published_at = pub.get("published_at")
        if pub.get("gate_outcome") == "ungated":
            st.add("publish", "warning", f"publication {pub['publish_id']} was made without quality gates",
                   "publish through `kejiwatch run` so the gates vouch for what BI tools read")
        blocked_after = [g for g in st.validate.values() if not g["success"]
                         and _after(g.get("finished_at"), published_at)]
        if blocked_after:
            pub["stale"] = True
            st.add("publish", "warning",
                   f"the last pipeline run was blocked; BI still sees the previous publication "
                   f"{pub['publish_id']} of {_fmt(published_at)}",
                   "fix the blocking expectations above and re-run; the previous marts stay readable")

    rep = st.report
    if (rep.get("state") == "written" and pub.get("publish_id")
            and rep.get("publish_id") != pub["publish_id"]):
        rep["stale"] = True
        st.add("report", "warning",
               f"the HTML report {rep['path']} shows {rep.get('publish_id') or 'an older publication'}, "
               f"not the current {pub['publish_id']}",
               "`kejiwatch report` to render it again")

    errors = any(p.severity == "error" for p in st.problems)
    warnings = any(p.severity == "warning" for p in st.problems)
    if errors:
        st.overall = "failed"
    elif wh["state"] == "missing" and pub["state"] == "never":
        st.overall = "empty"
    else:
        st.overall = "warning" if warnings else "ok"


def _after(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return _as_dt(a) > _as_dt(b)
    except (TypeError, ValueError):
        return False


def _as_dt(v: Any) -> datetime:
    return v if isinstance(v, datetime) else datetime.fromisoformat(str(v))


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, datetime):
        return v.isoformat(sep=" ", timespec="seconds")
    return str(v)


# ---------------------------------------------------------------- printing


def render(st: Status) -> None:
    from rich.markup import escape

    from kejiwatch import ui

    out = ui.console()
    crawl, build, pub = st.crawl, st.build, st.publish
    busy = st.warehouse["state"] == "busy"
    n_portals = crawl.get("portals_attempted") or len(crawl.get("portals", []))
    newest = build.get("newest_fetched_at")
    row_counts = pub.get("row_counts", {})
    dbt_run = build.get("last_dbt_invocation")
    stages = [
        {"stage": "warehouse", "state": st.warehouse["state"], "when": "",
         "detail": st.warehouse["path"]},
        {"stage": "crawled", "state": crawl.get("state", "busy" if busy else "-"),
         "when": _fmt(crawl.get("finished_at") or crawl.get("started_at")),
         "detail": (f"{crawl['run_id']}: {n_portals} portals, "
                    f"{crawl['pages_landed']} page versions landed, {crawl['errors']} errors"
                    if crawl.get("run_id") else "")},
        {"stage": "built",
         "state": build.get("state") or ("busy" if busy else "-"),
         "when": "",
         "detail": ", ".join(f"{t}={n}" for t, n in build.get("facts", {}).items())
         + (f"; newest page fetched {_fmt(newest)}" if newest else "")
         + _compaction_note(build.get("compaction_due") or [])},
    ]
    if dbt_run:
        stages.append({"stage": "dbt (last invocation)",
                       "state": "ok" if dbt_run["success"] else "failed",
                       "when": _fmt(dbt_run["finished_at"]),
                       "detail": f"{dbt_run['command']} — {dbt_run['nodes']} nodes, {dbt_run['elapsed_s']}s"})
    for gate in ("landing", "facts", "marts"):
        g = st.validate.get(gate)
        if g is None:
            stages.append({"stage": f"gate {gate}", "state": "busy" if busy else "never",
                           "when": "", "detail": ""})
            continue
        state = "blocked" if not g["success"] else ("warning" if g["warnings"] else "pass")
        counts = ", ".join(f"{k}={v}" for k, v in sorted(g["counts"].items()))
        stages.append({"stage": f"gate {gate}", "state": state, "when": _fmt(g["finished_at"]),
                       "detail": f"{g['gate_run_id']} {counts}"})
    pub_state = pub["state"] if not pub.get("stale") else "stale"
    stages.append({"stage": "published", "state": pub_state, "when": _fmt(pub.get("published_at")),
                   "detail": (f"{pub['publish_id']} ({pub.get('gate_outcome')}), "
                              f"{sum(row_counts.values())} rows in {len(row_counts)} "
                              f"tables → {pub['path']}" if pub.get("publish_id") else pub["path"])})
    rep = st.report
    if rep:
        stages.append({"stage": "report", "state": "stale" if rep.get("stale") else rep["state"],
                       "when": rep.get("written_at") or "", "detail": rep["path"]})
    out.print(ui.table(f"kejiwatch status: {st.overall}", stages, ["stage", "state", "when", "detail"],
                       status_columns=("state",)))
    if crawl.get("portals") and any(p["status"] != "ok" for p in crawl["portals"]):
        out.print(ui.table("portals of the last crawl", crawl["portals"],
                           ["portal_id", "status", "fetches", "errors", "pages_landed", "reason"]))
    if st.problems:
        out.print("[bold]what failed and what to do next[/]")
        for p in st.problems:
            colour = "red" if p.severity == "error" else "yellow"
            out.print(f" [{colour}]{p.severity:<7}[/] [bold]{p.stage}[/]: {escape(p.message)}")
            out.print(f"          next: {escape(p.next_step)}")
    else:
        out.print("[green]all stages ok[/]: `kejiwatch report` renders the published marts as HTML")


def register(app: typer.Typer) -> None:
    @app.command("status")
    def status_cmd(
        as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
        check: Annotated[
            bool, typer.Option("--check", help="Exit 1 when something failed (overall = failed).")
        ] = False,
    ) -> None:
        """What was last crawled, built, validated and published, what failed, and what to do next.
        Answers from the published marts file when a running pipeline holds the warehouse."""
        from kejiwatch import ui

        st = collect()
        if as_json:
            ui.emit_json(st)
        else:
            render(st)
        if check and st.overall == "failed":
            raise typer.Exit(1)
