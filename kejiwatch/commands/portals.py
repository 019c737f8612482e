"""CLI commands: `kejiwatch portals serve` runs the replay web (replay/) as a local forward proxy."""

from __future__ import annotations

import time

import typer

portals_app = typer.Typer(
    help="The replay portals: a local web of bureau sites with an answer key.", no_args_is_help=True
)


@portals_app.command("serve")
def serve(
    scenario: str = typer.Option(
        "clean", help="Fault scenario: clean, or fault names joined by commas (see replay/README.md)."
    ),
    day: int = typer.Option(0, help="Scenario clock: day N adds the articles of days 1..N and shows edits."),
    host: str = typer.Option("127.0.0.1", help="Interface to bind (0.0.0.0 in docker)."),
    port: int = typer.Option(8765, help="Port of the proxy (0 = any free port)."),
    extra_hosts: int = typer.Option(0, help="Add N synthetic benchNN.fixture-bench.gov.cn portals."),
) -> None:
    """Serve every replay portal from one HTTP forward proxy until interrupted."""
    from replay.faults import parse_scenario
    from replay.server import ReplayServer

    try:
        parse_scenario(scenario)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scenario") from exc
    server = ReplayServer(scenario=scenario, day=day, host=host, port=port, extra_hosts=extra_hosts).start()
    proxy = f"http://{host if host not in ('0.0.0.0', '') else '127.0.0.1'}:{server.port}"
    typer.echo(f"replay portals: scenario={scenario} day={day}")
    typer.echo(f"proxy: {proxy}   (export KEJIWATCH_HTTP_PROXY={proxy})")
    typer.echo("start URLs:")
    first = None
    for portal_id, urls in server.start_urls().items():
        for url in urls:
            first = first or url
            typer.echo(f"  {portal_id:<16} {url}")
    typer.echo("browse through the proxy, e.g.:")
    typer.echo(f"  curl -x {proxy} {first}")
    typer.echo("Ctrl-C stops.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        typer.echo("stopping")
    finally:
        server.stop()


@portals_app.command("key")
def key(
    day: int = typer.Option(0, help="Scenario clock day of the answer key."),
    out: str = typer.Option("-", help="Where to write the gold facts as JSON lines (- = stdout)."),
    articles: bool = typer.Option(False, "--articles", help="Write whole answer-key entries, not facts."),
) -> None:
    """Write the replay web's answer key: gold facts (dev_gold.jsonl format) or article entries."""
    import json
    import sys
    from pathlib import Path

    from replay import answer_key

    rows = answer_key.load(day) if articles else answer_key.facts(day)
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out == "-":
        sys.stdout.write(text)
    else:
        Path(out).write_text(text, encoding="utf-8")
        typer.echo(f"{len(rows)} rows -> {out}", err=True)


@portals_app.command("list")
def list_portals() -> None:
    """The crawler's portal registry (scrapers/portals/*.yaml), validated."""
    from rich.console import Console
    from rich.table import Table

    from scrapers.registry import PortalConfigError, load_portals

    try:
        registry = load_portals(include_disabled=True)
    except PortalConfigError as exc:
        typer.echo(f"portal registry invalid:\n{exc}", err=True)
        raise typer.Exit(2) from exc
    t = Table(title=f"{len(registry)} portals")
    for col in ("id", "name", "type", "region", "pagination", "rate/s", "rank", "lists"):
        t.add_column(col, no_wrap=col in ("id", "pagination"))
    for p in registry.values():
        t.add_row(p.id + ("" if p.enabled else " (disabled)"), p.name, p.publisher_type,
                  f"{p.region_code or ''} {p.region_name or ''}".strip(), p.pagination.kind,
                  f"{p.rate_limit:g}", str(p.authority_rank), str(len(p.start_urls)))
    Console().print(t)


def register(app: typer.Typer) -> None:
    app.add_typer(portals_app, name="portals")
