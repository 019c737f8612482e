"""HTML tables of an article body (lxml :class:`Page`) → grids.

Rows are the ``<tr>`` whose nearest table is this one, cells the ``<td>/<th>`` whose nearest row is
that row, spans expanded, header rows from ``<thead>``/``firstRow``/all-``<th>`` or from the numbers
(``scrapers.tables``' rules, shared with spreadsheet attachments).
"""

from __future__ import annotations

import re

from scrapers.htmltree import Element, Page, classes
from scrapers.tables import Grid, clean_cell, detect_header_rows, finish

_MAX_SPAN = 200  # a hostile rowspan="100000" must not blow up memory
_LEADING_INT = re.compile(r"\s*(\d+)")


def _span(cell: Element, attr: str) -> int:
    m = _LEADING_INT.match(cell.get(attr) or "1")
    return max(1, min(int(m.group(1)), _MAX_SPAN)) if m else 1


def _nearest(el: Element, tag: str) -> Element | None:
    return next(el.iterancestors(tag), None)


def table_to_grid(table: Element, page: Page) -> Grid:
    """Expand spans into a rectangular grid and detect the header rows."""
    filled: dict[tuple[int, int], str] = {}
    header_flags: list[bool] = []
    rows = [tr for tr in page.descendants(table, "tr") if _nearest(tr, "table") is table]
    for r, tr in enumerate(rows):
        c = 0
        cells = [td for td in page.descendants(tr, "td", "th") if _nearest(td, "tr") is tr]
        is_header = (
            _nearest(tr, "thead") is not None
            or "firstRow" in classes(tr)
            or (bool(cells) and all(td.tag == "th" for td in cells))
        )
        header_flags.append(is_header)
        for td in cells:
            while (r, c) in filled:
                c += 1
            text = clean_cell(page.text(td, " "))
            rs, cs = _span(td, "rowspan"), _span(td, "colspan")
            for dr in range(min(rs, len(rows) - r)):
                for dc in range(cs):
                    filled[(r + dr, c + dc)] = text
            c += cs
    n_rows = len(rows)
    n_cols = max((c + 1 for (_, c) in filled), default=0)
    grid = [[filled.get((r, c), "") for c in range(n_cols)] for r in range(n_rows)]
    # Drop rows that are entirely empty (spacer rows in Word pastes).
    keep = [i for i, row in enumerate(grid) if any(row)]
    grid = [grid[i] for i in keep]
    header_flags = [header_flags[i] for i in keep]
    caption = page.find(table, "caption")
    header_rows = detect_header_rows(grid, header_flags, _first_row_rowspan(rows, page))
    return finish(grid, header_rows, clean_cell(page.text(caption, " ")) if caption is not None else None)


def _first_row_rowspan(rows: list[Element], page: Page) -> int:
    """A header whose cells span two rows (项目 over 品种|规格) announces itself with rowspan."""
    if not rows:
        return 1
    spans = [_span(td, "rowspan") for td in page.descendants(rows[0], "td", "th")]
    return max(spans, default=1) if len(set(spans)) > 1 else 1


def extract_tables(root: Element | None, page: Page) -> list[Grid]:
    """Every data table under ``root`` (None: the whole document); layout tables with a single
    cell, and tables holding other tables, are skipped."""
    out = []
    for table in page.descendants(root, "table"):
        grid = table_to_grid(table, page)
        if grid.n_rows >= 1 and grid.n_cols >= 2 and page.find(table, "table") is None:
            out.append(grid)
    return out
