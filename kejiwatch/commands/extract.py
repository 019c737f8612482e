"""CLI commands: extract — indicator facts from .txt / .html files, as JSON lines or a table."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def read_page(path: Path) -> tuple[str, dict]:
    """The page's body text and what the page says about itself (title, date, source)."""
    raw = path.read_bytes()
    if path.suffix.lower() not in (".html", ".htm", ".shtml", ".xhtml"):
        for enc in ("utf-8", "gb18030"):
            try:
                return raw.decode(enc), {}
            except UnicodeDecodeError:
                continue
        return raw.decode("utf-8", errors="replace"), {}
    from indicators.html import page_text

    return page_text(raw)


def run_extract(paths: list[Path]) -> list[dict]:
    from indicators import PageContext, extract

    rows = []
    for path in paths:
        text, meta = read_page(path)
        ctx = PageContext(doc=path.stem, title=meta.get("title") or "", published=meta.get("published"),
                          source=meta.get("source"))
        for fact in extract(text, ctx):
            rows.append(fact.as_row(path.stem))
    return rows


def register(app: typer.Typer) -> None:
    @app.command("extract")
    def extract_cmd(
        paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, help=".txt or .html pages")],
        jsonl: Annotated[bool, typer.Option("--jsonl", help="one JSON object per fact on stdout")] = False,
    ) -> None:
        """Extract indicator facts from pages; `doc` is each file's stem."""
        import json
        import sys

        rows = run_extract(paths)
        if jsonl:
            out = sys.stdout
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            return
        from rich.console import Console
        from rich.table import Table

        table = Table("doc", "indicator", "measure", "value", "unit", "q", "region", "period", "quote")
        for r in rows:
            table.add_row(r["doc"], r["indicator"], r["measure"], f"{r['value']:g}", r["unit"],
                          r["qualifier"], r["region"], r["period"], r["quote"][:40])
        Console().print(table)
        typer.echo(f"{len(rows)} facts from {len(paths)} pages")
