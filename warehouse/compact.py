"""Compaction of the tables dbt builds in the DuckDB warehouse file.

dbt runs with DuckDB's row-group vacuum off (``max_vacuum_tasks: 0`` in
``dbt_project/profiles.yml``): with it on, the checkpoint after an increment's delete+insert
merges the trailing row groups of every table the increment touched, rewriting about 120k rows
per table, which cost more than the rest of an increment. The price is that each increment
leaves its appended rows in small row groups of their own and its deleted rows in place. This
module pays it back on a schedule (the ``maintain_warehouse`` DAG, or ``kejiwatch compact``):
a table whose dead rows or extra row groups pass a threshold is rewritten in one transaction,
with its rows in the same order, and the rest are left alone.

Only the dbt schemas are compacted. The raw landing is append-only and the audit tables are
small; neither is touched.

On DuckLake the same schedule runs DuckLake's own maintenance instead (:func:`maintain_lake`):
inlined rows flushed to Parquet, adjacent small files merged, snapshots older than the retention
expired and the files they alone referenced deleted.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kejiwatch import settings
from warehouse import backends, db

DBT_SCHEMAS = ("staging", "intermediate", "marts")
ROW_GROUP_ROWS = 122_880  # DuckDB's default row group size

# A table is rewritten when more than this fraction of its stored rows are deleted ones...
MAX_DEAD_FRACTION = 0.2
# ...or when it holds this many row groups more than its rows need.
MAX_EXTRA_ROW_GROUPS = 8
# DuckLake: snapshots (time travel) and the files only they reference are kept this long.
LAKE_RETAIN_DAYS = 7.0


def counted(n: int, noun: str) -> str:
    """'1 table', '24 tables': the counts in the lines this module's callers print."""
    return f"1 {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True)
class TableLayout:
    """How one table is stored: live rows, stored rows (deleted ones included), row groups."""

    schema: str
    name: str
    rows: int
    stored_rows: int
    row_groups: int

    @property
    def qualified(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    @property
    def ideal_row_groups(self) -> int:
        return max(1, math.ceil(self.rows / ROW_GROUP_ROWS))

    @property
    def dead_fraction(self) -> float:
        return (self.stored_rows - self.rows) / self.stored_rows if self.stored_rows else 0.0

    @property
    def extra_row_groups(self) -> int:
        return max(0, self.row_groups - self.ideal_row_groups)

    def needs_compaction(
        self, max_dead: float = MAX_DEAD_FRACTION, max_extra: int = MAX_EXTRA_ROW_GROUPS
    ) -> bool:
        return self.dead_fraction > max_dead or self.extra_row_groups > max_extra


@dataclass(frozen=True)
class Compaction:
    """One table's layout before and, if it was rewritten, after."""

    before: TableLayout
    after: TableLayout | None
    seconds: float = 0.0

    @property
    def rewritten(self) -> bool:
        return self.after is not None

    def line(self) -> str:
        b = self.before
        head = (f"{b.schema}.{b.name}: {b.rows:,} rows, {counted(b.row_groups, 'row group')}"
                f" (ideal {b.ideal_row_groups}), {b.dead_fraction:.0%} deleted")
        if self.after is None:
            return f"{head} - left as is"
        return f"{head} - rewritten to {counted(self.after.row_groups, 'row group')} in {self.seconds:.1f}s"


def dbt_tables(con: duckdb.DuckDBPyConnection, schemas: Iterable[str] = DBT_SCHEMAS) -> list[tuple[str, str]]:
    wanted = list(schemas)
    placeholders = ", ".join("?" for _ in wanted)
    return con.execute(
        "select schema_name, table_name from duckdb_tables()"
        f" where database_name = current_database() and not temporary and schema_name in ({placeholders})"
        " order by schema_name, table_name",
        wanted,
    ).fetchall()


def layout(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> TableLayout:
    qualified = f'"{schema}"."{name}"'
    rows = con.execute(f"select count(*) from {qualified}").fetchone()[0]
    # estimated_size counts the stored rows, deleted ones included.
    stored_rows = con.execute(
        "select estimated_size from duckdb_tables()"
        " where database_name = current_database() and schema_name = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0]
    row_groups = con.execute(
        "select count(distinct row_group_id) from pragma_storage_info(?)", [f"{schema}.{name}"]
    ).fetchone()[0]
    return TableLayout(schema, name, int(rows), int(stored_rows or 0), int(row_groups))


def layouts(con: duckdb.DuckDBPyConnection) -> list[TableLayout]:
    """The layout of every dbt table, in schema and name order."""
    return [layout(con, schema, name) for schema, name in dbt_tables(con)]


def rewrite(con: duckdb.DuckDBPyConnection, table: TableLayout) -> None:
    """Rewrite one table compactly, in its scan order, in a single transaction."""
    scratch = f'"{table.schema}"."{table.name}__kw_compact"'
    con.execute("begin transaction")
    try:
        con.execute(f"create or replace table {scratch} as select * from {table.qualified}")
        con.execute(f"drop table {table.qualified}")
        con.execute(f'alter table {scratch} rename to "{table.name}"')
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def compact_connection(
    con: duckdb.DuckDBPyConnection,
    *,
    dry_run: bool = False,
    max_dead: float = MAX_DEAD_FRACTION,
    max_extra: int = MAX_EXTRA_ROW_GROUPS,
) -> list[Compaction]:
    results: list[Compaction] = []
    for before in layouts(con):
        if dry_run or not before.needs_compaction(max_dead, max_extra):
            results.append(Compaction(before, None))
            continue
        began = time.perf_counter()
        rewrite(con, before)
        # Written now, so the old blocks are free before the next table is copied.
        con.execute("checkpoint")
        after = layout(con, before.schema, before.name)
        results.append(Compaction(before, after, time.perf_counter() - began))
    return results


@dataclass(frozen=True)
class LakeMaintenance:
    """What one DuckLake maintenance pass did."""

    live_files_before: int
    live_files_after: int
    snapshots_before: int
    snapshots_after: int
    files_deleted: int
    retain_days: float

    def line(self) -> str:
        return (f"DuckLake: live data files {self.live_files_before} -> {self.live_files_after},"
                f" snapshots {self.snapshots_before} -> {self.snapshots_after} (kept {self.retain_days:g}"
                f" days), {self.files_deleted} unreferenced files deleted")


def maintain_lake(
    con: duckdb.DuckDBPyConnection, *, retain_days: float = LAKE_RETAIN_DAYS
) -> LakeMaintenance:
    """DuckLake's maintenance on the attached lake: time travel keeps ``retain_days`` days."""
    lake = backends.LAKE_ALIAS
    meta = f"__ducklake_metadata_{lake}"

    def live_files() -> int:
        return con.execute(
            f"select count(*) from {meta}.ducklake_data_file where end_snapshot is null"
        ).fetchone()[0]

    def snapshots() -> int:
        return con.execute(f"select count(*) from ducklake_snapshots('{lake}')").fetchone()[0]

    files_before, snapshots_before = live_files(), snapshots()
    cutoff = f"now() - interval '{float(retain_days) * 86400:.0f} seconds'"
    con.execute(f"call ducklake_flush_inlined_data('{lake}')")
    con.execute(f"call ducklake_merge_adjacent_files('{lake}')")
    con.execute(f"call ducklake_expire_snapshots('{lake}', older_than => {cutoff})")
    deleted = con.execute(f"call ducklake_cleanup_old_files('{lake}', older_than => {cutoff})").fetchall()
    return LakeMaintenance(files_before, live_files(), snapshots_before, snapshots(), len(deleted),
                           retain_days)


def compact(
    path: Path | None = None,
    *,
    dry_run: bool = False,
    max_dead: float = MAX_DEAD_FRACTION,
    max_extra: int = MAX_EXTRA_ROW_GROUPS,
    timeout: float = 900,
) -> list[Compaction]:
    """Compact the working warehouse file (or ``path``) under the warehouse lock."""
    if backends.is_ducklake():
        raise RuntimeError("compaction applies to the DuckDB warehouse file; on DuckLake run maintain_lake")
    target = Path(path or settings.warehouse_path())
    if not target.exists():
        raise FileNotFoundError(f"{target} does not exist yet: run `kejiwatch run` first")
    with db.connect(target, read_only=dry_run, timeout=timeout) as con:
        return compact_connection(con, dry_run=dry_run, max_dead=max_dead, max_extra=max_extra)
