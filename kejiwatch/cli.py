"""`kejiwatch`: the one entry point for humans. Each command group lives in its own module
under ``kejiwatch.commands`` and imports its heavy dependencies inside the command, so
``kejiwatch --help`` stays fast."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    help="kejiwatch: scrape S&T-bureau portals, extract indicators, build and publish gated marts.",
    no_args_is_help=True,
    add_completion=False,
)

# One module per command group; each exposes register(app).
COMMAND_MODULES = (
    "pipeline",   # run, status
    "backfill",   # backfill (run limited to a publish-date range)
    "portals",    # portals serve / list
    "crawl",      # crawl
    "extract",    # extract
    "build",      # build (dbt)
    "compact",    # compact (rewrite fragmented warehouse tables)
    "gate",       # gate, publish
    "airflow",    # airflow (standalone UI)
    "report",     # report
    "status",     # status
)



@app.command()
def version() -> None:
    """Print the kejiwatch version."""
    from kejiwatch import __version__

    typer.echo(__version__)


for _name in COMMAND_MODULES:
    importlib.import_module(f"kejiwatch.commands.{_name}").register(app)


if __name__ == "__main__":
    app()
