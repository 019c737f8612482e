"""CLI commands: `kejiwatch crawl` — crawl the portals in the registry and land them in raw.*."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("crawl")
    def crawl_cmd(
        portal: Annotated[
            list[str] | None, typer.Option("--portal", "-p", help="Portal id (repeatable); default: all.")
        ] = None,
        proxy: Annotated[
            str | None,
            typer.Option(help="HTTP proxy, e.g. the replay server's http://127.0.0.1:8765 "
                         "(default: $KEJIWATCH_HTTP_PROXY)."),
        ] = None,
        rate: Annotated[
            float | None, typer.Option(help="Requests/s per host, overriding every portal's rate_limit.")
        ] = None,
        full: Annotated[
            bool, typer.Option("--full", help="Walk every list page (conditional GETs) to catch old edits.")
        ] = False,
    ) -> None:
        """Crawl portals politely and incrementally; print a per-portal summary."""
        from rich.console import Console
        from rich.live import Live
        from rich.table import Table

        from scrapers.crawl import PortalResult, crawl
        from scrapers.fetch import FetchPolicy
        from scrapers.registry import PortalConfigError, load_portals

        console = Console()
        try:
            registry = load_portals()
        except PortalConfigError as exc:
            console.print(f"[red]portal registry invalid:[/red]\n{exc}")
            raise typer.Exit(2) from exc
        ids = portal or list(registry)
        unknown = [i for i in ids if i not in registry]
        if unknown:
            raise typer.BadParameter(f"unknown portal(s) {unknown}; known: {', '.join(registry)}",
                                     param_hint="--portal")
        live_rows: dict[str, PortalResult] = {i: PortalResult(i) for i in ids}

        def table(final: bool = False) -> Table:
            t = Table(title="crawl summary" if final else "crawling", show_lines=False)
            for col in ("portal", "phase" if not final else "status", "fetches", "pages", "304",
                        "landed", "tables", "attach.", "dups", "errors", "blocked", "s"):
                t.add_column(col, justify="left" if col in ("portal", "phase", "status") else "right",
                             no_wrap=col == "portal")
            for r in live_rows.values():
                colour = {"ok": "green", "partial": "yellow", "failed": "red"}.get(r.status, "")
                row = [r.portal_id, f"[{colour}]{r.status}[/]" if final else r.phase, str(r.fetches),
                       str(r.pages_fetched), str(r.pages_not_modified), str(r.pages_landed),
                       str(r.tables_landed), str(r.attachments_landed), str(r.duplicates_linked),
                       str(r.errors), str(r.blocked), f"{r.elapsed_s:.1f}"]
                t.add_row(*row)
            return t

        with Live(table(), console=console, refresh_per_second=4, transient=True) as live:

            def progress(pid: str, res: PortalResult) -> None:
                live_rows[pid] = res
                live.update(table())

            summary = crawl(ids, proxy=proxy, portals=registry, policy=FetchPolicy.from_env(rate=rate),
                            full=full, progress=progress)
        live_rows.update(summary.portals)
        console.print(table(final=True))
        for r in summary.portals.values():
            if r.reason:
                console.print(f"  {r.portal_id} ({r.status}): {r.reason}", soft_wrap=True)
        console.print(
            f"run {summary.run_id}: [bold]{summary.outcome}[/bold] — {summary.pages_fetched} pages fetched, "
            f"{summary.pages_landed} landed, {summary.errors} errors, {summary.fetches} requests, "
            f"{summary.bytes / 1e6:.2f} MB in {summary.elapsed_s:.1f}s"
        )
        if summary.outcome == "failed":
            raise typer.Exit(1)
