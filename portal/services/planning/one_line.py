"""The recompute after a report post: one line's forecast, its item's promises and the alerts of both,
without the bulk pipeline's frames for the line.

What stays the same as :func:`portal.services.planning.recompute_affected` (and so as a full sweep of
the same data; ``tests/integration/test_lean_post.py`` compares them):

* the forecast is :func:`portal.core.line_forecast.forecast_line` (the vectorized forecast's twin,
  property-tested equal) fed by the line's stored production summary, its current schedule, its
  supplier's calendar and the supplier's stored statistics (one row of ``supplier_stats``, never
  all of them recomputed);
* the item's promises are :func:`portal.services.planning.one_item.promise_one_item`: the item's
  backorders, open lines and receipts read as plain rows, allocated by
  :func:`portal.core.item_promise.promise_item` (the vectorized allocation's twin, property-tested
  equal), only changed promises and allocations written;
* the alerts run the core's plain-Python rules (:mod:`portal.core.line_alerts`, property-tested
  equal to :func:`portal.core.alerts.line_conditions` and
  :func:`~portal.core.alerts.backorder_conditions`) on the line and the item's backorders, and
  :func:`~portal.core.line_alerts.reconcile_one` against the live alerts of those subjects, read by
  their indexed ids instead of a scan over every alert's key.

The line, the settings and the supplier's calendar come from one statement
(:func:`portal.services.planning.line_state.read_line_state`, which caches what is built from them in
the process). A line the summary cannot answer (a changed quantity or span, a report after ``as_of``),
or a line not open on ``as_of`` goes through the bulk pipeline instead. A past-dated recompute
(tests pin their day) reads the item's supply and backorders as they were then, as the pipeline's
own loaders do.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from db.engine import core_connection
from db.frames import as_int, enum_value
from db.models import (
    Alert,
    LineForecast,
    SupplierStats,
    utcnow,
)
from portal.core import alerts as alert_rules
from portal.core import line_alerts as one_alerts
from portal.core import summaries as core_summaries
from portal.core.domain import (
    EVENT_RULES,
    OPEN_LINE_STATUSES,
    AlertRule,
    AlertStatus,
    PromiseStatus,
    Severity,
    SubjectType,
)
from portal.core.line_forecast import LineForecastRow, OpenLine, SupplierRecord, forecast_line
from portal.core.timezones import supplier_today
from portal.services.planning.line_state import LineState, read_line_state
from portal.services.planning.lock import lock_scope, share_planning_lock
from portal.services.planning.one_item import model_table, promise_one_item
from portal.services.planning.problems import refresh_problems, subjects_of_items
from portal.services.planning.recompute import recompute_affected
from portal.services.planning.result import SweepResult
from portal.services.planning.seen import close_values

#: A post touching more lines than this recomputes them through the bulk pipeline at once.
LEAN_LINES = 8

_OPEN = [s.value for s in OPEN_LINE_STATUSES]
_FORECASTS = model_table(LineForecast)
_ALERTS = model_table(Alert)


@dataclass(frozen=True)
class Posted:
    """What a post already read and wrote for its line (its recompute reads none of it again): the
    line's state before the post (with the settings and its supplier's calendar), its summary after."""

    state: LineState
    #: The line's status after the post (a report puts an open line in production).
    status: str
    summary: core_summaries.LineSummary | None
    #: The post locked the line's item already (:func:`lock_line_to_post`, PostgreSQL).
    item_locked: bool = False


def recompute_posted(
    session: Session,
    *,
    line_ids: Collection[int],
    as_of: dt.date | None = None,
    posted: Posted | None = None,
) -> SweepResult:
    """The recompute after reports of these lines: each line alone (:func:`recompute_line`) when a
    few, else the bulk pipeline for all of them at once. ``posted``: what the post of one line
    already read (see :class:`Posted`)."""
    ids = sorted({int(i) for i in line_ids})
    if not ids or len(ids) > LEAN_LINES:
        return recompute_affected(session, line_ids=ids, as_of=as_of)
    if len(ids) == 1:
        return recompute_line(session, ids[0], as_of=as_of, posted=posted)
    result = SweepResult(as_of=as_of or dt.date.today())
    for line_id in ids:
        one = recompute_line(session, line_id, as_of=as_of)
        result.lines += one.lines
        result.backorders += one.backorders
        result.unpromisable += one.unpromisable
        result.alerts_opened += one.alerts_opened
        result.alerts_updated += one.alerts_updated
        result.alerts_resolved += one.alerts_resolved
        result.alerts_raised += one.alerts_raised
        result.raised_alert_ids.extend(one.raised_alert_ids)
    return result


def recompute_line(
    session: Session, line_id: int, *, as_of: dt.date | None = None, posted: Posted | None = None
) -> SweepResult:
    """Recompute one line's forecast, its item's promises and both's alerts, in the caller's
    transaction. ``posted``: what the caller (a post of this line) already read, not read again."""
    as_of = as_of or dt.date.today()
    if posted is None:
        share_planning_lock(session)
        state = read_line_state(session, line_id)
        stored_summary = None if state is None else state.summary
    else:
        state, stored_summary = posted.state, posted.summary
    status = None if state is None else (posted.status if posted is not None else state.status)
    if (
        state is None
        or status not in _OPEN
        or (state.row.order_date is not None and state.row.order_date > as_of)
    ):
        # Not an open line on as_of: the pipeline drops its forecast and clears its alerts.
        return recompute_affected(session, line_ids=[line_id], as_of=as_of)
    row, settings, calendar = state.row, state.settings, state.calendar
    status = str(status)
    span = settings.forecast_ewm_span
    summary = stored_summary or core_summaries.LineSummary(quantity=int(row.quantity), ewm_span=span)
    usable = (
        summary.quantity == int(row.quantity)
        and summary.ewm_span == span
        and (summary.last_report_date is None or summary.last_report_date <= as_of)
    )
    if not usable:
        return recompute_affected(session, line_ids=[line_id], as_of=as_of)

    result = SweepResult(as_of=as_of)
    item_id, supplier_id = int(row.item_id), int(row.supplier_id)
    if posted is None or not posted.item_locked:
        lock_scope(session, [], [item_id])
    current, previous_end = state.schedule, state.previous_end
    stats, record = _supplier_stats(session, state.stats)
    transit = row.transit_days if row.transit_days is not None else row.supplier_transit_days
    line = OpenLine(
        line_id=line_id,
        supplier_id=supplier_id,
        quantity=int(row.quantity),
        status=status,
        transit_days=int(transit or 0),
        need_by_date=row.need_by_date,
        start_date=current.start_date if current is not None else None,
        daily_output=float(current.daily_output) if current is not None else None,
    )
    forecast = forecast_line(line, core_summaries.line_stats(summary), calendar, as_of, settings, record)
    stored = state.forecast
    # The day since which the line has been late or stalled: the stored forecast's, as the sweep keeps it.
    late_now = one_alerts.late_with_confidence(
        forecast.arrival_p50, forecast.arrival_p90, row.need_by_date, line.transit_days, calendar, settings
    ) or one_alerts.stalled_of(
        forecast.remaining, forecast.rate, forecast.rate_source, forecast.reported_days, settings
    )
    since = one_alerts.late_since_of(late_now, None if stored is None else (stored[0], stored[3]), as_of)
    _store_forecast(session, forecast, as_of, since, replace=stored is not None)
    result.lines = 1

    facts = _line_facts(row, status, line, current, previous_end, forecast, as_of)
    # The item's promises read this line only through its arrival p90. Every write that changes
    # another input of them (stock, receipts, backorders, another line, a sweep's buffers)
    # recomputes them, so when this line's arrival is the one they were computed with on the same
    # day, they and their alerts stand as they are.
    backorders: list[one_alerts.BackorderFacts] = []
    promised = stored is None or (stored[0], stored[2]) != (as_of, forecast.arrival_p90)
    if promised:
        # Promises of the line's item, with this line's fresh arrival (the others' are stored).
        backorders = promise_one_item(session, item_id, as_of, settings, (line_id, forecast.arrival_p90))
        result.backorders = len(backorders)
        result.unpromisable = sum(b.status == PromiseStatus.UNPROMISABLE.value for b in backorders)

    median = None if stats is None else stats["median"]
    backorder_ids = [b.backorder_id for b in backorders]
    keys = [f"line:{line_id}"] + [f"backorder:{i}" for i in backorder_ids]
    live = live_alerts_of(session, line_id, backorder_ids, keys)
    # PROJECTED_LATE is confirmed once raised, or when it has held for the days the admin set.
    raised = any(a["rule"] == AlertRule.PROJECTED_LATE.value and a["subject_key"] == keys[0] for a in live)
    confirmed = raised or one_alerts.held_late_of(since, as_of, settings)
    facts = dataclasses.replace(facts, late_confirmed=confirmed)
    conditions = one_alerts.line_conditions_of(facts, as_of, calendar, settings, median_lead_time=median)
    conditions += one_alerts.backorder_conditions_of(backorders)
    # The inbox problems: the line's, and when the item's promises moved, those its orders wait on.
    kept = subjects_of_items(session, [item_id]) if promised and backorders else []
    if not conditions and not live:  # nothing holds and nothing was live: reconcile would write nothing
        refresh_problems(session, as_of, kept)
        return result
    plan = one_alerts.reconcile_one(live, conditions, keys, reopen_days=settings.alert_reopen_days)
    apply_one_plan(session, plan, as_of, utcnow(), result)
    if plan.inserts or plan.updates or plan.resolves or kept:
        refresh_problems(session, as_of, [*keys, *kept])
    return result


def _supplier_stats(
    session: Session, found: tuple[Any, ...] | None
) -> tuple[dict[str, float] | None, SupplierRecord | None]:
    """The supplier's stored statistics (``found``: its row, or None): its median lead time and
    calibration record.

    (None, None) when no supplier has statistics yet (never swept); a record of NaN when others do
    but this supplier has none: what the pipeline's frame of every supplier's statistics gives.
    """
    s = SupplierStats
    if found is None:
        if not core_connection(session).scalar(select(exists().where(s.supplier_id.is_not(None)))):
            return None, None
        return {"median": math.nan}, SupplierRecord()

    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    median, records, delay, delay_sd, ratio, ratio_sd = (number(v) for v in found)
    return {"median": median}, SupplierRecord(records, delay, delay_sd, ratio, ratio_sd)


def _none_if_nan(value: float) -> float | None:
    return None if math.isnan(value) else value


_UPDATE_FORECAST = update(_FORECASTS).where(_FORECASTS.c.po_line_id == bindparam("forecast_line_id"))


def _store_forecast(
    session: Session, f: LineForecastRow, as_of: dt.date, late_since: dt.date | None, *, replace: bool
) -> None:
    """Write the line's forecast (what :func:`stores.store_forecasts` stores for it), late since
    ``late_since``; ``replace``: one is stored already (the line's row is locked, so it is still there)."""
    values = {
        "as_of": as_of,
        "produced": f.produced,
        "remaining": f.remaining,
        "rate": _none_if_nan(f.rate),
        "rate_source": f.rate_source,
        "completion_p50": f.completion_p50,
        "completion_p90": f.completion_p90,
        "arrival_p50": f.arrival_p50,
        "arrival_p90": f.arrival_p90,
        "days_late_p50": None if math.isnan(f.days_late_p50) else int(f.days_late_p50),
        "days_late_p90": None if math.isnan(f.days_late_p90) else int(f.days_late_p90),
        "late_since": late_since,
        "computed_at": utcnow(),
    }
    if replace:
        done = core_connection(session).execute(_UPDATE_FORECAST, {"forecast_line_id": f.line_id, **values})
        if getattr(done, "rowcount", 0) == 1:
            return
    core_connection(session).execute(insert(_FORECASTS), {"po_line_id": f.line_id, **values})


def _line_facts(
    row: Any,
    status: str,
    line: OpenLine,
    schedule: Any,
    previous_end: dt.date | None,
    f: LineForecastRow,
    as_of: dt.date,
) -> one_alerts.LineFacts:
    """The line's one row as the pipeline's frame holds it (lines, schedule, forecast): what the
    alert rules read. A live run (as of today) counts stale days up to the supplier's own today,
    as :func:`portal.services.planning.pipeline.with_supplier_today` does for the sweep."""
    local = None
    if as_of >= dt.date.today():
        local = supplier_today(row.timezone, dt.datetime.now(dt.UTC))
    return one_alerts.LineFacts(
        line_id=line.line_id,
        supplier_id=line.supplier_id,
        item_id=int(row.item_id),
        supplier_code=row.code,
        label=f"{row.po_number}/{row.line}",
        quantity=float(line.quantity),
        status=status,
        order_date=row.order_date,
        need_by_date=row.need_by_date,
        schedule_revision=float(schedule.revision) if schedule is not None else math.nan,
        start_date=line.start_date,
        daily_output=line.daily_output if line.daily_output is not None else math.nan,
        estimated_end_date=schedule.estimated_end_date if schedule is not None else None,
        previous_estimated_end_date=previous_end,
        produced=float(f.produced),
        rejected=float(f.rejected),
        remaining=float(f.remaining),
        reported_days=float(f.reported_days),
        last_report_date=f.last_report_date,
        rate=f.rate,
        rate_source=f.rate_source,
        completion_p90=f.completion_p90,
        arrival_p50=f.arrival_p50,
        arrival_p90=f.arrival_p90,
        supplier_today=local,
        transit_days=line.transit_days,
    )


_LIVE = select(
    Alert.id,
    Alert.rule,
    Alert.subject_key,
    Alert.severity,
    Alert.status,
    Alert.dismissed_severity,
    Alert.dismissed_days_late,
).where(
    Alert.subject_key.in_(bindparam("keys", expanding=True)),
    (Alert.status != AlertStatus.RESOLVED) | Alert.dismissed_severity.is_not(None),
    Alert.rule.not_in([r.value for r in EVENT_RULES]),
)
_LIVE_OF_LINE = _LIVE.where(Alert.po_line_id == bindparam("line_id"))
_LIVE_OF_LINE_AND_BACKORDERS = _LIVE.where(
    or_(Alert.po_line_id == bindparam("line_id"), Alert.backorder_id.in_(bindparam("ids", expanding=True)))
)


def live_alerts_of(
    session: Session, line_id: int, backorder_ids: list[int], keys: list[str]
) -> list[dict[str, Any]]:
    """:func:`loaders.live_alerts` of one line and some backorders, found by their indexed ids, as
    plain rows (id, rule, subject_key, severity, status, dismissed_severity, dismissed_days_late)."""
    if backorder_ids:
        params = {"line_id": line_id, "ids": backorder_ids, "keys": keys}
        rows = core_connection(session).execute(_LIVE_OF_LINE_AND_BACKORDERS, params).all()
    else:
        rows = core_connection(session).execute(_LIVE_OF_LINE, {"line_id": line_id, "keys": keys}).all()
    return [
        {
            "id": int(r.id),
            "rule": enum_value(r.rule),
            "subject_key": r.subject_key,
            "severity": enum_value(r.severity),
            "status": enum_value(r.status),
            "dismissed_severity": enum_value(r.dismissed_severity),
            "dismissed_days_late": as_int(r.dismissed_days_late),
        }
        for r in rows
    ]


_UPDATE_ALERT = (
    update(_ALERTS)
    .where(_ALERTS.c.id == bindparam("alert_id"))
    .values(
        severity=bindparam("new_severity"),
        message=bindparam("new_message"),
        message_args=bindparam("new_args"),
        days_late=bindparam("new_days_late"),
        status=bindparam("new_status"),
        last_seen=bindparam("seen_now"),
        as_of=bindparam("seen_as_of"),
    )
)


def apply_one_plan(
    session: Session, plan: one_alerts.OnePlan, as_of: dt.date, now: dt.datetime, result: SweepResult
) -> None:
    """Write a plan of a few subjects: what :func:`alert_store.apply_alert_plan` writes for it (every
    alert still holding rewritten and seen now), with one statement per kind of change."""
    table = _ALERTS
    if plan.inserts:
        core_connection(session).execute(
            insert(table),
            [
                {
                    **{c: row[c] for c in alert_rules.CONDITION_COLUMNS},
                    "subject_type": SubjectType(row["subject_type"]),
                    "severity": Severity(row["severity"]),
                    "status": AlertStatus.OPEN,
                    "first_seen": now,
                    "last_seen": now,
                    "as_of": as_of,
                    "reopen_reason": row["reopen_reason"],
                    "reopen_args": row["reopen_args"],
                }
                for row in plan.inserts
            ],
        )
    if plan.updates:
        core_connection(session).execute(
            _UPDATE_ALERT,
            [
                {
                    "alert_id": u["id"],
                    "new_severity": Severity(u["severity"]),
                    "new_message": u["message"],
                    "new_args": u["message_args"],
                    "new_days_late": u["days_late"],
                    "new_status": AlertStatus(u["status"]),
                    "seen_now": now,
                    "seen_as_of": as_of,
                }
                for u in plan.updates
            ],
        )
        raised = [u["id"] for u in plan.updates if u["raised"]]
        result.raised_alert_ids.extend(raised)
        result.alerts_raised += len(raised)
    if plan.resolves:
        core_connection(session).execute(
            update(Alert)
            .where(Alert.id.in_(plan.resolves))
            # Their last_seen and as_of as shown until now, written in (see planning.seen).
            .values(status=AlertStatus.RESOLVED, resolved_at=now, **close_values(session))
            .execution_options(synchronize_session=False)
        )
    if plan.ended_dismissals:
        core_connection(session).execute(
            update(Alert)
            .where(Alert.id.in_(plan.ended_dismissals))
            .values(dismissed_severity=None, dismissed_days_late=None)
            .execution_options(synchronize_session=False)
        )
    result.alerts_opened += len(plan.inserts)
    result.alerts_updated += len(plan.updates)
    result.alerts_resolved += len(plan.resolves)
    result.count_written("alerts", len(plan.inserts) + len(plan.updates) + len(plan.resolves))


__all__ = [
    "LEAN_LINES",
    "LineState",
    "Posted",
    "apply_one_plan",
    "live_alerts_of",
    "read_line_state",
    "recompute_line",
    "recompute_posted",
]
