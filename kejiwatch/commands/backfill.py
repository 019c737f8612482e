"""CLI command: `kejiwatch backfill --since D [--until D]` — `kejiwatch run` limited to the articles
published in a date range (scrape_portals with run conf since/until, then build_marts, through
Airflow's dag.test()). Running the same range again lands nothing and publishes the same marts."""

from __future__ import annotations

import logging
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("backfill")
    def backfill_command(
        since: str = typer.Option(..., help="First publish date of the range (YYYY-MM-DD, China time)."),
        until: str = typer.Option(None, help="Last publish date, inclusive (default: open-ended)."),
        portals: str = typer.Option(None, help="Only these portal ids (comma-separated)."),
        scenario: str = typer.Option("clean", help="Replay scenario served to the crawler."),
        day: int = typer.Option(None, help="Replay day (the replay web grows day by day)."),
        proxy: str = typer.Option(
            None, help="Crawl through this proxy instead of starting the replay portals."),
        airflow_home: str = typer.Option(None, help="AIRFLOW_HOME (default: <data dir>/airflow)."),
        build: bool = typer.Option(True, help="Run build_marts after the crawl."),
        dbt_tasks: str = typer.Option("layers", help="dbt as one task per layer or per node ('nodes')."),
        crawl_rate: float = typer.Option(
            None, min=0.01, help="Requests/s per host (default as in `kejiwatch run`)."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Airflow's task logs."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON (last line)."),
    ) -> None:
        """Land the articles published between --since and --until (inclusive) and rebuild the
        marts: the list pages are walked down to the range, past where an ordinary run stops."""
        from kejiwatch import runner
        from scrapers.listing_dates import DateRange

        try:  # a bad date fails here, before Airflow starts
            window = DateRange.parse(since, until)
        except ValueError as exc:
            raise typer.BadParameter(str(exc)) from exc
        if not verbose:
            logging.getLogger().setLevel(logging.WARNING)
        typer.echo(f"date range: {window} (publish dates, inclusive)")
        summary = runner.run(
            scenario=scenario, day=day, proxy=proxy, home=Path(airflow_home) if airflow_home else None,
            build=build, dbt_tasks=dbt_tasks, rate=crawl_rate, announce=typer.echo,
            portals=[p.strip() for p in portals.split(",")] if portals else None,
            conf={k: v for k, v in window.as_dict().items() if v},
        )
        typer.echo(summary.render())
        totals = (summary.scrape.xcoms.get("end_run") if summary.scrape else None) or {}
        typer.echo(f"  out of range      {totals.get('pages_out_of_range', 0)} list entries or articles "
                   "published outside the range (not landed)")
        if as_json:
            import json

            typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, default=str))
        ok = summary.scrape is not None and summary.scrape.state == "success" and (
            not build or summary.ok)
        if not ok:
            raise typer.Exit(1)
