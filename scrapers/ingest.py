""""Ingest this URL now" (the event-driven path of issue 8): fetch one article, with its tables and
attachments, and land it at once, politely and with the same rules as a crawl.

``ingest_url(url, *, proxy=None) -> PortalResult``: the portal is chosen by the URL's host; a URL
on no registered portal's hosts is refused (recorded nowhere, ``status='failed'``). The article
is landed in its own run (trigger ``event``) so its fetches and outcome are on record.
"""

from __future__ import annotations

import time
from pathlib import Path

from scrapers.crawl import PortalCrawl, PortalResult, begin_run, end_run
from scrapers.fetch import Fetcher, FetchPolicy, utcnow
from scrapers.listing import ListLink
from scrapers.registry import PortalConfig, load_portals, portal_for_url
from warehouse import landing


def ingest_url(
    url: str,
    *,
    proxy: str | None = None,
    portals: dict[str, PortalConfig] | None = None,
    policy: FetchPolicy | None = None,
    warehouse: Path | None = None,
    trigger: str = "event",
) -> PortalResult:
    t0 = time.perf_counter()
    registry = portals if portals is not None else load_portals()
    cfg = portal_for_url(url, registry)
    if cfg is None or not cfg.allows(url):
        return PortalResult(portal_id="", status="failed",
                            reason=f"{url} is not on the allowed http(s) hosts of any registered portal")
    run_id = begin_run(trigger, warehouse=warehouse)
    started = utcnow()
    with Fetcher(proxy, policy, run_id) as fetcher:
        crawl = PortalCrawl(cfg, fetcher, landing.load_state(cfg.id, warehouse), run_id)
        crawl.columns_ok = 1  # no list pages are read: the article's own fate decides the status
        crawl.article(ListLink(url, None))
    crawl.finish(started)
    try:
        landed = landing.land_batch(crawl.batch, warehouse)
        crawl.result.count_landed(landed)
    except Exception as exc:
        crawl.result.status, crawl.result.reason = "failed", f"landing failed: {type(exc).__name__}: {exc}"
    if crawl.result.errors or crawl.result.blocked:
        crawl.result.status = "failed"  # the one page did not land
    end_run(run_id, warehouse=warehouse)
    crawl.result.done(t0)
    return crawl.result
