"""One way to open the working DuckDB file.

DuckDB allows one writing process *or* many reading processes, and a second process that
opens the file while another writes fails at once with "Could not set lock". Every
kejiwatch process (crawler, dbt, gate, publisher, CLI) therefore opens the warehouse through
``connect``, which first takes an inter-process file lock and waits for it. BI tools never
open this file: they read the published marts file (see ``warehouse.publish``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from kejiwatch import settings

SCHEMA_SQL = Path(__file__).with_name("schema.sql")

# Every process that writes the file turns DuckDB's row-group vacuum off. dbt's increments
# delete and append a few thousand rows per mart, and with the vacuum on the next checkpoint, in
# whichever process makes it, merges the trailing row groups of each such table (~120k rows
# rewritten per table, seconds per increment). warehouse.compact rewrites the fragmented dbt
# tables on a schedule instead. Tables with a primary key (raw.*, audit.*) are never vacuumed
# by DuckDB anyway.
NO_VACUUM_SQL = "set max_vacuum_tasks = 0"


class WarehouseBusy(RuntimeError):
    """The warehouse lock could not be taken in time."""


def lock_for(path: Path) -> FileLock:
    return FileLock(str(path) + ".lock")


@contextmanager
def locked(path: Path | None = None, timeout: float = 900) -> Iterator[Path]:
    """Hold the warehouse lock without opening DuckDB (for subprocesses such as `dbt build`)."""
    path = Path(path or settings.warehouse_path())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with lock_for(path).acquire(timeout=timeout):
            yield path
    except Timeout as exc:
        raise WarehouseBusy(
            f"{path} is locked by another kejiwatch process for over {timeout:.0f}s; "
            f"wait for it to finish or remove a stale {path}.lock if no kejiwatch process runs"
        ) from exc


@contextmanager
def connect(
    path: Path | None = None, *, read_only: bool = False, timeout: float = 900
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse under the inter-process lock; the schema is ensured on write opens.

    With ``KEJIWATCH_BACKEND=ducklake`` (see ``warehouse.backends``) it opens the DuckLake
    instead: ``path`` and the file lock do not apply there, since many processes may write."""
    from warehouse import backends

    if backends.is_ducklake():
        con = backends.open_ducklake(read_only=read_only)
        try:
            if not read_only:
                backends.ensure_schema(con)
            yield con
        finally:
            con.close()
        return
    with locked(path, timeout) as p:
        if read_only and not p.exists():
            raise FileNotFoundError(f"{p} does not exist yet: run `kejiwatch run` (or a crawl) first")
        con = duckdb.connect(str(p), read_only=read_only)
        try:
            if not read_only:
                con.execute(NO_VACUUM_SQL)
                ensure_schema(con)
            yield con
        finally:
            con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and audit tables if they are missing (idempotent)."""
    con.execute(SCHEMA_SQL.read_text(encoding="utf-8"))
