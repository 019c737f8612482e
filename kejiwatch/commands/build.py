"""CLI commands: `kejiwatch build [--select S] [--full-refresh]` and `kejiwatch docs`.

dbt is imported inside the commands (through warehouse.dbt) so `kejiwatch --help` stays fast."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def build(
        select: Annotated[
            str | None,
            typer.Option(
                "--select", "-s",
                help="dbt selectors, space-separated (e.g. 'staging intermediate' or 'marts'); default all",
            ),
        ] = None,
        exclude: Annotated[str | None, typer.Option(help="dbt selectors to leave out")] = None,
        full_refresh: Annotated[
            bool, typer.Option("--full-refresh", help="rebuild incremental models from raw")
        ] = False,
    ) -> None:
        """Run `dbt build` (seeds, models, tests) on the working warehouse; exit 1 if a node fails."""
        from warehouse import dbt

        run = dbt.build(select=select, full_refresh=full_refresh, exclude=exclude)
        typer.echo(run.summary())
        raise typer.Exit(0 if run.success else 1)

    @app.command()
    def docs() -> None:
        """Generate the dbt docs and lineage site (dbt_project/target/index.html)."""
        from kejiwatch import settings
        from warehouse import dbt

        run = dbt.docs_generate()
        typer.echo(run.summary())
        if run.success:
            typer.echo(f"open {dbt.target_dir(settings.warehouse_path()) / 'index.html'}")
        raise typer.Exit(0 if run.success else 1)
