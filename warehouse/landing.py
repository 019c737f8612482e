"""Landing the crawler's output in the ``raw`` schema.

One portal's output is one ``PortalBatch`` and lands in one transaction under
``warehouse.db.connect()``: a crash (even ``kill -9``) leaves either the whole portal or nothing.
Rows go in as pandas frames (``INSERT OR IGNORE … BY NAME SELECT * FROM frame``), never row by row.
Keys are content-derived (page_version_id = sha256(url|content_hash)), so re-landing the same
content adds nothing; fetch attempts are keyed by a per-attempt id, so landing the same batch twice
adds nothing either. That is what makes a retry safe: on DuckLake, a batch whose commit lost a race
to another writer is rolled back and landed again in full (``warehouse.conflicts``), never dropped.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from warehouse import backends, conflicts
from warehouse.db import connect

COLUMNS: dict[str, tuple[str, ...]] = {
    "fetches": (
        "fetch_id", "run_id", "portal_id", "url", "kind", "requested_at", "status", "bytes", "elapsed_ms",
        "content_type", "etag", "last_modified", "encoding", "error", "blocked_reason", "content_hash",
        "links_complete",
    ),
    "pages": (
        "page_version_id", "url", "portal_id", "run_id", "fetched_at", "content_hash", "html", "encoding",
        "decode_ok", "title", "published_at", "source", "body_text", "etag", "last_modified", "duplicate_of",
        "parse_method", "list_title",
    ),
    "page_tables": (
        "page_version_id", "table_index", "header_rows", "n_rows", "n_cols", "grid", "caption", "columns",
        "numeric",
    ),
    "attachments": (
        "attachment_id", "page_version_id", "url", "filename", "mime", "bytes", "content_hash", "content",
        "fetched_at", "parse_status", "parse_error", "text", "portal_id", "run_id", "name", "kind",
        "served_content_type",
    ),
    "attachment_tables": (
        "attachment_id", "table_index", "sheet_name", "header_rows", "grid", "n_rows", "n_cols", "caption",
        "columns", "numeric",
    ),
    "page_signatures": ("page_version_id", "signature", "numbers"),
    "crawl_run_portals": (
        "run_id", "portal_id", "status", "reason", "fetches", "errors", "pages_landed", "started_at",
        "finished_at",
    ),
    "portals": (
        "portal_id", "name", "publisher_type", "region_code", "region_name", "base_url", "authority_rank",
        "config_hash", "updated_at",
    ),
}


@dataclass
class PortalBatch:
    """Everything one portal's crawl produced, landed together."""

    run_id: str | None
    portal_id: str
    fetches: list[dict[str, Any]] = field(default_factory=list)
    pages: list[dict[str, Any]] = field(default_factory=list)
    page_tables: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    attachment_tables: list[dict[str, Any]] = field(default_factory=list)
    signatures: list[dict[str, Any]] = field(default_factory=list)
    run_portal: dict[str, Any] | None = None
    portal_rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class LandResult:
    fetches: int = 0
    pages: int = 0
    page_tables: int = 0
    attachments: int = 0
    attachment_tables: int = 0
    duplicates_linked: int = 0


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]], *, replace: bool = False
) -> int:
    """Insert rows (dicts) as one frame; existing keys are kept (or replaced). Returns rows inserted."""
    if not rows:
        return 0
    cols = COLUMNS[table]
    # object dtype: no NaN for missing ints, no guessing that turns ids into floats
    frame = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=list(cols), dtype=object)
    name = f"_land_{table}"
    con.register(name, frame)
    try:
        # INSERT OR IGNORE/REPLACE on the DuckDB file, MERGE on the keys in a DuckLake
        count = backends.insert_frame(con, f"raw.{table}", name, cols, replace=replace)
    finally:
        con.unregister(name)
    return int(count)


_SIG_SQL = """select s.page_version_id, p.url, p.published_at, p.fetched_at, s.signature, p.duplicate_of,
       s.numbers
from raw.page_signatures s join raw.pages p using (page_version_id)"""


def _sig_rows(con: duckdb.DuckDBPyConnection, ids: set[str] | None = None) -> list[Any]:
    from scrapers.dedup import SigRow

    if ids is None:
        rows = con.execute(_SIG_SQL).fetchall()
    else:
        frame = pd.DataFrame({"k": sorted(ids)}, dtype=object)
        con.register("_sig_ids", frame)
        try:
            rows = con.execute(_SIG_SQL + " where s.page_version_id in (select k from _sig_ids)").fetchall()
        finally:
            con.unregister("_sig_ids")
    return [SigRow(r[0], r[1], r[2], r[3], list(r[4]), r[5], None if r[6] is None else list(r[6]))
            for r in rows]


class _SessionIndex:
    """The lander's repost index for one connection session, built when a batch first brings pages."""

    def __init__(self) -> None:
        self.index: Any = None

    def get(self, con: duckdb.DuckDBPyConnection) -> Any:
        from scrapers.dedup import RepostIndex

        if self.index is None:
            self.index = RepostIndex(_sig_rows(con))
        return self.index

    def reset(self) -> None:
        self.index = None


def _link_duplicates(
    con: duckdb.DuckDBPyConnection, new_ids: set[str], session: _SessionIndex | None = None
) -> int:
    """Link the newly landed pages and their copies on other portals to the earliest copy. A
    ``session`` index (every earlier page of this connection) saves reloading all signatures."""
    from scrapers.dedup import RepostIndex

    if not new_ids:
        return 0
    index = session.get(con) if session is not None else None
    if index is None:
        everything = _sig_rows(con)
        index = RepostIndex([s for s in everything if s.page_version_id not in new_ids])
        new = [s for s in everything if s.page_version_id in new_ids]
    else:
        new = _sig_rows(con, new_ids)
    changes = index.add_and_link(new)
    if changes:
        frame = pd.DataFrame({"pid": list(changes), "dup": list(changes.values())}, dtype=object)
        con.register("_dups", frame)
        try:
            con.execute(
                "update raw.pages set duplicate_of = _dups.dup from _dups "
                "where raw.pages.page_version_id = _dups.pid"
            )
        finally:
            con.unregister("_dups")
    return len(changes)


def land_batch(batch: PortalBatch, path: Path | None = None) -> LandResult:
    """Land one portal's batch in one transaction (all or nothing)."""
    with connect(path) as con:
        return _land(con, batch)


class Lander:
    """A thread that lands the batches of a crawl's portal threads through one connection: each batch
    in its own transaction, the warehouse lock held only while batches are queued. Opening,
    schema-checking and closing (a checkpoint) DuckDB per portal cost more than landing one."""

    _STOP = object()

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lander", daemon=True)
        self._thread.start()

    def submit(self, batch: PortalBatch) -> Future[LandResult]:
        fut: Future[LandResult] = Future()
        self._queue.put((batch, fut))
        return fut

    def call(self, fn: Any) -> Future[Any]:
        """Run ``fn(con)`` on the lander's connection after the batches queued before it."""
        fut: Future[Any] = Future()
        self._queue.put((fn, fut))
        return fut

    def close(self) -> None:
        self._queue.put(self._STOP)
        self._thread.join()

    def __enter__(self) -> Lander:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is self._STOP:
                return
            pending = [item]
            try:
                with connect(self.path) as con:
                    index = _SessionIndex()  # repost index of this connection, built on first use
                    while pending:
                        job, fut = pending.pop()
                        try:
                            if isinstance(job, PortalBatch):
                                fut.set_result(_land(con, job, index))
                            else:
                                fut.set_result(conflicts.run(lambda job=job: job(con),
                                                             what="warehouse call on the lander"))
                        except BaseException as exc:
                            index.reset()  # a rolled-back batch may have touched it: rebuild
                            fut.set_exception(exc)
                        try:
                            nxt = self._queue.get_nowait()
                        except queue.Empty:
                            break
                        if nxt is self._STOP:
                            self._queue.put(nxt)  # finish after closing the connection
                            break
                        pending.append(nxt)
            except BaseException as exc:  # could not open the warehouse: fail what was taken
                for _, fut in pending:
                    if not fut.done():
                        fut.set_exception(exc)


def _land(
    con: duckdb.DuckDBPyConnection, batch: PortalBatch, index: _SessionIndex | None = None
) -> LandResult:
    """One batch, one transaction; the whole transaction runs again if it lost a commit race to
    a concurrent writer (DuckLake: see ``warehouse.conflicts``). The repost index is rebuilt
    before a retry, since the rolled-back attempt had already added its pages to it."""
    return conflicts.run(
        lambda: _land_once(con, batch, index),
        what=f"landing portal {batch.portal_id}",
        before_retry=index.reset if index is not None else None,
    )


def _land_once(
    con: duckdb.DuckDBPyConnection, batch: PortalBatch, index: _SessionIndex | None = None
) -> LandResult:
    res = LandResult()
    con.execute("begin transaction")
    try:
        res.fetches = _insert(con, "fetches", batch.fetches)
        # Only page versions that are new get their tables and signatures.
        known = _existing(con, "pages", "page_version_id", [p["page_version_id"] for p in batch.pages])
        new_pages = [p for p in batch.pages if p["page_version_id"] not in known]
        new_ids = {p["page_version_id"] for p in new_pages}
        res.pages = _insert(con, "pages", new_pages)
        res.page_tables = _insert(con, "page_tables", [t for t in batch.page_tables
                                                      if t["page_version_id"] in new_ids])
        res.attachments = _insert(con, "attachments", batch.attachments)
        res.attachment_tables = _insert(con, "attachment_tables", batch.attachment_tables)
        _insert(con, "page_signatures", [s for s in batch.signatures if s["page_version_id"] in new_ids])
        res.duplicates_linked = _link_duplicates(con, new_ids, index)
        _upsert_portals(con, batch.portal_rows)
        if batch.run_portal and batch.run_id:  # a batch outside a run (tests, tools) has no run row
            run_portal = dict(batch.run_portal, pages_landed=res.pages)
            _insert(con, "crawl_run_portals", [run_portal], replace=True)
        con.execute("commit")
    except BaseException:
        conflicts.rollback(con)
        raise
    return res


def _upsert_portals(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> int:
    """Replace only registry rows whose config changed: ``updated_at`` then says when a portal's
    config last changed, not when it was last crawled, and an unchanged registry rewrites nothing."""
    if not rows:
        return 0
    compared = [c for c in COLUMNS["portals"] if c != "updated_at"]
    ids = [r["portal_id"] for r in rows]
    frame = pd.DataFrame({"k": ids}, dtype=object)
    con.register("_portal_keys", frame)
    try:
        stored = con.execute(
            f"select {', '.join(compared)} from raw.portals where portal_id in (select k from _portal_keys)"
        ).fetchall()
    finally:
        con.unregister("_portal_keys")
    current = {row[0]: tuple(row) for row in stored}
    changed = [r for r in rows if current.get(r["portal_id"]) != tuple(r.get(c) for c in compared)]
    return _insert(con, "portals", changed, replace=True)


def _existing(con: duckdb.DuckDBPyConnection, table: str, key: str, ids: Iterable[str]) -> set[str]:
    ids = list(ids)
    if not ids:
        return set()
    frame = pd.DataFrame({"k": ids}, dtype=object)
    con.register("_keys", frame)
    try:
        rows = con.execute(f"select {key} from raw.{table} where {key} in (select k from _keys)").fetchall()
    finally:
        con.unregister("_keys")
    return {r[0] for r in rows}


# ---------------------------------------------------------------- runs and registry


def land_portals(rows: list[dict[str, Any]], path: Path | None = None) -> int:
    """Upsert the registry (raw.portals) so dbt needs no YAML."""
    with connect(path) as con:
        return conflicts.run(lambda: _upsert_portals(con, rows), what="landing the registry")


def begin_run(run_id: str, trigger: str, started_at: datetime, path: Path | None = None) -> None:
    with connect(path) as con:
        conflicts.run(lambda: _begin_run(con, run_id, trigger, started_at), what=f"opening run {run_id}")


def _begin_run(con: duckdb.DuckDBPyConnection, run_id: str, trigger: str, started_at: datetime) -> None:
    # an anti-join instead of INSERT OR IGNORE: the same on DuckDB, and DuckLake has no keys
    con.execute(
        "insert into raw.crawl_runs (run_id, started_at, trigger) select ?, ?, ? "
        "where not exists (select 1 from raw.crawl_runs where run_id = ?)",
        [run_id, started_at, trigger, run_id],
    )


def end_run(run_id: str, finished_at: datetime, path: Path | None = None) -> str:
    """Close a run: outcome ok (every portal ok), failed (every portal failed, or none ran), else partial."""
    with connect(path) as con:
        return conflicts.run(lambda: close_run(con, run_id, finished_at), what=f"closing run {run_id}")


def close_run(con: duckdb.DuckDBPyConnection, run_id: str, finished_at: datetime) -> str:
    rows = con.execute("select status from raw.crawl_run_portals where run_id = ?", [run_id]).fetchall()
    statuses = [r[0] for r in rows]
    if statuses and all(s == "ok" for s in statuses):
        outcome = "ok"
    elif not statuses or all(s == "failed" for s in statuses):
        outcome = "failed"
    else:
        outcome = "partial"
    con.execute(
        "update raw.crawl_runs set finished_at = ?, portals_attempted = ?, outcome = ? where run_id = ?",
        [finished_at, len(statuses), outcome, run_id],
    )
    return outcome


# ---------------------------------------------------------------- state for incremental crawls


@dataclass
class PortalState:
    """What the warehouse already knows about a portal, for conditional GETs and early stops."""

    pages: dict[str, dict[str, Any]] = field(default_factory=dict)  # url → latest version
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)  # url → last complete 200 fetch
    attachments: dict[str, dict[str, Any]] = field(default_factory=dict)  # url → latest file


def load_state(portal_id: str, path: Path | None = None) -> PortalState:
    with connect(path) as con:
        return _load_state(con, portal_id)


def prepare_run(
    run_id: str | None, trigger: str, started_at: datetime, portal_rows: list[dict[str, Any]],
    portal_ids: list[str], path: Path | None = None,
) -> dict[str, PortalState]:
    """Start of a crawl in one connection: open the run (when ``run_id`` is given), upsert the
    registry and read every portal's state. One open/close instead of one per portal: each costs a
    schema check and a checkpoint, serialised by the warehouse lock."""
    with connect(path) as con:
        if run_id:
            conflicts.run(lambda: _begin_run(con, run_id, trigger, started_at), what=f"opening run {run_id}")
        conflicts.run(lambda: _upsert_portals(con, portal_rows), what="landing the registry")
        return {pid: _load_state(con, pid) for pid in portal_ids}


def _load_state(con: duckdb.DuckDBPyConnection, portal_id: str) -> PortalState:
    state = PortalState()
    for url, pid, chash, etag, lm, published in con.execute(
        """select url, page_version_id, content_hash, etag, last_modified, published_at from raw.pages
           where portal_id = ?
           qualify row_number() over (partition by url order by fetched_at desc) = 1""",
        [portal_id],
    ).fetchall():
        state.pages[url] = {
            "page_version_id": pid, "content_hash": chash, "etag": etag, "last_modified": lm,
            "published_at": published,  # a backfill skips landed articles outside its range unfetched
        }
    for url, etag, lm, chash, complete in con.execute(
        """select url, etag, last_modified, content_hash, links_complete from raw.fetches
           where portal_id = ? and kind = 'list' and status = 200 and error is null
           qualify row_number() over (partition by url order by requested_at desc) = 1""",
        [portal_id],
    ).fetchall():
        state.lists[url] = {
            "etag": etag, "last_modified": lm, "content_hash": chash, "complete": complete,
        }
    for url, aid, chash, etag in con.execute(
        """select a.url, a.attachment_id, a.content_hash, f.etag from raw.attachments a
           left join (select url, etag from raw.fetches where kind = 'attachment' and status = 200
                      qualify row_number() over (partition by url order by requested_at desc) = 1) f
           using (url)
           where a.portal_id = ?""",
        [portal_id],
    ).fetchall():
        state.attachments[url] = {"attachment_id": aid, "content_hash": chash, "etag": etag}
    return state
