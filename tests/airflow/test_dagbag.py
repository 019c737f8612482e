"""The DAG files import without errors, quickly, and have the shape the pipeline relies on."""

from __future__ import annotations

import time

import pytest

from kejiwatch import airflow_env


@pytest.fixture(scope="module")
def dagbag():
    # BundleDagBag puts dags/ on sys.path as the dag-processor does for its bundle.
    from airflow.dag_processing.dagbag import BundleDagBag

    started = time.perf_counter()
    bag = BundleDagBag(dag_folder=str(airflow_env.DAGS_FOLDER), bundle_path=airflow_env.DAGS_FOLDER)
    elapsed = time.perf_counter() - started
    per_file = {s.file: round(s.duration.total_seconds(), 3) for s in bag.dagbag_stats}
    print(f"\nDAG parse: {elapsed:.2f}s in all (airflow imported before), per file: {per_file}")
    return bag


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert {"scrape_portals", "build_marts", "ingest_documents"} <= set(dagbag.dag_ids)


def test_assets_chain_the_dags(dagbag):
    scrape, build, ingest = (dagbag.dags[d] for d in ("scrape_portals", "build_marts", "ingest_documents"))
    assert "kejiwatch://raw_pages" in {a.name for a in scrape.get_task("announce").outlets}
    assert "kejiwatch://raw_pages" in {a.name for a in ingest.get_task("announce").outlets}
    assert "kejiwatch://marts" in {a.name for a in build.get_task("publish").outlets}
    assert "kejiwatch://raw_pages" in str(build.timetable.asset_condition)
    condition = str(ingest.timetable.asset_condition)
    assert "kejiwatch://ingest_requests" in condition and "kejiwatch://inbox" in condition


def test_crawl_is_mapped_retried_and_bounded(dagbag):
    crawl = dagbag.dags["scrape_portals"].get_task("crawl_portal")
    assert crawl.retries >= 1 and crawl.retry_exponential_backoff
    assert crawl.execution_timeout is not None
    assert crawl.pool == "kejiwatch_crawl"
    assert dagbag.dags["scrape_portals"].get_task("end_run").trigger_rule == "all_done"


def test_dbt_nodes_are_visible_tasks_in_the_writer_pool(dagbag):
    build = dagbag.dags["build_marts"]
    dbt_tasks = [t for t in build.tasks if t.task_id.startswith(("transform.", "marts."))]
    assert any(t.task_id.startswith("transform.") for t in dbt_tasks)
    assert any(t.task_id.startswith("marts.") for t in dbt_tasks)
    assert all(t.pool == "kejiwatch_warehouse" for t in dbt_tasks)
    # facts gate sits between the two dbt groups; publish is last.
    facts = build.get_task("facts_gate")
    assert any(t.startswith("transform.") for t in facts.upstream_task_ids)
    assert all(t.startswith("marts.") for t in facts.downstream_task_ids - {"publish"})
    assert build.get_task("publish").downstream_task_ids == set()


def test_every_dag_and_task_is_documented(dagbag):
    for dag in dagbag.dags.values():
        assert dag.doc_md and len(dag.doc_md) > 100, dag.dag_id
        for t in dag.tasks:
            assert t.doc_md, f"{dag.dag_id}.{t.task_id} has no doc_md"
