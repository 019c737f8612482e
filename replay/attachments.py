"""Attachment files (.xlsx, .xls, .pdf) written from the enterprise lists, deterministically: the
same list gives the same bytes on every run, so ETags, content hashes and the crawler's
"unchanged attachment" logic can be tested.

PDF text uses reportlab's built-in CID font STSong-Light (UniGB-UCS2-H): pdfplumber reads it back
as Unicode, GBK-only characters (燊, 喆, 堃) included — checked in tests/replay."""

from __future__ import annotations

import datetime as dt
import functools
import io
import zipfile

from replay.tables import list_rows

FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)

MIME = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "pdf": "application/pdf",
}


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times (openpyxl stamps the current time)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _xlsx(title: str, header: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for row in rows:
        ws.append([int(v) if v.isdigit() and len(v) < 6 else v for v in row])
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.properties.creator = "kejiwatch replay"
    buf = io.BytesIO()
    # Workbook.save stamps properties.modified with the wall clock; the writer it wraps does not.
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)).save()
    return _normalise_zip(buf.getvalue())


def _xls(title: str, header: list[str], rows: list[list[str]]) -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    ws.write_merge(0, 0, 0, len(header) - 1, title)
    for j, name in enumerate(header):
        ws.write(1, j, name)
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row):
            ws.write(i, j, int(value) if value.isdigit() and len(value) < 6 else value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pdf(title: str, header: list[str], rows: list[list[str]]) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, invariant=1, title=title, author="", creator="", producer="")
    table = Table([header, *rows], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "STSong-Light", 10),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
            ]
        )
    )
    style = ParagraphStyle("title", fontName="STSong-Light", fontSize=14, leading=20)
    doc.build([Paragraph(title, style), table])
    return buf.getvalue()


def title_of(att: dict) -> str:
    """The title printed in an attachment: given, or its file name without extension."""
    return att.get("title") or att["name"].rsplit(".", 1)[0]


@functools.cache
def render(list_id: str, kind: str, title: str) -> bytes:
    """The bytes of an attachment of `kind` (xlsx|xls|pdf) holding enterprise list `list_id`."""
    header, rows = list_rows(list_id)
    writer = {"xlsx": _xlsx, "xls": _xls, "pdf": _pdf}[kind]
    return writer(title, header, rows)


def corrupt(data: bytes) -> bytes:
    """A damaged file as broken uploads leave them: the first half, then junk (deterministic)."""
    half = data[: len(data) // 2]
    return half + bytes((i * 37) % 256 for i in range(256))
