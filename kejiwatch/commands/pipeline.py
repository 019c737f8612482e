"""CLI commands: `kejiwatch run` (the whole pipeline through Airflow's dag.test())."""

from __future__ import annotations

import logging
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    @app.command("run")
    def run_command(
        scenario: str = typer.Option("clean", help="Replay scenario served to the crawler."),
        day: int = typer.Option(None, help="Replay day (the replay web grows day by day)."),
        proxy: str = typer.Option(
            None, help="Crawl through this proxy (e.g. a running `kejiwatch portals serve`) "
            "instead of starting the replay portals."),
        airflow_home: str = typer.Option(None, help="AIRFLOW_HOME (default: <data dir>/airflow)."),
        build: bool = typer.Option(True, help="Run build_marts after the crawl."),
        dbt_tasks: str = typer.Option(
            "layers", help="dbt as one task per layer ('layers', fast) or per dbt node ('nodes', "
            "cosmos, as the scheduler renders it)."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Airflow's task logs."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON (last line)."),
        portals: str = typer.Option(None, help="Crawl only these portal ids (comma-separated)."),
        crawl_rate: float = typer.Option(
            None, min=0.01, help="Requests/s per host for every portal. Default: 20 against the "
            "replay portals this command starts (our own loopback server), each portal's YAML "
            "rate_limit behind --proxy."),
    ) -> None:
        """Crawl the replay portals and build, gate and publish the marts, through Airflow
        (scrape_portals then build_marts with dag.test()), then print a summary."""
        from kejiwatch import runner

        if not verbose:
            logging.getLogger().setLevel(logging.WARNING)
        home = Path(airflow_home) if airflow_home else None
        summary = runner.run(scenario=scenario, day=day, proxy=proxy, home=home, build=build,
                               dbt_tasks=dbt_tasks,
                               portals=[p.strip() for p in portals.split(",")] if portals else None,
                               rate=crawl_rate, announce=typer.echo)
        typer.echo(summary.render())
        if as_json:
            import json

            typer.echo(json.dumps(summary.as_dict(), ensure_ascii=False, default=str))
        if not summary.ok:
            raise typer.Exit(1)
