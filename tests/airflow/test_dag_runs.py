"""Both DAGs end to end through Airflow's dag.test(), exactly as `kejiwatch run` does it: the
replay portals, the real crawler, real dbt, real Great Expectations, a real publication.
A second run lands no new page versions and publishes identical marts. Two portals (a GBK
city bureau and a forum repost site, all three fact families between them) keep it short:
dag.test() runs the mapped crawl tasks one after the other (at 20 req/s per replay host)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]
PORTALS = "changxing_kjj,mgo_bbs"


def _kejiwatch_run(env: dict[str, str], home) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "kejiwatch.cli", "run", "--json", "--airflow-home", str(home),
         "--portals", PORTALS],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    print(proc.stdout[proc.stdout.find("kejiwatch run — summary"):].rsplit("\n", 2)[0])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_kejiwatch_run_twice_through_dag_test(isolated_warehouse, tmp_path):
    env = {**os.environ, "KEJIWATCH_DBT_TASKS": "layers"}
    first = _kejiwatch_run(env, tmp_path / "airflow")
    assert first["ok"], first
    # the replay portals are the run's own loopback server: the crawl says which rate it used
    assert first["crawl_rate"].startswith("20 req/s per host"), first["crawl_rate"]
    assert first["scrape"]["state"] == "success" and first["build"]["state"] == "success"
    assert first["pages_fetched"] >= first["pages_landed"] > 0
    assert first["portals"] == 2 and not first["portals_failed"]
    assert set(first["facts"]) == {"contracts", "enterprises", "platforms"}
    assert all(n > 0 for n in first["facts"].values()), first["facts"]
    assert all(v.startswith("PASS") for v in first["gates"].values()), first["gates"]
    marts = isolated_warehouse / "marts.duckdb"
    assert first["marts_path"] == str(marts) and marts.exists()
    with duckdb.connect(str(marts), read_only=True) as con:
        contracts = con.execute("select count(*) from main.fct_contracts").fetchone()[0]
    assert contracts == first["facts"]["contracts"]
    # the raw_pages asset event carried the counts (extra) and build_marts published the marts asset
    assert first["scrape"]["xcoms"]["announce"]["pages_landed"] == first["pages_landed"]

    second = _kejiwatch_run(env, tmp_path / "airflow")
    assert second["ok"], second
    assert second["pages_landed"] == 0
    assert second["scrape"]["task_states"]["announce"] == "skipped"  # nothing new: no event
    changed = {t: (d, second["marts_tables"].get(t)) for t, d in first["marts_tables"].items()
               if second["marts_tables"].get(t) != d}
    assert not changed, changed
    assert second["marts_fingerprint"] == first["marts_fingerprint"]
    assert second["facts"] == first["facts"]
