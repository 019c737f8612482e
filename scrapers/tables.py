"""Grids: HTML tables (Word/UEditor pastes on bureau sites, read by ``html_tables``) and spreadsheet
rows (``attachments``) as normalised rows of cells.

A grid is a rectangular list of rows of cell strings with every rowspan/colspan expanded (the
spanned value is repeated, so a vertically merged region cell is present on each company row).
``header_rows`` counts the leading rows that are headers; ``columns`` joins a multi-row header
into one name per column (``项目/品种``); ``values`` holds each cell parsed as a number or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_WS = re.compile(r"\s+")
# Numbers as tables write them: 1,234.5  -12  3.4%  （含）… units stay in the header, not here.
_NUM = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?$")


@dataclass
class Grid:
    rows: list[list[str]]
    header_rows: int = 0
    caption: str | None = None
    columns: list[str] = field(default_factory=list)
    values: list[list[float | None]] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def clean_cell(text: str) -> str:
    return _WS.sub(" ", text.replace("\xa0", " ").replace("\u3000", " ")).strip()


def parse_number(cell: str) -> float | None:
    """``'1,234.5'`` → 1234.5, ``'12%'`` → 12.0, anything else → None."""
    s = cell.replace(" ", "").replace("，", ",")
    if not s or not _NUM.match(s):
        return None
    return float(s.rstrip("%").replace(",", ""))


def detect_header_rows(grid: list[list[str]], flags: list[bool] | None = None, first_span: int = 1) -> int:
    """Leading header rows: marked (th/thead/firstRow), or the first row(s) when they hold no numbers
    while the body does."""
    if not grid:
        return 0
    flags = flags or [False] * len(grid)
    marked = 0
    while marked < len(grid) and flags[marked]:
        marked += 1
    if marked:
        return max(marked, min(first_span, len(grid) - 1)) if first_span > 1 else marked
    if len(grid) < 2:
        return 0

    def numeric(row: list[str]) -> int:
        return sum(parse_number(c) is not None for c in row)

    if numeric(grid[0]) == 0 and any(numeric(r) for r in grid[1:]):
        n = min(first_span, len(grid) - 1)
        # a second header row without numbers under a spanned first row
        return max(1, n)
    # Text-only tables (enterprise lists): a first row of short labels such as 序号/企业名称.
    if numeric(grid[0]) == 0 and any(k in "".join(grid[0]) for k in ("序号", "名称", "单位", "项目", "地区")):
        return max(1, min(first_span, len(grid) - 1))
    return 0


def finish(grid: list[list[str]], header_rows: int, caption: str | None = None, names_from: int = 0) -> Grid:
    """Pad to a rectangle, name the columns from the header rows (from row ``names_from``: title
    rows above the header are not part of a column's name) and parse the numbers."""
    width = max((len(r) for r in grid), default=0)
    rows = [list(r) + [""] * (width - len(r)) for r in grid]
    columns: list[str] = []
    for c in range(width):
        parts: list[str] = []
        for r in range(names_from, header_rows):
            v = rows[r][c]
            if v and (not parts or parts[-1] != v):
                parts.append(v)
        columns.append("/".join(parts))
    values = [[parse_number(v) for v in row] for row in rows]
    return Grid(rows=rows, header_rows=header_rows, caption=caption, columns=columns, values=values)
