"""One vocabulary: the display name and short definition of every rule, status, severity, metric,
audit event and line field, for every role's pages, the exports' human headers, e-mails and help.

Pure Python. Pages call the small functions (``rule_name(rule)``, ``status_name(status)``, ...)
rather than keeping their own labels, so an alert reads the same for a buyer, a supplier and in
an e-mail. An unknown code still reads as words ("SOME_RULE" -> "Some rule"), never as the code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.i18n import N_, _, format_date


@dataclass(frozen=True)
class Term:
    """A code's display name and a one-sentence definition."""

    name: str
    definition: str


#: Alert rules. The supplier's hint says what usually helps (its alerts page shows it).
RULES: dict[str, Term] = {
    "LATE_START": Term(
        N_("Late start"), N_("The planned start date has passed and no output has been reported.")
    ),
    "BEHIND_PLAN": Term(
        N_("Behind plan"), N_("Output reported so far is below what the schedule planned by now.")
    ),
    "PROJECTED_LATE": Term(
        N_("Forecast to arrive late"),
        N_(
            "The forecast says the line arrives after its need-by date, at least as surely as the admin's "
            "confidence setting asks (85% by default), and said so on an earlier day too (at once within "
            "28 days of need-by, by default)."
        ),
    ),
    "AT_RISK": Term(
        N_("May arrive late"),
        N_(
            "The line may arrive after its need-by date (its 90% arrival is later), but not surely enough to "
            "be called late."
        ),
    ),
    "STALE_UPDATE": Term(N_("No recent output"), N_("No output has been posted for several working days.")),
    "DATE_SLIPPED": Term(N_("End date moved later"), N_("The supplier moved its estimated end date later.")),
    "UNREALISTIC_ESTIMATE": Term(
        N_("End date earlier than forecast"),
        N_("The supplier's estimated end date is well before what its output rate supports."),
    ),
    "CAPACITY_OVERLOAD": Term(
        N_("More work than capacity"),
        N_("The supplier's open lines need more output per day than it can make."),
    ),
    "SHORT_LEAD_TIME": Term(
        N_("Short lead time"),
        N_("The time from order to need-by is shorter than the supplier usually needs."),
    ),
    "QUALITY": Term(
        N_("Many units rejected"), N_("The share of rejected units is above the quality threshold.")
    ),
    "UNPROMISABLE": Term(
        N_("Backorder cannot be promised"), N_("No open supply covers this customer backorder.")
    ),
    "PROMISE_SLIPPED": Term(
        N_("Promise to customer slipped"),
        N_("The date we can promise is later than the date told to the customer."),
    ),
    "PO_CHANGED": Term(
        N_("Order changed"), N_("The buyer changed the line: an earlier need-by date or a larger quantity.")
    ),
}

SUPPLIER_HINTS: dict[str, str] = {
    "LATE_START": N_("Post the output of the days made, or revise the start date."),
    "BEHIND_PLAN": N_("Tell your buyer why, and revise the schedule if the end date moves."),
    "PROJECTED_LATE": N_("Tell your buyer what you can do to catch up."),
    "AT_RISK": N_("Tell your buyer whether the end date holds."),
    "STALE_UPDATE": N_("Post the output of the days missed."),
    "DATE_SLIPPED": N_("Your buyer sees the new date: reply with what caused it."),
    "UNREALISTIC_ESTIMATE": N_("Check the planned daily output, or revise the end date."),
    "CAPACITY_OVERLOAD": N_("Tell your buyer which lines to prioritise."),
    "SHORT_LEAD_TIME": N_("Tell your buyer early if the need-by date cannot be met."),
    "QUALITY": N_("Tell your buyer the cause and what you changed."),
    "PO_CHANGED": N_(
        "Check the new date and quantity; reply if you cannot meet them, and revise your schedule."
    ),
}

#: Line, alert and backorder statuses (one namespace: the same word means the same everywhere).
STATUSES: dict[str, Term] = {
    "open": Term(N_("Open"), N_("Ordered; no output reported yet.")),
    "in_production": Term(N_("In production"), N_("The supplier has reported output.")),
    "shipped": Term(N_("Shipped"), N_("On its way to the warehouse.")),
    "received": Term(N_("Received"), N_("Received in full at the warehouse.")),
    "cancelled": Term(N_("Cancelled"), N_("The buyer cancelled the line.")),
    "acknowledged": Term(N_("Acknowledged"), N_("Someone is on it.")),
    "resolved": Term(N_("Resolved"), N_("Closed, by hand or because the condition cleared.")),
    "waiting": Term(N_("Waiting"), N_("The customer still waits for goods.")),
    "fulfilled": Term(N_("Fulfilled"), N_("The customer's order was served.")),
    "promised": Term(N_("Promised"), N_("Open supply covers it by a date.")),
    "unpromisable": Term(N_("Cannot be promised"), N_("No open supply covers it.")),
}


@dataclass(frozen=True)
class SeverityLook:
    """How a severity shows: a word, a Material icon and a Markdown colour (no emoji)."""

    name: str
    icon: str
    color: str
    hex: str


SEVERITIES: dict[str, SeverityLook] = {
    "critical": SeverityLook(N_("Critical"), ":material/error:", "red", "#b42318"),
    "warning": SeverityLook(N_("Warning"), ":material/warning:", "orange", "#b54708"),
    "info": SeverityLook(N_("Info"), ":material/info:", "blue", "#175cd3"),
}

#: Scorecard metrics: name, definition and whether more is better.
METRICS: dict[str, tuple[Term, bool]] = {
    "otd": (
        Term(N_("On-time delivery"), N_("Share of receipts that arrived by need-by (plus tolerance).")),
        True,
    ),
    "otif": (
        Term(N_("On time in full"), N_("Share of lines received in full by need-by (plus tolerance).")),
        True,
    ),
    "avg_days_late": (Term(N_("Average days late"), N_("Mean days late of the late lines.")), False),
    "plan_adherence": (Term(N_("Plan adherence"), N_("Output credited against the planned output.")), True),
    "promise_kept": (
        Term(N_("Promises kept"), N_("Share of lines delivered by the supplier's promised date.")),
        True,
    ),
    "avg_slip_days": (
        Term(N_("Average slip"), N_("Mean days an end date moved later, per slipped line.")),
        False,
    ),
    "reject_rate": (Term(N_("Reject rate"), N_("Rejected units as a share of units received.")), False),
    "responsiveness": (
        Term(N_("Responsiveness"), N_("Share of production days with output posted on time.")),
        True,
    ),
    "score": (Term(N_("Score"), N_("The weighted score of the metrics, 0 to 100.")), True),
}

#: Audit event codes (``action`` of an audit event) as people read them.
AUDIT_EVENTS: dict[str, str] = {
    "import": N_("Imported a file"),
    "sweep": N_("Recomputed forecasts"),
    "alert.acknowledged": N_("Acknowledged an alert"),
    "alert.snoozed": N_("Snoozed an alert"),
    "alert.unsnoozed": N_("Woke a snoozed alert"),
    "alert.resolved": N_("Resolved an alert"),
    "alert.commented": N_("Commented on an alert"),
    "schedule.created": N_("Posted a schedule"),
    "schedule.revised": N_("Revised the schedule"),
    "api_token.created": N_("Created an API token"),
    "api_token.revoked": N_("Revoked an API token"),
    "backorder.communicated": N_("Told the customer a date"),
    "follows.changed": N_("Changed followed suppliers"),
    "import_mapping.saved": N_("Saved a column mapping"),
    "notification.retried": N_("Retried a notification"),
    "notification.test": N_("Sent a test e-mail"),
    "notification_preference.changed": N_("Changed notification preferences"),
    "scorecards.refreshed": N_("Refreshed the scorecards"),
    "session.login": N_("Logged in"),
    "session.logout": N_("Logged out"),
    "setting.changed": N_("Changed a setting"),
    "user.activated": N_("Activated a user"),
    "user.created": N_("Created a user"),
    "user.deactivated": N_("Deactivated a user"),
    "user.locked": N_("Locked a user"),
    "user.password_changed": N_("Changed a password"),
    "user.password_reset": N_("Reset a password"),
    "webhook.added": N_("Added a webhook"),
    "webhook.changed": N_("Changed a webhook"),
    "report.posted": N_("Posted output"),
    "report.corrected": N_("Corrected output"),
    "line.changed": N_("Changed the order"),
}

#: The portal's own accounts (``Actor.system(name)``: the command line, the scheduler, the login), shown
#: in words wherever a "By" or "Who" column names who did something.
SYSTEM_ACTORS: dict[str, str] = {
    "cli": N_("Data import"),
    "scheduler": N_("Portal (automatic)"),
    "system": N_("Portal (automatic)"),
    "login": N_("Portal (automatic)"),
    "evaluate": N_("Portal (automatic)"),
}

#: What an audit event on a line was about (the trail's "On" column).
ENTITIES: dict[str, str] = {
    "po_line": N_("Line"),
    "production_schedule": N_("Schedule"),
    "production_report": N_("Daily output"),
    "alert": N_("Alert"),
}

#: The fields of a line and of its schedule, for messages and change histories.
FIELDS: dict[str, str] = {
    "quantity": N_("Quantity"),
    "need_by_date": N_("Need-by date"),
    "promised_date": N_("Promised date"),
    "transit_days": N_("Transit days"),
    "order_date": N_("Order date"),
    "status": N_("Status"),
    "estimated_end_date": N_("estimated end date"),
    "start_date": N_("start date"),
    "daily_output": N_("daily output"),
    "good_qty": N_("good quantity"),
    "rejected_qty": N_("rejected quantity"),
    "snoozed_until": N_("snoozed until"),
    "comment": N_("comment"),
}

#: What the file kinds are called on screen.
KINDS: dict[str, str] = {
    "pos": N_("purchase-order lines"),
    "receipts": N_("receipts"),
    "backorders": N_("backorders"),
    "items": N_("items"),
    "suppliers": N_("suppliers"),
    "schedules": N_("production schedules"),
    "reports": N_("daily production reports"),
}

_WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def _words(code: object) -> str:
    text = str(code or "").replace(".", " ").replace("_", " ").strip()
    return text[:1].upper() + text[1:].lower() if text else "–"


def rule_name(rule: object) -> str:
    """'PROJECTED_LATE' -> 'Forecast to arrive late'."""
    term = RULES.get(str(rule))
    return _(term.name) if term else _words(rule)


def rule_definition(rule: object) -> str:
    """The one-sentence definition of a rule ('' when unknown)."""
    term = RULES.get(str(rule))
    return _(term.definition) if term else ""


def supplier_hint(rule: object) -> str:
    """What usually helps a supplier with an alert of this rule ('' when nothing to add)."""
    hint = SUPPLIER_HINTS.get(str(rule))
    return _(hint) if hint else ""


def status_name(status: object) -> str:
    """'in_production' -> 'In production'; None -> '–'."""
    if status is None or (isinstance(status, float) and status != status):
        return "–"
    value = getattr(status, "value", status)
    term = STATUSES.get(str(value))
    return _(term.name) if term else _words(value)


def severity_name(severity: object) -> str:
    """'critical' -> 'Critical'."""
    value = str(getattr(severity, "value", severity))
    look = SEVERITIES.get(value)
    return _(look.name) if look else _words(value)


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
    name = _(look.name)
    word = name if value == "info" else f"**{name}**"
    return f":{look.color}[{look.icon} {word}]"


def metric_name(metric: str) -> str:
    """'otd' -> 'On-time delivery'."""
    found = METRICS.get(metric)
    return _(found[0].name) if found else _words(metric)


def metric_definition(metric: str) -> str:
    """The one-sentence definition of a scorecard metric."""
    found = METRICS.get(metric)
    return _(found[0].definition) if found else ""


def higher_is_better(metric: str) -> bool:
    """Whether more of ``metric`` is better (less slip, fewer rejects and days late are better)."""
    found = METRICS.get(metric)
    return found[1] if found else True


def event_name(action: object) -> str:
    """'alert.resolved' -> 'Resolved an alert'."""
    event = AUDIT_EVENTS.get(str(action))
    return _(event) if event else _words(action)


def actor_name(name: object) -> str:
    """'cli' -> 'Data import': a system account in words; a person's name as it is (never translated)."""
    if not isinstance(name, str):
        return ""
    system = SYSTEM_ACTORS.get(name)
    return _(system) if system else name


def entity_name(entity: object) -> str:
    """'production_schedule' -> 'Schedule' (what an audit event on a line was about)."""
    name = ENTITIES.get(str(entity))
    return _(name) if name else _words(entity)


def field_name(field: object) -> str:
    """'estimated_end_date' -> 'estimated end date' (for messages: no column names on screen)."""
    name = FIELDS.get(str(field))
    return _(name) if name else str(field).replace("_", " ")


def kind_name(kind: str) -> str:
    """'pos' -> 'purchase-order lines'."""
    name = KINDS.get(kind)
    return _(name) if name else kind.replace("_", " ")


def weekdays_text(mask: object) -> str:
    """A weekmask as days: '1111100' -> 'Mon–Fri', '1111110' -> 'Mon–Sat', '1010100' -> 'Mon, Wed, Fri'."""
    text = str(mask or "")
    if len(text) != 7 or set(text) - {"0", "1"}:
        return text or "–"
    days = [i for i, c in enumerate(text) if c == "1"]
    if not days:
        return _("no working days")
    if days == list(range(days[0], days[-1] + 1)) and len(days) >= 3:
        # TRANSLATORS: a range of weekdays, e.g. Mon–Fri
        return _("{first}–{last}").format(first=_(_WEEKDAYS[days[0]]), last=_(_WEEKDAYS[days[-1]]))
    return ", ".join(_(_WEEKDAYS[i]) for i in days)


def snoozed_text(until: dt.date | None) -> str:
    """'snoozed until 2026-03-10' (the one phrasing of a snoozed alert on every page)."""
    if until is None:
        return ""
    return _("snoozed until {date}").format(date=format_date(until))
