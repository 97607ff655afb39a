"""One subject's alerts in plain Python (portal.core.line_alerts) equal what the vectorized rules and
reconcile (portal.core.alerts) give for the same rows: every condition, days late, both texts of
the message, and every part of the plan."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core import alerts
from portal.core.calendar import CalendarSet, WorkCalendar
from portal.core.line_alerts import (
    BackorderFacts,
    LineFacts,
    backorder_conditions_of,
    held_late_of,
    late_since_of,
    line_conditions_of,
    reconcile_one,
)
from portal.core.settings import Settings

AS_OF = dt.date(2026, 3, 13)
CALENDARS = {
    "mon-fri": WorkCalendar(),
    "six days, holidays": WorkCalendar(
        weekmask="1111110", holidays=(dt.date(2026, 3, 2), dt.date(2026, 4, 3))
    ),
    "tue-sat, closures": WorkCalendar(
        weekmask="0111110", holidays=tuple(AS_OF + dt.timedelta(days=d) for d in range(-12, 3))
    ),
}
NOW = dt.datetime(2026, 3, 13, 6, 0)


def day(offset: int | None) -> dt.date | None:
    return None if offset is None else AS_OF + dt.timedelta(days=offset)


offsets = st.one_of(st.none(), st.integers(-60, 60))
counts = st.one_of(st.just(0.0), st.integers(0, 3000).map(float))
maybe = st.one_of(st.just(math.nan), st.just(0.0), st.floats(0.1, 400.0, allow_nan=False))


@st.composite
def line_facts(draw: Any) -> LineFacts:
    quantity = float(draw(st.integers(1, 5000)))
    produced = draw(st.one_of(st.just(0.0), st.floats(0, quantity).map(math.floor)))
    start = draw(offsets)
    return LineFacts(
        line_id=draw(st.integers(1, 9)),
        supplier_id=7,
        item_id=3,
        supplier_code=draw(st.sampled_from(["ACME", "Bolt & Söhne", 'Q"uote'])),
        label=draw(st.sampled_from(["PO-1/1", "PO-Ä/2"])),
        quantity=quantity,
        status=draw(st.sampled_from(["open", "in_production", "shipped"])),
        order_date=draw(offsets.map(day)),
        need_by_date=draw(offsets.map(day)),
        schedule_revision=draw(st.one_of(st.just(math.nan), st.integers(1, 12).map(float))),
        start_date=day(start),
        daily_output=draw(maybe),
        estimated_end_date=draw(offsets.map(day)),
        previous_estimated_end_date=draw(offsets.map(day)),
        produced=produced,
        rejected=draw(counts),
        remaining=max(quantity - produced, 0.0),
        reported_days=float(draw(st.integers(0, 40))),
        last_report_date=draw(st.one_of(st.none(), st.integers(-40, 0)).map(day)),
        rate=draw(maybe),
        rate_source=draw(st.sampled_from(["observed", "plan", "none"])),
        completion_p90=draw(offsets.map(day)),
        arrival_p50=draw(offsets.map(day)),
        arrival_p90=draw(offsets.map(day)),
        supplier_today=draw(st.one_of(st.none(), st.integers(0, 1).map(day))),
        late_confirmed=draw(st.booleans()),
        transit_days=draw(st.integers(0, 14)),
    )


def as_frame(f: LineFacts) -> pd.DataFrame:
    """The line's row as the pipeline's frame holds it (the vectorized rules' input)."""

    def ts(value: Any) -> Any:
        return pd.Timestamp(value) if isinstance(value, dt.date) else value

    row = {k: ts(v) for k, v in dataclasses.asdict(f).items()}
    if f.supplier_today is None:
        del row["supplier_today"]
    frame = pd.DataFrame([row])
    for column in frame.columns:
        if column.endswith("_date") or column in (
            "completion_p90",
            "arrival_p50",
            "arrival_p90",
            "supplier_today",
        ):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def plain(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Condition rows as plain values: <NA> as None, numbers as int."""
    out = []
    for record in frame.astype(object).to_dict("records"):
        out.append(
            {
                k: None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
                for k, v in record.items()
            }
        )
    for record in out:
        for k in ("supplier_id", "po_line_id", "backorder_id", "item_id", "days_late"):
            value = record[k]
            record[k] = None if value is None else int(value)
    return out


thresholds = st.builds(
    Settings,
    late_start_grace_days=st.integers(0, 5),
    behind_plan_tolerance=st.sampled_from([0.0, 0.1, 0.25]),
    stale_update_days=st.integers(1, 10),
    unrealistic_estimate_days=st.integers(0, 5),
    quality_reject_threshold=st.sampled_from([0.0, 0.05, 0.2]),
    projected_late_confidence=st.sampled_from([0.5, 0.85, 0.99]),
    projected_late_confirm_days=st.sampled_from([0, 14, 366]),
    projected_late_held_days=st.sampled_from([0, 1, 7]),
    forecast_min_reported_days=st.integers(1, 8),
)


@settings(max_examples=300, deadline=None)
@given(
    facts=line_facts(),
    calendar=st.sampled_from(sorted(CALENDARS)),
    config=thresholds,
    median=st.one_of(st.none(), st.just(math.nan), st.integers(0, 90).map(float)),
)
def test_one_lines_rules_in_plain_python_give_what_the_vectorized_rules_give(
    facts: LineFacts, calendar: str, config: Settings, median: float | None
) -> None:
    lead = None
    if median is not None:
        # NaN: lead times are known, but none of this supplier's.
        other = 99 if math.isnan(median) else facts.supplier_id
        lead = pd.DataFrame(
            {"supplier_id": [other], "median_lead_time_days": [0.0 if math.isnan(median) else median]}
        )
    vectorized = alerts.line_conditions(
        as_frame(facts), AS_OF, CalendarSet({facts.supplier_id: CALENDARS[calendar]}), config, lead_times=lead
    )
    one = line_conditions_of(facts, AS_OF, CALENDARS[calendar], config, median_lead_time=median)
    assert one == plain(vectorized)


def test_a_stalled_line_behind_plan_with_rejects_and_a_slipped_date_raises_each_rule_worded_alike() -> None:
    # A late, stalled, low-quality line behind plan: several rules hold at once, worded alike.
    facts = LineFacts(
        line_id=4, supplier_id=7, item_id=3, supplier_code="ACME", label="PO-1/1", quantity=1000.0,
        status="in_production", order_date=day(-30), need_by_date=day(5), schedule_revision=2.0,
        start_date=day(-20), daily_output=100.0, estimated_end_date=day(1),
        previous_estimated_end_date=day(-3), produced=200.0, rejected=40.0, remaining=800.0,
        reported_days=9.0, last_report_date=day(-6), rate=0.0, rate_source="observed",
        completion_p90=None, arrival_p50=None, arrival_p90=None,
    )  # fmt: skip
    one = line_conditions_of(facts, AS_OF, WorkCalendar(), Settings(), median_lead_time=60.0)
    rules = [c["rule"] for c in one]
    assert rules == [
        "BEHIND_PLAN",
        "PROJECTED_LATE",
        "STALE_UPDATE",
        "DATE_SLIPPED",
        "QUALITY",
        "SHORT_LEAD_TIME",
    ]
    assert one == plain(
        alerts.line_conditions(
            as_frame(facts),
            AS_OF,
            CalendarSet({7: WorkCalendar()}),
            Settings(),
            lead_times=pd.DataFrame({"supplier_id": [7], "median_lead_time_days": [60.0]}),
        )
    )


backorder = st.builds(
    BackorderFacts,
    backorder_id=st.integers(1, 6),
    item_id=st.just(3),
    order_ref=st.sampled_from(["SO-1", "SO-Ü"]),
    sku=st.just("SKU-1"),
    quantity=st.integers(1, 20000).map(float),
    status=st.sampled_from(["promised", "unpromisable", "in_stock", None]),
    promise_date=offsets.map(day),
    communicated_date=offsets.map(day),
)


@settings(max_examples=200, deadline=None)
@given(backorders=st.lists(backorder, max_size=5, unique_by=lambda b: b.backorder_id))
def test_backorder_rules_in_plain_python_give_what_the_vectorized_rules_give(
    backorders: list[BackorderFacts],
) -> None:
    frame = pd.DataFrame(
        {
            "backorder_id": [b.backorder_id for b in backorders],
            "item_id": [b.item_id for b in backorders],
            "order_ref": [b.order_ref for b in backorders],
            "sku": [b.sku for b in backorders],
            "quantity": pd.array([int(b.quantity) for b in backorders], dtype="int64"),
            "status": pd.array([b.status for b in backorders], dtype="object"),
            "promise_date": pd.to_datetime([b.promise_date for b in backorders]),
            "communicated_date": pd.to_datetime([b.communicated_date for b in backorders]),
        }
    )
    assert backorder_conditions_of(backorders) == plain(alerts.backorder_conditions(frame))


RULES = ["AT_RISK", "QUALITY", "PROMISE_SLIPPED"]
KEYS = ["line:1", "line:2", "backorder:5"]
SEVERITIES = ["info", "warning", "critical"]


@st.composite
def alert_rows(draw: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Live alerts (open, acknowledged, dismissed) and conditions over a few rules and subjects."""
    pairs = [(r, k) for r in RULES for k in KEYS]
    live = []
    for n, (rule, key) in enumerate(draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6))):
        dismissed = draw(st.booleans())
        live.append(
            {
                "id": 100 + n,
                "rule": rule,
                "subject_key": key,
                "severity": draw(st.sampled_from(SEVERITIES)),
                "status": "resolved" if dismissed else draw(st.sampled_from(["open", "acknowledged"])),
                "snoozed_until": None,
                "dismissed_severity": draw(st.sampled_from(SEVERITIES)) if dismissed else None,
                "dismissed_days_late": draw(st.one_of(st.none(), st.integers(0, 20))) if dismissed else None,
            }
        )
    current = []
    for rule, key in draw(st.lists(st.sampled_from(pairs), unique=True, max_size=6)):
        current.append(
            {
                "rule": rule,
                "severity": draw(st.sampled_from(SEVERITIES)),
                "subject_type": key.split(":")[0],
                "subject_key": key,
                "supplier_id": 7 if key.startswith("line") else None,
                "po_line_id": int(key.split(":")[1]) if key.startswith("line") else None,
                "backorder_id": int(key.split(":")[1]) if key.startswith("backorder") else None,
                "item_id": 3,
                "message": draw(st.sampled_from(["late", "very late"])),
                "message_args": '{"t":"AT_RISK"}',
                "days_late": draw(st.one_of(st.none(), st.integers(0, 30))),
            }
        )
    return live, current


@settings(max_examples=300, deadline=None)
@given(
    rows=alert_rows(), scope=st.sampled_from([KEYS, KEYS[:1], KEYS[1:]]), reopen_days=st.sampled_from([1, 3])
)
def test_reconcile_of_a_few_subjects_in_plain_python_plans_what_reconcile_plans(
    rows: tuple[list[dict[str, Any]], list[dict[str, Any]]], scope: list[str], reopen_days: int
) -> None:
    live, current = rows
    live_frame = pd.DataFrame(live, columns=alerts.LIVE_COLUMNS)
    live_frame["dismissed_days_late"] = pd.to_numeric(live_frame["dismissed_days_late"]).astype("Float64")
    conditions = pd.DataFrame(current, columns=alerts.CONDITION_COLUMNS).astype(alerts.CONDITION_DTYPES)
    if not current:
        conditions = alerts.empty_conditions()
    plan = alerts.reconcile(
        live_frame, conditions, NOW, pd.Series(scope, dtype="object"), reopen_days=reopen_days
    )
    one = reconcile_one(live, current, scope, reopen_days=reopen_days)

    inserts = plain(plan.inserts[[*alerts.CONDITION_COLUMNS, "reopen_reason", "reopen_args"]])
    assert one.inserts == inserts
    updates = plan.updates.astype(object).to_dict("records")
    expected = [
        {
            "id": int(u["id"]),
            "severity": u["severity"],
            "message": u["message"],
            "message_args": u["message_args"],
            "days_late": None if pd.isna(u["days_late"]) else int(u["days_late"]),
            "status": u["status"],
            "raised": bool(u["raised"]),
        }
        for u in updates
    ]
    assert one.updates == expected
    assert sorted(one.resolves) == sorted(plan.resolves)
    assert one.ended_dismissals == plan.ended_dismissals
    assert one.kept_dismissed == plan.kept_dismissed


@settings(max_examples=300, deadline=None)
@given(
    late_now=st.booleans(),
    stored=st.one_of(st.none(), st.tuples(st.integers(-9, 3), st.one_of(st.none(), st.integers(-30, 3)))),
    held_days=st.sampled_from([0, 1, 7, 14]),
)
def test_one_lines_late_since_and_confirmation_are_the_vectorized_ones(
    late_now: bool, stored: tuple[int, int | None] | None, held_days: int
) -> None:
    config = Settings(projected_late_held_days=held_days)
    previous = None if stored is None else (day(stored[0]), day(stored[1]))
    since = late_since_of(late_now, previous, AS_OF)
    cells = (None, None) if previous is None else previous
    as_of, late = (pd.Series([pd.Timestamp(d) if d is not None else pd.NaT]).to_numpy() for d in cells)
    vectorized = alerts.late_since(pd.Series([late_now]).to_numpy(), as_of, late, AS_OF)
    assert [since] == [None if pd.isna(v) else pd.Timestamp(v).date() for v in vectorized]
    assert [held_late_of(since, AS_OF, config)] == alerts.held_late(vectorized, AS_OF, config).tolist()
