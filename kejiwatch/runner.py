"""`kejiwatch run`: the whole pipeline through Airflow itself, on the embedded defaults.

It configures AIRFLOW_HOME (SQLite under the data dir), migrates the metadata DB, starts the
replay portals (or uses a proxy you give), then runs ``scrape_portals`` and ``build_marts``
with ``dag.test()`` — the same DAG code the scheduler runs, task by task in this process — and
reads the outcome back from the DAG runs' XComs and the published marts file.

Airflow is imported only inside functions, after :func:`kejiwatch.airflow_env.configure`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kejiwatch import airflow_env, settings

log = logging.getLogger(__name__)

FACT_TABLES = {"contracts": "fct_contracts", "enterprises": "fct_enterprises", "platforms": "fct_platforms"}

# Requests/s per host against the replay portals this run starts itself. They are our own server on
# loopback, so the 1 req/s owed to a real bureau's server protects nobody there and only makes the
# demo wait (dag.test() runs the mapped crawls one after another: ~200 fetches took ~4 min). Real
# portals, and a proxy given with --proxy, keep each portal's YAML rate_limit and robots.txt.
REPLAY_CRAWL_RATE = 20.0


@dataclass
class DagOutcome:
    dag_id: str
    state: str
    run_id: str
    seconds: float
    task_states: dict[str, str] = field(default_factory=dict)
    task_seconds: dict[str, float] = field(default_factory=dict)
    xcoms: dict[str, Any] = field(default_factory=dict)

    @property
    def failed_tasks(self) -> list[str]:
        return sorted(t for t, s in self.task_states.items() if s in {"failed", "upstream_failed"})


@dataclass
class RunSummary:
    scrape: DagOutcome | None = None
    build: DagOutcome | None = None
    pages_fetched: int = 0
    pages_landed: int = 0
    portals: int = 0
    portals_failed: list[str] = field(default_factory=list)
    facts: dict[str, int] = field(default_factory=dict)
    gates: dict[str, str] = field(default_factory=dict)
    marts_path: str = ""
    advisory_warnings: list[str] = field(default_factory=list)  # landing gate: alerted, not blocking
    marts_fingerprint: str = ""
    marts_tables: dict[str, str] = field(default_factory=dict)
    crawl_rate: str = ""  # the per-host rate the crawl used, and why
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["ok"] = self.ok
        return out

    @property
    def ok(self) -> bool:
        return bool(self.scrape and self.build and self.scrape.state == "success"
                    and self.build.state == "success")

    def render(self) -> str:
        lines = ["kejiwatch run — summary"]
        if self.crawl_rate:
            lines.append(f"  crawl rate        {self.crawl_rate}")
        for outcome in (self.scrape, self.build):
            if outcome:
                line = (f"  {outcome.dag_id:<15} {outcome.state:<8} "
                        f"({outcome.seconds:.1f}s, run {outcome.run_id})")
                if outcome.failed_tasks:
                    line += f"  failed: {', '.join(outcome.failed_tasks)}"
                lines.append(line)
        lines.append(f"  portals crawled   {self.portals}"
                     + (f" (failed: {', '.join(self.portals_failed)})" if self.portals_failed else ""))
        lines.append(f"  pages fetched     {self.pages_fetched}")
        lines.append(f"  pages landed      {self.pages_landed} new page versions")
        for family, count in self.facts.items():
            lines.append(f"  facts {family:<11} {count}")
        for gate, verdict in self.gates.items():
            lines.append(f"  {gate:<17} {verdict}")
        lines.append(f"  published marts   {self.marts_path or '(not published)'}")
        if self.advisory_warnings:
            lines.append(f"  advisory warnings {', '.join(self.advisory_warnings)} "
                         "(landing gate: alerted, publication not blocked)")
        if self.marts_fingerprint:
            lines.append(f"  marts fingerprint {self.marts_fingerprint}")
        lines.append(f"  total             {self.seconds:.1f}s")
        return "\n".join(lines)


# --- Airflow plumbing ---------------------------------------------------------------------------

def prepare_airflow(home: Path | None = None) -> dict[str, str]:
    """Configure this process for Airflow on the embedded defaults and migrate its DB."""
    env = airflow_env.configure(home)
    airflow_env.migrate_db()
    if os.environ.get("KEJIWATCH_DBT_TASKS", "nodes") == "nodes":
        import sys

        sys.path.insert(0, str(airflow_env.DAGS_FOLDER))
        from kejiwatch_common.dbt import ensure_manifest

        ensure_manifest()  # cosmos renders one task per dbt node from it
    return env


def load_dags() -> dict[str, Any]:
    """Parse the project's dags/ the way the dag-processor does (bundle folder on sys.path)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    bag = BundleDagBag(dag_folder=str(airflow_env.DAGS_FOLDER), bundle_path=airflow_env.DAGS_FOLDER)
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.dags


def run_dag_test(dag: Any, run_conf: dict[str, Any] | None = None) -> DagOutcome:
    """Run one DAG with ``dag.test()`` and collect task states and return values."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    started = time.perf_counter()
    dag_run = dag.test(run_conf=run_conf)
    seconds = time.perf_counter() - started
    outcome = DagOutcome(dag.dag_id, str(getattr(dag_run.state, "value", dag_run.state)),
                         dag_run.run_id, seconds)
    with create_session() as session:
        for ti in dag_run.get_task_instances(session=session):
            name = ti.task_id if ti.map_index < 0 else f"{ti.task_id}[{ti.map_index}]"
            outcome.task_states[name] = str(getattr(ti.state, "value", ti.state))
            if ti.duration is not None:
                outcome.task_seconds[name] = round(float(ti.duration), 2)
        rows = session.scalars(
            XComModel.get_many(run_id=dag_run.run_id, dag_ids=dag.dag_id, key="return_value")
        ).all()
        for row in rows:
            if row.map_index < 0:
                outcome.xcoms[row.task_id] = XComModel.deserialize_value(row)
    return outcome


# --- outcome readers ----------------------------------------------------------------------------

def read_published_marts(path: Path | None = None) -> tuple[dict[str, int], str, dict[str, str]]:
    """Row counts of the three fact tables in the published file, a content fingerprint over
    every fct_/dim_ table (order-independent, every column but the load stamp ``loaded_at``,
    which says when a build wrote the row, not what it holds) and the digest of each table, so
    two runs can be compared."""
    import duckdb

    path = Path(path or settings.marts_path())
    if not path.exists():
        return {}, "", {}
    facts: dict[str, int] = {}
    tables: dict[str, str] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'main' "
            "and (table_name like 'fct\\_%' escape '\\' or table_name like 'dim\\_%' escape '\\') "
            "order by 1").fetchall()]
        for family, table in FACT_TABLES.items():
            if table in names:
                facts[family] = con.execute(f'select count(*) from main."{table}"').fetchone()[0]
        for table in names:
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'main' "
                "and table_name = ? and column_name <> 'loaded_at' order by ordinal_position",
                [table]).fetchall()]
            row_sql = "cast(row(" + ", ".join(f'"{c}"' for c in columns) + ") as varchar)"
            count, digest = con.execute(
                f"select count(*), coalesce(md5(string_agg({row_sql}, chr(10) order by {row_sql})), '') "
                f'from main."{table}"').fetchone()
            tables[table] = f"{count}:{digest[:12]}"
    fingerprint = hashlib.sha256("".join(f"{t}={d}\n" for t, d in sorted(tables.items())).encode())
    return facts, fingerprint.hexdigest()[:16], tables


def _gate_verdict(result: Any) -> str:
    if not isinstance(result, dict):
        return "not run"
    verdict = "PASS" if result.get("success") else "BLOCKED"
    counts = result.get("counts") or {}
    blocking = result.get("blocking") or []
    warnings = result.get("warnings") or []
    detail = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    return f"{verdict} ({len(blocking)} blocking, {len(warnings)} warnings{'; ' + detail if detail else ''})"


# --- the command --------------------------------------------------------------------------------

@contextmanager
def replay_portals(scenario: str = "clean", day: int | None = None) -> Iterator[str]:
    """Start the replay portals and point the crawler at them (env KEJIWATCH_HTTP_PROXY)."""
    from replay.server import ReplayServer

    previous = os.environ.get("KEJIWATCH_HTTP_PROXY")
    with ReplayServer(scenario=scenario, day=day) as server:
        os.environ["KEJIWATCH_HTTP_PROXY"] = server.proxy_url
        try:
            yield server.proxy_url
        finally:
            if previous is None:
                os.environ.pop("KEJIWATCH_HTTP_PROXY", None)
            else:
                os.environ["KEJIWATCH_HTTP_PROXY"] = previous


@contextmanager
def crawl_rate(rate: float | None) -> Iterator[None]:
    """``KEJIWATCH_CRAWL_RATE`` for the crawl tasks (they run in this process under dag.test())."""
    previous = os.environ.get("KEJIWATCH_CRAWL_RATE")
    if rate is not None:
        os.environ["KEJIWATCH_CRAWL_RATE"] = str(rate)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("KEJIWATCH_CRAWL_RATE", None)
        else:
            os.environ["KEJIWATCH_CRAWL_RATE"] = previous


def choose_crawl_rate(rate: float | None, own_replay: bool) -> tuple[float | None, str]:
    """The per-host rate override for this run (None: each portal's YAML rate_limit) and why."""
    if rate is not None:
        return rate, f"{rate:g} req/s per host (--crawl-rate)"
    env = os.environ.get("KEJIWATCH_CRAWL_RATE")
    if env:
        return float(env), f"{float(env):g} req/s per host (KEJIWATCH_CRAWL_RATE)"
    if own_replay:
        return REPLAY_CRAWL_RATE, (
            f"{REPLAY_CRAWL_RATE:g} req/s per host: the replay portals are this run's own loopback "
            "server; real portals keep their YAML rate_limit (1 req/s) and robots Crawl-delay")
    return None, "each portal's YAML rate_limit and robots Crawl-delay (portals behind --proxy)"


def run(*, scenario: str = "clean", day: int | None = None, proxy: str | None = None,
        home: Path | None = None, build: bool = True, dbt_tasks: str | None = None,
        portals: list[str] | None = None, rate: float | None = None,
        announce: Callable[[str], None] | None = None,
        conf: dict[str, Any] | None = None) -> RunSummary:
    """Run scrape_portals then build_marts through ``dag.test()`` and summarise.

    ``proxy``: use these portals instead of starting the replay server (e.g. a running
    `kejiwatch portals serve`); ``build=False`` stops after the crawl. ``dbt_tasks``: "layers"
    (default here: one task per dbt layer) or "nodes" (cosmos, one task per dbt node, as the
    scheduler shows it; slower in dag.test() since every node starts dbt). ``portals``: crawl
    only these portal ids (default: the whole registry). ``rate``: requests/s per host for every
    portal (default: :data:`REPLAY_CRAWL_RATE` against the replay portals started here, the
    portals' own rate_limit behind ``proxy``). ``announce`` receives the settings line up front.
    ``conf``: more scrape_portals run conf (``since``/``until``: `kejiwatch backfill`).
    """
    started = time.perf_counter()
    os.environ["KEJIWATCH_DBT_TASKS"] = dbt_tasks or os.environ.get("KEJIWATCH_DBT_TASKS", "layers")
    prepare_airflow(home)
    dags = load_dags()
    summary = RunSummary()
    rate, summary.crawl_rate = choose_crawl_rate(rate, own_replay=not proxy)
    if announce:
        # dag.test() runs tasks one at a time in this process (its executor mode needs a running
        # api-server for the Execution API, apache/airflow#59074), so mapped crawls are sequential.
        announce(f"crawl rate: {summary.crawl_rate}\nmapped crawl tasks: one at a time (dag.test() "
                 "runs tasks in this process; its executor mode needs a running api-server)")
    web = nullcontext(proxy) if proxy else replay_portals(scenario, day)
    with web as proxy_url, crawl_rate(rate):
        if proxy_url:
            os.environ["KEJIWATCH_HTTP_PROXY"] = proxy_url
        run_conf = {**(conf or {}), **({"portals": portals} if portals else {})}
        summary.scrape = run_dag_test(dags["scrape_portals"], run_conf=run_conf or None)
    totals = summary.scrape.xcoms.get("end_run") or {}
    summary.pages_fetched = int(totals.get("pages_fetched") or 0)
    summary.pages_landed = int(totals.get("pages_landed") or 0)
    summary.portals = int(totals.get("portals") or 0)
    summary.portals_failed = list(totals.get("portals_failed") or [])
    # build_marts runs even when nothing new landed (the scheduler would not): a re-run then
    # shows that the same raw rows publish the same marts.
    if build:
        summary.build = run_dag_test(dags["build_marts"])
        for gate in ("landing_gate", "facts_gate", "marts_gate"):
            summary.gates[gate] = _gate_verdict(summary.build.xcoms.get(gate))
        publication = summary.build.xcoms.get("publish")
        if publication is not None:
            summary.marts_path = str(settings.marts_path())
            summary.advisory_warnings = list(publication.get("advisory_warnings") or [])
    summary.facts, summary.marts_fingerprint, summary.marts_tables = read_published_marts()
    summary.seconds = time.perf_counter() - started
    return summary
