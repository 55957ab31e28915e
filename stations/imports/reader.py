"""Reading a spreadsheet a row at a time: XLSX through openpyxl (read-only, streamed) and CSV through the
standard library's reader, in UTF-8 (with or without a byte-order mark) or GB18030 (what Chinese Excel saves).

Nothing here knows what the columns mean (stations.imports.kinds does); this module only turns a file into a
header and a stream of rows of text, and refuses what is not a spreadsheet, too large, or carries formulas.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook

# A cell starting with one of these runs as a formula in a spreadsheet (CSV injection); imports refuse them,
# as exports neutralise them (stations.exports.FORMULA_START). A sign followed by a digit is a number or a
# phone number with its country code, and a dash before a space is a list item: those are kept.
FORMULA_START = ("=", "@")
SIGNS = ("+", "-")
# How many bytes of a CSV file are read to choose its encoding.
SNIFF_BYTES = 64 * 1024


class FileRefused(Exception):
    """The whole file is refused before any row is read; the message is for the user."""


@dataclass(frozen=True)
class Cell:
    """A cell's text as the importer reads it; `formula` when the cell held a formula."""

    text: str
    formula: bool = False


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 32 * 1024 * 1024))


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise FileRefused(
            _("The file is %(size)s MB; files of at most %(limit)s MB can be imported. Split it into several files.")
            % {"size": round(size / 1024 / 1024, 1), "limit": round(limit / 1024 / 1024, 1)}
        )
    if size == 0:
        raise FileRefused(_("The file is empty."))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else f"{value:%Y-%m-%d}"
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _looks_like_formula(text: str) -> bool:
    if text.startswith(FORMULA_START):
        return True
    return text.startswith(SIGNS) and len(text) > 1 and not (text[1].isdigit() or text[1] in " .")


def _xlsx_rows(stream: IO[bytes]) -> Iterator[list[Cell]]:
    try:
        # read_only streams the sheet row by row; data_only=False keeps formulas as text so they can be refused.
        workbook = load_workbook(stream, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileRefused(_("The file is not a spreadsheet that can be read (XLSX or CSV).")) from error
    try:
        sheet = workbook.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            cells = []
            for value in values:
                text = _text(value)
                formula = isinstance(value, str) and value.startswith("=")
                cells.append(Cell(text, formula or _looks_like_formula(text)))
            yield cells
    finally:
        workbook.close()


def detect_encoding(head: bytes) -> str:
    """UTF-8 when the bytes decode as UTF-8 (with or without BOM), else GB18030 when they decode as that."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            # A multi-byte character may be cut at the end of the sample: decode incrementally, not final.
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused(_("The file's text is neither UTF-8 nor GB18030; save it again as CSV (UTF-8) or XLSX."))


def _csv_rows(stream: IO[bytes]) -> Iterator[list[Cell]]:
    head = stream.read(SNIFF_BYTES)
    if b"\x00" in head:
        raise FileRefused(_("The file is not a spreadsheet that can be read (XLSX or CSV)."))
    encoding = detect_encoding(head)
    stream.seek(0)
    text = io.TextIOWrapper(stream, encoding=encoding, newline="")
    try:
        for values in csv.reader(text):
            yield [Cell(value.strip(), _looks_like_formula(value.strip())) for value in values]
    except UnicodeDecodeError as error:
        raise FileRefused(
            _("The file's text is neither UTF-8 nor GB18030; save it again as CSV (UTF-8) or XLSX.")
        ) from error
    except csv.Error as error:
        raise FileRefused(_("The file is not a spreadsheet that can be read (XLSX or CSV).")) from error
    finally:
        text.detach()


def rows(stream: IO[bytes], *, name: str) -> Iterator[list[Cell]]:
    """The file's rows (header first), streamed. The format comes from the file's first bytes (an XLSX is a
    zip archive), not from its name, so a renamed file is still read or refused for what it is."""
    stream.seek(0, io.SEEK_END)
    check_size(stream.tell())
    stream.seek(0)
    magic = stream.read(4)
    stream.seek(0)
    if magic == b"PK\x03\x04":
        return _xlsx_rows(stream)
    if name.lower().endswith((".xlsx", ".xlsm", ".xls")) or magic.startswith((b"\xd0\xcf\x11\xe0", b"%PDF")):
        raise FileRefused(_("The file is not a spreadsheet that can be read (XLSX or CSV)."))
    return _csv_rows(stream)
