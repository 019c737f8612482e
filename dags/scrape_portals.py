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

#### Backfill a date range

A run limited to a range of **publish dates** (Asia/Shanghai calendar dates, both ends
inclusive) walks each list past the point where an ordinary run stops, until a list page holds
only entries published before `since`, and lands only the articles published in the range
(entries whose list shows a date outside it are not even fetched; lists without dates fall back
to the article's own date). Two ways to ask for one:

* **run conf** `{"since": "2025-10-01", "until": "2025-10-31"}` (either end may be left out;
  `portals` narrows the portals as usual): one run, one walk per list, the cheapest way;
* **`airflow backfill create --dag-id scrape_portals --from-date 2025-10-01 --to-date
  2025-10-31`**: one run per day of the schedule (31 here), each limited to its own data
  interval: the interval's calendar dates, end exclusive, read as publish dates. The schedule is
  a data-interval timetable in UTC so that Airflow's naive `--from-date`/`--to-date` (UTC) map
  one to one onto those dates. A `since`/`until` in the backfill's `--dag-run-conf` wins over
  the interval. Each run walks from the top of every list down to its day, so a long range is
  cheaper as one run with conf.

A re-run of the same range lands nothing (landed articles are asked with a conditional GET and
answer 304) and emits no event, so `build_marts` does not run and no mart changes. The range is
reported in the `date_range` task's XCom and in `end_run`'s totals (the `raw_pages` event extra).
A range does not fill a portal's whole history: an ordinary run afterwards stops at the articles
it knows, so for a new portal's full history run `kejiwatch crawl --full` (or an ordinary run
first).

**Why a scheduled run is not limited to its data interval:** portals publish late (an article
dated last week appears today) and edit old articles in place, so a scheduled run crawls
incrementally from the newest entry and lands whatever is new or changed, whatever its date.
Only an explicit range (run conf, or a backfill run) narrows a run.

Schedule: cron from `KEJIWATCH_SCRAPE_CRON` (default `@daily`, i.e. 00:00 UTC = 08:00 in China;
`none` = manual/event runs only) as data intervals in UTC, no catch-up, one run at a time.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import dag, task
from airflow.timetables.interval import CronDataIntervalTimetable
from kejiwatch_common.assets import RAW_PAGES
from kejiwatch_common.defaults import CRAWL_POOL, START_DATE, TAGS, default_args


def _counts(result: Any) -> dict[str, Any]:
    """A crawler summary as a small JSON-able dict (XCom and asset extras stay small)."""
    keys = ("portal_id", "status", "pages_fetched", "pages_landed", "pages_out_of_range", "errors", "reason")
    if isinstance(result, dict):
        return {k: result.get(k) for k in keys if k in result}
    return {k: getattr(result, k) for k in keys if hasattr(result, k)}


def _run_type(dag_run: Any) -> str:
    run_type = getattr(dag_run, "run_type", "") or ""
    return str(getattr(run_type, "value", run_type))


def _interval_dates(start: datetime, end: datetime) -> tuple[str, str]:
    """A data interval [start, end) as inclusive publish dates, by its calendar dates in its own
    timezone: @daily 10-01T00:00..10-02T00:00 is the one day 2025-10-01 (a zero-width interval,
    from a trigger timetable, is its one day)."""
    last = end - timedelta(microseconds=1) if end > start else end
    return start.date().isoformat(), last.date().isoformat()


def _schedule() -> CronDataIntervalTimetable | None:
    """Data intervals, not trigger times (Airflow 3's default for a cron string): a backfill run
    then has a real interval to limit itself to. UTC, because `airflow backfill create` reads a
    naive --from-date as UTC: day D's run is then the interval D 00:00..D+1 00:00 UTC."""
    cron = os.environ.get("KEJIWATCH_SCRAPE_CRON", "@daily").strip()
    if cron.lower() in {"", "none", "manual"}:
        return None
    return CronDataIntervalTimetable(cron, timezone="UTC")


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
    @task(doc_md=(
        "Which publish dates this run is limited to: run conf `since`/`until` (ISO dates), else a "
        "backfill run's data interval (its calendar dates, end exclusive), else none "
        "(`{}`: scheduled and manual runs crawl incrementally, whatever the dates). A bad date or "
        "`since` after `until` fails here, before anything is crawled."
    ))
    def date_range(dag_run: Any = None, data_interval_start: Any = None,
                   data_interval_end: Any = None) -> dict[str, Any]:
        from scrapers.listing_dates import DateRange

        conf = getattr(dag_run, "conf", None) or {}
        if conf.get("since") or conf.get("until"):
            window = DateRange.parse(conf.get("since"), conf.get("until"))
            return {**window.as_dict(), "source": "run conf"}
        if _run_type(dag_run) == "backfill" and data_interval_start and data_interval_end:
            window = DateRange.parse(*_interval_dates(data_interval_start, data_interval_end))
            return {**window.as_dict(), "source": "backfill data interval"}
        return {}

    @task(doc_md="Open a crawl run in `raw.crawl_runs` (trigger schedule / backfill / manual); its id "
                 "tags every fetch and page version.")
    def begin_run(window: dict[str, Any], dag_run: Any = None) -> str:
        from scrapers.crawl import begin_run as _begin

        run_type = _run_type(dag_run)
        return _begin({"scheduled": "schedule", "backfill": "backfill"}.get(run_type, "manual"))

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
            "to XCom; errors are recorded in `raw.fetches`/`raw.crawl_run_portals`. With a date "
            "range it walks the lists down to the range and lands only articles published in it."
        ),
    )
    def crawl_portal(portal_id: str, crawl_run_id: str, window: dict[str, Any]) -> dict[str, Any]:
        from scrapers.crawl import crawl_portal as _crawl
        from scrapers.listing_dates import DateRange

        limit = DateRange.parse(window.get("since"), window.get("until")) if window else None
        result = _crawl(portal_id, run_id=crawl_run_id, proxy=os.environ.get("KEJIWATCH_HTTP_PROXY"),
                        window=limit)
        return {"portal_id": portal_id, **_counts(result)}

    @task(
        trigger_rule="all_done",
        doc_md="Close the crawl run (outcome per portal) and add up the counts of every portal, "
               "with the date range the run was limited to (null: none).",
    )
    def end_run(crawl_run_id: str, portals: list[str], results: Any,
                window: dict[str, Any] | None = None) -> dict[str, Any]:
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
            "pages_out_of_range": sum(int(r.get("pages_out_of_range") or 0) for r in done),
            "errors": sum(int(r.get("errors") or 0) for r in done) + len(missing),
            "range": window or None,
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

    window = date_range()
    crawl_run_id = begin_run(window)
    portals = list_portals()
    results = crawl_portal.partial(crawl_run_id=crawl_run_id, window=window).expand(portal_id=portals)
    announce(end_run(crawl_run_id, portals, results, window))


scrape_portals()
