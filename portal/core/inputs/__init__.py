"""Inputs as typed values: a schedule revision, a day's output, a receipt, a PO line.

Each value object is a frozen dataclass that owns its rules: which fields are required,
their kinds and limits (whole numbers of at least N, plausible dates, lengths, printable
text) and the rules between fields (the end not before the start). A form, the grid and
the API build them directly (:meth:`Input.build` takes loosely typed values: a widget's
int, a grid's float, a date, or text); the file reader (:mod:`portal.core.fileformats`)
takes its columns and row rules from the same :class:`Field` and :class:`Rule` definitions
and applies them to whole columns at once, so a rule is written once and a 100,000-row file
is still checked in one vectorized pass.

A refused value raises :class:`InvalidInput`, whose message names every field in the user's
words ("Estimated end date (2026-03-09) is before the start date."); file errors name the
row and the column instead (see :class:`portal.core.fileformats.RowError`).

:mod:`.fields` holds what every input shares (fields, rules, problems, coercion); :mod:`.values`
the value objects. Both are re-exported here.
"""

from __future__ import annotations

from portal.core.inputs.fields import (
    COUNTRY_RE,
    EMAIL_RE,
    EMAIL_SEPARATOR,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_TEXT_LENGTH,
    Field,
    FieldKind,
    Input,
    InvalidInput,
    Problem,
    Rule,
    bad_emails,
    below_minimum_reason,
    check_fields,
    coerce,
    country_reason,
    email_reason,
    future_reason,
    implausible_date_reason,
    is_missing,
    required_reason,
    shown_value,
    timezone_reason,
    too_long_reason,
)
from portal.core.inputs.values import (
    INPUTS_BY_KIND,
    PO_STATUSES,
    BackorderInput,
    DailyReport,
    ItemInput,
    LineRef,
    PoLineInput,
    ReceiptInput,
    ScheduleRevision,
    SupplierInput,
    build_rows,
    reason_required_reason,
    start_before_order_reason,
)

__all__ = [
    "COUNTRY_RE",
    "EMAIL_RE",
    "EMAIL_SEPARATOR",
    "FIRST_YEAR",
    "INPUTS_BY_KIND",
    "LAST_YEAR",
    "MAX_TEXT_LENGTH",
    "PO_STATUSES",
    "BackorderInput",
    "DailyReport",
    "Field",
    "FieldKind",
    "Input",
    "InvalidInput",
    "ItemInput",
    "LineRef",
    "PoLineInput",
    "Problem",
    "ReceiptInput",
    "Rule",
    "ScheduleRevision",
    "SupplierInput",
    "bad_emails",
    "below_minimum_reason",
    "build_rows",
    "check_fields",
    "coerce",
    "country_reason",
    "email_reason",
    "future_reason",
    "implausible_date_reason",
    "is_missing",
    "reason_required_reason",
    "required_reason",
    "shown_value",
    "start_before_order_reason",
    "timezone_reason",
    "too_long_reason",
]
