"""dbt as visible Airflow tasks, in one of two granularities chosen by ``KEJIWATCH_DBT_TASKS``:

* ``nodes`` (default, what the scheduler and the UI show): astronomer-cosmos DbtTaskGroups,
  one task per dbt model/seed/detached test, so a failing model or test is its own red task.
* ``layers``: one task per layer (seeds+staging, intermediate = extraction, marts), each a
  ``warehouse.dbt.build`` call whose failure names the failing nodes. Same models, same tests,
  ~60 dbt start-ups fewer: `kejiwatch run`, the end-to-end test and the freshness bench use it.

Choices for ``nodes`` (see anchors §0/§2):
- ExecutionMode.LOCAL + InvocationMode.DBT_RUNNER: dbt runs in the task's own process, no
  per-node interpreter start-up. WATCHER mode deadlocks under dag.test(), so it is not used.
- LoadMode.DBT_MANIFEST from ``dbt_project/target/manifest.json``: parsing the DAG only reads a
  JSON file, never starts dbt. The manifest is refreshed by :func:`ensure_manifest` (`dbt parse`
  when a model, seed, macro or test file is newer) from every entry point — `kejiwatch run`,
  `kejiwatch airflow` / `airflow init`, the tests — and by every dbt run. With no manifest at
  all the DAG falls back to the ``layers`` rendering rather than run dbt at parse time.
- TestBehavior.BUILD: one `dbt build --select <node>` per task, so a failing model *or* its
  tests turns exactly that task red; multi-parent tests are detached into their own tasks.
- Every dbt task holds the warehouse file lock while it runs (DuckDB: one writer or many
  readers) through pre_execute, released by post_execute or by the failure/retry callbacks,
  and runs in the one-slot warehouse pool so the scheduler does not queue writers on the lock.
- On DuckLake (``KEJIWATCH_BACKEND=ducklake``) the tasks use the generated lake profile
  (``warehouse.backends.write_dbt_profile``, target ``lake``) and take no file lock; the pool
  still runs one dbt task at a time.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from kejiwatch import settings

from .defaults import WAREHOUSE_POOL, failure_callbacks

log = logging.getLogger(__name__)

PROJECT_DIR = settings.dbt_project_dir()
MANIFEST = PROJECT_DIR / "target" / "manifest.json"

# Locks held by dbt tasks of this process, keyed by task instance (dag.test() runs every task
# in one process, so a lock left behind by a failed task would block the next one).
_HELD: dict[str, Any] = {}


def _ti_key(context: Any) -> str:
    ti = context["ti"]
    return f"{ti.dag_id}/{ti.run_id}/{ti.task_id}/{getattr(ti, 'map_index', -1)}"


def acquire_warehouse_lock(context: Any) -> None:
    from warehouse import backends
    from warehouse.db import lock_for

    key = _ti_key(context)
    if key in _HELD:
        return
    if backends.is_ducklake():
        # No file lock: the lake takes concurrent writers (the pool still runs one dbt task at
        # a time). dbt-duckdb finds the extensions installed from the wheels; raw.* and audit.*
        # are ensured in the lake.
        from warehouse.db import connect

        backends.write_dbt_profile()
        with connect():
            pass
        _HELD[key] = None
        return
    lock = lock_for(settings.warehouse_path())
    settings.warehouse_path().parent.mkdir(parents=True, exist_ok=True)
    lock.acquire(timeout=900)
    _HELD[key] = lock
    # dbt's sources are raw.* and audit.*: make sure they exist even on a fresh warehouse.
    import duckdb

    from warehouse.db import NO_VACUUM_SQL, ensure_schema

    con = duckdb.connect(str(settings.warehouse_path()))
    try:
        con.execute(NO_VACUUM_SQL)
        ensure_schema(con)
    finally:
        con.close()


def release_warehouse_lock(context: Any, *_: Any) -> None:
    key = _ti_key(context)
    if key not in _HELD:
        return
    lock = _HELD.pop(key)
    # dbt-duckdb caches its DuckDB handle per process (dbt-labs/dbt-core#11980): close it before
    # letting the next writer in, or a gate in this same process could not open the file.
    try:
        from warehouse.dbt import release_duckdb

        release_duckdb()
    finally:
        if lock is not None:  # None: a DuckLake task, which took no file lock
            lock.release(force=True)


_PROJECT_INPUTS = ("models", "seeds", "macros", "data-tests", "snapshots", "analyses")


def _newest_input() -> float:
    files = [PROJECT_DIR / "dbt_project.yml", PROJECT_DIR / "packages.yml"]
    for folder in _PROJECT_INPUTS:
        files += [p for p in (PROJECT_DIR / folder).rglob("*") if p.is_file()]
    return max((p.stat().st_mtime for p in files if p.exists()), default=0.0)


def ensure_manifest(timeout: float = 300) -> Path:
    """Write ``target/manifest.json`` with `dbt parse` when it is missing or older than the project."""
    from filelock import FileLock

    if MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_input():
        return MANIFEST
    MANIFEST.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(MANIFEST.parent / ".kejiwatch-parse.lock"), timeout=timeout):
        if MANIFEST.exists() and MANIFEST.stat().st_mtime >= _newest_input():
            return MANIFEST  # another process parsed while we waited
        dbt = Path(sys.executable).with_name("dbt")
        env = {**os.environ, "KEJIWATCH_WAREHOUSE": str(settings.warehouse_path())}
        proc = subprocess.run(
            [str(dbt) if dbt.exists() else "dbt", "parse", "--project-dir", str(PROJECT_DIR),
             "--profiles-dir", str(PROJECT_DIR), "--quiet"],
            cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        MANIFEST.touch()  # parse may keep an unchanged file's old mtime
    return MANIFEST


def _profile_names() -> tuple[str, str]:
    """Profile and target names as the dbt project declares them (plain YAML reads)."""
    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8")) or {}
    profile_name = project.get("profile", "kejiwatch")
    target = os.environ.get("KEJIWATCH_DBT_TARGET")
    profiles_path = PROJECT_DIR / "profiles.yml"
    if not target and profiles_path.exists():
        profiles = yaml.safe_load(profiles_path.read_text(encoding="utf-8")) or {}
        target = (profiles.get(profile_name) or {}).get("target")
    return profile_name, target or "dev"


def dbt_task_mode() -> str:
    mode = os.environ.get("KEJIWATCH_DBT_TASKS", "nodes").strip().lower()
    if mode not in {"nodes", "layers"}:
        raise ValueError(f"KEJIWATCH_DBT_TASKS must be 'nodes' or 'layers', not {mode!r}")
    return mode


def dbt_tasks(group_id: str, layers: dict[str, list[str]], doc: str) -> Any:
    """The dbt nodes of ``layers`` (task id → dbt selectors) as a task group of either granularity."""
    if dbt_task_mode() == "layers" or not MANIFEST.exists():
        if dbt_task_mode() == "nodes":
            log.warning("no dbt manifest at %s (run `kejiwatch airflow init`): one task per dbt layer",
                        MANIFEST)
        return layer_task_group(group_id, layers, doc)
    if MANIFEST.stat().st_mtime < _newest_input():
        log.warning("dbt manifest older than the project: run `kejiwatch airflow init` to re-render")
    return dbt_task_group(group_id, [sel for sels in layers.values() for sel in sels], doc)


def layer_task_group(group_id: str, layers: dict[str, list[str]], doc: str) -> Any:
    """One task per layer, chained in the given order, each ``dbt build --select <layer>``."""
    from datetime import timedelta

    from airflow.sdk import TaskGroup, task

    with TaskGroup(group_id=group_id, tooltip=doc) as group:
        previous = None
        for task_id, selectors in layers.items():
            @task(task_id=task_id, pool=WAREHOUSE_POOL, retries=0,
                  execution_timeout=timedelta(minutes=30),
                  doc_md=f"{doc}\n\n`dbt build --select {' '.join(selectors)}` under the warehouse lock.")
            def build_layer(selection: str = " ".join(selectors)) -> dict[str, Any]:
                from warehouse.dbt import run_dbt

                # "buildable": a test runs in the layer where its last parent is built, so a
                # relationship test from intermediate to staging waits for the intermediate layer.
                run = run_dbt(["build", "--select", *selection.split(), "--indirect-selection", "buildable"])
                print(run.summary())
                if not run.success:
                    raise RuntimeError(f"dbt build --select {selection} failed:\n{run.summary()}")
                return {"statuses": run.statuses, "nodes": run.n_nodes, "seconds": round(run.elapsed_s, 1)}

            current = build_layer()
            if previous is not None:
                previous >> current
            previous = current
    return group


def dbt_task_group(group_id: str, select: list[str], doc: str, exclude: list[str] | None = None) -> Any:
    """A cosmos DbtTaskGroup over the nodes matched by ``select`` (dbt selector syntax)."""
    from cosmos import (
        DbtTaskGroup,
        ExecutionConfig,
        ProfileConfig,
        ProjectConfig,
        RenderConfig,
    )
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    from warehouse import backends

    profile_name, target_name = _profile_names()
    profiles_yml = PROJECT_DIR / "profiles.yml"
    if backends.is_ducklake():  # the generated lake profile (YAML only at parse time)
        profiles_yml = backends.write_dbt_profile(install=False) / "profiles.yml"
        target_name = backends.LAKE_TARGET
    project_config = ProjectConfig(
        dbt_project_path=PROJECT_DIR,
        manifest_path=MANIFEST,
        install_dbt_deps=False,
        env_vars={
            "KEJIWATCH_WAREHOUSE": str(settings.warehouse_path()),
            "KEJIWATCH_DATA_DIR": str(settings.data_dir()),
        },
    )
    callbacks = [release_warehouse_lock, *failure_callbacks()]
    return DbtTaskGroup(
        group_id=group_id,
        project_config=project_config,
        profile_config=ProfileConfig(
            profile_name=profile_name,
            target_name=target_name,
            profiles_yml_filepath=profiles_yml,
        ),
        execution_config=ExecutionConfig(
            execution_mode=ExecutionMode.LOCAL,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=select,
            exclude=exclude or [],
            test_behavior=TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            emit_datasets=False,
            invocation_mode=InvocationMode.DBT_RUNNER,
        ),
        operator_args={
            "pool": WAREHOUSE_POOL,
            # A failing model or test is deterministic: fail at once (the lock absorbs contention).
            "retries": 0,
            "pre_execute": acquire_warehouse_lock,
            "post_execute": release_warehouse_lock,
            "on_failure_callback": callbacks,
            "on_retry_callback": [release_warehouse_lock],
            "doc_md": doc,
        },
        tooltip=doc.splitlines()[0] if doc else None,
    )
