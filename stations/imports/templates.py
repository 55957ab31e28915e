"""Blank templates to fill in, one per kind: Chinese headers, a filled example row and the allowed values."""

from __future__ import annotations

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter

from stations.exports import csv_text, xlsx_append, xlsx_bytes
from stations.imports.kinds import Column, Kind


def allowed_values(column: Column) -> str:
    if column.choices is not None:
        return "、".join(str(label) for _code, label in column.choices.choices)
    return str(column.hint)


def template_columns(kind: Kind) -> list[Column]:
    return [column for column in kind.columns if not column.ignored]


def template_xlsx(kind: Kind) -> bytes:
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = str(kind.label)[:31]
    columns = template_columns(kind)
    xlsx_append(sheet, [str(column.label) for column in columns])
    xlsx_append(sheet, [column.example for column in columns])
    for index, (cell, column) in enumerate(zip(sheet[1], columns, strict=True), start=1):
        note = allowed_values(column)
        if column.required:
            note = f"{_('Required.')} {note}".strip()
        if note:
            cell.comment = Comment(note, "liaison")
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(str(column.label)) * 2 + 2)
    values = workbook.create_sheet(_("Allowed values")[:31])
    xlsx_append(values, [_("Column"), _("Required"), _("Allowed values or format")])
    for column in columns:
        xlsx_append(values, [str(column.label), _("yes") if column.required else "", allowed_values(column)])
    values.column_dimensions["A"].width = 24
    values.column_dimensions["C"].width = 80
    return xlsx_bytes(workbook)


def template_csv(kind: Kind) -> str:
    columns = template_columns(kind)
    return csv_text([[str(column.label) for column in columns], [column.example for column in columns]])
