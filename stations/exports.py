"""Spreadsheet exports (CSV and XLSX), shared by the record book, the statistics and a voter's records.

One rule against formula injection for every export: voters' words must never run as a spreadsheet formula.
In XLSX a cell has a type, so text is stored as a text cell, unchanged; CSV has no types, so text that a
spreadsheet would read as a formula gets a leading apostrophe, which spreadsheets show as plain text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from django.http import HttpResponse

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(rows: Iterable[Iterable]) -> str:
    """UTF-8 CSV with a byte-order mark (so Excel reads the Chinese), formula-looking text neutralised."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value for value in row
        )
    return buffer.getvalue()


def xlsx_append(sheet, row: list) -> None:
    """Append a row; text that looks like a formula is stored as a text cell, word for word."""
    sheet.append(row)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
            cell.data_type = "s"


def xlsx_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def attachment(content: str | bytes, *, filename: str, content_type: str) -> HttpResponse:
    """A download that no cache keeps (exports may hold personal data)."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def csv_attachment(rows: Iterable[Iterable], *, filename: str) -> HttpResponse:
    return attachment(csv_text(rows), filename=filename, content_type="text/csv; charset=utf-8")


def xlsx_attachment(workbook, *, filename: str) -> HttpResponse:
    return attachment(xlsx_bytes(workbook), filename=filename, content_type=XLSX_CONTENT_TYPE)
