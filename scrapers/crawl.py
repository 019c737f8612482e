"""The crawl: every portal in its own thread (hosts in parallel, each host polite), list pages
newest first, articles, tables and attachments, landed one portal per transaction.

Public entry points (see the README's interfaces):
``crawl(portal_ids=None, *, proxy=None, run_id=None, trigger="cli") -> CrawlSummary``,
``crawl_portal(portal_id, *, run_id, proxy=None) -> PortalResult`` (one portal; for Airflow's mapped
tasks), ``begin_run(trigger) -> run_id`` and ``end_run(run_id) -> outcome``.

Incremental: a list page answered 304 (or unchanged byte for byte) whose links were all resolved
last time ends the column's walk; otherwise links are visited newest first, known articles with a
conditional GET, and ``stop_after_known`` consecutive known, unchanged articles end the walk.
``full=True`` walks everything (still with conditional GETs) to catch edits deep in a list.

Date range (``window=DateRange(since, until)``, a backfill): the walk goes past the incremental stop
points (as ``full``) until a list page holds only entries published before ``since``, and lands only
articles published in the range. An entry whose list shows its date (or whose landed version has
one) is not fetched when that date is outside the range; otherwise the article is fetched and its
parsed date decides. Articles with no date at all are landed (a range cannot place them).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from scrapers.article import ParsedArticle, parse_article
from scrapers.attachments import parse_attachment
from scrapers.dedup import numbers, signature
from scrapers.fetch import Fetcher, FetchPolicy, FetchResult, utcnow
from scrapers.listing import ListLink, article_links, nth_page_url, page_count
from scrapers.listing_dates import DateRange
from scrapers.registry import PortalConfig, load_portals
from warehouse import landing
from warehouse.landing import LandResult, PortalBatch, PortalState, to_json

log = logging.getLogger(__name__)

Progress = Callable[[str, "PortalResult"], None]


@dataclass
class PortalResult:
    portal_id: str
    status: str = "ok"  # ok | partial | failed
    reason: str | None = None
    fetches: int = 0  # HTTP attempts, robots and retries included
    bytes: int = 0
    pages_fetched: int = 0  # list and article pages answered 200 or 304
    pages_not_modified: int = 0
    pages_landed: int = 0  # new page versions
    pages_unchanged: int = 0
    pages_out_of_range: int = 0  # range crawls: entries skipped or not landed, published outside it
    tables_landed: int = 0
    attachments_landed: int = 0
    duplicates_linked: int = 0
    errors: int = 0  # resources that ended in an error (after retries)
    blocked: int = 0  # resources refused: challenge, WAF, robots.txt, off-host
    elapsed_s: float = 0.0
    phase: str = "queued"  # queued | crawling | landing | done

    def count_landed(self, landed: LandResult) -> None:
        """What landing the portal's batch added (a crawl and a one-URL ingest count alike)."""
        self.pages_landed = landed.pages
        self.tables_landed = landed.page_tables + landed.attachment_tables
        self.attachments_landed = landed.attachments
        self.duplicates_linked = landed.duplicates_linked

    def done(self, t0: float) -> None:
        self.elapsed_s = time.perf_counter() - t0
        self.phase = "done"


@dataclass
class CrawlSummary:
    run_id: str
    outcome: str
    portals: dict[str, PortalResult] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def _sum(self, attr: str) -> int:
        return sum(getattr(p, attr) for p in self.portals.values())

    @property
    def pages_fetched(self) -> int:
        return self._sum("pages_fetched")

    @property
    def pages_landed(self) -> int:
        return self._sum("pages_landed")

    @property
    def errors(self) -> int:
        return self._sum("errors")

    @property
    def fetches(self) -> int:
        return self._sum("fetches")

    @property
    def bytes(self) -> int:
        return self._sum("bytes")


def content_hash(p: ParsedArticle) -> str:
    """Hash of the normalised article (title, date, source, body): an edit to any is a new version."""
    date = p.published_at.isoformat() if p.published_at else ""
    text = "\n".join([p.title or "", date, p.source or "", p.body_text])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _vid(url: str, chash: str) -> str:
    return hashlib.sha256(f"{url}|{chash}".encode()).hexdigest()[:24]


def _portal_row(cfg: PortalConfig) -> dict[str, Any]:
    return {
        "portal_id": cfg.id, "name": cfg.name, "publisher_type": cfg.publisher_type,
        "region_code": cfg.region_code, "region_name": cfg.region_name, "base_url": cfg.base_url,
        "authority_rank": cfg.authority_rank, "config_hash": cfg.config_hash, "updated_at": utcnow(),
    }


class PortalCrawl:
    """One portal's walk; collects a PortalBatch and counts into a PortalResult."""

    def __init__(
        self, cfg: PortalConfig, fetcher: Fetcher, state: PortalState, run_id: str | None,
        *, full: bool = False, progress: Progress | None = None, window: DateRange | None = None,
    ) -> None:
        self.cfg = cfg
        self.fetcher = fetcher
        self.state = state
        self.window = window
        # a range must be walked past the pages an incremental run trusts or stops at
        self.full = full or window is not None
        self.progress = progress
        self.batch = PortalBatch(run_id=run_id, portal_id=cfg.id, portal_rows=[_portal_row(cfg)])
        self.result = PortalResult(cfg.id)
        self.causes: Counter[str] = Counter()
        self.blocks: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.seen: set[str] = set()
        self.resolved: set[str] = set()
        self.columns_ok = 0
        self.column_errors: list[str] = []
        self.published: dict[str, date] = {}  # url → publish date seen this run (list or article)

    # ------------------------------------------------------------------ helpers
    def _get(self, url: str, kind: str, validators: tuple[str | None, str | None] | None = None
             ) -> FetchResult:
        max_bytes = self.cfg.max_attachment_bytes if kind == "attachment" else self.cfg.max_response_bytes
        res = self.fetcher.fetch(
            url, portal_id=self.cfg.id, kind=kind, allowed=self.cfg.allows, rate=self.cfg.rate_limit,
            validators=validators, max_bytes=max_bytes, encoding_hint=self.cfg.encoding,
        )
        self.batch.fetches.extend(res.attempts)
        self.result.fetches += len(res.attempts)
        self.result.bytes += sum(r["bytes"] or 0 for r in res.attempts)
        if kind in ("list", "article") and (res.ok or res.not_modified):
            self.result.pages_fetched += 1
            self.result.pages_not_modified += res.not_modified
        if res.note:
            self.warnings[res.note.split(":")[0]] += 1
        if self.progress:
            self.progress(self.cfg.id, self.result)
        return res

    def _fail(self, res: FetchResult) -> None:
        if res.blocked_reason:
            self.result.blocked += 1
            self.blocks[res.blocked_reason] += 1
        else:
            self.result.errors += 1
            self.causes[_cause(res.error)] += 1

    # ------------------------------------------------------------------ walk
    def run(self) -> None:
        for start in self.cfg.start_urls:
            try:
                self.walk(start)
            except Exception as exc:  # a bug on one column must not lose the others
                log.exception("portal %s column %s crashed", self.cfg.id, start)
                self.result.errors += 1
                self.causes[f"crash: {type(exc).__name__}"] += 1
                self.column_errors.append(f"{start}: crash {type(exc).__name__}: {exc}")

    def walk(self, start: str) -> None:
        cfg = self.cfg
        first_html: str | None = None
        announced: int | None = None
        failures = 0
        streak = 0
        visited: set[str] = set()
        for n in range(cfg.pagination.max_pages):
            url = nth_page_url(start, n, cfg, first_html)
            if url is None or url in visited:
                break
            if announced is not None and n >= announced and n > 0 and not self._probe_worthy(n, announced):
                break
            visited.add(url)
            prev = self.state.lists.get(url)
            trusted = bool(prev and prev.get("complete")) and not self.full
            res = self._get(url, "list", _list_validators(prev) if trusted and prev else None)
            if res.not_modified and trusted:
                res.attempts[-1]["links_complete"] = True
                self.columns_ok += n == 0
                return  # unchanged since a complete walk: nothing new below it either
            if not res.ok:
                if n > 0 and res.status in (404, 410) and (announced is None or n >= announced):
                    res.attempts[-1]["error"] = f"http {res.status} (end of list)"
                    break  # walked past the last page: the normal end of a list
                self._fail(res)
                if n == 0:
                    self.column_errors.append(f"{url}: {res.error}")
                failures += 1
                if failures >= 2 or (n == 0 and cfg.pagination.kind == "hanweb_datastore"):
                    break
                continue
            failures = 0
            if n == 0:
                self.columns_ok += 1
                first_html = res.text
                announced = page_count(res.text, cfg)
            if trusted and prev and res.content_hash == prev.get("content_hash") and (
                res.last_modified == prev.get("last_modified")
            ):
                res.attempts[-1]["links_complete"] = True
                return  # byte-identical to a complete walk (server without conditional GET)
            links = article_links(res.text, url, cfg)
            fresh = [lk for lk in links if lk.url not in self.seen]
            if not fresh:
                res.attempts[-1]["links_complete"] = all(lk.url in self.resolved for lk in links)
                if announced is not None and n + 1 < announced:
                    continue  # a page that repeats another (a redirect to page 1): the pager says go on
                break  # an empty page, or one repeating what we have seen: past the end
            stop = False
            for link in fresh:
                self.seen.add(link.url)
                outcome = self._in_range(link)
                if outcome is None:
                    outcome = self.article(link)
                if outcome == "unchanged":
                    streak += 1
                elif outcome == "new":
                    streak = 0
                if streak >= cfg.stop_after_known and not self.full:
                    stop = True
                    break
            res.attempts[-1]["links_complete"] = all(
                lk.url in self.resolved or lk.url in self.state.pages for lk in links
            )
            if stop or self._past_range(fresh):
                return

    def _date_of(self, link: ListLink) -> date | None:
        """The entry's publish date as far as known without fetching: the list's, else the date of
        the version already landed."""
        if link.published is not None:
            return link.published
        landed = (self.state.pages.get(link.url) or {}).get("published_at")
        return landed.date() if landed is not None else None

    def _in_range(self, link: ListLink) -> str | None:
        """'out_of_range' when the range excludes the entry by a date known without fetching it;
        None when the article must be fetched (no range, in range, or date unknown)."""
        if self.window is None:
            return None
        day = self._date_of(link)
        if day is None:
            return None
        self.published[link.url] = day
        if self.window.contains(day):
            return None
        self.result.pages_out_of_range += 1
        return "out_of_range"

    def _past_range(self, entries: list[ListLink]) -> bool:
        """A list page whose dated entries were all published before ``since`` ends the walk
        (lists are newest first; one old pinned entry on a page with newer ones does not)."""
        if self.window is None or self.window.since is None:
            return False
        days = [self.published[lk.url] for lk in entries if lk.url in self.published]
        return bool(days) and all(self.window.older(d) for d in days)

    def _probe_worthy(self, n: int, announced: int) -> bool:
        """Sites get the announced page count wrong; look one page further only right after it."""
        return n == announced

    # ------------------------------------------------------------------ articles
    def article(self, link: ListLink) -> str:
        """Fetch one article: 'new' (a new version landed), 'unchanged', 'failed' or 'gone'."""
        prev = self.state.pages.get(link.url)
        res = self._get(link.url, "article", (prev["etag"], prev["last_modified"]) if prev else None)
        if res.not_modified:
            self.resolved.add(link.url)
            self.result.pages_unchanged += 1
            return "unchanged"
        if not res.ok:
            self._fail(res)
            if not res.transient:
                self.resolved.add(link.url)  # 404, blocked: retrying next run will not help
                return "gone"
            return "failed"
        selectors = self.cfg.selectors if any(self.cfg.selectors.model_dump().values()) else None
        try:
            parsed = parse_article(res.text, link.url, selectors)
        except Exception as exc:
            res.attempts[-1]["error"] = f"parse error: {type(exc).__name__}: {exc}"
            self._fail(FetchResult(link.url, "article", error="parse error"))
            self.resolved.add(link.url)
            return "gone"
        if not parsed.body_text.strip() and not parsed.title:
            res.attempts[-1]["error"] = "no article content found in the page"
            self._fail(FetchResult(link.url, "article", error="no article content"))
            self.resolved.add(link.url)
            return "gone"
        if link.title and (not parsed.title or parsed.title.endswith(("…", "..."))):
            parsed.title = link.title
        chash = content_hash(parsed)
        if self.window is not None and parsed.published_at is not None:
            day = parsed.published_at.date()
            self.published[link.url] = day
            if not self.window.contains(day):
                # not resolved: its list page must not look complete to the next incremental run
                self.result.pages_out_of_range += 1
                return "out_of_range"
        self.resolved.add(link.url)
        if prev and prev["content_hash"] == chash:
            self.result.pages_unchanged += 1
            return "unchanged"
        self._add_page(link, res, parsed, chash)
        return "new"

    def _add_page(self, link: ListLink, res: FetchResult, parsed: ParsedArticle, chash: str) -> None:
        pid = _vid(link.url, chash)
        fetched_at = res.attempts[-1]["requested_at"]
        self.batch.pages.append({
            "page_version_id": pid, "url": link.url, "portal_id": self.cfg.id, "run_id": self.batch.run_id,
            "fetched_at": fetched_at, "content_hash": chash, "html": res.text,
            "encoding": res.decoded.encoding if res.decoded else None,
            "decode_ok": res.decoded.ok if res.decoded else None,
            "title": parsed.title, "published_at": parsed.published_at, "source": parsed.source,
            "body_text": parsed.body_text, "etag": res.etag, "last_modified": res.last_modified,
            "duplicate_of": None, "parse_method": parsed.method, "list_title": link.title,
        })
        for i, grid in enumerate(parsed.tables):
            self.batch.page_tables.append({
                "page_version_id": pid, "table_index": i, "header_rows": grid.header_rows,
                "n_rows": grid.n_rows, "n_cols": grid.n_cols, "grid": to_json(grid.rows),
                "caption": grid.caption, "columns": to_json(grid.columns), "numeric": to_json(grid.values),
            })
        sig = signature(parsed.body_text)
        if sig is not None:
            self.batch.signatures.append(
                {"page_version_id": pid, "signature": sig, "numbers": numbers(parsed.body_text)}
            )
        self.state.pages[link.url] = {
            "page_version_id": pid, "content_hash": chash, "etag": res.etag,
            "last_modified": res.last_modified, "published_at": parsed.published_at,
        }
        if self.cfg.fetch_attachments:
            for att in parsed.attachments:
                self.attachment(att.url, att.name, att.ext, pid)

    def attachment(self, url: str, name: str, ext: str, page_version_id: str) -> None:
        if not self.cfg.allows(url):
            return  # off-host files (a repost linking the bureau's original) belong to that portal
        prev = self.state.attachments.get(url)
        res = self._get(url, "attachment", (prev.get("etag"), None) if prev else None)
        if res.not_modified:
            return
        base = {
            "page_version_id": page_version_id, "url": url, "filename": url.rstrip("/").rsplit("/", 1)[-1],
            "fetched_at": res.attempts[-1]["requested_at"], "portal_id": self.cfg.id,
            "run_id": self.batch.run_id, "name": name, "served_content_type": res.content_type,
        }
        if not res.ok:
            self._fail(res)
            if res.error and res.error.startswith("too large"):
                self.batch.attachments.append({
                    **base, "attachment_id": _vid(url, "too_large"), "parse_status": "too_large",
                    "parse_error": res.error,
                })
            return
        chash = hashlib.sha256(res.body).hexdigest()
        if prev and prev.get("content_hash") == chash:
            return
        parsed = parse_attachment(res.body, ext)
        aid = _vid(url, chash)
        self.batch.attachments.append({
            **base, "attachment_id": aid, "mime": parsed.mime, "kind": parsed.kind, "bytes": len(res.body),
            "content_hash": chash, "content": res.body, "parse_status": parsed.status,
            "parse_error": parsed.error, "text": parsed.text,
        })
        if parsed.status == "failed":
            self.result.errors += 1
            self.causes[f"attachment unreadable ({parsed.kind})"] += 1
        for i, (sheet, grid) in enumerate(parsed.tables):
            self.batch.attachment_tables.append({
                "attachment_id": aid, "table_index": i, "sheet_name": sheet, "header_rows": grid.header_rows,
                "grid": to_json(grid.rows), "n_rows": grid.n_rows, "n_cols": grid.n_cols,
                "caption": grid.caption, "columns": to_json(grid.columns), "numeric": to_json(grid.values),
            })
        self.state.attachments[url] = {"attachment_id": aid, "content_hash": chash, "etag": res.etag}

    # ------------------------------------------------------------------ outcome
    def finish(self, started: Any) -> None:
        r = self.result
        parts = []
        if self.causes:
            parts.append(f"{r.errors} error(s): {_counts(self.causes)}")
        if self.blocks:
            parts.append(f"{r.blocked} blocked: {_counts(self.blocks)}")
        if self.warnings:
            parts.append(f"worked around: {_counts(self.warnings)}")
        if self.columns_ok == 0:
            r.status = "failed"
            parts.insert(0, "no list page could be read: " + "; ".join(self.column_errors[:3]))
        elif self.causes or self.blocks:
            r.status = "partial"
        r.reason = "; ".join(parts) or None
        self.batch.run_portal = {
            "run_id": self.batch.run_id, "portal_id": self.cfg.id, "status": r.status, "reason": r.reason,
            "fetches": r.fetches, "errors": r.errors + r.blocked, "pages_landed": 0,
            "started_at": started, "finished_at": utcnow(),
        }


def _list_validators(prev: dict[str, Any]) -> tuple[str | None, str | None]:
    """A list page is asked If-Modified-Since when it has a date: CMSs republish the list when one
    of its articles is edited, so its date moves even when its text (and a content ETag) does not."""
    if prev.get("last_modified"):
        return None, prev["last_modified"]
    return prev.get("etag"), None


def _counts(c: Counter[str]) -> str:
    return ", ".join(f"{k} ×{n}" for k, n in c.most_common())


def _cause(error: str | None) -> str:
    """A short, countable cause from an error message ("http 404", "timeout", "truncated response")."""
    if not error:
        return "unknown"
    head = error.split(" (gave up")[0]
    for prefix in ("timeout", "connection error", "truncated response", "too large", "redirect",
                   "more than", "unexpected content-type", "blocked"):
        if head.startswith(prefix):
            return prefix
    return head.split(":")[0][:60]


# ---------------------------------------------------------------------- public API


def _new_run_id() -> str:
    return f"run-{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"


def begin_run(trigger: str = "cli", *, warehouse: Path | None = None) -> str:
    run_id = _new_run_id()
    landing.begin_run(run_id, trigger, utcnow(), warehouse)
    return run_id


def end_run(run_id: str, *, warehouse: Path | None = None) -> str:
    return landing.end_run(run_id, utcnow(), warehouse)


def crawl_portal(
    portal_id: str,
    *,
    run_id: str | None,
    proxy: str | None = None,
    portals: dict[str, PortalConfig] | None = None,
    policy: FetchPolicy | None = None,
    fetcher: Fetcher | None = None,
    full: bool = False,
    progress: Progress | None = None,
    warehouse: Path | None = None,
    lander: landing.Lander | None = None,
    state: PortalState | None = None,
    window: DateRange | None = None,
) -> PortalResult:
    """Crawl one portal and land its batch in one transaction. Never raises for the portal's faults.
    ``window`` limits it to articles published in that date range (a backfill; see the module doc)."""
    t0 = time.perf_counter()
    started = utcnow()
    portals = portals if portals is not None else load_portals()
    cfg = portals[portal_id]
    own = fetcher is None
    fetcher = fetcher or Fetcher(proxy, policy, run_id)
    crawl = PortalCrawl(cfg, fetcher, PortalState(), run_id, full=full, progress=progress, window=window)
    if lander is not None:
        crawl.batch.portal_rows = []  # crawl() has landed the whole registry already
    try:
        crawl.state = state if state is not None else landing.load_state(cfg.id, warehouse)
        crawl.result.phase = "crawling"
        crawl.run()
    except Exception as exc:
        log.error("portal %s failed: %s", portal_id, traceback.format_exc())
        crawl.columns_ok = 0
        crawl.column_errors.append(f"crash {type(exc).__name__}: {exc}")
    finally:
        if own:
            fetcher.close()
    crawl.finish(started)
    crawl.result.phase = "landing"
    if progress:
        progress(cfg.id, crawl.result)
    try:
        if lander is not None:
            landed = lander.submit(crawl.batch).result()
        else:
            landed = landing.land_batch(crawl.batch, warehouse)
        crawl.result.count_landed(landed)
    except Exception as exc:  # cannot land: the portal failed this run, the others go on
        log.error("landing portal %s failed: %s", portal_id, traceback.format_exc())
        crawl.result.status = "failed"
        crawl.result.reason = f"landing failed: {type(exc).__name__}: {exc}"
    crawl.result.done(t0)
    if progress:
        progress(cfg.id, crawl.result)
    return crawl.result


def crawl(
    portal_ids: list[str] | None = None,
    *,
    proxy: str | None = None,
    run_id: str | None = None,
    trigger: str = "cli",
    policy: FetchPolicy | None = None,
    portals_dir: Path | None = None,
    portals: dict[str, PortalConfig] | None = None,
    full: bool = False,
    progress: Progress | None = None,
    warehouse: Path | None = None,
    max_workers: int = 32,
    window: DateRange | None = None,
) -> CrawlSummary:
    """Crawl the given portals (default: every enabled one) in parallel, one thread per portal."""
    t0 = time.perf_counter()
    registry = portals if portals is not None else load_portals(portals_dir)
    ids = list(portal_ids) if portal_ids else list(registry)
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise KeyError(f"unknown portal id(s): {', '.join(unknown)}; known: {', '.join(registry)}")
    own_run = run_id is None
    run_id = run_id or _new_run_id()
    # one connection opens the run, lands the registry and reads every portal's state
    states = landing.prepare_run(run_id if own_run else None, trigger, utcnow(),
                                 [_portal_row(c) for c in registry.values()], ids, warehouse)
    summary = CrawlSummary(run_id=run_id, outcome="failed")
    lock = threading.Lock()
    with Fetcher(proxy, policy, run_id) as fetcher, landing.Lander(warehouse) as lander, ThreadPoolExecutor(
        max_workers=max(1, min(max_workers, len(ids))), thread_name_prefix="crawl"
    ) as pool:
        futures = {
            pid: pool.submit(crawl_portal, pid, run_id=run_id, portals=registry, fetcher=fetcher,
                             full=full, progress=progress, warehouse=warehouse, lander=lander,
                             state=states[pid], window=window)
            for pid in ids
        }
        for pid, fut in futures.items():
            try:
                res = fut.result()
            except Exception as exc:  # crawl_portal guards itself; this is the last line of defence
                res = PortalResult(pid, status="failed", reason=f"crash: {type(exc).__name__}: {exc}")
            with lock:
                summary.portals[pid] = res
        if own_run:  # closed on the lander's connection, often still open after the last batch
            summary.outcome = lander.call(lambda con: landing.close_run(con, run_id, utcnow())).result()
    if not own_run:  # the caller closes its run; report what this call saw
        statuses = {r.status for r in summary.portals.values()}
        summary.outcome = "ok" if statuses == {"ok"} else ("failed" if statuses <= {"failed"} else "partial")
    summary.elapsed_s = time.perf_counter() - t0
    return summary
