"""
### scrape_portals — crawl every registered portal and land what is new

One **mapped task per portal** of the registry (`scrapers/portals/*.yaml`, read when the run
starts, so adding a portal needs no DAG change). Each `crawl_portal` task fetches its portal
through the crawler and lands its batch in one transaction under the warehouse lock.

**Politeness per host, across tasks** (a host gets at most its portal's `rate_limit`, 1 req/s by
default, or its robots `Crawl-delay`):

* on one machine (LocalExecutor, `airflow standalone`, `dag.test()`), the crawler's limiter keeps
  each host's next allowed request time in `<data dir>/politeness/<host>.next` under a file lock,
  so two mapped tasks whose portals share a host, or a backfill overlapping the scheduled run,
  share that host's rate;
* across machines (CeleryExecutor workers) that file is not shared: the **`kejiwatch_crawl`
  pool** (4 slots) bounds how many portals are crawled at once. `dag.test()` ignores pools; the
  file-based limiter still holds there.

* A portal that fails turns only its own mapped task red (after retries with exponential
  backoff); the others carry on, and `end_run` (trigger rule *all done*) closes the crawl run
  with an outcome of ok / partial / failed in `raw.crawl_runs`.
* `announce` emits the **`kejiwatch://raw_pages`** asset event, with the counts in its extra,
  **only when something new landed**; `build_marts` is scheduled on that asset.
* Re-running any date is idempotent: page versions are keyed by url + content hash, so a
  re-crawl of unchanged pages lands nothing and emits no event.

Schedule: cron from `KEJIWATCH_SCRAPE_CRON` (default `@daily`; `none` = manual/event runs only),
no catch-up, one run at a time.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import dag, task
from kejiwatch_common.assets import RAW_PAGES
from kejiwatch_common.defaults import CRAWL_POOL, START_DATE, TAGS, default_args


def _counts(result: Any) -> dict[str, Any]:
    """A crawler summary as a small JSON-able dict (XCom and asset extras stay small)."""
    keys = ("portal_id", "status", "pages_fetched", "pages_landed", "errors", "reason")
    if isinstance(result, dict):
        return {k: result.get(k) for k in keys if k in result}
    return {k: getattr(result, k) for k in keys if hasattr(result, k)}


def _schedule() -> str | None:
    cron = os.environ.get("KEJIWATCH_SCRAPE_CRON", "@daily").strip()
    return None if cron.lower() in {"", "none", "manual"} else cron


@dag(
    dag_id="scrape_portals",
    schedule=_schedule(),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=__doc__,
    tags=[*TAGS, "ingest"],
)
def scrape_portals() -> None:
    @task(doc_md="Open a crawl run in `raw.crawl_runs`; its id tags every fetch and page version.")
    def begin_run(dag_run: Any = None) -> str:
        from scrapers.crawl import begin_run as _begin

        run_type = str(getattr(dag_run, "run_type", "") or "")
        return _begin("schedule" if "scheduled" in run_type else "manual")

    @task(doc_md="List the portal ids of the registry (YAML only) to map one crawl task over each; "
                 "`KEJIWATCH_PORTALS` (comma-separated ids) or run conf `portals` narrows the list.")
    def list_portals(dag_run: Any = None) -> list[str]:
        from scrapers.registry import load_portals

        registry = sorted(load_portals())
        wanted = (getattr(dag_run, "conf", None) or {}).get("portals") or os.environ.get("KEJIWATCH_PORTALS")
        if not wanted:
            return registry
        if isinstance(wanted, str):
            wanted = [w.strip() for w in wanted.split(",") if w.strip()]
        unknown = sorted(set(wanted) - set(registry))
        if unknown:
            raise ValueError(f"unknown portal ids {unknown}; registered: {registry}")
        return [p for p in registry if p in set(wanted)]

    @task(
        pool=CRAWL_POOL,
        retries=2,
        retry_delay=timedelta(seconds=30),
        retry_exponential_backoff=True,
        execution_timeout=timedelta(minutes=20),
        map_index_template="{{ task.op_kwargs['portal_id'] }}",
        doc_md=(
            "Crawl one portal (list pages → articles → tables/attachments) through the crawler's "
            "per-host limiter, shared with every other crawl process on this machine (state file "
            "under the data dir; the `kejiwatch_crawl` pool bounds crawls across machines), and "
            "land its batch in one transaction under the warehouse lock. Retried twice with "
            "exponential backoff, 20 min timeout; a failure stays this portal's own. Counts go "
            "to XCom; errors are recorded in `raw.fetches`/`raw.crawl_run_portals`."
        ),
    )
    def crawl_portal(portal_id: str, crawl_run_id: str) -> dict[str, Any]:
        from scrapers.crawl import crawl_portal as _crawl

        result = _crawl(portal_id, run_id=crawl_run_id, proxy=os.environ.get("KEJIWATCH_HTTP_PROXY"))
        return {"portal_id": portal_id, **_counts(result)}

    @task(
        trigger_rule="all_done",
        doc_md="Close the crawl run (outcome per portal) and add up the counts of every portal.",
    )
    def end_run(crawl_run_id: str, portals: list[str], results: Any) -> dict[str, Any]:
        from scrapers.crawl import end_run as _end

        outcome = _end(crawl_run_id)
        done = [r for r in (results or []) if r]
        missing = sorted(set(portals) - {r["portal_id"] for r in done})
        return {
            "run_id": crawl_run_id,
            "outcome": outcome,
            "portals": len(portals),
            "portals_failed": missing
            + sorted(r["portal_id"] for r in done if r.get("status") == "failed"),
            "pages_fetched": sum(int(r.get("pages_fetched") or 0) for r in done),
            "pages_landed": sum(int(r.get("pages_landed") or 0) for r in done),
            "errors": sum(int(r.get("errors") or 0) for r in done) + len(missing),
        }

    @task(
        outlets=[RAW_PAGES],
        doc_md="Emit the `raw_pages` asset event (counts in its extra) only if new page versions landed.",
    )
    def announce(totals: dict[str, Any]) -> dict[str, Any]:
        from airflow.exceptions import AirflowSkipException
        from airflow.sdk import get_current_context

        if not totals.get("pages_landed"):
            raise AirflowSkipException("no new page versions landed: no raw_pages event")
        get_current_context()["outlet_events"][RAW_PAGES].extra = {"source": "scrape_portals", **totals}
        return totals

    crawl_run_id = begin_run()
    portals = list_portals()
    results = crawl_portal.partial(crawl_run_id=crawl_run_id).expand(portal_id=portals)
    announce(end_run(crawl_run_id, portals, results))


scrape_portals()
