"""scrape_portals with a date range, through Airflow's dag.test() with run conf {since, until}:
the run lands exactly the replay articles published in the range and announces them; the same
range again lands nothing and announces nothing (no raw_pages event, so build_marts does not run
and no mart changes). Two portals: one whose lists show dates (TRS 海云) and one whose lists do
not (Discuz archiver), crawled at 100 req/s per host on the test's own loopback replay server."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pendulum
import pytest

from kejiwatch import airflow_env
from replay import answer_key

pytestmark = pytest.mark.timeout(600)
PORTALS = ["liaoning_kjt", "mgo_bbs"]
SINCE, UNTIL = "2023-01-01", "2023-12-31"


def _dags() -> dict[str, Any]:
    from kejiwatch.runner import load_dags

    airflow_env.migrate_db()
    return load_dags()


def _landed_urls() -> set[str]:
    from warehouse.db import connect

    with connect(read_only=True) as con:
        return {u for (u,) in con.execute("select url from raw.pages").fetchall()}


def _asset_events(run_id: str) -> int:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(select(func.count()).select_from(AssetEvent).where(
            AssetEvent.source_dag_id == "scrape_portals", AssetEvent.source_run_id == run_id))


@pytest.mark.slow  # two dag.test() runs: about a minute
def test_range_run_twice_through_dag_test(isolated_warehouse, replay_server, monkeypatch) -> None:
    from kejiwatch.runner import run_dag_test

    srv = replay_server(day=0)
    monkeypatch.setenv("KEJIWATCH_HTTP_PROXY", srv.proxy_url)
    monkeypatch.setenv("KEJIWATCH_CRAWL_RATE", "100")
    dag = _dags()["scrape_portals"]
    conf = {"since": SINCE, "until": UNTIL, "portals": PORTALS}
    expected = {e["url"] for e in answer_key.load(0) if e["portal"] in PORTALS
                and date.fromisoformat(SINCE) <= date.fromisoformat(e["published_date"])
                <= date.fromisoformat(UNTIL)}
    assert expected

    first = run_dag_test(dag, run_conf=conf)
    assert first.state == "success", first.task_states
    assert first.xcoms["date_range"] == {"since": SINCE, "until": UNTIL, "source": "run conf"}
    totals = first.xcoms["end_run"]
    assert totals["outcome"] == "ok" and totals["portals"] == 2
    assert totals["range"]["since"] == SINCE and totals["pages_out_of_range"] > 0
    assert totals["pages_landed"] == len(expected)
    assert _landed_urls() == expected
    assert first.task_states["announce"] == "success" and _asset_events(first.run_id) == 1

    second = run_dag_test(dag, run_conf=conf)
    assert second.state == "success", second.task_states
    assert second.xcoms["end_run"]["pages_landed"] == 0
    assert second.task_states["announce"] == "skipped"  # nothing new: no raw_pages event
    assert _asset_events(second.run_id) == 0
    assert _landed_urls() == expected


def test_backfill_run_is_limited_to_its_data_interval_and_others_are_not() -> None:
    """date_range as the task runs it, given the context Airflow passes (dag_run, data interval)."""
    from airflow.timetables.base import TimeRestriction

    dag = _dags()["scrape_portals"]
    task = dag.get_task("date_range").python_callable
    # a data-interval timetable, so a backfill run of day D has the interval D..D+1 (UTC)
    info = dag.timetable.next_dagrun_info(last_automated_data_interval=None, restriction=TimeRestriction(
        pendulum.datetime(2025, 10, 1, tz="UTC"), pendulum.datetime(2025, 10, 31, tz="UTC"), True))
    assert (info.data_interval.start, info.data_interval.end) == (
        pendulum.datetime(2025, 10, 1, tz="UTC"), pendulum.datetime(2025, 10, 2, tz="UTC"))
    # the schedule's intervals are UTC days: `backfill create --from-date 2025-10-01` (naive = UTC)
    day = {"data_interval_start": pendulum.datetime(2025, 10, 1, tz="UTC"),
           "data_interval_end": pendulum.datetime(2025, 10, 2, tz="UTC")}
    backfill = SimpleNamespace(run_type="backfill", conf={})
    assert task(dag_run=backfill, **day) == {
        "since": "2025-10-01", "until": "2025-10-01", "source": "backfill data interval"}
    week = {"data_interval_start": pendulum.datetime(2025, 10, 1, tz="Asia/Shanghai"),
            "data_interval_end": pendulum.datetime(2025, 10, 8, tz="Asia/Shanghai")}
    assert task(dag_run=backfill, **week)["until"] == "2025-10-07"
    # conf wins over the interval; scheduled and manual runs are not limited by their interval
    conf = SimpleNamespace(run_type="backfill", conf={"since": "2025-09-01"})
    assert task(dag_run=conf, **day) == {"since": "2025-09-01", "until": None, "source": "run conf"}
    assert task(dag_run=SimpleNamespace(run_type="scheduled", conf={}), **day) == {}
    assert task(dag_run=SimpleNamespace(run_type="manual", conf=None), **day) == {}
    with pytest.raises(ValueError):
        task(dag_run=SimpleNamespace(run_type="manual", conf={"since": "2025-11-01", "until": "2025-10-01"}))
