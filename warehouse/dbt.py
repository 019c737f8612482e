"""Run the dbt project in-process (dbt-core's ``dbtRunner``) against the working warehouse.

The same project builds on either backend (``KEJIWATCH_BACKEND``, see ``warehouse.backends``);
before dbt starts, the raw and audit schemas are ensured, so a build on a fresh warehouse finds
the sources it declares.

* DuckDB file: every invocation holds the warehouse lock (``warehouse.db.locked``) for its whole
  duration: dbt-duckdb opens the file itself and DuckDB admits one writing process, so the
  crawler, the gates and dbt must take turns. The path reaches ``dbt_project/profiles.yml``
  through ``KEJIWATCH_WAREHOUSE``, set here to the absolute path of ``settings.warehouse_path()``
  for the duration of the call (the profile's own default is relative to ``dbt_project/`` and
  only right when dbt is run by hand from there).
* DuckLake: no lock (crawlers keep landing while dbt builds; each dbt statement is its own lake
  transaction). dbt runs with the generated profile whose target database is the lake
  (``warehouse.backends.write_dbt_profile``) and its own target folder (:func:`target_dir`).
  Two builds at once would conflict on the same models: the pipeline runs ``build_marts`` one
  at a time (one-slot Airflow pool).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import yaml

from kejiwatch import settings
from warehouse import backends, db

log = logging.getLogger(__name__)

# dbt-core keeps process-global state (flags, adapter registry): one invocation at a time.
_INVOCATION_LOCK = threading.Lock()

FAILED_STATUSES = {"error", "fail", "runtime error"}


@dataclass(frozen=True)
class FailedNode:
    unique_id: str
    status: str
    message: str


@dataclass
class DbtRun:
    """The outcome of one dbt command."""

    args: list[str]
    success: bool
    failing_nodes: list[FailedNode] = field(default_factory=list)
    n_nodes: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    exception: str | None = None
    elapsed_s: float = 0.0

    def summary(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.statuses.items())) or "no nodes"
        outcome = "OK" if self.success else "FAILED"
        lines = [f"dbt {' '.join(self.args)}: {outcome} ({counts}, {self.elapsed_s:.1f}s)"]
        lines += [f"  {n.status}: {n.unique_id}: {n.message}" for n in self.failing_nodes]
        if self.exception:
            lines.append(f"  exception: {self.exception}")
        return "\n".join(lines)


def project_dir() -> Path:
    return settings.dbt_project_dir()


def target_dir(warehouse: Path | None = None) -> Path:
    """Where dbt writes its manifest, partial-parse state and docs for this warehouse.

    On DuckLake: ``<data dir>/lake/dbt/target`` (``warehouse`` does not apply). The working
    DuckDB warehouse uses ``dbt_project/target`` (the README links its index.html). Any
    other warehouse file (tests, benchmarks, scratch runs) gets ``<its folder>/dbt_target``:
    dbt re-parses the whole project whenever the profile's DuckDB path differs from the last
    parse, so processes on different warehouses sharing one target folder would thrash (and
    race on) each other's partial-parse state."""
    if backends.is_ducklake():
        return backends.lake_dbt_dir() / "target"
    warehouse = Path(warehouse or settings.warehouse_path())
    default = settings.PROJECT_ROOT / "warehouse" / "warehouse.duckdb"
    if Path(warehouse).resolve() == default.resolve():
        return project_dir() / "target"
    return Path(warehouse).resolve().parent / "dbt_target"


def _with_project_args(args: Sequence[str], profiles_dir: Path, target: Path) -> list[str]:
    """Add --project-dir/--profiles-dir/--target-path unless the caller chose them."""
    out = list(args)
    if not out or out[0].startswith("-"):
        return out
    if "--project-dir" not in out:
        out += ["--project-dir", str(project_dir())]
    if "--profiles-dir" not in out:
        out += ["--profiles-dir", str(profiles_dir)]
    if "--target-path" not in out:
        out += ["--target-path", str(target)]
    return out


@contextmanager
def _dbt_target(warehouse: Path | None, timeout: float) -> Iterator[tuple[Path, Path]]:
    """The warehouse made ready for one dbt invocation; yields (profiles dir, target dir)."""
    if backends.is_ducklake():
        with db.connect():  # ensures raw.* and audit.* in the lake
            pass
        yield backends.write_dbt_profile(), target_dir()
        return
    with db.locked(warehouse, timeout=timeout) as path, _warehouse_env(path):
        _ensure_landing(path)
        yield project_dir(), target_dir(path)


@contextmanager
def _warehouse_env(path: Path) -> Iterator[None]:
    """Point profiles.yml at ``path`` for the duration of one invocation."""
    old = os.environ.get("KEJIWATCH_WAREHOUSE")
    os.environ["KEJIWATCH_WAREHOUSE"] = str(path)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("KEJIWATCH_WAREHOUSE", None)
        else:
            os.environ["KEJIWATCH_WAREHOUSE"] = old


def _ensure_landing(path: Path) -> None:
    """Create raw.* and audit.* on the file (the lock is already held by the caller)."""
    con = duckdb.connect(str(path))
    try:
        con.execute(db.NO_VACUUM_SQL)
        db.ensure_schema(con)
    finally:
        con.close()


# Commands whose manifest.json nobody here reads: the cosmos DAG parses its own (`dbt parse`,
# dags/kejiwatch_common/dbt.py) and `dbt docs generate` writes one. dbt writes the 1.7 MB
# manifest twice per invocation (after parsing and at the end), about 1 s of a 15 s increment.
_RESULT_ONLY_COMMANDS = {"run", "build", "seed", "test"}


def _writes_run_results_only(args: Sequence[str]) -> bool:
    """True for a build-type command the caller did not ask JSON artifacts of explicitly."""
    return bool(args) and args[0] in _RESULT_ONLY_COMMANDS and not (
        {"--write-json", "--no-write-json"} & set(args)
    )


def _write_run_results(result: Any, target: Path) -> None:
    """run_results.json as dbt writes it (``kejiwatch status`` reads it), without the manifest."""
    if result is None or not hasattr(result, "write"):
        return
    try:
        target.mkdir(parents=True, exist_ok=True)
        result.write(str(target / "run_results.json"))
    except Exception as exc:  # a missing artifact must not turn a good build into a failure
        log.warning("could not write %s: %s", target / "run_results.json", exc)


def _collect(run: DbtRun, result: Any) -> None:
    """Read node statuses out of a dbtRunnerResult.result (a RunExecutionResult or similar)."""
    nodes = getattr(result, "results", None) or []
    for node_result in nodes:
        status = str(getattr(node_result, "status", "") or "").lower()
        run.statuses[status] = run.statuses.get(status, 0) + 1
        run.n_nodes += 1
        if status in FAILED_STATUSES:
            node = getattr(node_result, "node", None)
            unique_id = getattr(node, "unique_id", None) or str(node)
            message = str(getattr(node_result, "message", "") or "").strip().splitlines()
            run.failing_nodes.append(FailedNode(unique_id, status, message[0] if message else ""))


def release_duckdb() -> None:
    """Close the DuckDB handles dbt-duckdb caches per process, so other processes may open the
    file once this invocation is over (dbt-labs/dbt-core#11980). run_dbt calls it after every
    invocation; call it after invoking dbt another way (e.g. cosmos tasks) in this process."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # dbt-duckdb not importable: nothing cached
        return
    env = DuckDBConnectionManager._ENV
    try:
        if env is not None:
            env.close()
    except Exception as exc:  # already closed, or closed by an interrupted invocation
        log.debug("closing the dbt-duckdb environment: %s", exc)
    finally:
        DuckDBConnectionManager.close_all_connections()


@contextmanager
def _long_lived_objects_frozen() -> Iterator[Callable[[Any], None]]:
    """Keep Python's cyclic garbage collector off dbt's long-lived objects during an invocation.

    The loaded project (manifest, graph, macros: millions of objects) lives for the whole
    invocation, and every full collection walked all of it again: on the 100k-page warehouse
    bench, collections took 0.75-0.95 s of a 9-10 s incremental `dbt run`, 0.37-0.56 s frozen.
    ``gc.freeze()`` moves the objects that exist now into a generation the collector skips; it
    runs before the invocation and again (through the returned dbt event callback) once the
    project is loaded, just before the nodes run. New garbage is collected as usual; the frozen
    objects are handed back to the collector after."""
    import gc

    def freeze_loaded_project(event: Any) -> None:
        if event.info.name == "ConcurrencyLine":  # logged once the project is loaded
            gc.freeze()

    gc.freeze()
    try:
        yield freeze_loaded_project
    finally:
        gc.unfreeze()


def run_dbt(args: list[str], *, warehouse: Path | None = None, timeout: float = 900) -> DbtRun:
    """Run one dbt command (e.g. ``["build", "--select", "marts"]``) in-process, on the DuckDB
    file under the lock or on the DuckLake (``warehouse`` then does not apply).

    Never raises for a failing dbt run: the result says which nodes failed and why.
    Raises ``warehouse.db.WarehouseBusy`` if the lock is not free within ``timeout`` seconds.
    """
    import time

    from dbt.cli.main import dbtRunner

    run = DbtRun(args=list(args), success=False)
    started = time.perf_counter()
    with _INVOCATION_LOCK, _dbt_target(warehouse, timeout) as (profiles_dir, target):
        full_args = _with_project_args(args, profiles_dir, target)
        skip_manifest = _writes_run_results_only(full_args)
        if skip_manifest:
            full_args.append("--no-write-json")
        release_duckdb()  # never reuse a handle an interrupted invocation left behind
        try:
            with _long_lived_objects_frozen() as freeze_loaded_project:
                outcome = dbtRunner(callbacks=[freeze_loaded_project]).invoke(full_args)
        finally:
            release_duckdb()
        if skip_manifest:
            _write_run_results(outcome.result, target)
    run.elapsed_s = time.perf_counter() - started
    run.success = bool(outcome.success)
    if outcome.exception is not None:
        run.exception = f"{type(outcome.exception).__name__}: {outcome.exception}"
        run.success = False
    _collect(run, outcome.result)
    if run.failing_nodes:
        run.success = False
    return run


def declared_packages() -> list[Any]:
    """The packages dbt_project declares (packages.yml or dependencies.yml); none today."""
    found: list[Any] = []
    for name in ("packages.yml", "dependencies.yml"):
        path = project_dir() / name
        if path.exists():
            found += (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("packages") or []
    return found


def ensure_deps(*, warehouse: Path | None = None) -> DbtRun | None:
    """Run ``dbt deps`` only when packages are declared and not installed yet (it needs the network)."""
    if not declared_packages():
        return None
    if (project_dir() / "dbt_packages").is_dir() and any((project_dir() / "dbt_packages").iterdir()):
        return None
    return run_dbt(["deps"], warehouse=warehouse)


def build(
    select: str | None = None,
    full_refresh: bool = False,
    *,
    exclude: str | None = None,
    with_seeds: bool = True,
    warehouse: Path | None = None,
) -> DbtRun:
    """``dbt build`` (seeds, models and their tests) of the whole project or a selection.

    The pipeline calls ``build("staging intermediate")``, then the facts gate, then
    ``build("marts")`` (selections are space-separated dbt selectors; the seeds are added to a
    selection unless ``with_seeds=False``)."""
    deps = ensure_deps(warehouse=warehouse)
    if deps is not None and not deps.success:
        return deps
    args = ["build"]
    if select:
        selectors = select.split()
        # The intermediate models read the seeds: a selection builds (and tests) them too.
        if with_seeds and not any("seed" in s for s in selectors):
            selectors.append("resource_type:seed")
        args += ["--select", *selectors]
    if exclude:
        args += ["--exclude", *exclude.split()]
    if full_refresh:
        args.append("--full-refresh")
    return run_dbt(args, warehouse=warehouse)


def docs_generate(*, warehouse: Path | None = None) -> DbtRun:
    """Write the lineage and docs site: ``target_dir(warehouse)/index.html``, which is
    dbt_project/target/index.html for the working warehouse."""
    return run_dbt(["docs", "generate"], warehouse=warehouse)
