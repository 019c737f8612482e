"""CLI command: `kejiwatch compact [--dry-run]` — rewrite the warehouse tables that dbt's
increments fragmented (see warehouse.compact); the maintain_warehouse DAG runs it weekly."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def compact(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="only report each table's layout and what would be done")
        ] = False,
    ) -> None:
        """Rewrite the dbt tables whose deleted rows or small row groups passed the threshold
        (on DuckLake: flush inlined rows, merge files, expire snapshots older than a week)."""
        from warehouse import backends, db
        from warehouse import compact as compaction
        from warehouse.db import WarehouseBusy

        if backends.is_ducklake():
            if dry_run:
                typer.echo("DuckLake: maintenance would flush, merge files and expire snapshots"
                           f" older than {compaction.LAKE_RETAIN_DAYS:g} days (dry run: nothing done)")
                return
            with db.connect() as con:
                typer.echo(compaction.maintain_lake(con).line())
            return

        try:
            results = compaction.compact(dry_run=dry_run)
        except (FileNotFoundError, RuntimeError) as exc:
            typer.echo(f"compact: {exc}", err=True)
            raise typer.Exit(2) from exc
        except WarehouseBusy as exc:
            typer.echo(f"compact: {exc}; try again when the pipeline is idle", err=True)
            raise typer.Exit(3) from exc
        for result in results:
            typer.echo(result.line())
        due = sum(r.before.needs_compaction() for r in results)
        rewritten = sum(r.rewritten for r in results)
        tables = compaction.counted(len(results), "table")
        if dry_run:
            typer.echo(f"{tables}, {due} due for compaction (dry run: nothing rewritten)")
        else:
            typer.echo(f"{tables}, {rewritten} rewritten")
