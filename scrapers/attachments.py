"""Attachment files → type sniffed from the bytes, text and tables where a maintained reader exists.

Bureaus publish who the enterprises are in attachments (高新技术企业认定名单, 科技型中小企业入库名单),
so spreadsheets (python-calamine reads xls and xlsx), CSV, PDF (pdfplumber) and docx (its XML)
become grids. The type comes from the magic bytes first, because servers mislabel files (a PDF
served as text/html). A file that cannot be parsed is kept with ``parse_status='failed'`` and the
cause; ``.doc``/``.wps`` binaries are kept as ``unsupported``.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from dataclasses import dataclass, field

from scrapers.tables import Grid, detect_header_rows, finish

MIME = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "csv": "text/csv",
    "zip": "application/zip",
    "html": "text/html",
    "txt": "text/plain",
}
MAX_ROWS = 20_000  # per sheet; enterprise lists are hundreds to a few thousand rows

logging.getLogger("pdfminer").setLevel(logging.ERROR)


@dataclass
class ParsedAttachment:
    kind: str  # pdf | xlsx | xls | docx | doc | csv | html | unknown …
    mime: str
    status: str  # parsed | unsupported | failed
    error: str | None = None
    text: str | None = None
    tables: list[tuple[str | None, Grid]] = field(default_factory=list)  # (sheet name, grid)


def sniff(body: bytes, ext_hint: str | None) -> str:
    """File kind from magic bytes, falling back to the link's extension."""
    head = body[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(body)).namelist()
        except zipfile.BadZipFile:
            return ext_hint if ext_hint in ("xlsx", "docx") else "zip"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        if any(n.startswith("word/") for n in names):
            return "docx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: xls or doc
        return ext_hint if ext_hint in ("xls", "doc", "et", "wps") else "xls"
    lowered = body[:512].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")):
        return "html"
    return ext_hint or "unknown"


def _grid_from_rows(rows: list[list[object]]) -> Grid | None:
    cells = [["" if v is None else _cell(v) for v in row] for row in rows[:MAX_ROWS]]
    cells = [r for r in cells if any(c.strip() for c in r)]
    if not cells:
        return None
    # A merged title row above the header (营口市…拟认定高新技术企业名单) is kept as served but
    # counted as a header row and named as the caption; column names come from the rows below it.
    titles = 0
    width = max(len(r) for r in cells)
    while titles < len(cells) - 1 and width > 1 and sum(bool(c.strip()) for c in cells[titles]) <= 1:
        titles += 1
    caption = " ".join("".join(r).strip() for r in cells[:titles]) or None
    header = detect_header_rows(cells[titles:])
    return finish(cells, titles + header, caption, names_from=titles)


def _cell(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))  # 202221000301.0 from a spreadsheet is an id, not a float
    return str(v).strip()


def _spreadsheet(body: bytes) -> list[tuple[str | None, Grid]]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_filelike(io.BytesIO(body))
    out = []
    for name in wb.sheet_names:
        grid = _grid_from_rows(wb.get_sheet_by_name(name).to_python(skip_empty_area=True))
        if grid:
            out.append((name, grid))
    return out


def _pdf(body: bytes) -> tuple[str, list[tuple[str | None, Grid]]]:
    import pdfplumber

    texts: list[str] = []
    out: list[tuple[str | None, Grid]] = []
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        for i, page in enumerate(pdf.pages, 1):
            texts.append(page.extract_text() or "")
            for table in page.extract_tables():
                grid = _grid_from_rows(table)
                if grid:
                    out.append((f"page {i}", grid))
    return "\n".join(texts).strip(), out


def _docx(body: bytes) -> tuple[str, list[tuple[str | None, Grid]]]:
    from lxml import etree

    ns = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
    root = etree.fromstring(zipfile.ZipFile(io.BytesIO(body)).read("word/document.xml"))
    paras = ["".join(p.itertext()).strip() for p in root.iterfind(".//w:body/w:p", ns)]
    out = []
    for t in root.iterfind(".//w:tbl", ns):
        trs = t.iterfind("w:tr", ns)
        rows = [["".join(c.itertext()).strip() for c in tr.iterfind("w:tc", ns)] for tr in trs]
        grid = _grid_from_rows(rows)  # type: ignore[arg-type]
        if grid:
            out.append((None, grid))
    return "\n".join(p for p in paras if p), out


def _csv(body: bytes) -> list[tuple[str | None, Grid]]:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = body.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError("CSV is neither UTF-8 nor GB18030")
    grid = _grid_from_rows(list(csv.reader(io.StringIO(text))))  # type: ignore[arg-type]
    return [(None, grid)] if grid else []


def parse_attachment(body: bytes, ext_hint: str | None) -> ParsedAttachment:
    kind = sniff(body, ext_hint)
    mime = MIME.get(kind, "application/octet-stream")
    res = ParsedAttachment(kind=kind, mime=mime, status="parsed")
    try:
        if kind in ("xlsx", "xls", "et"):
            res.tables = _spreadsheet(body)
            res.text = "\n".join("\t".join(r) for _, g in res.tables for r in g.rows)
        elif kind == "pdf":
            res.text, res.tables = _pdf(body)
        elif kind == "docx":
            res.text, res.tables = _docx(body)
        elif kind == "csv":
            res.tables = _csv(body)
        elif kind == "html" and ext_hint not in (None, "html"):
            res.status, res.error = "failed", f"expected a .{ext_hint} file, got an HTML page (error page?)"
        else:
            res.status, res.error = "unsupported", f"no parser for {kind} files"
    except Exception as exc:  # any reader error is the file's fault: record it, keep the bytes
        res.status = "failed"
        cause = re.sub(r"\s+", " ", str(exc))[:300]
        res.error = f"{kind} unreadable: {type(exc).__name__}: {cause}"
        res.tables = []
    return res
