"""
### ingest_documents — ingest given document URLs now, then let build_marts run

Event-driven entry points besides the crawl schedule:

* **REST API**: post an asset event on `kejiwatch://ingest_requests` with
  `extra={"url": "http://..."}` (or `{"urls": [...]}`) — e.g. `kejiwatch airflow ingest URL`,
  or `POST /api/v2/assets/events` from any tool.
* **Inbox (AssetWatcher)**: drop `*.url` files (one URL a line) into `<data dir>/inbox/` and
  then create the flag file `inbox/READY`; the triggerer's `FileDeleteTrigger` sees the flag,
  deletes it and emits an event on `kejiwatch://inbox`.
* **Manual**: trigger with conf `{"urls": [...]}`.

`collect_urls` gathers the URLs from the triggering events, the run conf and the inbox;
`ingest_url` (mapped, one task per URL) fetches and lands each article through the crawler
(portal chosen by host); `announce` emits `kejiwatch://raw_pages` only if something new
landed, which schedules `build_marts`. Inbox files are moved to `inbox/done/` when claimed.
Re-ingesting an unchanged URL lands nothing (page versions are keyed by content hash).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import dag, task
from kejiwatch_common.assets import INBOX, INGEST_REQUESTS, RAW_PAGES, inbox_dir
from kejiwatch_common.defaults import CRAWL_POOL, START_DATE, TAGS, default_args


def _urls_from_extra(extra: Any) -> list[str]:
    if not isinstance(extra, dict):
        return []
    urls = extra.get("urls") or []
    if isinstance(urls, str):
        urls = [urls]
    if extra.get("url"):
        urls = [extra["url"], *urls]
    return [str(u).strip() for u in urls if str(u).strip()]


@dag(
    dag_id="ingest_documents",
    schedule=(INGEST_REQUESTS | INBOX),
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    doc_md=__doc__,
    tags=[*TAGS, "ingest", "event-driven"],
)
def ingest_documents() -> None:
    @task(doc_md="URLs from the triggering asset events, the run conf and `<data dir>/inbox/*.url`.")
    def collect_urls(triggering_asset_events: Any = None, dag_run: Any = None) -> list[str]:
        urls: list[str] = []
        for events in (triggering_asset_events or {}).values():
            for event in events:
                urls += _urls_from_extra(getattr(event, "extra", None))
        urls += _urls_from_extra(getattr(dag_run, "conf", None) or {})
        # Claim the inbox files: they move to inbox/done/ now, so a file dropped while this run
        # works waits for the next run instead of being archived unread. A URL that then fails
        # stays visible as its red mapped task (clear it to retry).
        archive = inbox_dir() / "done"
        for path in sorted(inbox_dir().glob("*.url")):
            urls += [line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#")]
            archive.mkdir(parents=True, exist_ok=True)
            path.replace(archive / path.name)
        return list(dict.fromkeys(urls))  # keep order, drop repeats

    @task(
        pool=CRAWL_POOL,
        retries=2,
        retry_exponential_backoff=True,
        execution_timeout=timedelta(minutes=5),
        map_index_template="{{ task.op_kwargs['url'] }}",
        doc_md="Fetch one article URL now and land it (portal chosen by the URL's host).",
    )
    def ingest_url(url: str) -> dict[str, Any]:
        from scrapers.ingest import ingest_url as _ingest

        result = _ingest(url, proxy=os.environ.get("KEJIWATCH_HTTP_PROXY"))
        keys = ("portal_id", "status", "pages_fetched", "pages_landed", "errors", "reason")
        return {"url": url, **{k: getattr(result, k) for k in keys if hasattr(result, k)}}

    @task(
        trigger_rule="all_done",
        outlets=[RAW_PAGES],
        doc_md="Emit `raw_pages` (counts in extra) only if something new landed.",
    )
    def announce(urls: list[str], results: Any) -> dict[str, Any]:
        from airflow.exceptions import AirflowSkipException
        from airflow.sdk import get_current_context

        done = [r for r in (results or []) if r]
        totals = {
            "source": "ingest_documents",
            "urls": len(urls),
            "urls_failed": sorted(set(urls) - {r["url"] for r in done}
                                  | {r["url"] for r in done if r.get("status") == "failed"}),
            "pages_fetched": sum(int(r.get("pages_fetched") or 0) for r in done),
            "pages_landed": sum(int(r.get("pages_landed") or 0) for r in done),
        }
        if not totals["pages_landed"]:
            raise AirflowSkipException(f"nothing new landed from {len(urls)} URL(s): no raw_pages event")
        get_current_context()["outlet_events"][RAW_PAGES].extra = totals
        return totals

    urls = collect_urls()
    announce(urls, ingest_url.expand(url=urls))


ingest_documents()
