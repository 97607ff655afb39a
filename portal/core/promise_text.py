"""A backorder's promise reason ("why this date") in the reader's language.

The promise writers (:mod:`portal.core.promise` for a sweep, :mod:`portal.core.item_promise` for a
post) store the reason as English text in ``backorders.promise_reason``, in a small fixed grammar:

    on hand
    arrival p90 2026-12-20 of PO-40364/3 + 2 days ACME-DE buffer
    due date 2026-12-20 of PO-40364/3
    ... + 1 day safety buffer                      (after any of the two above)
    no open supply for 17 units
    no open supply for 17 of 40 units

The export and the API keep that English text as it is (customer-service scripts and integrations
read it). A page shows :func:`promise_reason_text`: the stored text read back into its parts and
written again through the catalog, with the date and the numbers as the reader's language writes
them; the PO line's label and the supplier code are user data and stay as they are. In English, and
for a text that does not follow the grammar, it is the stored text unchanged. A test writes reasons
with both writers and reads every one back (tests/unit/test_promise_text.py), so the grammar here
and the writers cannot drift apart unnoticed.

Read back rather than stored as a template key and arguments (as alert messages are): no migration,
and every reason already stored shows translated at once. One ambiguity of the English itself: a
supplier buffer whose supplier code is "safety", with no safety buffer after it, reads as a safety
buffer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from portal.i18n import DEFAULT_LANGUAGE, N_, _, current_language, format_date, format_number, ngettext

ON_HAND = "on hand"

_SAFETY = re.compile(r"^(?P<rest>.+) \+ (?P<days>\d+) days? safety buffer$")
_LINE = re.compile(
    r"^(?P<basis>arrival p90|due date) (?P<date>\d{4}-\d{2}-\d{2}) of (?P<label>.+?)"
    r"(?: \+ (?P<days>\d+) days? (?P<code>.+) buffer)?$"
)
_SHORT = re.compile(r"^no open supply for (?P<short>[\d,]+)(?: of (?P<whole>[\d,]+))? units$")

#: The two bases of a line's date, marked here and translated where shown.
_BASES = {
    "arrival p90": N_("arrival p90 {date} of {line}"),
    "due date": N_("due date {date} of {line}"),
}


@dataclass(frozen=True)
class PromiseReason:
    """A promise reason's parts: its supply (on hand, or a line's date and buffer) and safety days,
    or the units no supply covers."""

    on_hand: bool = False
    basis: str | None = None
    date: dt.date | None = None
    label: str | None = None
    buffer_days: int = 0
    supplier: str | None = None
    safety_days: int = 0
    short: int | None = None
    whole: int | None = None


def parse_promise_reason(text: str) -> PromiseReason | None:
    """The parts of a stored English reason; None when it does not follow the writers' grammar."""
    if not text:
        return None
    short = _SHORT.match(text)
    if short:
        units = int(short["short"].replace(",", ""))
        whole = int(short["whole"].replace(",", "")) if short["whole"] else units
        return PromiseReason(short=units, whole=whole)
    safety_days = 0
    safety = _SAFETY.match(text)
    if safety:
        text, safety_days = safety["rest"], int(safety["days"])
    if text == ON_HAND:
        return PromiseReason(on_hand=True, safety_days=safety_days)
    line = _LINE.match(text)
    if line is None:
        return None
    try:
        date = dt.date.fromisoformat(line["date"])
    except ValueError:
        return None
    return PromiseReason(
        basis=line["basis"],
        date=date,
        label=line["label"],
        buffer_days=int(line["days"] or 0),
        supplier=line["code"],
        safety_days=safety_days,
    )


def render_promise_reason(reason: PromiseReason) -> str:
    """The reason's parts as text in the current language."""
    if reason.short is not None:
        whole = reason.whole if reason.whole is not None else reason.short
        if whole == reason.short:
            return ngettext(
                "no open supply for {n} units", "no open supply for {n} units", reason.short
            ).format(n=format_number(reason.short))
        return ngettext(
            "no open supply for {n} of {whole} units", "no open supply for {n} of {whole} units", whole
        ).format(n=format_number(reason.short), whole=format_number(whole))
    if reason.on_hand:
        text = _("on hand")
    else:
        text = _(_BASES[reason.basis or "arrival p90"]).format(
            date=format_date(reason.date), line=reason.label or ""
        )
        if reason.buffer_days > 0:
            text = ngettext(
                "{reason} + {n} day {supplier} buffer",
                "{reason} + {n} days {supplier} buffer",
                reason.buffer_days,
            ).format(reason=text, n=format_number(reason.buffer_days), supplier=reason.supplier or "")
    if reason.safety_days > 0:
        text = ngettext(
            "{reason} + {n} day safety buffer", "{reason} + {n} days safety buffer", reason.safety_days
        ).format(reason=text, n=format_number(reason.safety_days))
    return text


def promise_reason_text(stored: object) -> str:
    """A stored promise reason as the reader reads it: the stored English in English (and when it does
    not follow the grammar), else written again in the current language. None (not computed): ""."""
    if stored is None or (isinstance(stored, float) and stored != stored):
        return ""
    text = str(stored)
    if current_language() == DEFAULT_LANGUAGE:
        return text
    parsed = parse_promise_reason(text)
    return text if parsed is None else render_promise_reason(parsed)
