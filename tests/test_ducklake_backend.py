"""The DuckLake backend: a PostgreSQL catalog (a throwaway cluster started here with Debian's
initdb/pg_ctl, one database per test) and a shared data path.

* two crawler processes land different portals into the same lake at the same time; every batch
  lands (a lost commit race is retried, not dropped) and re-landing adds nothing;
* the build_marts steps after landing run on the lake unchanged: dbt build of the same project,
  facts and marts gates on frames read from the lake, publication of a plain DuckDB BI file; the
  same raw rows built on the DuckDB-file backend publish identical marts."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

PORTALS = ("changxing_kjj", "liaoning_kjt")
RETRY_LOG = "conflict with a concurrent writer"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*cmd: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[tuple[Path, int]]:
    """A PostgreSQL cluster for the module; yields (bin dir, port)."""
    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bindirs:
        pytest.skip("PostgreSQL server binaries missing: run scripts/install_system_deps.sh")
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs root to run PostgreSQL as the postgres user")
    bindir = Path(bindirs[-1]).parent
    base = Path(tempfile.mkdtemp(prefix="kejiwatch-pg-"))
    shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", _free_port()
    _as_postgres(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                 "--no-sync")
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    _as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-o", options,
                 "-w", "start")
    try:
        yield bindir, port
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(bindir / "pg_ctl"), "-D", str(data),
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def lake_env(postgres_server, tmp_path_factory) -> Iterator[dict[str, str]]:
    """A fresh lake for the module (its own catalog database and data path) selected through the
    environment, with the same isolated data dir as ``isolated_warehouse``."""
    bindir, port = postgres_server
    name = f"lake_{uuid.uuid4().hex[:8]}"
    _as_postgres(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", name)
    data = tmp_path_factory.mktemp("lake") / "data"
    data.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KEJIWATCH_DATA_DIR", str(data))
        mp.setenv("KEJIWATCH_WAREHOUSE", str(data / "warehouse.duckdb"))
        mp.setenv("KEJIWATCH_MARTS", str(data / "marts.duckdb"))
        mp.setenv("KEJIWATCH_BACKEND", "ducklake")
        mp.setenv("KEJIWATCH_DUCKLAKE_CATALOG",
                  f"postgres:dbname={name} host=127.0.0.1 port={port} user=postgres")
        mp.setenv("KEJIWATCH_DUCKLAKE_DATA_PATH", str(data / "lake-data"))
        yield dict(os.environ)


CRAWL_ONE = """
import json, sys
from scrapers.crawl import begin_run, crawl_portal, end_run
run_id = begin_run("test")
result = crawl_portal(sys.argv[1], run_id=run_id, proxy=sys.argv[2])
end_run(run_id)
print(json.dumps({"status": result.status, "reason": result.reason, "landed": result.pages_landed,
                  "run_id": run_id}))
"""


def _crawl_concurrently(env: dict[str, str], proxy: str) -> tuple[dict[str, dict], int]:
    """Both portals crawled by two processes started together; (results, retries they logged)."""
    procs = {p: subprocess.Popen([sys.executable, "-c", CRAWL_ONE, p, proxy], env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for p in PORTALS}
    results, retries = {}, 0
    for portal, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        results[portal] = json.loads(out.strip().splitlines()[-1])
        retries += err.count(RETRY_LOG)
    return results, retries


def _lake_state() -> dict[str, Any]:
    from warehouse.db import connect

    with connect(read_only=True) as con:
        def rows(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        return {
            "pages": dict(rows("select portal_id, count(*) from raw.pages group by 1")),
            "dupes": {t: rows(f"select count(*) - count(distinct {k}) from raw.{t}")[0][0]
                      for t, k in (("pages", "page_version_id"), ("fetches", "fetch_id"),
                                   ("portals", "portal_id"), ("crawl_runs", "run_id"))},
            "runs": dict(rows("select run_id, outcome from raw.crawl_runs where finished_at is not null")),
            "run_portals": {r[0]: r[1:] for r in rows(
                "select portal_id, run_id, pages_landed from raw.crawl_run_portals order by started_at")},
            "fetch_portals": {r[0] for r in rows("select distinct portal_id from raw.fetches")},
        }


@pytest.fixture(scope="module")
def landed(lake_env) -> dict[str, Any]:
    """Two crawler processes land the two portals into the lake at the same time, twice (the
    second time the portals serve the same content); the lake's state after each round."""
    from replay.server import ReplayServer

    with ReplayServer(scenario="clean") as server:
        first, retries_1 = _crawl_concurrently(lake_env, server.proxy_url)
        after_first = _lake_state()
        second, retries_2 = _crawl_concurrently(lake_env, server.proxy_url)
        after_second = _lake_state()
    print(f"commit races retried: {retries_1} on the first landing, {retries_2} on the second")
    return {"first": first, "after_first": after_first, "second": second, "after_second": after_second}


def test_two_writers_land_different_portals_into_one_lake(lake_env, landed):
    from warehouse import backends

    assert backends.is_ducklake()
    first, state = landed["first"], landed["after_first"]
    for portal, result in first.items():
        # a batch that lost its commit race and was dropped would show as status "failed"
        assert result["status"] in {"ok", "partial"}, (portal, result)
        assert result["landed"] > 0, (portal, result)
    assert state["pages"] == {p: first[p]["landed"] for p in PORTALS}
    assert set(state["dupes"].values()) == {0}, state["dupes"]
    assert set(state["runs"]) == {r["run_id"] for r in first.values()} and None not in state["runs"].values()
    assert state["run_portals"] == {p: (first[p]["run_id"], first[p]["landed"]) for p in PORTALS}
    assert state["fetch_portals"] == set(PORTALS)
    # Landing the same portals again (same content) adds no page version: MERGE on the keys.
    second, again = landed["second"], landed["after_second"]
    assert all(r["status"] in {"ok", "partial"} and r["landed"] == 0 for r in second.values()), second
    assert again["pages"] == state["pages"] and set(again["dupes"].values()) == {0}
    assert len(again["runs"]) == 4 and None not in again["runs"].values()
    # the data files really are Parquet under the shared data path
    assert list(Path(lake_env["KEJIWATCH_DUCKLAKE_DATA_PATH"]).rglob("*.parquet"))


# --- build_marts after landing, on both backends ----------------------------------------------


def _build_gate_publish() -> tuple[list[Any], Any]:
    """What build_marts runs after landing (its `layers` rendering): dbt seeds/staging/
    intermediate, facts gate, dbt marts, marts gate, publication (landing gate advisory)."""
    from expectations import gate
    from warehouse import dbt
    from warehouse.publish import publish_and_alert

    landing = gate.run_landing_gate()
    transform = dbt.run_dbt(["build", "--select", "path:seeds", "path:models/staging",
                             "path:models/intermediate", "--indirect-selection", "buildable"])
    assert transform.success, transform.summary()
    facts = gate.run_facts_gate()
    assert facts.success, facts.summary()
    marts = dbt.run_dbt(["build", "--select", "path:models/marts", "--indirect-selection", "buildable"])
    assert marts.success, marts.summary()
    checked = gate.run_marts_gate()
    assert checked.success, checked.summary()
    results = [facts, checked]
    return results, publish_and_alert(results, advisory_results=[landing])


def _copy_raw_into_file(target: Path) -> int:
    """The lake's raw.* rows into a DuckDB warehouse file (as if landed there); returns pages.
    Call it with the duckdb backend selected and the lake's settings still in the environment."""
    from warehouse import backends, db

    with db.connect(target):  # the file's own schema, keys included
        pass
    con = backends.open_ducklake(read_only=True)
    try:
        con.execute(f"attach '{target}' as wh")
        for (table,) in con.execute(  # the landing tables (the lake's raw also holds dbt's seeds)
                "select table_name from information_schema.tables where table_catalog = 'wh' "
                "and table_schema = 'raw' and table_type = 'BASE TABLE'").fetchall():
            con.execute(f'insert into wh.raw."{table}" by name '
                        f'select * from {backends.LAKE_ALIAS}.raw."{table}"')
        pages = con.execute("select count(*) from wh.raw.pages").fetchone()[0]
        con.execute("detach wh")
    finally:
        con.close()
    return int(pages)


def test_build_marts_steps_on_the_lake_publish_what_the_duckdb_file_publishes(landed, monkeypatch):
    from kejiwatch import settings
    from kejiwatch.runner import read_published_marts
    from warehouse import backends
    from warehouse.db import connect
    from warehouse.publish import read_manifest

    assert sum(landed["after_first"]["pages"].values()) > 0
    results, pub = _build_gate_publish()
    assert all(r.success for r in results) and pub is not None
    lake_marts = settings.marts_path()
    assert Path(pub.path) == lake_marts
    facts, fingerprint, tables = read_published_marts(lake_marts)
    assert set(facts) == {"contracts", "enterprises", "platforms"} and all(facts.values()), facts
    # what BI reads is what the lake holds, as a plain DuckDB file
    with connect(read_only=True) as con:
        in_lake = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
                   for t in ("fct_contracts", "fct_enterprises", "fct_platforms")}
        gate_runs = dict(con.execute("select gate, success from audit.gate_runs").fetchall())
    assert {f"fct_{k}": v for k, v in facts.items()} == in_lake
    assert gate_runs == {"landing": True, "facts": True, "marts": True}
    assert {m["table_name"]: m["row_count"] for m in read_manifest()}["fct_contracts"] == facts["contracts"]

    # The same raw rows on the DuckDB-file backend: the same marts are published.
    file_marts = lake_marts.with_name("marts-from-file.duckdb")
    warehouse_file = lake_marts.with_name("warehouse-file.duckdb")
    monkeypatch.setenv("KEJIWATCH_BACKEND", "duckdb")
    monkeypatch.setenv("KEJIWATCH_WAREHOUSE", str(warehouse_file))
    monkeypatch.setenv("KEJIWATCH_MARTS", str(file_marts))
    assert not backends.is_ducklake()
    assert _copy_raw_into_file(warehouse_file) > 0
    results, pub = _build_gate_publish()
    assert all(r.success for r in results) and Path(pub.path) == file_marts
    facts_file, fingerprint_file, tables_file = read_published_marts(file_marts)
    assert facts_file == facts
    changed = {t: (d, tables_file.get(t)) for t, d in tables.items() if tables_file.get(t) != d}
    assert not changed and fingerprint_file == fingerprint, changed


def test_schema_without_constraints_keeps_every_key():
    from warehouse import backends

    keys = backends.primary_keys()
    assert keys["raw.pages"] == ("page_version_id",)
    assert keys["raw.crawl_run_portals"] == ("run_id", "portal_id")
    assert "primary key" not in backends.ducklake_schema_sql().lower()


def test_cosmos_dbt_tasks_use_the_lake_profile(tmp_path):
    """With `nodes` (one cosmos task per dbt node, docker-compose's setting) on DuckLake, every
    dbt task runs with the generated lake profile; parsing writes only its YAML (no duckdb)."""
    code = textwrap.dedent("""
        import json, sys
        from pathlib import Path
        from kejiwatch import airflow_env
        airflow_env.configure(Path(sys.argv[1]))
        sys.path.insert(0, str(airflow_env.DAGS_FOLDER))
        from kejiwatch_common.dbt import ensure_manifest
        ensure_manifest()
        from airflow.dag_processing.dagbag import BundleDagBag
        bag = BundleDagBag(dag_folder=str(airflow_env.DAGS_FOLDER), bundle_path=airflow_env.DAGS_FOLDER)
        tasks = [t for t in bag.dags["build_marts"].tasks if hasattr(t, "profile_config")]
        profiles = {(str(t.profile_config.profiles_yml_filepath), t.profile_config.target_name)
                    for t in tasks}
        print(json.dumps({"errors": list(bag.import_errors), "n": len(tasks), "profiles": sorted(profiles),
                          "duckdb": "duckdb" in sys.modules}))
    """)
    env = {**os.environ, "KEJIWATCH_BACKEND": "ducklake", "KEJIWATCH_DBT_TASKS": "nodes",
           "KEJIWATCH_DATA_DIR": str(tmp_path), "KEJIWATCH_DUCKLAKE_CATALOG": "postgres:dbname=lake host=db"}
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "airflow")], env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["errors"] == [] and out["n"] > 10 and not out["duckdb"], out
    profile = tmp_path / "lake" / "dbt" / "profiles.yml"
    assert out["profiles"] == [[str(profile), "lake"]]
    assert "ducklake:postgres:dbname=lake host=db" in profile.read_text(encoding="utf-8")
