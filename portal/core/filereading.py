"""Reading CSV and XLSX files into tables of text cells, within a row limit.

Any encoding problem, an unknown file type, an empty file or one with too many rows is a
:class:`FileFormatError` with a message the user can act on. Checking the cells is
:mod:`portal.core.fileformats`' job.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from typing import Protocol

import numpy as np
import pandas as pd

from portal.core.domain import PortalError
from portal.i18n import _, format_number


class FileFormatError(PortalError):
    """The file as a whole cannot be read: wrong type, encoding, empty, missing columns."""


def normalize_header(name: object) -> str:
    """'Need-by Date ' -> 'need_by_date': how headers are compared."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise FileFormatError(_("The file is not a CSV or XLSX file (it contains binary data)."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError(_("The file's text encoding is not UTF-8: save it as 'CSV UTF-8' and try again."))


class TooManyRows(FileFormatError):
    """The file has more rows than one upload of its kind may hold."""

    def __init__(self, limit: int):
        super().__init__(
            _(
                "The file has more than {limit} rows; split it into files of at most {limit} rows and "
                "import them one after the other."
            ).format(limit=format_number(limit))
        )
        self.limit = limit


#: Columns read from a worksheet: every format has about ten, so a sheet that declares
#: thousands (a formatted row) is not read cell by cell.
MAX_COLUMNS = 200


def _read_csv(data: bytes, max_rows: int | None = None) -> pd.DataFrame:
    text = _decode(data)
    if not text.strip():
        raise FileFormatError(_("The file is empty."))
    sample = "\n".join(text.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
            engine="python",
            # One row past the limit tells that there are too many, without parsing the rest.
            nrows=None if max_rows is None else max_rows + 1,
        )
    except (pd.errors.ParserError, csv.Error) as exc:
        raise FileFormatError(_("The CSV file cannot be read: {error}").format(error=exc)) from None
    except pd.errors.EmptyDataError:
        raise FileFormatError(_("The file is empty.")) from None
    if max_rows is not None and len(frame) > max_rows:
        raise TooManyRows(max_rows)
    return frame


def _excel_cell(value: object) -> str:
    """An Excel cell as the text a CSV would hold (dates as ISO, 12.0 as 12)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class _Worksheet(Protocol):
    """What is read of an openpyxl worksheet (openpyxl has no type stubs here)."""

    @property
    def max_column(self) -> int | None: ...

    def iter_rows(self, *, max_col: int | None, values_only: bool) -> Iterator[tuple[object, ...]]: ...


def _sheet_rows(sheet: _Worksheet, max_rows: int | None) -> list[list[str]] | None:
    """A worksheet's non-empty rows as text cells, header first (None: the sheet has no data).

    Rows stream from the file one at a time (openpyxl's read-only mode), and reading stops one
    row past ``max_rows``: a workbook that unzips to millions of rows costs no more than the limit.
    """
    rows: list[list[str]] = []
    # Rows are padded to the sheet's declared width: read no wider than MAX_COLUMNS.
    declared = sheet.max_column
    width = min(declared, MAX_COLUMNS) if declared else None
    for values in sheet.iter_rows(max_col=width, values_only=True):
        cells = [_excel_cell(v) for v in values[:MAX_COLUMNS]]
        if not any(cells):
            continue
        rows.append(cells)
        if max_rows is not None and len(rows) > max_rows + 1:
            raise TooManyRows(max_rows)
    return rows or None


def _refuse_unsized_sheets(data: bytes, max_rows: int) -> None:
    """Refuse a workbook with a worksheet too big for ``max_rows`` that does not declare its size.

    openpyxl reads a worksheet without a <dimension> element to its very end before the first
    row (to look for one), so streaming would not stop at the limit. Excel and LibreOffice
    always write it; a sheet without it may hold at most 512 bytes of XML per allowed row.
    """
    allowance = max(max_rows, 1000) * 512
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if not info.filename.startswith("xl/worksheets/") or info.file_size <= allowance:
                    continue
                with archive.open(info) as part:
                    head = part.read(65536)
                if b"dimension" not in head.split(b"sheetData", 1)[0]:
                    raise TooManyRows(max_rows)
    except zipfile.BadZipFile:
        return  # openpyxl says what is wrong with the file


def _read_xlsx(data: bytes, kind: str | None, max_rows: int | None = None) -> pd.DataFrame:
    from openpyxl import load_workbook

    if max_rows is not None:
        _refuse_unsized_sheets(data, max_rows)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise FileFormatError(
            _("The Excel file cannot be read ({error}).").format(error=type(exc).__name__)
        ) from None
    try:
        # A workbook with several sheets: take the one named after the kind, else the first with data.
        sheets = sorted(book.worksheets, key=lambda ws: not (kind and normalize_header(ws.title) == kind))
        rows = None
        for sheet in sheets:
            rows = _sheet_rows(sheet, max_rows)
            if rows is not None:
                break
    except FileFormatError:
        raise
    except Exception as exc:
        raise FileFormatError(
            _("The Excel file cannot be read ({error}).").format(error=type(exc).__name__)
        ) from None
    finally:
        book.close()
    if rows is None:
        raise FileFormatError(_("The Excel file has no data."))
    width = max(len(r) for r in rows)
    cells = pd.DataFrame([r + [""] * (width - len(r)) for r in rows], dtype=object)
    # Columns with neither a header nor a value are spreadsheet noise (a formatted empty column).
    cells = cells.loc[:, (cells != "").any(axis=0)]
    header = [str(h) for h in cells.iloc[0].tolist()]
    return pd.DataFrame(cells.iloc[1:].to_numpy(), columns=header)


def read_table(
    data: bytes, filename: str = "", kind: str | None = None, *, max_rows: int | None = None
) -> pd.DataFrame:
    """Read a CSV or XLSX file into text cells; the header row gives the column names.

    ``max_rows``: refuse a file with more data rows than this (:class:`TooManyRows`), reading
    no further than one row past it.
    """
    if not data:
        raise FileFormatError(_("The file is empty."))
    suffix = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    is_zip = data[:4] == b"PK\x03\x04"
    if suffix in ("xlsx", "xlsm") or (is_zip and suffix not in ("csv", "txt")):
        if not is_zip:
            raise FileFormatError(_("The file is named .xlsx but is not an Excel workbook."))
        frame = _read_xlsx(data, kind, max_rows)
    elif suffix in ("csv", "txt", "tsv", ""):
        if is_zip:
            raise FileFormatError(_("The file is named .csv but is an Excel workbook or a zip archive."))
        frame = _read_csv(data, max_rows)
    else:
        raise FileFormatError(
            _("'{filename}' is not a CSV or XLSX file: upload a .csv or .xlsx file.").format(
                filename=filename
            )
        )
    frame = frame.astype(str).apply(lambda s: s.str.strip())
    if frame.empty:
        raise FileFormatError(_("The file has a header but no rows."))
    return frame
