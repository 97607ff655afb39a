"""One subject's alerts in plain Python: the line rules of one line, the backorder rules of a few
backorders, and :func:`reconcile_one` of their conditions with their live alerts.

The twin of :mod:`portal.core.alerts` for a report post (:mod:`portal.services.planning.one_line`),
where building frames for one row cost more than the rules themselves. Same rules, same words:
the conditions, days late and both texts of the message (English and ``message_args``) are those of
:func:`portal.core.alerts.line_conditions` and :func:`~portal.core.alerts.backorder_conditions`, and
the plan that of :func:`~portal.core.alerts.reconcile`; the property tests in
``tests/unit/test_line_alerts.py`` run both paths over random lines, backorders and live alerts and
compare every field. A change to a rule changes both, or those tests fail.

Values are Python values: dates as ``datetime.date`` (None when missing), numbers as ``float``
(NaN when missing). A condition is a dict of :data:`~portal.core.alerts.CONDITION_COLUMNS`.

Over 500 lines on purpose: it mirrors :mod:`portal.core.alerts` rule by rule, in the same order, so
that the two read side by side; split, each half would lose its twin.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np

from portal.core.alert_text import COUNTS, DATE, LIMIT, NUMBER, ORDINAL, SHARE, SHARE_1, TEMPLATES, TEXT
from portal.core.alert_text import english_number as _number
from portal.core.alert_text import english_ordinal as _ordinal
from portal.core.calendar import WorkCalendar
from portal.core.domain import AlertRule, AlertStatus, LineStatus, PromiseStatus, Severity, SubjectType
from portal.core.forecast import Z90
from portal.core.settings import Settings

NAN = math.nan
_RANK = Severity.ranks()
_ONE_DAY = dt.timedelta(days=1)

Condition = dict[str, Any]


# --- text ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Said:
    """A message or a phrase of one row: the English text and its arguments as JSON text."""

    english: str
    args: str


NOTHING = Said("", "null")


@lru_cache(maxsize=64)
def _parts(text: str) -> tuple[tuple[str, str | None], ...]:
    return tuple((literal, name) for literal, name, _, _ in string.Formatter().parse(text))


#: A text as JSON, as the vectorized rules write it (non-ASCII kept).
_json_text = json.JSONEncoder(ensure_ascii=False).encode


def _json_number(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else "null"


def _rounded_json(number: str) -> str:
    """A number as JSON from its English text, as the message rounds it; ``null`` where missing."""
    return "null" if number == "nan" else number.replace(",", "")


def _iso(day: dt.date | None) -> str:
    return "NaT" if day is None else day.isoformat()


def _pct(fraction: float, decimals: int) -> str:
    return _number(float(np.round(float(fraction) * 100, decimals))) + "%"


def _part(kind: str, value: Any, *, column: bool) -> tuple[str, str]:
    """A field's English text and JSON; ``column``: the vectorized rule passes a column (one value
    per row), else one value for all rows (a text, an as-of date as text, a fixed share)."""
    if isinstance(value, Said):
        return value.english, value.args
    if not column:
        if kind == LIMIT:
            return f"{float(value):g}%", _json_number(float(value))
        if kind == ORDINAL:
            return _ordinal(float(value)), _json_number(float(value))
        if kind in (SHARE, SHARE_1):
            return _pct(float(value), 1 if kind == SHARE_1 else 0), _json_number(float(value))
        return str(value), _json_text(str(value))
    if kind == TEXT:
        return str(value), _json_text(value) if isinstance(value, str) else "null"
    if kind == DATE:
        iso = _iso(value)
        return iso, f'"{iso}"'
    if kind == NUMBER:
        number = _number(float(value))
        return number, _rounded_json(number)
    if kind in (SHARE, SHARE_1):
        return _pct(float(value), 1 if kind == SHARE_1 else 0), _json_number(float(value))
    if kind in COUNTS:
        number = _number(float(value))
        plural = "" if float(value) == 1 else "s"
        return f"{number} {COUNTS[kind][0]}{plural}", _rounded_json(number)
    raise ValueError(f"field kind {kind!r} needs a value")  # pragma: no cover - a template's mistake


def say(key: str, fixed: Sequence[str] = (), **values: Any) -> Said:
    """Template ``key`` filled for one row; the fields named in ``fixed`` are the ones the vectorized
    rule passes as one value for every row (see :func:`_part`)."""
    template = TEMPLATES[key]
    english: dict[str, str] = {}
    args = '{"t":' + _json_text(key)
    for name, kind in template.fields.items():
        text, raw = _part(kind, values[name], column=name not in fixed)
        english[name] = text
        args += f',"{name}":' + raw
    filled = "".join(
        literal + (english[name] if name is not None else "") for literal, name in _parts(template.text)
    )
    return Said(filled, args + "}")


# --- comparisons --------------------------------------------------------------------------------


def _exceeds(a: float, b: float) -> bool:
    """a > b, but not when equal up to float rounding (as :func:`portal.core.alerts._exceeds`)."""
    return a > b and not abs(a - b) <= 1e-9 + 1e-9 * abs(b)


def _days_between(later: dt.date | None, earlier: dt.date | None) -> float:
    return NAN if later is None or earlier is None else float((later - earlier).days)


def _nan_if_none(value: float | None) -> float:
    return NAN if value is None else float(value)


# --- line rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFacts:
    """One line as the line rules read it: the pipeline's row (line, schedule, forecast)."""

    line_id: int
    supplier_id: int
    item_id: int
    supplier_code: str
    label: str
    quantity: float
    status: str
    order_date: dt.date | None
    need_by_date: dt.date | None
    schedule_revision: float
    start_date: dt.date | None
    daily_output: float
    estimated_end_date: dt.date | None
    previous_estimated_end_date: dt.date | None
    produced: float
    rejected: float
    remaining: float
    reported_days: float
    last_report_date: dt.date | None
    rate: float
    rate_source: str
    completion_p90: dt.date | None
    arrival_p50: dt.date | None
    arrival_p90: dt.date | None
    #: The supplier's own today when a live run counts stale days up to it (else None: as of D).
    supplier_today: dt.date | None = None
    #: PROJECTED_LATE has held for ``projected_late_held_days`` or is raised already (see
    #: :func:`portal.core.alerts.held_late`); True: raise it as soon as it holds.
    late_confirmed: bool = True
    #: Calendar days from completion to arrival (the line's, else its supplier's).
    transit_days: int = 0


@dataclass(frozen=True)
class _Line:
    facts: LineFacts
    as_of: dt.date
    calendar: WorkCalendar
    settings: Settings
    conditions: list[Condition] = field(default_factory=list)

    def working_days_after(self, start: dt.date | None, end: dt.date | None = None) -> float:
        """Working days in (start, end] (end defaults to D); NaN where a date is missing."""
        end = self.as_of if end is None else end
        if start is None:
            return NAN
        busdays = np.busday_count(
            np.datetime64(start + _ONE_DAY, "D"),
            np.datetime64(end + _ONE_DAY, "D"),
            busdaycal=self.calendar.busdaycal,
        )
        return float(busdays)

    @property
    def producing(self) -> bool:
        return self.facts.status != LineStatus.SHIPPED.value

    @property
    def stalled(self) -> bool:
        f = self.facts
        return stalled_of(f.remaining, f.rate, f.rate_source, f.reported_days, self.settings)

    def add(self, rule: AlertRule, severity: Severity, message: Said, days_late: float = NAN) -> None:
        f = self.facts
        self.conditions.append(
            {
                "rule": rule.value,
                "severity": severity.value,
                "subject_type": SubjectType.LINE.value,
                "subject_key": f"{SubjectType.LINE.value}:{f.line_id}",
                "supplier_id": f.supplier_id,
                "po_line_id": f.line_id,
                "backorder_id": None,
                "item_id": f.item_id,
                "message": message.english,
                "message_args": message.args,
                "days_late": None if math.isnan(days_late) else int(days_late),
            }
        )


def _rate_phrase(f: LineFacts) -> Said:
    if math.isnan(f.rate):
        return NOTHING
    if f.rate_source == "plan":
        return say("rate.plan", rate=f.rate)
    if f.rate_source != "observed":
        return NOTHING
    if math.isnan(f.daily_output):
        return say("rate.observed", rate=f.rate)
    return say("rate.observed_plan", rate=f.rate, plan=f.daily_output)


def stalled_of(
    remaining: float, rate: float, rate_source: str, reported_days: float, settings: Settings
) -> bool:
    """:meth:`portal.core.alerts._Lines.stalled` of one line."""
    enough = reported_days >= settings.forecast_min_reported_days
    return remaining > 0 and rate == 0 and rate_source == "observed" and enough


def _confidently_late(x: _Line) -> bool:
    f = x.facts
    return late_with_confidence(
        f.arrival_p50, f.arrival_p90, f.need_by_date, f.transit_days, x.calendar, x.settings
    )


def late_with_confidence(
    p50: dt.date | None,
    p90: dt.date | None,
    need_by: dt.date | None,
    transit_days: int,
    calendar: WorkCalendar,
    settings: Settings,
) -> bool:
    """:func:`portal.core.alerts._confidently_late` of one forecast (arrival dates), in the
    supplier's working days of completion (arrival - ``transit_days``)."""
    if p50 is None or need_by is None:
        return False
    transit = dt.timedelta(days=transit_days)

    def working_days(start: dt.date, end: dt.date) -> float:  # in (start, end], signed
        return float(
            np.busday_count(
                np.datetime64(start + _ONE_DAY, "D"),
                np.datetime64(end + _ONE_DAY, "D"),
                busdaycal=calendar.busdaycal,
            )
        )

    late_days = working_days(need_by - transit, p50 - transit)
    spread = 0.0 if p90 is None else working_days(p50 - transit, p90 - transit)
    z = NormalDist().inv_cdf(min(max(settings.projected_late_confidence, 0.5), 0.999))
    return late_days > 0 and late_days >= z * max(spread, 0.0) / Z90


def late_since_of(
    late_now: bool,
    previous: tuple[dt.date | None, dt.date | None] | None,
    as_of: dt.date,
) -> dt.date | None:
    """:func:`portal.core.alerts.late_since` of one line: ``previous`` is its stored forecast's
    (as_of, late_since), None when none is stored."""
    if not late_now:
        return None
    stored_day, since = (None, None) if previous is None else previous
    if stored_day is not None and since is not None and stored_day <= as_of and since <= as_of:
        return since
    return as_of


def held_late_of(since: dt.date | None, as_of: dt.date, settings: Settings) -> bool:
    """:func:`portal.core.alerts.held_late` of one line."""
    return since is not None and (as_of - since).days >= settings.projected_late_held_days


def _confirmed(x: _Line) -> bool:
    """:func:`portal.core.alerts._confirmed` of one line."""
    near = _days_between(x.facts.need_by_date, x.as_of)
    return x.facts.late_confirmed or near <= x.settings.projected_late_confirm_days


def _raised_late(x: _Line) -> bool:
    """:func:`portal.core.alerts._raised_late` of one line."""
    return _confidently_late(x) and _confirmed(x)


def _late_start(x: _Line) -> None:
    f = x.facts
    since = x.working_days_after(f.start_date)
    if x.producing and since > x.settings.late_start_grace_days and f.produced == 0:
        message = say(
            "LATE_START", ("as_of",), label=f.label, start=f.start_date, since=since, as_of=str(x.as_of)
        )
        x.add(AlertRule.LATE_START, Severity.WARNING, message)


def _behind_plan(x: _Line) -> None:
    f = x.facts
    elapsed = x.working_days_after(None if f.start_date is None else f.start_date - _ONE_DAY)
    planned = float(np.minimum(f.daily_output * elapsed, f.quantity))
    floor = planned * (1 - x.settings.behind_plan_tolerance)
    if x.producing and planned > 0 and _exceeds(floor, f.produced):
        message = say(
            "BEHIND_PLAN",
            ("as_of",),
            label=f.label,
            produced=f.produced,
            planned=planned,
            as_of=str(x.as_of),
            share=f.produced / planned,
        )
        x.add(AlertRule.BEHIND_PLAN, Severity.WARNING, message)


def _projected_late(x: _Line) -> None:
    f = x.facts
    late_days = _days_between(f.arrival_p50, f.need_by_date)
    stalled = x.stalled and _confirmed(x)
    late = _raised_late(x) and not x.stalled
    if not (late or stalled):
        return
    if stalled:
        if f.produced == 0:
            why = say("stalled.no_output", days=f.reported_days)
        else:
            why = say("stalled.recent", produced=f.produced, quantity=f.quantity)
        message = say("PROJECTED_LATE.stalled", label=f.label, why=why, need_by=f.need_by_date)
    else:
        message = say(
            "PROJECTED_LATE",
            label=f.label,
            arrival=f.arrival_p50,
            late=late_days,
            need_by=f.need_by_date,
            rate=_rate_phrase(f),
        )
    x.add(AlertRule.PROJECTED_LATE, Severity.CRITICAL, message, late_days if late else NAN)


def _at_risk(x: _Line) -> None:
    f = x.facts
    p90_late = _days_between(f.arrival_p90, f.need_by_date)
    if p90_late > 0 and not _raised_late(x) and not x.stalled:
        message = say(
            "AT_RISK",
            ("chance",),
            label=f.label,
            p50=f.arrival_p50,
            p90=f.arrival_p90,
            chance=0.9,
            late=p90_late,
            need_by=f.need_by_date,
        )
        x.add(AlertRule.AT_RISK, Severity.WARNING, message, p90_late)


def _stale_update(x: _Line) -> None:
    f = x.facts
    last, start = f.last_report_date, f.start_date
    has_reports = last is not None or f.produced > 0 or f.reported_days > 0
    in_production = f.status == LineStatus.IN_PRODUCTION.value
    since = last if last is not None else (start if start is not None and start < x.as_of else None)
    local = f.supplier_today is not None
    quiet = x.working_days_after(since, f.supplier_today if local else None)
    made = f.produced >= f.quantity  # a line made in full has nothing left to report
    if x.producing and not made and (in_production or has_reports) and quiet >= x.settings.stale_update_days:
        if last is not None:
            since_text = say("stale.last_report", date=last)
        else:
            since_text = say("stale.since_start", date=start)
        message = say(
            "STALE_UPDATE",
            () if local else ("as_of",),
            label=f.label,
            quiet=quiet,
            as_of=f.supplier_today if local else str(x.as_of),
            since=since_text,
        )
        x.add(AlertRule.STALE_UPDATE, Severity.WARNING, message)


def _date_slipped(x: _Line) -> None:
    f = x.facts
    end, previous = f.estimated_end_date, f.previous_estimated_end_date
    slip = _days_between(end, previous)
    if slip > 0:
        if math.isnan(f.schedule_revision):
            revision = say("revision.unknown")
        else:
            revision = say("revision.number", number=f.schedule_revision)
        message = say(
            "DATE_SLIPPED",
            label=f.label,
            revision=revision,
            previous=previous,
            end=end,
            slip=slip,
            working=x.working_days_after(previous, end),
        )
        x.add(AlertRule.DATE_SLIPPED, Severity.WARNING, message)


def _unrealistic_estimate(x: _Line) -> None:
    f = x.facts
    if f.estimated_end_date is None or f.completion_p90 is None:
        return
    gap = x.working_days_after(f.estimated_end_date, f.completion_p90)
    if x.producing and f.remaining > 0 and gap > x.settings.unrealistic_estimate_days:
        message = say(
            "UNREALISTIC_ESTIMATE",
            ("chance",),
            label=f.label,
            end=f.estimated_end_date,
            gap=gap,
            chance=0.9,
            p90=f.completion_p90,
            rate=_rate_phrase(f),
        )
        x.add(AlertRule.UNREALISTIC_ESTIMATE, Severity.WARNING, message)


def _quality(x: _Line) -> None:
    f = x.facts
    made = f.produced + f.rejected
    threshold = x.settings.quality_reject_threshold
    if made > 0 and _exceeds(f.rejected, threshold * made):
        message = say(
            "QUALITY",
            ("limit",),
            label=f.label,
            rejected=f.rejected,
            made=made,
            share=f.rejected / made,
            limit=threshold * 100,
        )
        x.add(AlertRule.QUALITY, Severity.WARNING, message)


def _short_lead_time(x: _Line, median: float | None) -> None:
    if median is None:
        return
    f = x.facts
    given = _days_between(f.need_by_date, f.order_date)
    if given < median:
        message = say(
            "SHORT_LEAD_TIME",
            label=f.label,
            ordered=f.order_date,
            need_by=f.need_by_date,
            given=given,
            supplier=f.supplier_code,
            median=median,
        )
        x.add(AlertRule.SHORT_LEAD_TIME, Severity.INFO, message)


_LINE_RULES = (
    _late_start,
    _behind_plan,
    _projected_late,
    _at_risk,
    _stale_update,
    _date_slipped,
    _unrealistic_estimate,
    _quality,
)


def line_conditions_of(
    facts: LineFacts,
    as_of: dt.date,
    calendar: WorkCalendar,
    settings: Settings,
    *,
    median_lead_time: float | None = None,
) -> list[Condition]:
    """The line rules that hold for one line as of ``as_of``, in the order
    :func:`portal.core.alerts.line_conditions` gives them. ``median_lead_time``: the supplier's
    median lead time in days when lead times are known (NaN: known, but none for this supplier;
    None: no lead times, SHORT_LEAD_TIME stays silent)."""
    x = _Line(facts, as_of, calendar, settings)
    for rule in _LINE_RULES:
        rule(x)
    _short_lead_time(x, median_lead_time)
    return x.conditions


# --- backorder rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BackorderFacts:
    """One backorder with its promise, as the backorder rules read it."""

    backorder_id: int
    item_id: int
    order_ref: str
    sku: str
    quantity: float
    status: str | None
    promise_date: dt.date | None
    communicated_date: dt.date | None


def backorder_conditions_of(backorders: Sequence[BackorderFacts]) -> list[Condition]:
    """UNPROMISABLE and PROMISE_SLIPPED of these backorders, in the order
    :func:`portal.core.alerts.backorder_conditions` gives them (every UNPROMISABLE first)."""

    def row(rule: AlertRule, b: BackorderFacts, message: Said, days_late: float) -> Condition:
        return {
            "rule": rule.value,
            "severity": Severity.CRITICAL.value,
            "subject_type": SubjectType.BACKORDER.value,
            "subject_key": f"{SubjectType.BACKORDER.value}:{b.backorder_id}",
            "supplier_id": None,
            "po_line_id": None,
            "backorder_id": b.backorder_id,
            "item_id": b.item_id,
            "message": message.english,
            "message_args": message.args,
            "days_late": None if math.isnan(days_late) else int(days_late),
        }

    def what(b: BackorderFacts) -> Said:
        return say("backorder", ref=b.order_ref, qty=b.quantity, sku=b.sku)

    unpromisable = [
        row(AlertRule.UNPROMISABLE, b, say("UNPROMISABLE", what=what(b)), NAN)
        for b in backorders
        if b.status == PromiseStatus.UNPROMISABLE.value
    ]
    slipped = []
    for b in backorders:
        slip = _days_between(b.promise_date, b.communicated_date)
        if slip > 0:
            message = say(
                "PROMISE_SLIPPED",
                what=what(b),
                promise=b.promise_date,
                slip=slip,
                told=b.communicated_date,
            )
            slipped.append(row(AlertRule.PROMISE_SLIPPED, b, message, slip))
    return unpromisable + slipped


# --- lifecycle ----------------------------------------------------------------------------------


@dataclass
class OnePlan:
    """What to write so that one scope's stored alerts follow its conditions (as
    :class:`portal.core.alerts.ReconcilePlan`, in rows of plain values)."""

    #: Conditions to insert as new open alerts, each with its ``reopen_reason`` and ``reopen_args``
    #: (None unless reopened).
    inserts: list[Condition]
    #: id, severity, message, message_args, days_late, status, raised: live alerts still holding.
    updates: list[dict[str, Any]]
    resolves: list[int]
    ended_dismissals: list[int] = field(default_factory=list)
    kept_dismissed: int = 0


def _rank(severity: Any) -> float:
    return float(_RANK[severity]) if severity in _RANK else NAN


def _float(value: Any) -> float:
    return NAN if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _severity_phrase(severity: Any, when: str) -> Said:
    """A severity as :func:`portal.core.alerts._severity_phrase` words it ("a warning" then, "critical"
    now); one with no phrase reads as its code, without arguments."""
    key = f"severity.{when}.{severity}"
    if key in TEMPLATES:
        return Said(TEMPLATES[key].text, '{"t":' + _json_text(key) + "}")
    return Said(str(severity), "null")


def reopen_reason(condition: Condition, dismissed: Mapping[str, Any], reopen_days: int) -> Said:
    """Why a dismissed condition reopens, as :func:`portal.core.alerts.reopen_reasons` says it (the
    English and the arguments of its "reopen.*" template)."""
    raised = _rank(condition["severity"]) > _rank(dismissed["dismissed_severity"])
    now_late, then_late = _float(condition["days_late"]), _float(dismissed["dismissed_days_late"])
    later = (now_late - then_late) >= reopen_days
    now_late = 0.0 if math.isnan(now_late) else now_late
    then_late = 0.0 if math.isnan(then_late) else then_late
    then_severity = _severity_phrase(dismissed["dismissed_severity"], "then")
    now_severity = _severity_phrase(condition["severity"], "now")
    if raised and later:
        return say(
            "reopen.both",
            then_severity=then_severity,
            then=then_late,
            now_severity=now_severity,
            now=now_late,
        )
    if raised:
        return say("reopen.severity", then=then_severity, now=now_severity)
    return say("reopen.later", then=then_late, now=now_late)


def reconcile_one(
    live: Sequence[Mapping[str, Any]],
    current: Sequence[Condition],
    scope: Sequence[str],
    *,
    reopen_days: int = 3,
) -> OnePlan:
    """:func:`portal.core.alerts.reconcile` of a few subjects in plain Python.

    ``live``: dicts of id, rule, subject_key, severity, status, dismissed_severity,
    dismissed_days_late (values as stored: texts, None where missing); ``current``: conditions;
    ``scope``: the subject keys re-evaluated (only their alerts resolve or end a dismissal).
    """
    resolved = AlertStatus.RESOLVED.value
    dismissed = [a for a in live if a["status"] == resolved and a.get("dismissed_severity") is not None]
    open_ = [a for a in live if a["status"] != resolved]
    by_key: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for a in open_:
        by_key.setdefault((a["rule"], a["subject_key"]), []).append(a)
    dismissed_by_key: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for a in dismissed:
        dismissed_by_key.setdefault((a["rule"], a["subject_key"]), []).append(a)
    inserts: list[Condition] = []
    updates: list[dict[str, Any]] = []
    held: list[tuple[Condition, Mapping[str, Any]]] = []
    ended_by_reopen: list[int] = []
    kept = 0
    for c in current:
        key = (c["rule"], c["subject_key"])
        found = by_key.get(key)
        if found:
            held.extend((c, a) for a in found)
            continue
        if key not in dismissed_by_key:
            inserts.append({**c, "reopen_reason": None, "reopen_args": None})
            continue
        for d in dismissed_by_key[key]:
            worse = (
                _rank(c["severity"]) > _rank(d["dismissed_severity"])
                or (_float(c["days_late"]) - _float(d["dismissed_days_late"])) >= reopen_days
            )
            if worse:
                said = reopen_reason(c, d, reopen_days)
                inserts.append({**c, "reopen_reason": said.english, "reopen_args": said.args})
                ended_by_reopen.append(int(d["id"]))
            else:
                kept += 1
    for c, a in held:
        raised = _rank(c["severity"]) > _rank(a["severity"])
        reopen = raised and a["status"] == AlertStatus.ACKNOWLEDGED.value
        updates.append(
            {
                "id": int(a["id"]),
                "severity": c["severity"],
                "message": c["message"],
                "message_args": c["message_args"],
                "days_late": c["days_late"],
                "status": AlertStatus.OPEN.value if reopen else a["status"],
                "raised": raised,
            }
        )
    current_keys = {(c["rule"], c["subject_key"]) for c in current}
    in_scope = set(scope)
    resolves = [
        int(a["id"])
        for a in open_
        if (a["rule"], a["subject_key"]) not in current_keys and a["subject_key"] in in_scope
    ]
    gone = [
        int(a["id"])
        for a in dismissed
        if (a["rule"], a["subject_key"]) not in current_keys and a["subject_key"] in in_scope
    ]
    return OnePlan(
        inserts=inserts,
        updates=updates,
        resolves=resolves,
        ended_dismissals=sorted(gone + ended_by_reopen),
        kept_dismissed=kept,
    )
