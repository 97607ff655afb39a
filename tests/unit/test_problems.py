"""The inbox as problems: one row per subject, the worst alert as headline, customer impact first."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from portal.core.problems import group_problems, supplier_order, waiting_customers

NOONE = pd.DataFrame(columns=["subject_key", "backorder_id", "weight", "slip"])


def alerts(*rows: tuple) -> pd.DataFrame:
    """(alert_id, subject_key, rule, severity, days_late[, status]) rows."""
    return pd.DataFrame(
        [
            {
                "alert_id": r[0],
                "subject_key": r[1],
                "rule": r[2],
                "severity": r[3],
                "days_late": r[4],
                "status": r[5] if len(r) > 5 else "open",
                "message": f"{r[2]} on {r[1]}",
                "first_seen": pd.Timestamp("2026-03-01") + pd.Timedelta(days=r[0]),
            }
            for r in rows
        ]
    )


def waiting(allocated: list[tuple[int, int]], orders: list[tuple[int, int, float | None]]) -> pd.DataFrame:
    """Allocations (line, backorder) and backorders (id, priority, slip_days)."""
    return waiting_customers(
        pd.DataFrame(allocated, columns=["po_line_id", "backorder_id"]),
        pd.DataFrame(orders, columns=["backorder_id", "priority", "slip_days"]),
    )


def test_a_line_with_three_alerts_is_one_problem_headed_by_its_worst() -> None:
    found = group_problems(
        alerts(
            (1, "line:1", "BEHIND_PLAN", "warning", None),
            (2, "line:1", "PROJECTED_LATE", "critical", 9),
            (3, "line:1", "STALE_UPDATE", "warning", None, "acknowledged"),
        ),
        NOONE,
    )
    assert len(found) == 1
    row = found.iloc[0]
    assert (row["rule"], row["alert_ids"], row["alerts"], row["days_late"]) == (
        "PROJECTED_LATE",
        [1, 2, 3],
        3,
        9,
    )
    assert row["other_rules"] == ["BEHIND_PLAN", "STALE_UPDATE"]
    assert row["other_messages"] == ["BEHIND_PLAN on line:1", "STALE_UPDATE on line:1"]
    assert row["status"] == "open"  # open while any of its alerts is open


def test_a_line_customers_wait_on_comes_before_a_later_line_nobody_waits_on() -> None:
    found = group_problems(
        alerts(
            (1, "line:1", "PROJECTED_LATE", "critical", 30),
            (2, "line:2", "PROJECTED_LATE", "critical", 2),
            (3, "line:3", "AT_RISK", "warning", 1),
        ),
        waiting([(2, 10), (2, 11), (3, 12)], [(10, 0, None), (11, 2, None), (12, 0, None)]),
    )
    # line:2: (1 + 0) x 3 + (1 + 2) x 3 = 12; line:3: 1 x 2 = 2; line:1: nobody waits, 0.
    assert found[["subject_key", "impact", "customers", "waiting_orders"]].values.tolist() == [
        ["line:2", 12.0, 4.0, 2],
        ["line:3", 2.0, 1.0, 1],
        ["line:1", 0.0, 0.0, 0],
    ]


def test_an_order_already_past_the_date_told_weighs_its_slip_on_the_line_it_waits_on() -> None:
    found = group_problems(
        alerts(
            (1, "line:1", "PROJECTED_LATE", "critical", 3),
            (2, "backorder:10", "PROMISE_SLIPPED", "critical", 20),
            (3, "line:2", "PROJECTED_LATE", "critical", 10),
        ),
        waiting([(1, 10), (2, 11)], [(10, 0, 20.0), (11, 0, None)]),
    )
    impacts = dict(zip(found["subject_key"], found["impact"], strict=True))
    assert impacts == {"line:1": 21.0, "backorder:10": 21.0, "line:2": 11.0}
    assert found["subject_key"].tolist()[2] == "line:2"


def test_ties_go_to_the_higher_severity_then_more_days_late() -> None:
    found = group_problems(
        alerts(
            (1, "line:1", "BEHIND_PLAN", "warning", None),
            (2, "line:2", "PROJECTED_LATE", "critical", 1),
            (3, "line:3", "PROJECTED_LATE", "critical", 4),
        ),
        NOONE,
    )
    assert found["subject_key"].tolist() == ["line:3", "line:2", "line:1"]


def test_a_negative_priority_counts_as_none_and_allocations_of_one_order_count_once() -> None:
    found = waiting([(1, 10), (1, 10)], [(10, -3, None)])
    assert found.to_dict("records") == [
        {"subject_key": "line:1", "backorder_id": 10, "weight": 1.0, "slip": 0.0},
        {"subject_key": "backorder:10", "backorder_id": 10, "weight": 1.0, "slip": 0.0},
    ]


def test_a_suppliers_lines_come_by_severity_then_days_late_then_nearest_need_by() -> None:
    grouped = group_problems(
        alerts(
            (1, "line:1", "BEHIND_PLAN", "warning", None),
            (2, "line:2", "PROJECTED_LATE", "critical", 3.0),
            (3, "line:2", "STALE_UPDATE", "warning", None),
            (4, "line:3", "PROJECTED_LATE", "critical", 9.0),
            (5, "line:4", "AT_RISK", "warning", None),
            (6, "line:5", "DATE_SLIPPED", "critical", None, "resolved"),
        ),
        NOONE,
    )
    need_by = {"line:1": "2026-04-01", "line:2": "2026-03-20", "line:3": "2026-03-25", "line:4": "2026-03-10"}
    found = supplier_order(
        grouped.assign(
            line=grouped["subject_key"],
            live=grouped["status"] != "resolved",
            need_by_date=pd.to_datetime(grouped["subject_key"].map(need_by)),
        )
    )
    # Critical before warning, more days late first; among equals the nearest need-by; resolved last.
    assert list(found["subject_key"]) == ["line:3", "line:2", "line:4", "line:1", "line:5"]
    assert list(found.loc[found["subject_key"] == "line:2", "other_rules"].iloc[0]) == ["STALE_UPDATE"]
    assert "_rank" not in found.columns


def test_a_supplier_line_without_a_need_by_date_comes_after_the_dated_ones_of_its_rank() -> None:
    grouped = group_problems(
        alerts(
            (1, "line:1", "BEHIND_PLAN", "warning", None),
            (2, "line:2", "BEHIND_PLAN", "warning", None),
            (3, "line:3", "BEHIND_PLAN", "warning", None),
        ),
        NOONE,
    )
    # Dates as the database gives them (datetime.date, None): pandas makes them datetime64[s].
    need_by = {"line:1": None, "line:2": dt.date(2026, 5, 1), "line:3": dt.date(2026, 4, 1)}
    found = supplier_order(
        grouped.assign(
            line=grouped["subject_key"],
            live=True,
            need_by_date=pd.Series([need_by[k] for k in grouped["subject_key"]], dtype=object),
        )
    )
    assert list(found["subject_key"]) == ["line:3", "line:2", "line:1"]
