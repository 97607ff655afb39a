"""One vocabulary: the display name and short definition of every rule, status, severity, metric,
audit event and line field, for every role's pages, the exports' human headers, e-mails and help.

Pure Python. Pages call the small functions (``rule_name(rule)``, ``status_name(status)``, ...)
rather than keeping their own labels, so an alert reads the same for a buyer, a supplier and in
an e-mail. An unknown code still reads as words ("SOME_RULE" -> "Some rule"), never as the code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    """A code's display name and a one-sentence definition."""

    name: str
    definition: str


#: Alert rules. The supplier's hint says what usually helps (its alerts page shows it).
RULES: dict[str, Term] = {
    "LATE_START": Term("Late start", "The planned start date has passed and no output has been reported."),
    "BEHIND_PLAN": Term("Behind plan", "Output reported so far is below what the schedule planned by now."),
    "PROJECTED_LATE": Term(
        "Forecast to arrive late",
        "The forecast says the line arrives after its need-by date, at least as surely as the admin's "
        "confidence setting asks (85% by default).",
    ),
    "AT_RISK": Term(
        "May arrive late",
        "The line may arrive after its need-by date (its 90% arrival is later), but not surely enough to "
        "be called late.",
    ),
    "STALE_UPDATE": Term("No recent output", "No output has been posted for several working days."),
    "DATE_SLIPPED": Term("End date moved later", "The supplier moved its estimated end date later."),
    "UNREALISTIC_ESTIMATE": Term(
        "End date earlier than forecast",
        "The supplier's estimated end date is well before what its output rate supports.",
    ),
    "CAPACITY_OVERLOAD": Term(
        "More work than capacity", "The supplier's open lines need more output per day than it can make."
    ),
    "SHORT_LEAD_TIME": Term(
        "Short lead time", "The time from order to need-by is shorter than the supplier usually needs."
    ),
    "QUALITY": Term("Many units rejected", "The share of rejected units is above the quality threshold."),
    "UNPROMISABLE": Term("Backorder cannot be promised", "No open supply covers this customer backorder."),
    "PROMISE_SLIPPED": Term(
        "Promise to customer slipped", "The date we can promise is later than the date told to the customer."
    ),
    "PO_CHANGED": Term(
        "Order changed", "The buyer changed the line: an earlier need-by date or a larger quantity."
    ),
}

SUPPLIER_HINTS: dict[str, str] = {
    "LATE_START": "Post the output of the days made, or revise the start date.",
    "BEHIND_PLAN": "Tell your buyer why, and revise the schedule if the end date moves.",
    "PROJECTED_LATE": "Tell your buyer what you can do to catch up.",
    "AT_RISK": "Tell your buyer whether the end date holds.",
    "STALE_UPDATE": "Post the output of the days missed.",
    "DATE_SLIPPED": "Your buyer sees the new date: reply with what caused it.",
    "UNREALISTIC_ESTIMATE": "Check the planned daily output, or revise the end date.",
    "CAPACITY_OVERLOAD": "Tell your buyer which lines to prioritise.",
    "SHORT_LEAD_TIME": "Tell your buyer early if the need-by date cannot be met.",
    "QUALITY": "Tell your buyer the cause and what you changed.",
    "PO_CHANGED": "Check the new date and quantity; reply if you cannot meet them, and revise your schedule.",
}

#: Line, alert and backorder statuses (one namespace: the same word means the same everywhere).
STATUSES: dict[str, Term] = {
    "open": Term("Open", "Ordered; no output reported yet."),
    "in_production": Term("In production", "The supplier has reported output."),
    "shipped": Term("Shipped", "On its way to the warehouse."),
    "received": Term("Received", "Received in full at the warehouse."),
    "cancelled": Term("Cancelled", "The buyer cancelled the line."),
    "acknowledged": Term("Acknowledged", "Someone is on it."),
    "resolved": Term("Resolved", "Closed, by hand or because the condition cleared."),
    "waiting": Term("Waiting", "The customer still waits for goods."),
    "fulfilled": Term("Fulfilled", "The customer's order was served."),
    "promised": Term("Promised", "Open supply covers it by a date."),
    "unpromisable": Term("Cannot be promised", "No open supply covers it."),
}


@dataclass(frozen=True)
class SeverityLook:
    """How a severity shows: a word, a Material icon and a Markdown colour (no emoji)."""

    name: str
    icon: str
    color: str
    hex: str


SEVERITIES: dict[str, SeverityLook] = {
    "critical": SeverityLook("Critical", ":material/error:", "red", "#b42318"),
    "warning": SeverityLook("Warning", ":material/warning:", "orange", "#b54708"),
    "info": SeverityLook("Info", ":material/info:", "blue", "#175cd3"),
}

#: Scorecard metrics: name, definition and whether more is better.
METRICS: dict[str, tuple[Term, bool]] = {
    "otd": (Term("On-time delivery", "Share of receipts that arrived by need-by (plus tolerance)."), True),
    "otif": (Term("On time in full", "Share of lines received in full by need-by (plus tolerance)."), True),
    "avg_days_late": (Term("Average days late", "Mean days late of the late lines."), False),
    "plan_adherence": (Term("Plan adherence", "Output credited against the planned output."), True),
    "promise_kept": (
        Term("Promises kept", "Share of lines delivered by the supplier's promised date."),
        True,
    ),
    "avg_slip_days": (Term("Average slip", "Mean days an end date moved later, per slipped line."), False),
    "reject_rate": (Term("Reject rate", "Rejected units as a share of units received."), False),
    "responsiveness": (
        Term("Responsiveness", "Share of production days with output posted on time."),
        True,
    ),
    "score": (Term("Score", "The weighted score of the metrics, 0 to 100."), True),
}

#: Audit event codes (``action`` of an audit event) as people read them.
AUDIT_EVENTS: dict[str, str] = {
    "import": "Imported a file",
    "sweep": "Recomputed forecasts",
    "alert.acknowledged": "Acknowledged an alert",
    "alert.snoozed": "Snoozed an alert",
    "alert.unsnoozed": "Woke a snoozed alert",
    "alert.resolved": "Resolved an alert",
    "alert.commented": "Commented on an alert",
    "schedule.created": "Posted a schedule",
    "schedule.revised": "Revised the schedule",
    "api_token.created": "Created an API token",
    "api_token.revoked": "Revoked an API token",
    "backorder.communicated": "Told the customer a date",
    "follows.changed": "Changed followed suppliers",
    "import_mapping.saved": "Saved a column mapping",
    "notification.retried": "Retried a notification",
    "notification.test": "Sent a test e-mail",
    "notification_preference.changed": "Changed notification preferences",
    "scorecards.refreshed": "Refreshed the scorecards",
    "session.login": "Logged in",
    "session.logout": "Logged out",
    "setting.changed": "Changed a setting",
    "user.activated": "Activated a user",
    "user.created": "Created a user",
    "user.deactivated": "Deactivated a user",
    "user.locked": "Locked a user",
    "user.password_changed": "Changed a password",
    "user.password_reset": "Reset a password",
    "webhook.added": "Added a webhook",
    "webhook.changed": "Changed a webhook",
    "report.posted": "Posted output",
    "report.corrected": "Corrected output",
    "line.changed": "Changed the order",
}

#: The fields of a line and of its schedule, for messages and change histories.
FIELDS: dict[str, str] = {
    "quantity": "Quantity",
    "need_by_date": "Need-by date",
    "promised_date": "Promised date",
    "transit_days": "Transit days",
    "order_date": "Order date",
    "status": "Status",
    "estimated_end_date": "estimated end date",
    "start_date": "start date",
    "daily_output": "daily output",
    "good_qty": "good quantity",
    "rejected_qty": "rejected quantity",
    "snoozed_until": "snoozed until",
    "comment": "comment",
}

#: What the file kinds are called on screen.
KINDS: dict[str, str] = {
    "pos": "purchase-order lines",
    "receipts": "receipts",
    "backorders": "backorders",
    "items": "items",
    "suppliers": "suppliers",
    "schedules": "production schedules",
    "reports": "daily production reports",
}

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _words(code: object) -> str:
    text = str(code or "").replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:].lower() if text else "–"


def rule_name(rule: object) -> str:
    """'PROJECTED_LATE' -> 'Forecast to arrive late'."""
    term = RULES.get(str(rule))
    return term.name if term else _words(rule)


def rule_definition(rule: object) -> str:
    """The one-sentence definition of a rule ('' when unknown)."""
    term = RULES.get(str(rule))
    return term.definition if term else ""


def supplier_hint(rule: object) -> str:
    """What usually helps a supplier with an alert of this rule ('' when nothing to add)."""
    return SUPPLIER_HINTS.get(str(rule), "")


def status_name(status: object) -> str:
    """'in_production' -> 'In production'; None -> '–'."""
    if status is None or (isinstance(status, float) and status != status):
        return "–"
    value = getattr(status, "value", status)
    term = STATUSES.get(str(value))
    return term.name if term else _words(value)


def severity_name(severity: object) -> str:
    """'critical' -> 'Critical'."""
    value = str(getattr(severity, "value", severity))
    look = SEVERITIES.get(value)
    return look.name if look else _words(value)


def severity_icon(severity: object) -> str:
    """The Material icon of a severity (':material/error:' for critical)."""
    look = SEVERITIES.get(str(getattr(severity, "value", severity)))
    return look.icon if look else ":material/info:"


def severity_markdown(severity: object) -> str:
    """Icon and word in the severity's colour, for Markdown: ':red[:material/error: **Critical**]'."""
    value = str(getattr(severity, "value", severity))
    look = SEVERITIES.get(value)
    if look is None:
        return _words(value)
    word = look.name if value == "info" else f"**{look.name}**"
    return f":{look.color}[{look.icon} {word}]"


def metric_name(metric: str) -> str:
    """'otd' -> 'On-time delivery'."""
    found = METRICS.get(metric)
    return found[0].name if found else _words(metric)


def metric_definition(metric: str) -> str:
    """The one-sentence definition of a scorecard metric."""
    found = METRICS.get(metric)
    return found[0].definition if found else ""


def higher_is_better(metric: str) -> bool:
    """Whether more of ``metric`` is better (less slip, fewer rejects and days late are better)."""
    found = METRICS.get(metric)
    return found[1] if found else True


def event_name(action: object) -> str:
    """'alert.resolved' -> 'Resolved an alert'."""
    return AUDIT_EVENTS.get(str(action), _words(action))


def field_name(field: object) -> str:
    """'estimated_end_date' -> 'estimated end date' (for messages: no column names on screen)."""
    return FIELDS.get(str(field), str(field).replace("_", " "))


def kind_name(kind: str) -> str:
    """'pos' -> 'purchase-order lines'."""
    return KINDS.get(kind, kind.replace("_", " "))


def weekdays_text(mask: object) -> str:
    """A weekmask as days: '1111100' -> 'Mon–Fri', '1111110' -> 'Mon–Sat', '1010100' -> 'Mon, Wed, Fri'."""
    text = str(mask or "")
    if len(text) != 7 or set(text) - {"0", "1"}:
        return text or "–"
    days = [i for i, c in enumerate(text) if c == "1"]
    if not days:
        return "no working days"
    if days == list(range(days[0], days[-1] + 1)) and len(days) >= 3:
        return f"{_WEEKDAYS[days[0]]}–{_WEEKDAYS[days[-1]]}"
    return ", ".join(_WEEKDAYS[i] for i in days)


def snoozed_text(until: dt.date | None) -> str:
    """'snoozed until 2026-03-10' (the one phrasing of a snoozed alert on every page)."""
    return "" if until is None else f"snoozed until {until.isoformat()}"
