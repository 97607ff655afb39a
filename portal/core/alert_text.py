"""Alert messages in the reader's language: the rules' templates, and one helper that renders them.

Pure Python (Babel through :mod:`portal.i18n`). A rule (:mod:`portal.core.alerts`) stores two things
per alert: the English ``message`` (exports, the API and Slack keep it) and ``message_args``, the
template's key and its raw values as JSON (``{"t": "BEHIND_PLAN", "label": "PO-1/1", "produced":
40.0, ...}``). :func:`alert_message` turns those back into text in the current language: the
template through ``_()``, dates and numbers formatted for the language, counts through
``ngettext``. In English it gives exactly the stored message (a test renders every rule's
alerts and compares), dates stay ISO there as they always were. An alert without arguments
(written before they existed, or by a rule that has none) shows its stored English text.

A template field has a kind, which says how its raw value is written (:data:`TEMPLATES`): the
rules' vectorized builders write English through the same table, so the two cannot drift.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    current_language,
    language,
    message_date,
    ngettext,
    pgettext,
)

#: Kinds of field. ``text`` is user data (a line label, a supplier code), never translated.
TEXT, DATE, NUMBER, SHARE, SHARE_1, LIMIT, ORDINAL, PHRASE = (
    "text",
    "date",
    "number",
    "share",
    "share_1",
    "limit",
    "ordinal",
    "phrase",
)


def _count_day(n: int) -> str:
    return ngettext("{n} day", "{n} days", n)


def _count_working_day(n: int) -> str:
    return ngettext("{n} working day", "{n} working days", n)


def _count_reported_day(n: int) -> str:
    return ngettext("{n} reported day", "{n} reported days", n)


def _count_open_line(n: int) -> str:
    return ngettext("{n} open line", "{n} open lines", n)


def _count_more_line(n: int) -> str:
    return ngettext("{n} more line", "{n} more lines", n)


#: Counted kinds: the English unit (singular; the plural adds "s") and the translated phrase.
COUNTS: dict[str, tuple[str, Callable[[int], str]]] = {
    "days": ("day", _count_day),
    "working_days": ("working day", _count_working_day),
    "reported_days": ("reported day", _count_reported_day),
    "open_lines": ("open line", _count_open_line),
    "more_lines": ("more line", _count_more_line),
}


@dataclass(frozen=True)
class Template:
    """An English text with ``{fields}``, and each field's kind."""

    text: str
    fields: Mapping[str, str]


#: Every template a rule writes, by key. Keys of whole messages are the rules' codes (with a
#: suffix where a rule says two things); the others are phrases inside a message.
TEMPLATES: dict[str, Template] = {
    "LATE_START": Template(
        N_(
            "{label} has not started: production was scheduled to start {start}, {since} before {as_of},"
            " and no good output is reported"
        ),
        {"label": TEXT, "start": DATE, "since": "working_days", "as_of": DATE},
    ),
    "BEHIND_PLAN": Template(
        N_("{label} has produced {produced} of a planned {planned} by {as_of} ({share})"),
        {"label": TEXT, "produced": NUMBER, "planned": NUMBER, "as_of": DATE, "share": SHARE},
    ),
    "PROJECTED_LATE": Template(
        N_("{label} will arrive {arrival}, {late} after need-by {need_by}{rate}"),
        {"label": TEXT, "arrival": DATE, "late": "days", "need_by": DATE, "rate": PHRASE},
    ),
    "PROJECTED_LATE.stalled": Template(
        N_("{label} has stalled: {why}; it cannot meet need-by {need_by}"),
        {"label": TEXT, "why": PHRASE, "need_by": DATE},
    ),
    "stalled.no_output": Template(N_("no good output reported in {days}"), {"days": "reported_days"}),
    "stalled.recent": Template(
        N_("no good output in its recent reports ({produced} of {quantity} made so far)"),
        {"produced": NUMBER, "quantity": NUMBER},
    ),
    "rate.observed": Template(N_(", at {rate}/day"), {"rate": NUMBER}),
    "rate.observed_plan": Template(
        N_(", at {rate}/day against a plan of {plan}/day"), {"rate": NUMBER, "plan": NUMBER}
    ),
    "rate.plan": Template(N_(", at the planned {rate}/day"), {"rate": NUMBER}),
    "AT_RISK": Template(
        N_(
            "{label} is at risk: expected {p50}, but it may arrive as late as {p90} ({chance} sure by then),"
            " {late} after need-by {need_by}"
        ),
        {"label": TEXT, "p50": DATE, "p90": DATE, "chance": SHARE, "late": "days", "need_by": DATE},
    ),
    "STALE_UPDATE": Template(
        N_("{label} has had no production report for {quiet} up to {as_of} ({since})"),
        {"label": TEXT, "quiet": "working_days", "as_of": DATE, "since": PHRASE},
    ),
    "stale.last_report": Template(N_("last report {date}"), {"date": DATE}),
    "stale.since_start": Template(N_("none since the scheduled start {date}"), {"date": DATE}),
    "DATE_SLIPPED": Template(
        N_("{label}: {revision} moved the estimated end from {previous} to {end}, {slip} later ({working})"),
        {
            "label": TEXT,
            "revision": PHRASE,
            "previous": DATE,
            "end": DATE,
            "slip": "days",
            "working": "working_days",
        },
    ),
    "revision.number": Template(N_("schedule revision {number}"), {"number": NUMBER}),
    "revision.unknown": Template(N_("the schedule"), {}),
    "UNREALISTIC_ESTIMATE": Template(
        N_(
            "{label}: the supplier's estimated end {end} is {gap} before the forecast,"
            " which is {chance} sure to finish by {p90}{rate}"
        ),
        {"label": TEXT, "end": DATE, "gap": "working_days", "chance": SHARE, "p90": DATE, "rate": PHRASE},
    ),
    "SHORT_LEAD_TIME": Template(
        N_(
            "{label} was ordered {ordered} for need-by {need_by}: {given} of lead time,"
            " under {supplier}'s median of {median}"
        ),
        {
            "label": TEXT,
            "ordered": DATE,
            "need_by": DATE,
            "given": "days",
            "supplier": TEXT,
            "median": "days",
        },
    ),
    "QUALITY": Template(
        N_("{label} has rejected {rejected} of {made} units made ({share}), above the {limit} limit"),
        {"label": TEXT, "rejected": NUMBER, "made": NUMBER, "share": SHARE_1, "limit": LIMIT},
    ),
    "CAPACITY_OVERLOAD": Template(
        N_(
            "Supplier {supplier} needs {required}/day to finish {lines} on time,"
            " capacity {capacity}/day ({source}){overdue}"
        ),
        {
            "supplier": TEXT,
            "required": NUMBER,
            "lines": "open_lines",
            "capacity": NUMBER,
            "source": PHRASE,
            "overdue": PHRASE,
        },
    ),
    "capacity.declared": Template(N_("declared"), {}),
    "capacity.observed": Template(
        N_("observed: {percentile} percentile of its daily output"), {"percentile": ORDINAL}
    ),
    "capacity.overdue": Template(N_("; {lines} already past the ship-by date"), {"lines": "more_lines"}),
    "backorder": Template(N_("Backorder {ref} ({qty} x {sku})"), {"ref": TEXT, "qty": NUMBER, "sku": TEXT}),
    "UNPROMISABLE": Template(N_("{what} cannot be covered by stock or open lines"), {"what": PHRASE}),
    "PROMISE_SLIPPED": Template(
        N_("{what} is now promised for {promise}, {slip} after the {told} told to the customer"),
        {"what": PHRASE, "promise": DATE, "slip": "days", "told": DATE},
    ),
    # Not a sweep rule: written when a purchase-order import asks more of the supplier (po_changed).
    "PO_CHANGED": Template(
        N_("Purchase-order line {label} changed by {who} on {date}: {changes}. Reply if you cannot meet it."),
        {"label": TEXT, "who": TEXT, "date": DATE, "changes": PHRASE},
    ),
    "po_change.need_by": Template(N_("need-by moved earlier, {old} → {new}"), {"old": DATE, "new": DATE}),
    "po_change.quantity": Template(N_("quantity raised, {old} → {new}"), {"old": NUMBER, "new": NUMBER}),
    "po_change.both": Template(N_("{need_by}; {quantity}"), {"need_by": PHRASE, "quantity": PHRASE}),
    # Why a dismissed condition reopened (alerts.reopen_reason, with its arguments in reopen_args). Its
    # severity rose, so it was info or a warning then, and is a warning or critical now.
    "reopen.severity": Template(N_("was {then} when dismissed, now {now}"), {"then": PHRASE, "now": PHRASE}),
    "reopen.later": Template(
        N_("was {then} late when dismissed, now {now}"), {"then": "days", "now": NUMBER}
    ),
    "reopen.both": Template(
        N_("was {then_severity}, {then} late when dismissed; now {now_severity}, {now} late"),
        {"then_severity": PHRASE, "then": "days", "now_severity": PHRASE, "now": "days"},
    ),
    # Translators: a severity in "was {then} when dismissed, now {now}": what it was then.
    "severity.then.info": Template(N_("info"), {}),
    # Translators: a severity in "was {then} when dismissed, now {now}": what it was then.
    "severity.then.warning": Template(N_("a warning"), {}),
    # Translators: a severity in "was {then} when dismissed, now {now}": what it is now.
    "severity.now.warning": Template(N_("warning"), {}),
    # Translators: a severity in "was {then} when dismissed, now {now}": what it is now.
    "severity.now.critical": Template(N_("critical"), {}),
}


# --- English, as the rules have always written it --------------------------------------------------


def english_number(x: float) -> str:
    """Whole from 10 up, one decimal below, thousands separated ("1,240", "2.5", "3")."""
    if x != x:  # NaN
        return "nan"
    text = f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}"
    return text.removesuffix(".0")


def english_ordinal(n: float) -> str:
    """90 -> "90th", 1 -> "1st", 12.5 -> "12.5th"."""
    if not float(n).is_integer():
        return f"{n:g}th"
    k = int(n)
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


# --- the reader's language -------------------------------------------------------------------------


def _rounded(x: float) -> Decimal:
    """x rounded as :func:`english_number` rounds it (Python's rounding), as an exact decimal."""
    return Decimal(f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}")


def _number(value: Any) -> str:
    from babel.numbers import format_decimal

    from portal.i18n import babel_locale

    if value is None or value != value:
        return "nan"
    return format_decimal(_rounded(float(value)), format="#,##0.#", locale=babel_locale())


def _percent(value: Decimal, decimals: int) -> str:
    """A percentage (value in percent: 5.3) with up to ``decimals`` decimals, in the language's pattern."""
    from babel import Locale
    from babel.numbers import format_percent

    from portal.i18n import babel_locale

    pattern = Locale.parse(babel_locale()).percent_formats[None].pattern
    if decimals:  # "#,##0 %" -> "#,##0.# %": optional decimals after the last integer digit
        last = pattern.rindex("0") + 1
        pattern = pattern[:last] + "." + "#" * decimals + pattern[last:]
    return format_percent(value / 100, format=pattern, locale=babel_locale())


def _date(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    try:
        return message_date(dt.date.fromisoformat(value))
    except ValueError:
        return value


def _plural_n(value: float) -> int:
    """The n that picks a plural form: a fraction (2.5 days) reads as plural, like English's "2.5 days"."""
    return int(value) if float(value).is_integer() else 2


def _ordinal(value: Any) -> str:
    if current_language() == DEFAULT_LANGUAGE:
        return english_ordinal(float(value))
    # Translators: an ordinal number, as in "the 90th percentile" ({n} is the number).
    return pgettext("ordinal", "{n}th").format(n=f"{float(value):g}")


def _field(kind: str, value: Any) -> str:
    if kind == TEXT:
        return "" if value is None else str(value)
    if kind == DATE:
        return _date(value)
    if kind == NUMBER:
        return _number(value)
    if kind in (SHARE, SHARE_1):
        if value is None:
            return "nan%"
        # As the rules round it: numpy's round(1) is rint(x * 10) / 10.
        percent = float(value) * 100
        percent = round(percent * 10) / 10 if kind == SHARE_1 else float(round(percent))
        return _percent(_rounded(percent), 1)
    if kind == LIMIT:
        return _percent(Decimal(f"{float(value):g}"), 6)
    if kind == ORDINAL:
        return _ordinal(value)
    if kind == PHRASE:
        return render(value) if isinstance(value, dict) else ""
    unit = COUNTS[kind][1]
    if value is None:
        return unit(2).format(n="nan")
    return unit(_plural_n(float(value))).format(n=_number(value))


def render(args: Mapping[str, Any]) -> str:
    """A template's text with its arguments, in the current language (KeyError: not a template)."""
    template = TEMPLATES[str(args["t"])]
    values = {name: _field(kind, args[name]) for name, kind in template.fields.items()}
    return _(template.text).format(**values)


def alert_message(rule: str, args: object, stored: str) -> str:
    """An alert's message in the reader's language: its template and arguments (JSON text, or a
    dict) rendered, else the stored English text (an alert written before arguments existed: None,
    or NaN in a frame; or arguments not understood)."""
    if current_language() == DEFAULT_LANGUAGE:
        return stored  # the English rendering is the stored text (a test holds every rule to it)
    try:
        parsed = json.loads(args) if isinstance(args, str) else args
        if not isinstance(parsed, dict) or str(parsed.get("t", "")).split(".")[0] != rule:
            return stored
        return render(parsed)
    except (KeyError, ValueError, TypeError, IndexError):
        return stored


def reopen_reason_text(args: object, stored: object) -> str | None:
    """Why a dismissed alert reopened, in the reader's language: its arguments (JSON text, or a dict)
    rendered, else the stored English reason (written before arguments existed, or not understood);
    None when the alert has no reason (None, or NaN in a frame)."""
    if stored is None or (isinstance(stored, float) and stored != stored):
        return None
    if current_language() == DEFAULT_LANGUAGE:
        return str(stored)  # the English rendering is the stored text
    try:
        parsed = json.loads(args) if isinstance(args, str) else args
        if not isinstance(parsed, dict) or not str(parsed.get("t", "")).startswith("reopen."):
            return str(stored)
        return render(parsed)
    except (KeyError, ValueError, TypeError, IndexError):
        return str(stored)


def backorder_phrase(args: object) -> str | None:
    """The backorder a message names first ("Backorder SO-1 (50 x SKU-1)") in the current language,
    from the alert's arguments (JSON text, or a dict); None when they name none."""
    try:
        parsed = json.loads(args) if isinstance(args, str) else args
        what = parsed.get("what") if isinstance(parsed, dict) else None
        if not isinstance(what, dict) or what.get("t") != "backorder":
            return None
        return render(what)
    except (KeyError, ValueError, TypeError, IndexError):
        return None


def po_changed(
    label: str,
    who: str,
    day: dt.date,
    need_by: tuple[dt.date, dt.date] | None = None,
    quantity: tuple[int, int] | None = None,
) -> tuple[str, str]:
    """A PO_CHANGED alert's English message and its arguments (JSON): the line changed by ``who`` on
    ``day``, its need-by moved earlier (old, new) and/or its quantity raised (old, new)."""
    parts: list[dict[str, Any]] = []
    if need_by is not None:
        parts.append({"t": "po_change.need_by", "old": need_by[0].isoformat(), "new": need_by[1].isoformat()})
    if quantity is not None:
        parts.append({"t": "po_change.quantity", "old": quantity[0], "new": quantity[1]})
    if not parts:
        raise ValueError("a PO_CHANGED alert needs a change that asks more of the supplier")
    changes = (
        parts[0] if len(parts) == 1 else {"t": "po_change.both", "need_by": parts[0], "quantity": parts[1]}
    )
    args = {"t": "PO_CHANGED", "label": label, "who": who, "date": day.isoformat(), "changes": changes}
    with language(DEFAULT_LANGUAGE):
        english = render(args)
    return english, json.dumps(args, ensure_ascii=False, separators=(",", ":"))


def alert_messages(rules: Iterable[str], args: Iterable[Any], stored: Iterable[str]) -> list[str]:
    """:func:`alert_message` for the columns of a table (rule, message_args, message)."""
    return [alert_message(str(r), a, str(m)) for r, a, m in zip(rules, args, stored, strict=True)]
