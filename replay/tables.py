"""Tables in article bodies: written as data (rows of cells with rowspan/colspan), rendered as the
Word/UEditor pastes real bureau pages carry, and expanded into grids for the answer key.

A table spec is either explicit — ``{"rows": [[cell, ...], ...], "header_rows": 2}`` where a cell
is a string or ``{"t": text, "rs": 2, "cs": 3}`` — or drawn from an enterprise list —
``{"list": "<list id>"}`` — whose region cells are merged vertically (rowspan) as real lists do."""

from __future__ import annotations

from html import escape
from typing import Any

from replay.content import load_list

Cell = dict[str, Any]


def _cell(value: Any) -> Cell:
    if isinstance(value, dict):
        return {"t": str(value.get("t", "")), "rs": int(value.get("rs", 1)), "cs": int(value.get("cs", 1))}
    return {"t": "" if value is None else str(value), "rs": 1, "cs": 1}


def list_rows(list_id: str) -> tuple[list[str], list[list[str]]]:
    """Header and flat rows of an enterprise list, e.g. ['序号','地区','企业名称','证书编号']."""
    data = load_list(list_id)
    return list(data["columns"]), [[str(c) for c in row] for row in data["rows"]]


def spec_rows(spec: dict[str, Any]) -> tuple[list[list[Cell]], int]:
    """The table's rows of cells (spans not yet expanded) and how many header rows it has."""
    if "list" in spec:
        data = load_list(spec["list"])
        columns = [str(c) for c in data["columns"]]
        rows = [[str(c) for c in r] for r in data["rows"]]
        group = data.get("group_header")  # two-row header: a group cell over the last columns
        region_col = columns.index("地区") if "地区" in columns else None
        out: list[list[Cell]] = []
        if group:
            span = int(group["span"])
            first = [{"t": c, "rs": 2, "cs": 1} for c in columns[: len(columns) - span]]
            first.append({"t": group["t"], "rs": 1, "cs": span})
            out.append(first)
            out.append([_cell(c) for c in columns[len(columns) - span :]])
            header_rows = 2
        else:
            out.append([_cell(c) for c in columns])
            header_rows = 1
        i = 0
        while i < len(rows):
            run = 1
            if region_col is not None:
                while i + run < len(rows) and rows[i + run][region_col] == rows[i][region_col]:
                    run += 1
            for k in range(run):
                row: list[Cell] = []
                for j, value in enumerate(rows[i + k]):
                    if j == region_col:
                        if k == 0:
                            row.append({"t": value, "rs": run, "cs": 1})
                        continue
                    row.append(_cell(value))
                out.append(row)
            i += run
        return out, header_rows
    return [[_cell(c) for c in row] for row in spec["rows"]], int(spec.get("header_rows", 1))


def grid(spec: dict[str, Any]) -> list[list[str]]:
    """Rows × columns with every span expanded (the merged cell's text repeated), as a crawler
    that normalises tables should produce."""
    rows, _ = spec_rows(spec)
    out: list[list[str | None]] = []
    for r, row in enumerate(rows):
        while len(out) <= r:
            out.append([])
        c = 0
        for cell in row:
            while c < len(out[r]) and out[r][c] is not None:
                c += 1
            for dr in range(cell["rs"]):
                while len(out) <= r + dr:
                    out.append([])
                line = out[r + dr]
                for dc in range(cell["cs"]):
                    while len(line) <= c + dc:
                        line.append(None)
                    line[c + dc] = cell["t"]
            c += cell["cs"]
    return [[v or "" for v in line] for line in out]


def html(spec: dict[str, Any], style: str = "mso") -> str:
    """A table as Word (MsoTableGrid) or UEditor (tr.firstRow) would paste it."""
    rows, header_rows = spec_rows(spec)
    parts = []
    if style == "ueditor":
        parts.append('<table width="100%" border="1" cellspacing="0" cellpadding="0">')
    else:
        parts.append(
            "<table class=MsoTableGrid border=1 cellspacing=0 cellpadding=0 "
            "style='border-collapse:collapse;border:none'>"
        )
    parts.append("<tbody>")
    for r, row in enumerate(rows):
        cls = ' class="firstRow"' if style == "ueditor" and r == 0 else ""
        parts.append(f"<tr{cls}>")
        for cell in row:
            attrs = ""
            if cell["rs"] > 1:
                attrs += f" rowspan={cell['rs']}" if style == "mso" else f' rowspan="{cell["rs"]}"'
            if cell["cs"] > 1:
                attrs += f" colspan={cell['cs']}" if style == "mso" else f' colspan="{cell["cs"]}"'
            text = escape(cell["t"])
            if style == "mso":
                weight = "font-weight:bold;" if r < header_rows else ""
                parts.append(
                    f"<td width=96{attrs} nowrap valign=center><p class=MsoNormal align=center "
                    f"style='text-align:center;'><span style='font-size:12.0pt;font-family:宋体;{weight}'>"
                    f"{text}</span></p></td>"
                )
            else:
                parts.append(f'<td{attrs} valign="middle" style="word-break: break-all;">{text}</td>')
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
