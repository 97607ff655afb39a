"""A backorder's promise reason ("why this date") in the reader's language.

The promise writers (:mod:`portal.core.promise` for a sweep, :mod:`portal.core.item_promise` for a
post) store two things per backorder, as alert messages do: the English ``promise_reason`` (the
export and the API keep it: customer-service scripts and integrations read it) and
``promise_reason_args``, the reason's template key and raw values as JSON text:

    {"t":"on_hand"}                                              on hand
    {"t":"arrival_p90","date":"2026-12-20","line":"PO-40364/3","buffer":2,"supplier":"ACME-DE"}
                                         arrival p90 2026-12-20 of PO-40364/3 + 2 days ACME-DE buffer
    {"t":"due_date","date":"2026-12-20","line":"PO-40364/3"}     due date 2026-12-20 of PO-40364/3
    ... "safety":1 (last, on any of the three above)             ... + 1 day safety buffer
    {"t":"no_supply","short":17,"whole":17}                      no open supply for 17 units
    {"t":"no_supply","short":17,"whole":40}                      no open supply for 17 of 40 units

The JSON is built in one fixed form (keys in this order, no spaces) by both writers, so a promise
that did not change compares equal and is not written again. A page shows
:func:`promise_reason_text`: the template through the catalog, the date and the numbers as the
reader's language writes them; the PO line's label and the supplier code are user data and stay as
they are. In English that is exactly the stored text (a test renders every reason the writers give
and compares), so English shows the stored text; a backorder without arguments (not computed, or a
reason that migration 0021 could not read) shows its stored text too.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from portal.i18n import (
    DEFAULT_LANGUAGE,
    N_,
    _,
    current_language,
    format_date,
    format_number,
    message_date,
    ngettext,
)

ON_HAND = "on hand"

#: Template keys: stock on hand, a line's date (arrival p90, else due date), or units no supply covers.
ON_HAND_KEY, ARRIVAL_P90, DUE_DATE, NO_SUPPLY = "on_hand", "arrival_p90", "due_date", "no_supply"

#: The two bases of a line's date, marked here and translated where shown.
_BASES = {
    ARRIVAL_P90: N_("arrival p90 {date} of {line}"),
    DUE_DATE: N_("due date {date} of {line}"),
}


def _dumps(args: Mapping[str, Any]) -> str:
    return json.dumps(args, separators=(",", ":"))


def on_hand_args() -> str:
    """The arguments of "on hand" (JSON text)."""
    return _dumps({"t": ON_HAND_KEY})


def line_args(basis: str, date: dt.date, label: str, buffer_days: int, supplier_code: str) -> str:
    """The arguments of a line's date (basis ARRIVAL_P90 or DUE_DATE) plus its supplier's buffer."""
    args: dict[str, Any] = {"t": basis, "date": date.isoformat(), "line": label}
    if buffer_days > 0:
        args.update(buffer=int(buffer_days), supplier=supplier_code)
    return _dumps(args)


def with_safety(args: str, safety_days: int) -> str:
    """A supply's arguments with the global safety buffer added (unchanged for 0 days)."""
    return f'{args[:-1]},"safety":{int(safety_days)}}}' if safety_days else args


def no_supply_args(short: int, whole: int) -> str:
    """The arguments of "no open supply for {short} (of {whole}) units" (written out: two whole numbers,
    what json.dumps gives, at a fraction of its cost for a sweep's thousands)."""
    return f'{{"t":"{NO_SUPPLY}","short":{int(short)},"whole":{int(whole)}}}'


def _date(iso: str) -> str:
    return message_date(dt.date.fromisoformat(iso))


def render_promise_reason(args: Mapping[str, Any]) -> str:
    """A reason's arguments as text in the current language (KeyError, ValueError: not understood)."""
    kind = args["t"]
    if kind == NO_SUPPLY:
        short, whole = int(args["short"]), int(args["whole"])
        if whole == short:
            return ngettext("no open supply for {n} units", "no open supply for {n} units", short).format(
                n=format_number(short)
            )
        return ngettext(
            "no open supply for {n} of {whole} units", "no open supply for {n} of {whole} units", whole
        ).format(n=format_number(short), whole=format_number(whole))
    if kind == ON_HAND_KEY:
        text = _("on hand")
    else:
        text = _(_BASES[kind]).format(date=_date(str(args["date"])), line=str(args["line"]))
        buffer_days = int(args.get("buffer", 0))
        if buffer_days > 0:
            text = ngettext(
                "{reason} + {n} day {supplier} buffer", "{reason} + {n} days {supplier} buffer", buffer_days
            ).format(reason=text, n=format_number(buffer_days), supplier=str(args["supplier"]))
    safety_days = int(args.get("safety", 0))
    if safety_days > 0:
        text = ngettext(
            "{reason} + {n} day safety buffer", "{reason} + {n} days safety buffer", safety_days
        ).format(reason=text, n=format_number(safety_days))
    return text


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def promise_reason_text(stored: object, args: object = None) -> str:
    """A promise reason as the reader reads it: its arguments (JSON text, or a dict) rendered in the
    current language, else the stored English (English; no arguments; arguments not understood).
    None or NaN (not computed): ""."""
    if _missing(stored):
        return ""
    if current_language() == DEFAULT_LANGUAGE or _missing(args):
        return str(stored)  # the English rendering is the stored text (a test holds the writers to it)
    try:
        parsed = json.loads(args) if isinstance(args, str) else args
        if not isinstance(parsed, Mapping):
            return str(stored)
        return render_promise_reason(parsed)
    except (KeyError, ValueError, TypeError):
        return str(stored)


def promise_reason_texts(stored: Iterable[object], args: Iterable[object]) -> list[str]:
    """:func:`promise_reason_text` for the columns of a table (reason, reason_args)."""
    return [promise_reason_text(s, a) for s, a in zip(stored, args, strict=True)]


def supply_text(parts: object) -> str:
    """The supply a promise counts on (:func:`portal.queries.backorders.backorder_promises`' parts:
    line label or None for stock on hand, units, day) in the reader's words: "on hand 20 · PO-1/1 30
    (Mar 16, 2026)"; "" for none."""
    if not isinstance(parts, tuple | list):
        return ""
    words = []
    for line, quantity, day in parts:
        if line is None:
            # Translators: units of stock on hand a promise counts on
            words.append(_("on hand {n}").format(n=format_number(quantity)))
        else:
            words.append(
                # Translators: a PO line a promise counts on: its label, its units and the day they are there
                _("{line} {n} ({date})").format(line=line, n=format_number(quantity), date=format_date(day))
            )
    return " · ".join(words)
