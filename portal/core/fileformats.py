"""The file formats of DOMAIN.md: their columns, and checking every row before anything is written.

Reading turns bytes into a table of text cells (:mod:`portal.core.filereading`, whose
:func:`read_table` and errors this module re-exports). Checking is
vectorized per column and reports every bad cell as a :class:`RowError` naming the row
(as a spreadsheet shows it: the header is row 1, the first data row is row 2), the
column, the value and the reason. The columns and the rules between them of schedules,
reports, receipts and purchase orders are those of the value objects of
:mod:`portal.core.inputs`, which forms, the grid and the API build directly: a rule is
written once, and only files are read as text. :func:`typed_table` gives values already
typed (the grid's, the API's) the same table shape, so the database checks serve both.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from portal.core.filereading import FileFormatError as FileFormatError
from portal.core.filereading import TooManyRows as TooManyRows
from portal.core.filereading import normalize_header as normalize_header
from portal.core.filereading import read_table as read_table
from portal.core.inputs import (
    COUNTRY_RE,
    FIRST_YEAR,
    INPUTS_BY_KIND,
    LAST_YEAR,
    Field,
    LineRef,
    Problem,
    bad_emails,
    below_minimum_reason,
    country_reason,
    email_reason,
    implausible_date_reason,
    required_reason,
    shown_value,
    timezone_reason,
    too_long_reason,
)
from portal.core.parsing import (
    CONTROL_CHARACTER,
    control_characters,
    iso_dates,
    printable,
    whole_numbers,
)
from portal.core.timezones import is_timezone
from portal.i18n import _, ngettext

#: A column of a file format is a field of its value object (name, kind, requirement, limits).
Column = Field


@dataclass(frozen=True)
class FileFormat:
    """A kind of file: its columns and the key that must be unique within the file."""

    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


#: The key that must be unique within a file of each kind.
KEYS: dict[str, tuple[str, ...]] = {
    "suppliers": ("code",),
    "items": ("sku",),
    "pos": ("po_number", "line"),
    "schedules": ("po_number", "line"),
    "reports": ("po_number", "line", "date"),
    "receipts": (),
    "backorders": ("order_ref",),
}


def _format(kind: str) -> FileFormat:
    """A kind's file format: its value object's fields as columns (the line's first when it names one)."""
    value = INPUTS_BY_KIND[kind]
    fields = (*LineRef.FIELDS, *value.FIELDS) if value.ON_A_LINE else value.FIELDS
    return FileFormat(kind, tuple(fields), key=KEYS[kind])


#: Every file format, in the order the documentation lists them.
FORMATS: dict[str, FileFormat] = {kind: _format(kind) for kind in INPUTS_BY_KIND}

IMPORT_KINDS: tuple[str, ...] = tuple(FORMATS)


@dataclass(frozen=True)
class RowError:
    """One bad cell or row: where it is, what it holds, and why it is refused."""

    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        """'Row 3, column quantity (value 'x'): must be a whole number', in the current language
        (a page's reader's; English from the command line, which has no language)."""
        shown = self.value if len(self.value) <= 60 else self.value[:57] + "..."
        # A NUL or an escape sequence in a cell is shown, not sent to the user's terminal.
        words = {"row": self.row, "column": self.column, "value": printable(shown), "reason": _(self.reason)}
        if self.column and self.value != "":
            return _("Row {row}, column {column} (value '{value}'): {reason}").format(**words)
        if self.column:
            return _("Row {row}, column {column}: {reason}").format(**words)
        if self.value != "":
            return _("Row {row} (value '{value}'): {reason}").format(**words)
        return _("Row {row}: {reason}").format(**words)


@dataclass
class CheckedTable:
    """Typed rows of a file and every error found; write only when ``errors`` is empty."""

    kind: str
    rows: pd.DataFrame
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(
        self, mask: pd.Series | np.ndarray, column: str, reason: str, values: pd.Series | None = None
    ) -> None:
        """Record ``reason`` for every row where ``mask`` holds."""
        if isinstance(mask, pd.Series):
            mask = mask.astype("boolean").fillna(False)
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        index = self.rows.index[mask]
        source = values if values is not None else self.rows.get(column)
        for idx in index:
            value = "" if source is None else _as_text(source.loc[idx])
            self.errors.append(RowError(int(self.rows.at[idx, "_row"]), column, value, reason))

    def sorted_errors(self) -> list[RowError]:
        return sorted(self.errors, key=lambda e: (e.row, e.column))

    def bad_rows(self) -> set[int]:
        return {e.row for e in self.errors}


def _as_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


# ---------------------------------------------------------------------------- checking


def check_columns(
    frame: pd.DataFrame, fmt: FileFormat, mapping: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Rename columns (``mapping``: file header -> our column), and refuse missing or unknown ones."""
    renamed = {}
    for col in frame.columns:
        target = (mapping or {}).get(str(col))
        renamed[col] = target if target else normalize_header(col)
    frame = frame.rename(columns=renamed)
    seen = [c for c in frame.columns if c]
    duplicates = sorted({c for c in seen if seen.count(c) > 1})
    if duplicates:
        raise FileFormatError(_("Column(s) appear twice: {columns}.").format(columns=", ".join(duplicates)))
    missing = [c for c in fmt.required if c not in frame.columns]
    unknown = [c for c in frame.columns if c not in fmt.names]
    problems = []
    if missing:
        problems.append(_("missing column(s): {columns}").format(columns=", ".join(missing)))
    for col in unknown:
        guess = difflib.get_close_matches(col, fmt.names, n=1, cutoff=0.6)
        if guess:
            problems.append(
                _("unknown column '{column}' (did you mean '{guess}'?)").format(
                    column=printable(col), guess=guess[0]
                )
            )
        else:
            problems.append(_("unknown column '{column}'").format(column=printable(col)))
    if problems:
        expected = ", ".join(c.name if c.required else f"[{c.name}]" for c in fmt.columns)
        raise FileFormatError(
            _("The {kind} file has {problems}. Expected columns: {expected}.").format(
                kind=fmt.kind, problems="; ".join(problems), expected=expected
            )
        )
    for col in fmt.names:
        if col not in frame.columns:
            frame[col] = ""
    return frame[fmt.names]


def check_rows(frame: pd.DataFrame, kind: str, mapping: Mapping[str, str] | None = None) -> CheckedTable:
    """Check every cell of a ``kind`` file; returns typed rows and every error found."""
    fmt = FORMATS[kind]
    text = check_columns(frame, fmt, mapping).reset_index(drop=True)
    rows = pd.DataFrame({"_row": np.arange(len(text), dtype=np.int64) + 2})
    table = CheckedTable(kind=kind, rows=rows)
    for column in fmt.columns:
        raw = text[column.name].astype(str)
        table.rows[column.name] = _parse_column(table, column, raw)
    check_unique_keys(table, fmt)
    _check_rules(table)
    return table


def _parse_column(table: CheckedTable, column: Column, raw: pd.Series) -> pd.Series:
    empty = raw == ""
    if column.required:
        table.add(empty, column.name, required_reason(), raw)
    limit = column.length_limit
    too_long = raw.str.len() > limit
    table.add(too_long, column.name, too_long_reason(limit), raw)
    control = ~too_long & control_characters(raw, line_breaks_allowed=column.multiline)
    table.add(control, column.name, CONTROL_CHARACTER, raw)
    # A refused cell is not looked up or written: it becomes empty (None, NA or NaT).
    present = ~empty & ~too_long & ~control
    if column.kind == "str":
        return raw.where(present, None)
    if column.kind == "int":
        values, reasons = whole_numbers(raw.where(present, ""))
        for reason in reasons.dropna().unique():
            table.add(reasons == reason, column.name, reason, raw)
        if column.minimum is not None:
            below = values < column.minimum
            table.add(below, column.name, below_minimum_reason(column.minimum), raw)
        return values
    if column.kind == "date":
        parsed, reasons = iso_dates(raw.where(present, ""))
        for reason in reasons.dropna().unique():
            table.add(reasons == reason, column.name, reason, raw)
        # Dates far outside business reality are typos (year 2206, 1926).
        out_of_range = parsed.notna() & ((parsed.dt.year < FIRST_YEAR) | (parsed.dt.year > LAST_YEAR))
        table.add(out_of_range, column.name, implausible_date_reason(), raw)
        return parsed.where(~out_of_range)
    if column.kind == "country":
        ok = raw.str.fullmatch(COUNTRY_RE.pattern)
        table.add(present & ~ok, column.name, country_reason(), raw)
        return raw.str.upper().where(present & ok, None)
    if column.kind == "timezone":
        ok = raw.map(is_timezone).astype(bool)
        table.add(present & ~ok, column.name, timezone_reason(), raw)
        return raw.where(present & ok, None)
    if column.kind == "email":
        bad = raw.map(bad_emails).astype(bool)
        table.add(present & bad, column.name, email_reason(), raw)
        return raw.where(present, None)
    raise AssertionError(column.kind)


def check_unique_keys(table: CheckedTable, fmt: FileFormat) -> None:
    """An error for each row whose key (``fmt.key``) an earlier row of the same table already has."""
    if not fmt.key:
        return
    key = table.rows[list(fmt.key)]
    complete = key.notna().all(axis=1)
    dup = key.duplicated(keep="first") & complete
    if dup.any():
        first_row = (
            table.rows.loc[complete]
            .groupby(list(fmt.key), dropna=True, sort=False)["_row"]
            .transform("min")
            .reindex(table.rows.index)
        )
        for idx in table.rows.index[dup.to_numpy()]:
            table.errors.append(
                RowError(
                    int(table.rows.at[idx, "_row"]),
                    "+".join(fmt.key),
                    " / ".join(_as_text(v) for v in key.loc[idx]),
                    f"duplicates row {int(first_row.loc[idx])} of this file",
                )
            )


def typed_table(
    kind: str, records: Sequence[Mapping[str, object]], problems: Iterable[tuple[int, Problem]]
) -> CheckedTable:
    """A table of values already typed (a grid, an API batch: see :func:`portal.core.inputs.build_rows`),
    in the shape :func:`check_rows` gives a file: the same columns and dtypes, the problems as row errors,
    and duplicate keys refused. Nothing is turned into text and parsed again."""
    fmt = FORMATS[kind]
    rows = pd.DataFrame({"_row": np.arange(len(records), dtype=np.int64) + 2})
    for column in fmt.columns:
        values = [r.get(column.name) for r in records]
        if column.kind == "int":
            rows[column.name] = pd.array(values, dtype="Int64")
        elif column.kind == "date":
            rows[column.name] = pd.to_datetime(pd.Series(values, dtype=object))
        else:
            rows[column.name] = pd.Series(values, dtype=object)
    errors = [RowError(row, p.field, shown_value(p.value), p.reason) for row, p in problems]
    table = CheckedTable(kind=kind, rows=rows, errors=errors)
    check_unique_keys(table, fmt)
    return table


def _check_rules(table: CheckedTable) -> None:
    """Rules between columns of one row: the value object's rules, on whole columns."""
    kind = INPUTS_BY_KIND.get(table.kind)
    if kind is None:
        return
    r = table.rows
    for rule in kind.RULES:
        table.add(rule.broken(r), rule.field, rule.reason(), r[rule.field])
    for column in FORMATS[table.kind].columns:
        if column.lower:
            r[column.name] = r[column.name].str.lower()


# ---------------------------------------------------------------------------- references


def check_known(
    table: CheckedTable, column: str, known: Iterable[object], reason: str, *, values: pd.Series | None = None
) -> pd.Series:
    """Errors for values of ``column`` (or ``values``) not in ``known``; returns the 'found' mask."""
    series = values if values is not None else table.rows[column]
    found = series.isin(list(known)) | series.isna()
    table.add(~found.to_numpy(), column, reason, series)
    return found


def check_new(table: CheckedTable, column: str, existing: Iterable[object], reason: str) -> None:
    """Errors for values of ``column`` that already exist (a duplicate against the database)."""
    series = table.rows[column]
    table.add(series.isin(list(existing)).to_numpy() & series.notna().to_numpy(), column, reason)


def line_keys(rows: pd.DataFrame) -> pd.Series:
    """'PO-1042/3' labels for the po_number and line columns (None where either is missing)."""
    ok = rows["po_number"].notna() & rows["line"].notna()
    labels = rows["po_number"].astype(str) + "/" + rows["line"].astype("Int64").astype(str)
    return labels.where(ok, None)


def problems_frame(errors: Iterable[RowError]) -> pd.DataFrame:
    """Row errors as a table (row, column, value, reason), in row order, for a page or a download."""
    # Control characters in a value show as \x00 escapes: a bare CR would split the CSV's row.
    return pd.DataFrame(
        [
            (e.row, e.column, printable(e.value), _(e.reason))
            for e in sorted(errors, key=lambda e: (e.row, e.column))
        ],
        columns=["row", "column", "value", "reason"],
    )


def describe_errors(errors: Iterable[RowError], limit: int | None = None) -> str:
    """Every error on its own line (``limit``: at most that many, then a count of the rest)."""
    errors = sorted(errors, key=lambda e: (e.row, e.column))
    shown = errors if limit is None else errors[:limit]
    text = "\n".join(str(e) for e in shown)
    if limit is not None and len(errors) > limit:
        more = len(errors) - limit
        text += "\n" + ngettext("... and {n} more", "... and {n} more", more).format(n=more)
    return text
