"""CLI command: `kejiwatch report [--out PATH] [--open]` — the HTML report of the published marts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        out: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="HTML file to write (default: <data dir>/reports/report.html)."),
        ] = None,
        marts: Annotated[
            Path | None,
            typer.Option(help="Published marts file (default: $KEJIWATCH_MARTS, warehouse/marts.duckdb)."),
        ] = None,
        open_: Annotated[bool, typer.Option("--open", help="Open the report in a browser.")] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
    ) -> None:
        """Render a self-contained HTML report of the last publication: charts per indicator family,
        latest figures per region, conflicts, quarantined rows and the evidence of every number.
        Reads only the published marts file (read-only), so it works while a pipeline runs."""
        import time

        from kejiwatch import settings, ui
        from kejiwatch.report import MartsUnavailable, load
        from kejiwatch.report.render import default_out_path, write_html

        marts_file = marts or settings.marts_path()
        target = out or default_out_path()
        started = time.perf_counter()
        try:
            quiet = False if as_json else None  # --json: nothing but JSON, not even on stderr
            with ui.progress("reading the published marts", total=2, enabled=quiet) as step:
                data = load(marts_file)
                step(description="rendering charts and evidence")
                meta, _ = write_html(data, target)
                step()
        except MartsUnavailable as exc:
            ui.fail(str(exc), hint="run `kejiwatch run` (crawl, build, gate, publish) first, "
                    "or point --marts at a published file", code=2)
        seconds = time.perf_counter() - started
        written = target
        if as_json:
            ui.emit_json({"report": str(written), "marts": str(marts_file), "bytes": written.stat().st_size,
                          "seconds": round(seconds, 2), **meta})
        else:
            ui.summary_table("report", [
                {"what": "written", "value": str(written)},
                {"what": "from", "value": str(marts_file)},
                {"what": "size",
                 "value": f"{written.stat().st_size / 1e6:.1f} MB (plotly.js inline, works offline)"},
                {"what": "contents", "value": f"{meta['facts']} facts, {meta['charts']} charts, "
                 f"{meta['conflicts']} conflicts, {meta['quarantined']} quarantined, "
                 f"{meta['evidence']} evidence entries"},
                {"what": "time", "value": f"{seconds:.1f}s"},
            ])
        if open_:
            import webbrowser

            if not webbrowser.open(written.resolve().as_uri()):
                ui.warn("no browser could be started", hint=f"open {written.resolve().as_uri()} yourself")
