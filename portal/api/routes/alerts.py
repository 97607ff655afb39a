"""Alerts: the inbox (a supplier token: its own lines' alerts), replies, acknowledge, snooze, resolve."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request

from db.engine import Database
from portal.api.auth import caller, database
from portal.api.calls import run
from portal.api.paging import Cursor, Limit, window
from portal.api.problems import check_choices
from portal.api.schemas import CommentOut, CountOut, Page, ReplyIn, SnoozeIn, records
from portal.core.domain import AlertStatus, Severity
from portal.queries.alerts import INBOX_COLUMNS, AlertFilter, alert_inbox
from portal.services.access import Actor
from portal.services.alerts import acknowledge_alerts, comment_on_alert, resolve_alerts, snooze_alerts

router = APIRouter(tags=["alerts"])
AlertId = Path(ge=1, description="The alert's id (alert_id in GET /alerts)")
#: The inbox's columns but its internal line id and the reader's "new" mark.
COLUMNS = [c for c in INBOX_COLUMNS if c not in ("po_line_id", "is_new")]


@router.get("/alerts", response_model=Page, summary="Alerts, worst first then latest")
async def list_alerts(
    request: Request,
    status: list[str] = Query(default=["open", "acknowledged"], description="Alert statuses"),
    severity: list[str] = Query(default=[], description="critical, warning, info (default: all)"),
    rule: list[str] = Query(default=[], description="Alert rules, e.g. PROJECTED_LATE (default: all)"),
    include_snoozed: bool = Query(default=False),
    q: str = Query(default="", max_length=100, description="Part of a PO number, SKU or order_ref"),
    limit: Limit = 100,
    cursor: Cursor = None,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """A supplier token sees the alerts of its own lines (never backorder alerts, which name customers)."""
    check_choices(status, {s.value for s in AlertStatus}, "status")
    check_choices(severity, {s.value for s in Severity}, "severity")
    want = window(limit, cursor)
    filters = AlertFilter(
        statuses=tuple(status),
        severities=tuple(severity),
        rules=tuple(rule),
        include_snoozed=include_snoozed,
        text=q,
    )
    frame, total, _new = await run(
        alert_inbox, db, actor, filters, today=request.app.state.today(), limit=want.limit, offset=want.offset
    )
    items = records(frame, COLUMNS)
    for item in items:
        item["po_number"], _, number = (item.pop("line") or "").rpartition("/")
        item["line"] = int(number) if number else None
        item["po_number"] = item["po_number"] or None
    return want.page(items, total)


@router.post(
    "/alerts/{alert_id}/reply", response_model=CommentOut, status_code=201, summary="Reply on an alert"
)
async def reply(
    body: ReplyIn, alert_id: int = AlertId, actor: Actor = Depends(caller), db: Database = Depends(database)
) -> dict[str, Any]:
    """A supplier token replies on its own lines' alerts; another supplier's alert is a 404."""
    comment_id = await run(
        comment_on_alert, db, actor, alert_id, body.body, hidden=f"No alert with id {alert_id}."
    )
    return {"comment_id": comment_id}


@router.post("/alerts/{alert_id}/acknowledge", response_model=CountOut, summary="Acknowledge an open alert")
async def acknowledge(
    alert_id: int = AlertId, actor: Actor = Depends(caller), db: Database = Depends(database)
) -> dict[str, Any]:
    """changed is 0 when the alert was not open."""
    return {"changed": await run(acknowledge_alerts, db, actor, [alert_id])}


@router.post("/alerts/{alert_id}/snooze", response_model=CountOut, summary="Hide an alert until a date")
async def snooze(
    body: SnoozeIn,
    request: Request,
    alert_id: int = AlertId,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """The alert keeps being updated meanwhile, and shows again on ``until``."""
    changed = await run(snooze_alerts, db, actor, [alert_id], body.until, today=request.app.state.today())
    return {"changed": changed}


@router.post("/alerts/{alert_id}/resolve", response_model=CountOut, summary="Resolve an alert by hand")
async def resolve(
    alert_id: int = AlertId, actor: Actor = Depends(caller), db: Database = Depends(database)
) -> dict[str, Any]:
    """If the condition still holds, the alert stays dismissed until it materially worsens."""
    return {"changed": await run(resolve_alerts, db, actor, [alert_id])}
