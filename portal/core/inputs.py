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
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd

from portal.core.domain import ValidationError
from portal.core.parsing import (
    CONTROL_CHARACTER,
    MAX_WHOLE_NUMBER,
    NOT_WHOLE,
    TOO_LARGE,
    control_characters,
    iso_dates,
    printable,
    whole_numbers,
)
from portal.core.timezones import is_timezone
from portal.i18n import N_, _

FieldKind = Literal["str", "int", "date", "country", "email", "timezone"]

#: A hard limit on text length, whatever the field, so a huge value cannot bloat the database.
MAX_TEXT_LENGTH = 2000
#: Dates far outside business reality are typos (year 2206, 1926).
FIRST_YEAR, LAST_YEAR = 1990, 2100
#: The statuses a purchase-order line may be given from outside: the rest follow production and receipts.
PO_STATUSES = ("open", "cancelled")


@dataclass(frozen=True)
class Field:
    """One field of an input: its name in code and files, its name for people, its kind and limits."""

    name: str
    #: The field in the user's words, marked for translation (shown as ``_(label)``).
    label: str
    kind: FieldKind
    required: bool = True
    minimum: int | None = None
    max_length: int = 200
    #: Free text (a note, a reason) may hold line breaks; codes and numbers may not.
    multiline: bool = False
    #: What an optional field left empty means (a rejected quantity: 0).
    default: object = None

    @property
    def length_limit(self) -> int:
        return min(self.max_length, MAX_TEXT_LENGTH)


def below_minimum_reason(minimum: int) -> str:
    """Why a whole number below ``minimum`` is refused (the same words for a form and a file)."""
    return f"{NOT_WHOLE} >= {minimum}"


def too_long_reason(limit: int) -> str:
    return _("is longer than {limit} characters").format(limit=limit)


def implausible_date_reason() -> str:
    return _("is not a plausible date (years {first}-{last})").format(first=FIRST_YEAR, last=LAST_YEAR)


def required_reason() -> str:
    return _("is required")


def country_reason() -> str:
    return _("must be a two-letter ISO country code (e.g. DE)")


def timezone_reason() -> str:
    return _("is not an IANA time zone (like Asia/Shanghai, Europe/Berlin or UTC)")


def email_reason() -> str:
    return _("is not a valid e-mail address (separate several with ;)")


#: One e-mail address; a field may hold several, separated by ';' or ','.
EMAIL_RE = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
EMAIL_SEPARATOR = r"[;,]\s*"


def bad_emails(text: str) -> bool:
    """Whether any of the addresses in ``text`` (separated by ';' or ',') is not an e-mail address."""
    return any(part and not EMAIL_RE.match(part) for part in re.split(EMAIL_SEPARATOR, text))


@dataclass(frozen=True)
class Rule:
    """A rule between fields of one input, written once for one value and for a whole column.

    ``broken`` takes a mapping of field values (one input) or a DataFrame (a file's typed rows)
    and returns a bool or a boolean Series; it runs only when every field in ``uses`` is present.
    """

    field: str
    reason: Callable[[], str]
    uses: tuple[str, ...]
    broken: Callable[[Any], Any]


@dataclass(frozen=True)
class Problem:
    """One refused field: which, the value given, and why."""

    field: str
    label: str
    value: object
    reason: str

    def __str__(self) -> str:
        shown = shown_value(self.value)
        value = f" ({printable(shown)})" if shown else ""
        # Most reasons read on from the field ("is in the future"); the others follow a colon.
        joint = (
            " " if self.reason.split(" ", 1)[0] in ("is", "must", "duplicates", "are", "contains") else ": "
        )
        return f"{_(self.label)}{value}{joint}{self.reason}."


class InvalidInput(ValidationError):
    """An input with refused fields; the message names each field in the user's words."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems: tuple[Problem, ...] = tuple(problems)


def shown_value(value: object) -> str:
    """A value as a message shows it: ISO dates, 12 for 12.0, '' for none."""
    if is_missing(value):
        return ""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return shown_value(value.item())
    return str(value)


def is_missing(value: object) -> bool:
    """None, NaN, NaT, NA or blank text: a field left empty."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, str):
        return value.strip() == ""
    return False


def _whole(value: object) -> tuple[int | None, str | None]:
    if isinstance(value, bool):
        return None, NOT_WHOLE
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None, NOT_WHOLE
        value = int(value)
    if isinstance(value, int):
        if abs(value) > MAX_WHOLE_NUMBER:
            return None, TOO_LARGE
        return value, None
    numbers, reasons = whole_numbers(pd.Series([str(value)], dtype=object))
    if pd.notna(reasons.iloc[0]):
        return None, str(reasons.iloc[0])
    return int(numbers.iloc[0]), None


def _date(value: object) -> tuple[dt.date | None, str | None]:
    if isinstance(value, pd.Timestamp | dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, np.datetime64):
        day = pd.Timestamp(value).date()
    else:
        parsed, reasons = iso_dates(pd.Series([str(value)], dtype=object))
        if pd.notna(reasons.iloc[0]):
            return None, str(reasons.iloc[0])
        day = parsed.iloc[0].date()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None, implausible_date_reason()
    return day, None


def coerce(field: Field, value: object) -> tuple[object, str | None]:
    """One field's value as its kind: (value or None, the reason it is refused or None)."""
    if is_missing(value):
        return (None, required_reason()) if field.required else (field.default, None)
    if isinstance(value, str):
        value = value.strip()
        if len(value) > field.length_limit:
            return None, too_long_reason(field.length_limit)
        if control_characters(pd.Series([value]), line_breaks_allowed=field.multiline).iloc[0]:
            return None, CONTROL_CHARACTER
    if field.kind == "str":
        return str(value), None
    if field.kind == "country":
        text = str(value)
        return (text.upper(), None) if COUNTRY_RE.fullmatch(text) else (None, country_reason())
    if field.kind == "timezone":
        return (value, None) if is_timezone(str(value)) else (None, timezone_reason())
    if field.kind == "email":
        return (None, email_reason()) if bad_emails(str(value)) else (str(value), None)
    if field.kind == "int":
        number, reason = _whole(value)
        if number is not None and field.minimum is not None and number < field.minimum:
            return None, below_minimum_reason(field.minimum)
        return number, reason
    return _date(value)


def _check(
    fields_: Iterable[Field], rules: Iterable[Rule], raw: Mapping[str, object]
) -> tuple[dict[str, object], list[Problem]]:
    values: dict[str, object] = {}
    problems: list[Problem] = []
    for field in fields_:
        value, reason = coerce(field, raw.get(field.name))
        values[field.name] = value
        if reason is not None:
            problems.append(Problem(field.name, field.label, raw.get(field.name), reason))
    labels = {f.name: f.label for f in fields_}
    for rule in rules:
        if all(values.get(name) is not None for name in rule.uses) and bool(rule.broken(values)):
            problems.append(Problem(rule.field, labels[rule.field], values[rule.field], rule.reason()))
    return values, problems


class Input:
    """The rules every value object shares: its fields, the rules between them, and how to build one."""

    FIELDS: ClassVar[tuple[Field, ...]]
    RULES: ClassVar[tuple[Rule, ...]] = ()
    #: Whether a file or grid row names its line first (po_number, line: :class:`LineRef`).
    ON_A_LINE: ClassVar[bool] = False

    @classmethod
    def field(cls, name: str) -> Field:
        return next(f for f in cls.FIELDS if f.name == name)

    @classmethod
    def check(cls, raw: Mapping[str, object]) -> tuple[dict[str, object], list[Problem]]:
        """The fields of ``raw`` as typed values (None where refused), and every problem found."""
        return _check(cls.FIELDS, cls.RULES, raw)

    @classmethod
    def build(cls, **raw: object) -> Self:
        """The value from loosely typed fields (ints, floats, dates, text); InvalidInput names each fault."""
        values, problems = cls.check(raw)
        if problems:
            raise InvalidInput(problems)
        return cls(**values)

    def __post_init__(self) -> None:
        # A value built directly (not through build) obeys the same rules: typed fields pass unchanged.
        values, problems = self.check({f.name: getattr(self, f.name) for f in self.FIELDS})
        if problems:
            raise InvalidInput(problems)
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def values(self) -> dict[str, object]:
        """The fields by name, for a row of a table or an audit record."""
        return {f.name: getattr(self, f.name) for f in self.FIELDS}


def _is_not_in(values: Any, allowed: tuple[str, ...]) -> Any:
    if isinstance(values, pd.Series):
        return values.notna() & ~values.str.lower().isin(allowed)
    return values.lower() not in allowed


@dataclass(frozen=True)
class LineRef(Input):
    """A purchase-order line as files and the grid name it: PO number and line number."""

    po_number: str
    line: int

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("po_number", N_("PO number"), "str", max_length=60),
        Field("line", N_("Line"), "int", minimum=1),
    )

    @property
    def label(self) -> str:
        return f"{self.po_number}/{self.line}"


@dataclass(frozen=True)
class ScheduleRevision(Input):
    """A line's production plan: from the start date, this many good units a working day, until the end."""

    start_date: dt.date
    daily_output: int
    estimated_end_date: dt.date
    reason: str | None = None

    ON_A_LINE: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("start_date", N_("Start date"), "date"),
        Field("daily_output", N_("Planned daily output"), "int", minimum=1),
        Field("estimated_end_date", N_("Estimated end date"), "date"),
        Field("reason", N_("Reason"), "str", required=False, max_length=MAX_TEXT_LENGTH, multiline=True),
    )
    RULES: ClassVar[tuple[Rule, ...]] = (
        Rule(
            "estimated_end_date",
            lambda: _("is before the start date"),
            ("estimated_end_date", "start_date"),
            lambda v: v["estimated_end_date"] < v["start_date"],
        ),
    )

    def check_against(self, *, order_date: dt.date | None, current_end: dt.date | None) -> list[Problem]:
        """The rules that need the line and its current schedule: start not before the order, a reason
        when the end date moves later."""
        problems = []
        if order_date is not None and self.start_date < order_date:
            problems.append(
                Problem(
                    "start_date", self.field("start_date").label, self.start_date, start_before_order_reason()
                )
            )
        if current_end is not None and self.estimated_end_date > current_end and not self.reason:
            problems.append(Problem("reason", self.field("reason").label, None, reason_required_reason()))
        return problems


def start_before_order_reason() -> str:
    return _("is before the line's order date")


def reason_required_reason() -> str:
    return _("is required when the estimated end date moves later than the current schedule")


@dataclass(frozen=True)
class DailyReport(Input):
    """A line's output of one working day: good units, rejected units and a note."""

    date: dt.date
    good_qty: int
    rejected_qty: int = 0
    note: str | None = None

    ON_A_LINE: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("date", N_("Date"), "date"),
        Field("good_qty", N_("Good quantity"), "int", minimum=0),
        Field("rejected_qty", N_("Rejected quantity"), "int", required=False, minimum=0, default=0),
        Field("note", N_("Note"), "str", required=False, max_length=MAX_TEXT_LENGTH, multiline=True),
    )


@dataclass(frozen=True)
class ReceiptInput(Input):
    """Units of a line received at the warehouse on one day, some of them rejected."""

    received_date: dt.date
    quantity: int
    rejected_qty: int = 0

    ON_A_LINE: ClassVar[bool] = True
    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("received_date", N_("Received date"), "date"),
        Field("quantity", N_("Quantity received"), "int", minimum=1),
        Field("rejected_qty", N_("Rejected quantity"), "int", required=False, minimum=0, default=0),
    )
    RULES: ClassVar[tuple[Rule, ...]] = (
        Rule(
            "rejected_qty",
            lambda: _("is more than the quantity received"),
            ("rejected_qty", "quantity"),
            lambda v: v["rejected_qty"] > v["quantity"],
        ),
    )


@dataclass(frozen=True)
class PoLineInput(Input):
    """A purchase-order line as the buyer's system sends it: new, changed or cancelled."""

    po_number: str
    line: int
    supplier_code: str
    sku: str
    quantity: int
    need_by_date: dt.date
    order_date: dt.date | None = None
    promised_date: dt.date | None = None
    transit_days: int | None = None
    status: str | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        *LineRef.FIELDS,
        Field("supplier_code", N_("Supplier code"), "str", max_length=40),
        Field("sku", N_("SKU"), "str", max_length=60),
        Field("quantity", N_("Quantity"), "int", minimum=1),
        Field("order_date", N_("Order date"), "date", required=False),
        Field("need_by_date", N_("Need-by date"), "date"),
        Field("promised_date", N_("Promised date"), "date", required=False),
        Field("transit_days", N_("Transit days"), "int", required=False, minimum=0),
        # A line that exists is a change order; "cancelled" cancels it, "open" (or empty) keeps it.
        Field("status", N_("Status"), "str", required=False, max_length=20),
    )
    RULES: ClassVar[tuple[Rule, ...]] = (
        Rule(
            "need_by_date",
            lambda: _("is before the order date"),
            ("need_by_date", "order_date"),
            lambda v: v["need_by_date"] < v["order_date"],
        ),
        Rule(
            "promised_date",
            lambda: _("is before the order date"),
            ("promised_date", "order_date"),
            lambda v: v["promised_date"] < v["order_date"],
        ),
        Rule(
            "status",
            lambda: _("must be open or cancelled (or empty)"),
            ("status",),
            lambda v: _is_not_in(v["status"], PO_STATUSES),
        ),
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.status is not None:
            object.__setattr__(self, "status", self.status.lower())


@dataclass(frozen=True)
class SupplierInput(Input):
    """A supplier: its code and name, and optionally its country, transit, capacity, e-mails and time zone."""

    code: str
    name: str
    country: str | None = None
    transit_days: int | None = None
    capacity_per_day: int | None = None
    email: str | None = None
    timezone: str | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("code", N_("Supplier code"), "str", max_length=40),
        Field("name", N_("Name"), "str", max_length=200),
        Field("country", N_("Country"), "country", required=False),
        Field("transit_days", N_("Transit days"), "int", required=False, minimum=0),
        Field("capacity_per_day", N_("Capacity per day"), "int", required=False, minimum=1),
        Field("email", N_("E-mail"), "email", required=False, max_length=1000),
        Field("timezone", N_("Time zone"), "timezone", required=False, max_length=64),
    )


@dataclass(frozen=True)
class ItemInput(Input):
    """An item (a SKU) and the units of it on hand."""

    sku: str
    description: str
    on_hand: int | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("sku", N_("SKU"), "str", max_length=60),
        Field("description", N_("Description"), "str", max_length=300),
        Field("on_hand", N_("On hand"), "int", required=False, minimum=0),
    )


@dataclass(frozen=True)
class BackorderInput(Input):
    """A customer order waiting for an item: how many, since when, how urgent, what was promised."""

    order_ref: str
    sku: str
    quantity: int
    order_date: dt.date
    customer: str | None = None
    priority: int | None = None
    communicated_date: dt.date | None = None

    FIELDS: ClassVar[tuple[Field, ...]] = (
        Field("order_ref", N_("Order reference"), "str", max_length=60),
        Field("customer", N_("Customer"), "str", required=False, max_length=200),
        Field("sku", N_("SKU"), "str", max_length=60),
        Field("quantity", N_("Quantity"), "int", minimum=1),
        Field("order_date", N_("Order date"), "date"),
        Field("priority", N_("Priority"), "int", required=False),
        Field("communicated_date", N_("Communicated date"), "date", required=False),
    )


#: The value object of each file kind: its fields (after the line's PO number and line when it is
#: ON_A_LINE) are the file's columns, in order, and its rules the file's row rules.
INPUTS_BY_KIND: dict[str, type[Input]] = {
    "suppliers": SupplierInput,
    "items": ItemInput,
    "pos": PoLineInput,
    "schedules": ScheduleRevision,
    "reports": DailyReport,
    "receipts": ReceiptInput,
    "backorders": BackorderInput,
}


def build_rows(
    kind: type[Input], rows: Iterable[Mapping[str, object]], *, first_row: int = 2
) -> tuple[list[dict[str, object]], list[tuple[int, Problem]]]:
    """Check loosely typed rows (a grid, an API batch): each row's typed fields (None where refused),
    and every problem with its row number (the first row is ``first_row``, as a spreadsheet counts)."""
    line_fields = LineRef.FIELDS if kind.ON_A_LINE else ()
    typed: list[dict[str, object]] = []
    problems: list[tuple[int, Problem]] = []
    for number, raw in enumerate(rows, start=first_row):
        values, found = _check((*line_fields, *kind.FIELDS), kind.RULES, raw)
        typed.append(values)
        problems.extend((number, p) for p in found)
    return typed, problems
