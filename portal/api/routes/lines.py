"""Lines: the open lines with plan, output on record and forecast; one line; revising its schedule."""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Depends, Path, Query, Request

from db.engine import Database
from portal.api.auth import caller, database
from portal.api.calls import run
from portal.api.paging import Cursor, Limit, window
from portal.api.problems import Problem, check_choices
from portal.api.schemas import Page, ScheduleIn, ScheduleOut, plain, records
from portal.core.domain import OPEN_LINE_STATUSES, LineStatus
from portal.core.forecast import FORECAST_DATES
from portal.queries.line_detail import SCHEDULE_COLUMNS, line_detail
from portal.queries.line_keys import current_plans, line_id_for
from portal.queries.lines import LineFilter, open_lines
from portal.services.access import Actor
from portal.services.production import ScheduleConflict, revise_schedule

router = APIRouter(tags=["lines"])

STATUS_HELP = (
    f"Line statuses (default: the open ones: {', '.join(sorted(s.value for s in OPEN_LINE_STATUSES))})"
)
PoNumber = Path(min_length=1, max_length=60, description="The PO number, e.g. PO-1042")
LineNumber = Path(ge=1, description="The line number within the PO")
FORECAST = ["rate", *FORECAST_DATES]
HEADER = [
    "supplier_code",
    "sku",
    "item",
    "quantity",
    "status",
    "need_by_date",
    "promised_date",
    "produced",
    "remaining",
]


def split_label(label: str) -> tuple[str, int]:
    """'PO-1042/3' as ('PO-1042', 3)."""
    po_number, _, number = str(label).rpartition("/")
    return po_number, int(number)


def line_items(frame: pd.DataFrame, plans: pd.DataFrame) -> list[dict[str, Any]]:
    """Open-lines rows as JSON: header, the current plan, output on record and the forecast."""
    plan_by_line = {int(r["line_id"]): r for r in records(plans, list(plans.columns))}
    items = []
    for row in records(frame, ["line_id", "line", *HEADER, "open_alerts", "worst_severity", *FORECAST]):
        po_number, number = split_label(row.pop("line"))
        plan = plan_by_line.get(row.pop("line_id"))
        if plan is not None:
            plan = {k: v for k, v in plan.items() if k not in ("line_id", "label")}
        items.append(
            {
                "po_number": po_number,
                "line": number,
                **{k: row[k] for k in HEADER},
                "schedule": plan,
                "forecast": {k: row[k] for k in FORECAST},
                "open_alerts": row["open_alerts"],
                "worst_severity": row["worst_severity"],
            }
        )
    return items


@router.get(
    "/lines", response_model=Page, summary="Open lines with their plan, output on record and forecast"
)
async def list_lines(
    status: list[str] = Query(
        default=[],
        description=STATUS_HELP,
    ),
    late_only: bool = Query(
        default=False, description="Only lines whose p90 arrival is after the need-by date"
    ),
    q: str = Query(default="", max_length=100, description="Part of a PO number, SKU or supplier code"),
    limit: Limit = 100,
    cursor: Cursor = None,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """A supplier token sees its own supplier's lines; staff tokens see every line."""
    check_choices(status, {s.value for s in LineStatus}, "status")
    want = window(limit, cursor)
    filters = LineFilter(statuses=tuple(status), late_only=late_only, text=q)
    frame, total = await run(open_lines, db, actor, filters, limit=want.limit, offset=want.offset)
    plans = await run(current_plans, db, actor, frame["line_id"].astype(int).tolist())
    return want.page(line_items(frame, plans), total)


async def _line_of(db: Database, actor: Actor, po_number: str, line: int) -> tuple[int, str]:
    """The line's id and the 404 sentence of the calls about it: another supplier's line reads the
    same as a line that does not exist."""
    hidden = f"No PO line {po_number}/{line}."
    return await run(line_id_for, db, actor, po_number, line, hidden=hidden), hidden


@router.get(
    "/lines/{po_number}/{line}", summary="One line: header, schedule revisions, reports, forecast, alerts"
)
async def get_line(
    po_number: str = PoNumber,
    line: int = LineNumber,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """Another supplier's line is a 404, the same as a line that does not exist."""
    line_id, hidden = await _line_of(db, actor, po_number, line)
    detail = await run(line_detail, db, actor, line_id, hidden=hidden)
    header = {k: plain(v, k.endswith("_date")) for k, v in detail.header.items()}
    schedules = records(detail.schedules, SCHEDULE_COLUMNS)
    forecast = None
    if detail.forecast is not None:
        forecast = {
            k: plain(v, k.startswith(("completion", "arrival")) or k == "as_of")
            for k, v in detail.forecast.items()
        }
    reports = records(
        detail.current_reports.rename(columns={"report_date": "date"}),
        ["date", "good_qty", "rejected_qty", "note", "revision", "created_by", "created_at"],
    )
    return {
        "po_number": header["po_number"],
        "line": header["line"],
        **{
            k: header[k]
            for k in (
                "supplier_code",
                "supplier_name",
                "sku",
                "item",
                "quantity",
                "status",
                "order_date",
                "need_by_date",
                "promised_date",
                "transit_days",
            )
        },
        "schedule": schedules[-1] if schedules else None,
        "schedule_revisions": schedules,
        "reports": reports,
        "receipts": records(detail.receipts, ["received_date", "quantity", "rejected_qty"]),
        "forecast": forecast,
        "alerts": records(
            detail.alerts, ["alert_id", "rule", "severity", "status", "message", "first_seen", "last_seen"]
        ),
    }


@router.put(
    "/lines/{po_number}/{line}/schedule",
    response_model=ScheduleOut,
    status_code=200,
    summary="Save the next revision of a line's production schedule",
)
async def put_schedule(
    body: ScheduleIn,
    request: Request,
    po_number: str = PoNumber,
    line: int = LineNumber,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """Send the revision you read; if someone saved another since, 409 with the current revision."""
    line_id, hidden = await _line_of(db, actor, po_number, line)
    try:
        result = await run(
            revise_schedule,
            db,
            actor,
            line_id,
            start_date=body.start_date,
            daily_output=body.daily_output,
            estimated_end_date=body.estimated_end_date,
            reason=body.reason,
            expected_revision=body.revision,
            today=request.app.state.today(),
            hidden=hidden,
        )
    except ScheduleConflict as exc:
        raise Problem(
            409,
            str(exc),
            kind="schedule-conflict",
            title="Schedule changed",
            current_revision=exc.current_revision,
        ) from None
    return {
        "po_number": po_number,
        "line": line,
        "revision": result.revision,
        "implied_end_date": result.implied_end_date,
        "warning": result.warning,
    }
