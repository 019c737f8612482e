"""Re-running a warehouse transaction that lost a commit race to another writer (DuckLake).

DuckLake commits optimistically. When two transactions commit at once, its own commit loop
(``ducklake_max_retry_count``) re-commits the loser if their changes do not logically conflict
(two plain inserts never do). A *logical* conflict aborts the transaction instead, and in
DuckLake 1.5 these are checked per table: an UPDATE or a MERGE that updates (a delete plus an
insert underneath) conflicts with any concurrent insert into the same table, e.g.

    Transaction conflict - attempting to insert into table with index "7" - but another
    transaction has deleted inlined data from it

Landing does both (``raw.portals``/``raw.crawl_run_portals`` upserts, ``raw.pages.duplicate_of``
links), so two crawlers landing different portals at the same moment regularly collide. The cure
is to run the whole unit of work again on the newer snapshot: every landing key is
content-derived and written with MERGE, so a re-run adds nothing twice, and the rolled-back
attempt left nothing behind. Turning data inlining off does not help: the conflict checks are
per table either way (see docs/deployment.md).

``run`` retries with tenacity: bounded attempts, exponential back-off with full jitter (so two
losers do not collide again in lock-step), one warning per retry naming the cause. On the
DuckDB-file backend writers are serialised by the file lock, so no conflict ever reaches it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from typing import TypeVar

import duckdb
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

log = logging.getLogger(__name__)

T = TypeVar("T")

# Messages of a transaction that lost to a concurrent one (DuckLake's commit checks, DuckDB's
# own write-write check, or DuckLake's commit loop giving up after its own retries), and a read
# inside a transaction that races a concurrent writer's flush of inlined deletions (DuckLake
# 1.5 then cannot find the ducklake_inlined_delete_N table its snapshot names; a new attempt
# reads a newer snapshot).
CONFLICT_MARKERS = (
    "transaction conflict",
    "another transaction",
    "write-write conflict",
    "exceeded the maximum retry count",
    "failed to read inlined file deletions",
)
# Two processes creating the same catalog object (a fresh lake, a schema) at the same moment.
CREATE_RACE_MARKERS = ("already exists", "duplicate key")

DEFAULT_ATTEMPTS = 10


def _cause(exc: BaseException) -> str:
    """The informative line of a DuckDB error (the first is often 'Failed to commit: ...')."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    specific = [line for line in lines if any(m in line.lower() for m in CONFLICT_MARKERS)]
    return (specific or lines or [type(exc).__name__])[-1][:300]


def is_conflict(exc: BaseException, *, creates: bool = False) -> bool:
    """Whether ``exc`` says a concurrent writer got there first (``creates``: or created the
    same object), i.e. whether running the same work again can succeed."""
    if not isinstance(exc, duckdb.Error):
        return False
    text = str(exc).lower()
    markers = CONFLICT_MARKERS + (CREATE_RACE_MARKERS if creates else ())
    return any(m in text for m in markers)


def attempts() -> int:
    """``KEJIWATCH_CONFLICT_ATTEMPTS`` (default 10): tries of one unit of work, first included."""
    return max(1, int(os.environ.get("KEJIWATCH_CONFLICT_ATTEMPTS", DEFAULT_ATTEMPTS)))


def rollback(con: duckdb.DuckDBPyConnection) -> None:
    """End a failed transaction. A commit that failed has already ended it, and DuckDB then
    refuses ROLLBACK ('no transaction is active'): that must not replace the real error."""
    with contextlib.suppress(duckdb.Error):
        con.execute("rollback")


def run(
    action: Callable[[], T],
    *,
    what: str,
    creates: bool = False,
    before_retry: Callable[[], None] | None = None,
    max_attempts: int | None = None,
    max_wait: float = 10.0,
) -> T:
    """``action()``, run again after a conflict with a concurrent writer; other errors and the
    last conflict propagate. ``action`` must be one whole transaction (it rolls back on
    failure) and safe to repeat. ``before_retry`` resets state the failed attempt may have
    touched (e.g. an in-memory index)."""

    def log_retry(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: conflict with a concurrent writer (attempt %d of %d), retrying in %.2fs: %s",
                    what, state.attempt_number, limit, wait, _cause(exc) if exc else "?")
        if before_retry is not None:
            before_retry()

    limit = max_attempts or attempts()
    retrying = Retrying(
        stop=stop_after_attempt(limit),
        wait=wait_random_exponential(multiplier=0.1, max=max_wait),
        retry=retry_if_exception(lambda exc: is_conflict(exc, creates=creates)),
        before_sleep=log_retry,
        reraise=True,
    )
    return retrying(action)
