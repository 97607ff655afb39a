"""What every input shares: fields with their kinds and limits, the rules between them, the
problems they report in the user's words, and turning loosely typed values into typed ones.

The value objects themselves are in :mod:`portal.core.inputs.values`.
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
from portal.i18n import _

FieldKind = Literal["str", "int", "date", "country", "email", "timezone"]

#: A hard limit on text length, whatever the field, so a huge value cannot bloat the database.
MAX_TEXT_LENGTH = 2000
#: Dates far outside business reality are typos (year 2206, 1926).
FIRST_YEAR, LAST_YEAR = 1990, 2100


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
    #: A code compared without case (a status): stored in lower case, once the rules have seen it as given.
    lower: bool = False

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


def bounded_text(value: str | None, limit: int, *, missing: str, too_long: Callable[[int], str]) -> str:
    """``value`` without its surrounding white space; refused when nothing is left (``missing``) or
    when longer than ``limit`` characters (``too_long``, given the length: the message)."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(missing)
    if len(text) > limit:
        raise ValidationError(too_long(len(text)))
    return text


def future_reason(today: dt.date) -> str:
    """A day after the supplier's (or the portal's) own today, naming that today."""
    return _("is in the future (today is {today})").format(today=f"{today:%Y-%m-%d}")


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

    @classmethod
    def at_least(cls, field: str, other: str, reason: Callable[[], str]) -> Rule:
        """``field`` is refused when it is less than (a date: before) ``other``."""
        return cls(field, reason, (field, other), lambda v: v[field] < v[other])

    @classmethod
    def at_most(cls, field: str, other: str, reason: Callable[[], str]) -> Rule:
        """``field`` is refused when it is more than (a date: after) ``other``."""
        return cls(field, reason, (field, other), lambda v: v[field] > v[other])


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
        # A reason kept as a constant (parsing's NOT_WHOLE, ...) is translated here, where it is shown.
        return f"{_(self.label)}{value}{joint}{_(self.reason)}."


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


def _text(value: object) -> str:
    """A text field's value given as something else (a JSON number or boolean), as a file would spell it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return shown_value(value) if not isinstance(value, str) else value


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
        return _text(value), None
    if field.kind == "country":
        text = _text(value)
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


def check_fields(
    fields_: Sequence[Field], rules: Iterable[Rule], raw: Mapping[str, object]
) -> tuple[dict[str, object], list[Problem]]:
    """Each field of ``raw`` as its kind (None where refused), then the rules between the fields present."""
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
    for field in fields_:
        if field.lower and isinstance(values[field.name], str):
            values[field.name] = str(values[field.name]).lower()
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
        return check_fields(cls.FIELDS, cls.RULES, raw)

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
