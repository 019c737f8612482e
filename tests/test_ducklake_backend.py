"""The DuckLake backend: a PostgreSQL catalog (a throwaway cluster started here with Debian's
initdb/pg_ctl) and a shared data path; two crawler processes land different portals into the
same lake at the same time, re-landing adds nothing, and the same dbt project (seeds, the
extraction Python model, marts, every dbt test) builds in the lake."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

PORTALS = ("changxing_kjj", "liaoning_kjt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(*cmd: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def postgres_dsn():
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
        _as_postgres(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "lake")
        yield f"dbname=lake host=127.0.0.1 port={port} user=postgres"
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(bindir / "pg_ctl"), "-D", str(data),
                        "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def lake_env(postgres_dsn, isolated_warehouse, monkeypatch):
    monkeypatch.setenv("KEJIWATCH_BACKEND", "ducklake")
    monkeypatch.setenv("KEJIWATCH_DUCKLAKE_CATALOG", f"postgres:{postgres_dsn}")
    monkeypatch.setenv("KEJIWATCH_DUCKLAKE_DATA_PATH", str(isolated_warehouse / "lake-data"))
    return dict(os.environ)


CRAWL_ONE = """
import json, sys
from scrapers.crawl import begin_run, crawl_portal, end_run
run_id = begin_run("test")
result = crawl_portal(sys.argv[1], run_id=run_id, proxy=sys.argv[2])
end_run(run_id)
print(json.dumps({"status": result.status, "reason": result.reason, "landed": result.pages_landed}))
"""


def _crawl_concurrently(env: dict[str, str], proxy: str) -> dict[str, dict]:
    procs = {p: subprocess.Popen([sys.executable, "-c", CRAWL_ONE, p, proxy], env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for p in PORTALS}
    results = {}
    for portal, proc in procs.items():
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        results[portal] = json.loads(out.strip().splitlines()[-1])
    return results


@pytest.mark.xfail(
    reason="known flaky: concurrent DuckLake writers sometimes hit 'another transaction has deleted "
    "inlined data' and the portal batch is not retried yet (issue 8 stays open)",
    strict=False,
)
def test_two_writers_land_different_portals_into_one_lake(lake_env):
    from replay.server import ReplayServer
    from warehouse import backends
    from warehouse.db import connect

    assert backends.is_ducklake()
    with ReplayServer(scenario="clean") as server:
        first = _crawl_concurrently(lake_env, server.proxy_url)
        for portal, result in first.items():
            assert result["status"] in {"ok", "partial"}, (portal, result)
            assert result["landed"] > 0, (portal, result)
        with connect(read_only=True) as con:
            per_portal = dict(con.execute(
                "select portal_id, count(*) from raw.pages group by 1").fetchall())
            dupes = con.execute(
                "select count(*) - count(distinct page_version_id) from raw.pages").fetchone()[0]
            runs = con.execute(
                "select count(*) from raw.crawl_runs where finished_at is not null").fetchone()[0]
        assert per_portal == {p: first[p]["landed"] for p in PORTALS}
        assert dupes == 0 and runs == 2
        # Landing the same portals again (same content) adds no page version: MERGE on the keys.
        second = _crawl_concurrently(lake_env, server.proxy_url)
        assert all(r["landed"] == 0 for r in second.values()), second
        with connect(read_only=True) as con:
            total = con.execute("select count(*) from raw.pages").fetchone()[0]
        assert total == sum(per_portal.values())
    # the data files really are Parquet under the shared data path
    assert list(Path(lake_env["KEJIWATCH_DUCKLAKE_DATA_PATH"]).rglob("*.parquet"))

    # The same dbt project, built in the lake (profile generated by warehouse.backends).
    build = backends.run_dbt_on_lake(["build"])
    assert build.returncode == 0, build.stdout[-4000:]
    with connect(read_only=True) as con:
        facts = {t: con.execute(f"select count(*) from marts.{t}").fetchone()[0]
                 for t in ("fct_contracts", "fct_enterprises", "fct_platforms")}
        mentions = con.execute("select count(*) from intermediate.int_indicator_mentions").fetchone()[0]
    assert mentions > 0 and all(n > 0 for n in facts.values()), facts


def test_schema_without_constraints_keeps_every_key():
    from warehouse import backends

    keys = backends.primary_keys()
    assert keys["raw.pages"] == ("page_version_id",)
    assert keys["raw.crawl_run_portals"] == ("run_id", "portal_id")
    assert "primary key" not in backends.ducklake_schema_sql().lower()
