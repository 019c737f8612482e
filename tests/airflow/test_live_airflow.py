"""The real thing on loopback: api-server, scheduler, dag-processor and triggerer as separate
processes on a temporary AIRFLOW_HOME (SQLite, LocalExecutor), the replay portals as the web.

It waits for health, lists the DAGs through the REST API, posts an asset event asking for a URL
to be ingested and sees ingest_documents land it and build_marts start on the raw_pages event;
then drops a URL in the inbox and sees the AssetWatcher (FileDeleteTrigger in the triggerer)
start ingest_documents again; finally asks for a backfill of scrape_portals over 2023 and sees
the scheduler run it, limited to that year's articles of one portal. Everything is stopped at the end."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from kejiwatch import airflow_env
from kejiwatch.airflow_api import AirflowAPI
from kejiwatch.commands.airflow import drop_in_inbox

pytestmark = pytest.mark.slow

COMPONENTS = {
    "api-server": ["api-server", "--port", "{port}", "--host", "127.0.0.1"],
    "scheduler": ["scheduler"],
    "dag-processor": ["dag-processor"],
    "triggerer": ["triggerer"],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-n:]) if path.exists() else ""


@pytest.fixture
def live_airflow(tmp_path, isolated_warehouse, replay_server_proxy):
    home = tmp_path / "airflow"
    port = _free_port()
    password = secrets.token_urlsafe(8)
    env = {
        **os.environ,
        **airflow_env.airflow_env(home, extra={
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(16),
            "AIRFLOW__CORE__PARALLELISM": "4",
            # fewer writers on the SQLite metadata DB while the test drives it
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "10",
            "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "60",
            # Yearly: the first interval after the DAGs' start date (2026-01-01) ends 2027-01-01,
            # so the scheduler starts no crawl of every portal during the test, while a backfill
            # can still ask for past years.
            "KEJIWATCH_SCRAPE_CRON": "@yearly",
            "KEJIWATCH_CRAWL_RATE": "100",  # the test's own loopback replay server
            "KEJIWATCH_AIRFLOW_PASSWORD": password,
            "KEJIWATCH_HTTP_PROXY": replay_server_proxy,
            "KEJIWATCH_DBT_TASKS": "layers",
        }),
    }
    home.mkdir(parents=True, exist_ok=True)
    # One child process: migrate the metadata DB, create the pools, write the admin password.
    airflow_env.migrate_db_child(env, timeout=300)
    procs: dict[str, tuple[subprocess.Popen, Path]] = {}
    try:
        for name, args in COMPONENTS.items():
            log = tmp_path / f"{name}.log"
            cmd = [airflow_env.airflow_bin(), *(a.format(port=port) for a in args)]
            procs[name] = (subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                                            start_new_session=True), log)
        client = AirflowAPI(f"http://127.0.0.1:{port}", airflow_env.ADMIN_USER, password)
        yield client, procs
    finally:
        for proc, _ in procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        # A short grace: the scheduler otherwise waits for the build it was running, and nothing
        # of this temporary Airflow needs a clean stop (each process group is killed after it).
        deadline = time.monotonic() + 10
        for name, (proc, log) in procs.items():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            print(f"--- {name} (exit {proc.returncode}) ---\n{_tail(log, 15)}")


@pytest.fixture
def replay_server_proxy():
    from replay.server import ReplayServer

    with ReplayServer(scenario="clean") as server:
        yield server.proxy_url


def _article_urls(n: int) -> list[str]:
    from replay import answer_key

    return [a["url"] for a in answer_key.load()[:n]]


def _articles_published(portal: str, year: int) -> set[str]:
    from replay import answer_key

    return {a["url"] for a in answer_key.load() if a["portal"] == portal
            and a["published_date"].startswith(f"{year}-")}


def _landed_urls(portal: str) -> set[str]:
    from warehouse.db import connect

    with connect(read_only=True) as con:
        rows = con.execute("select url from raw.pages where portal_id = ?", [portal]).fetchall()
    return {url for (url,) in rows}


def _backfill_year(client: AirflowAPI, portal: str, year: int) -> tuple[str, dict]:
    """Backfill scrape_portals (yearly schedule) over one year for one portal; the run's id and
    what its end_run task counted."""
    backfill = client.create_backfill("scrape_portals", f"{year}-01-01T00:00:00Z", f"{year}-01-01T00:00:00Z",
                                      conf={"portals": [portal]})
    client.wait_for_backfill(backfill["id"], timeout=240)
    run = client.dag_runs("scrape_portals")[0]
    assert run["state"] == "success" and run["run_type"] == "backfill", run
    window = client.xcom("scrape_portals", run["dag_run_id"], "date_range")
    assert window == {"since": f"{year}-01-01", "until": f"{year}-12-31", "source": "backfill data interval"}
    return run["dag_run_id"], client.xcom("scrape_portals", run["dag_run_id"], "end_run")


def _wait(predicate, timeout: float, what: str, poll: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def test_api_lists_dags_and_asset_events_drive_ingest_and_build(live_airflow):
    client, procs = live_airflow
    started = time.monotonic()
    try:
        client.wait_healthy(timeout=120)
        wanted = {"scrape_portals", "build_marts", "ingest_documents"}

        def parsed():
            ids = set(client.dag_ids())
            return ids if wanted <= ids else None

        assert wanted <= _wait(parsed, 120, "the DAGs to be parsed")
        first, second = ingested = _article_urls(2)

        # 1. REST API: an analyst asks for a URL now.
        event = client.post_asset_event("kejiwatch://ingest_requests", {"url": first})
        assert event["extra"]["url"] == first
        ingest = client.wait_for_run("ingest_documents", timeout=150)
        assert ingest["state"] == "success", ingest
        assert ingest["run_type"] == "asset_triggered"

        # Meanwhile an analyst drops another URL in the inbox (checked in step 3).
        before = {r["dag_run_id"] for r in client.dag_runs("ingest_documents")}
        drop_in_inbox([second])

        # 2. ...which landed a page and emitted raw_pages, so build_marts starts and runs its tasks.
        build = client.wait_for_run("build_marts", states={"running", "success", "failed"}, timeout=90)
        assert build["run_type"] == "asset_triggered"

        def landing_gate_done():
            tis = client.request("GET", f"/dags/build_marts/dagRuns/{build['dag_run_id']}/taskInstances")
            states = {t["task_id"]: t["state"] for t in tis["task_instances"]}
            return states if states.get("landing_gate") in {"success", "failed"} else None

        states = _wait(landing_gate_done, 120, "build_marts.landing_gate to finish")
        assert states["landing_gate"] == "success", states

        # 3. AssetWatcher: the URL dropped in the inbox started ingest_documents through the triggerer.
        inbox_run = client.wait_for_run("ingest_documents", after=before, timeout=120)
        assert inbox_run["state"] == "success", inbox_run
        assert not (Path(os.environ["KEJIWATCH_DATA_DIR"]) / "inbox" / "READY").exists()

        # 4. Backfill through the scheduler: the year 2023 of one portal, limited by the run's data
        #    interval. (Re-running a range lands nothing: tests/airflow/test_backfill_dag.py; here it
        #    would cost another half minute of task start-ups.)
        portal, year = "liaoning_kjt", 2023
        expected = _articles_published(portal, year) - set(ingested)
        assert expected
        run_id, totals = _backfill_year(client, portal, year)
        assert totals["portals"] == 1 and totals["pages_landed"] == len(expected), totals
        assert totals["pages_out_of_range"] > 0, totals
        assert client.task_states("scrape_portals", run_id)["announce"] == "success"
        assert _landed_urls(portal) == expected  # under the warehouse lock: waits for a running build
        print(f"\nlive Airflow test: {time.monotonic() - started:.0f}s after the components started")
    except Exception:
        for name, (_, log) in procs.items():
            print(f"--- {name} ---\n{_tail(log)}")
        for dag_id in ("ingest_documents", "build_marts", "scrape_portals"):
            for run in client.dag_runs(dag_id)[:3]:
                tis = client.request("GET", f"/dags/{dag_id}/dagRuns/{run['dag_run_id']}/taskInstances")
                print(dag_id, run["state"], [(t["task_id"], t["map_index"], t["state"], t["start_date"],
                                              t["end_date"]) for t in tis["task_instances"]])
        raise
