"""Shared terminal helpers for kejiwatch commands: progress bars, summary tables, errors that say
what to do next, and ``--json`` output. Every command group may use them, so the CLI looks and
behaves the same everywhere:

    from kejiwatch import ui

    with ui.progress("extracting", total=len(pages)) as advance:
        for page in pages:
            ...
            advance()                       # or advance(n, description="page 3/10")
    ui.summary_table("crawl summary", rows, columns=["portal", "status", "pages"])
    ui.fail("the warehouse is locked", hint="wait for `kejiwatch run` to finish", code=3)
    ui.emit_json(payload)                   # for --json: plain JSON on stdout, nothing else

Output goes to stderr for progress and to stdout for results, so ``kejiwatch status --json | jq``
gets clean JSON. Progress bars are hidden when stderr is not a terminal (CI logs, Airflow) and
in ``--json`` mode. rich is imported lazily so ``kejiwatch --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

# Colours per status word, shared by every table so "failed" is always red.
STATUS_STYLES = {
    "ok": "green",
    "pass": "green",
    "passed": "green",
    "passed_with_warnings": "yellow",
    "success": "green",
    "published": "green",
    "partial": "yellow",
    "warning": "yellow",
    "warnings": "yellow",
    "busy": "yellow",
    "stale": "yellow",
    "ungated": "yellow",
    "never": "dim",
    "missing": "dim",
    "unknown": "dim",
    "failed": "red",
    "error": "red",
    "blocked": "red",
}

_consoles: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    """The shared rich console (stdout for results, stderr for progress and errors)."""
    if stderr not in _consoles:
        from rich.console import Console

        _consoles[stderr] = Console(stderr=stderr, highlight=False, soft_wrap=False)
    return _consoles[stderr]


def styled(status: str | None) -> str:
    """A status word with its colour markup (``ok`` green, ``failed`` red, ...)."""
    text = "-" if status is None else str(status)
    style = STATUS_STYLES.get(text.lower())
    from rich.markup import escape

    return f"[{style}]{escape(text)}[/]" if style else escape(text)


def progress_enabled() -> bool:
    """Progress bars only on an interactive stderr, unless KEJIWATCH_PROGRESS forces 0/1."""
    forced = os.environ.get("KEJIWATCH_PROGRESS")
    if forced is not None:
        return forced not in {"0", "false", "no", ""}
    return sys.stderr.isatty()


@contextmanager
def progress(
    description: str, total: float | None = None, *, enabled: bool | None = None
) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr; yields ``advance(step=1, description=None, total=None)``.

    ``total=None`` shows a spinner with a counter. Disabled (a no-op ``advance``) when stderr is
    not a terminal, so the same code runs quietly inside Airflow tasks and tests."""
    if not (progress_enabled() if enabled is None else enabled):

        def noop(step: float = 1, description: str | None = None, total: float | None = None) -> None:
            return None

        yield noop
        return

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [SpinnerColumn(), TextColumn("[progress.description]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console(stderr=True), transient=False) as bar:
        task = bar.add_task(description, total=total)

        def advance(step: float = 1, description: str | None = None, total: float | None = None) -> None:
            updates: dict[str, Any] = {"advance": step}
            if description is not None:
                updates["description"] = description
            if total is not None:
                updates["total"] = total
            bar.update(task, **updates)

        yield advance


def track(items: Sequence[Any], description: str, *, enabled: bool | None = None) -> Iterator[Any]:
    """Iterate over ``items`` with a progress bar (see :func:`progress`)."""
    with progress(description, total=len(items), enabled=enabled) as advance:
        for item in items:
            yield item
            advance()


def table(
    title: str | None,
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    columns: Sequence[str] | None = None,
    *,
    status_columns: Sequence[str] = ("status", "outcome", "state", "verdict"),
    numeric: Sequence[str] = (),
) -> Table:
    """A rich Table from dict rows (columns default to the first row's keys) or sequences.

    Status-like columns are coloured; numeric columns right-aligned (auto-detected from ints/floats)."""
    from rich.markup import escape
    from rich.table import Table

    if columns is None:
        columns = list(rows[0].keys()) if rows and isinstance(rows[0], Mapping) else []
    matrix = [[r.get(c) for c in columns] if isinstance(r, Mapping) else list(r) for r in rows]
    t = Table(title=title, title_justify="left", show_lines=False)
    for i, col in enumerate(columns):
        is_num = col in numeric or (
            bool(matrix) and all(isinstance(r[i], int | float) and not isinstance(r[i], bool)
                                 for r in matrix if i < len(r) and r[i] is not None)
            and any(i < len(r) and r[i] is not None for r in matrix)
        )
        t.add_column(col, justify="right" if is_num else "left", overflow="fold")
    for r in matrix:
        cells = []
        for col, value in zip(columns, r, strict=False):
            if col in status_columns:
                cells.append(styled(value))
            else:
                cells.append("-" if value is None else escape(format_value(value)))
        t.add_row(*cells)
    return t


def summary_table(
    title: str | None,
    rows: Sequence[Mapping[str, Any]] | Sequence[Sequence[Any]],
    columns: Sequence[str] | None = None,
    **kwargs: Any,
) -> None:
    """Print a summary table to stdout (the last thing a command shows)."""
    console().print(table(title, rows, columns, **kwargs))


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e15 else f"{value:.3e}"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return str(value)


def info(message: str) -> None:
    console(stderr=True).print(message)


def warn(message: str, hint: str | None = None) -> None:
    from rich.markup import escape

    console(stderr=True).print(f"[yellow]warning:[/] {escape(message)}")
    if hint:
        console(stderr=True).print(f"  [bold]next:[/] {escape(hint)}")


def fail(message: str, hint: str | None = None, *, code: int = 1) -> NoReturn:
    """Print an error and what to do next to stderr, then exit with ``code``."""
    import typer
    from rich.markup import escape

    err = console(stderr=True)
    err.print(f"[red bold]error:[/] {escape(message)}")
    if hint:
        err.print(f"  [bold]next:[/] {escape(hint)}")
    raise typer.Exit(code)


def to_jsonable(value: Any) -> Any:
    """Dataclasses, paths, dates and decimals as plain JSON values (recursively)."""
    if is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(asdict(value))
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and value != value:  # NaN is not JSON
        return None
    return value


def dumps(payload: Any) -> str:
    return json.dumps(to_jsonable(payload), ensure_ascii=False, indent=2, sort_keys=False)


def emit_json(payload: Any) -> None:
    """Write ``payload`` as JSON to stdout, bypassing rich (no markup, no wrapping)."""
    sys.stdout.write(dumps(payload) + "\n")
    sys.stdout.flush()
