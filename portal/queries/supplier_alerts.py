"""The supplier's alerts page as lines: one row per line (its worst condition, the others as its
reasons), in the order the supplier should act on them, with every condition kept for replies."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select

from db.engine import Database
from db.models import PoLine
from portal.core import problems as problem_rules
from portal.core.domain import AlertStatus
from portal.queries.alerts import AlertFilter, alert_inbox
from portal.services.access import ALL_ROLES, Actor, service

#: Enough for every live alert of one supplier (a dozen rules on each of its open lines).
LIMIT = 5000


@dataclass(frozen=True)
class SupplierAlerts:
    """The rows of the page and the alerts behind them."""

    #: One row per line (or one for alerts about the supplier as a whole), in the order to act on:
    #: the headline alert's columns, ``alert_ids``, ``other_rules``, ``alerts``, ``live``,
    #: ``need_by_date`` and ``comments`` (of all its alerts).
    rows: pd.DataFrame
    #: Every alert shown, as :func:`portal.queries.alerts.alert_inbox` reads them.
    alerts: pd.DataFrame


@service(*ALL_ROLES, writes=False)
def supplier_alert_lines(
    db: Database, actor: Actor, *, show_resolved: bool = False, today: dt.date | None = None
) -> SupplierAlerts:
    """The alerts on the actor's lines grouped per line, worst first (a buyer's snooze does not hide
    them: it only quiets the buyer's inbox)."""
    statuses = ("open", "acknowledged", "resolved") if show_resolved else ("open", "acknowledged")
    alerts, _total, _new = alert_inbox(
        db, actor, AlertFilter(statuses=statuses, include_snoozed=True), today=today, limit=LIMIT
    )
    alerts = alerts.assign(
        subject_key=[
            f"line:{int(line_id)}" if pd.notna(line_id) else f"supplier:{code}"
            for line_id, code in zip(alerts["po_line_id"], alerts["supplier_code"], strict=True)
        ],
        live=alerts["status"] != AlertStatus.RESOLVED.value,
    )
    no_one_waits = pd.DataFrame(columns=["subject_key", "backorder_id", "weight", "slip"])
    # A line's live conditions make its row; resolved ones stand alone only where nothing is live.
    live_lines = set(alerts.loc[alerts["live"], "subject_key"])
    shown = alerts[alerts["live"] | ~alerts["subject_key"].isin(live_lines)]
    grouped = problem_rules.group_problems(shown.astype({"days_late": "Float64"}), no_one_waits)
    grouped = grouped.reset_index(drop=True)
    line_ids = [int(i) for i in grouped["po_line_id"].dropna()]
    need_by: dict[int, dt.date] = {}
    if line_ids:
        with db.read() as session:
            need_by = dict(
                session.execute(select(PoLine.id, PoLine.need_by_date).where(PoLine.id.in_(line_ids))).all()
            )
    comments = shown.groupby("subject_key")["comments"].sum()
    rows = grouped.assign(
        live=grouped["subject_key"].isin(live_lines),
        need_by_date=pd.to_datetime(
            pd.Series(
                [need_by.get(int(i)) if pd.notna(i) else None for i in grouped["po_line_id"]],
                index=grouped.index,
                dtype=object,
            )
        ),
        comments=grouped["subject_key"].map(comments).fillna(0).astype("int64"),
    )
    return SupplierAlerts(rows=problem_rules.supplier_order(rows), alerts=alerts)
