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


def test_docs_render_as_markdown(dagbag):
    """The UI renders doc_md as CommonMark: each DAG doc has its heading and its lists, and no
    doc turns into a code block by accident (an indented docstring would)."""
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark")
    for dag in dagbag.dags.values():
        html = md.render(dag.doc_md)
        assert html.startswith(f"<h3>{dag.dag_id}"), (dag.dag_id, html[:120])
        assert "<li>" in html and "<pre>" not in html, dag.dag_id
        for t in dag.tasks:
            task_html = md.render(t.doc_md)
            assert "<pre>" not in task_html and len(task_html) > 40, f"{dag.dag_id}.{t.task_id}"


# What the tasks use at run time and the dag-processor must never pay for on each parse.
RUNTIME_ONLY = ("duckdb", "pandas", "great_expectations", "dbt", "scrapers.fetch", "warehouse.db",
                "expectations.gate", "bs4", "lxml")


def test_parsing_imports_no_runtime_library():
    """Parse time stays low because DAG files import no warehouse, dbt, GX or crawler code at the
    top level (the parse time itself is printed by the dagbag fixture, not asserted: it swings with
    the machine's load). A fresh interpreter, as the dag-processor's parse of a file."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import json, sys\n"
        "from kejiwatch import airflow_env\n"
        "from airflow.dag_processing.dagbag import BundleDagBag\n"
        "bag = BundleDagBag(dag_folder=str(airflow_env.DAGS_FOLDER), bundle_path=airflow_env.DAGS_FOLDER)\n"
        "assert not bag.import_errors, bag.import_errors\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {RUNTIME_ONLY!r} "
        f"or m in {RUNTIME_ONLY!r})))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    imported = json.loads(proc.stdout.strip().splitlines()[-1])
    assert imported == [], imported
