"""Daily output: a batch of production reports, posted all or none, safely retried with an Idempotency-Key."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Depends, Header, Request

from db.engine import Database
from portal.api import idempotency
from portal.api.auth import caller, database
from portal.api.calls import run
from portal.api.problems import Problem, invalid_rows, problem_response_doc
from portal.api.schemas import ReportBatchIn, ReportBatchOut
from portal.core.fileformats import RowError
from portal.queries.line_keys import visible_line_keys
from portal.services.access import Actor
from portal.services.production import CorrectionNeeded, post_reports

router = APIRouter(tags=["reports"])
UNKNOWN_LINE = (
    "no such PO line (po_number/line)"  # the import checks' own words for a line that does not exist
)
OTHER_SUPPLIERS_LINE = "is not one of your supplier's lines"


def hide_other_suppliers(actor: Actor, errors: list[RowError]) -> list[RowError]:
    """A supplier token is told another supplier's line does not exist, in the same words as a missing one."""
    if not actor.is_supplier:
        return errors
    return [
        RowError(e.row, e.column, e.value, UNKNOWN_LINE) if e.reason == OTHER_SUPPLIERS_LINE else e
        for e in errors
    ]


async def _hidden_line_errors(db: Database, actor: Actor, rows: list[dict[str, Any]]) -> list[RowError]:
    """Rows naming a line the actor may not see, refused in the words used for a line that does not exist."""
    keys = [(r["po_number"], r["line"]) for r in rows]
    visible = await run(visible_line_keys, db, actor, keys)
    return [
        RowError(i + 2, "line", f"{po}/{n}", UNKNOWN_LINE)
        for i, (po, n) in enumerate(keys)
        if (po, n) not in visible
    ]


async def _post(db: Database, actor: Actor, body: ReportBatchIn, today: Any) -> tuple[int, dict[str, Any]]:
    rows = [r.model_dump() for r in body.reports]
    if actor.is_supplier:
        hidden = await _hidden_line_errors(db, actor, rows)
        if hidden:
            # Check the other rows too, so the answer names every bad row, then refuse the batch.
            bad = {e.row - 2 for e in hidden}
            rest = [i for i in range(len(rows)) if i not in bad]
            errors = list(hidden)
            if rest:
                checked = await run(
                    post_reports, db, actor, [rows[i] for i in rest], today=today, dry_run=True
                )
                errors += [RowError(rest[e.row - 2] + 2, e.column, e.value, e.reason) for e in checked.errors]
            raise invalid_rows(sorted(errors, key=lambda e: (e.row, e.column)))
    try:
        result = await run(
            post_reports, db, actor, rows, confirm_corrections=body.confirm_corrections, today=today
        )
    except CorrectionNeeded as exc:
        raise Problem(
            409,
            f"{exc} Send confirm_corrections: true to post them as corrections.",
            kind="correction-needed",
            title="Days already reported",
            corrections=exc.corrections,
        ) from None
    if result.errors:
        raise invalid_rows(result.errors)
    preview = result.preview
    out = [
        {
            "index": int(row) - 2,
            "po_number": rows[int(row) - 2]["po_number"],
            "line": rows[int(row) - 2]["line"],
            "date": rows[int(row) - 2]["date"].isoformat(),
            "result": check,
        }
        for row, check in zip(preview["row"], preview["check"], strict=True)
    ]
    return 201, {"posted": result.created - result.corrected, "corrected": result.corrected, "rows": out}


@router.post(
    "/reports",
    status_code=201,
    response_model=ReportBatchOut,
    summary="Post a batch of daily production reports (all or none)",
    responses={
        409: problem_response_doc(
            "Days already reported (send confirm_corrections), the same line and day posted at the same "
            "moment, or the Idempotency-Key is in use"
        ),
        422: problem_response_doc(
            "Bad rows (each as index, field, reason), or the Idempotency-Key was used for another request; "
            "nothing was written"
        ),
    },
)
async def post_report_batch(
    body: ReportBatchIn,
    request: Request,
    idempotency_key: str | None = Header(
        default=None, alias="Idempotency-Key", description=idempotency.HEADER_DESCRIPTION
    ),
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> Any:
    """Rows are checked as in the browser and in a file import; a day already reported is a correction."""
    pinned = request.app.state.today
    # Unpinned (production): each report is checked against its supplier's own today (its time zone).
    today = None if pinned is dt.date.today else pinned()
    payload = json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    digest = idempotency.request_hash("POST", "/reports", payload)
    return await idempotency.once(db, actor, idempotency_key, digest, lambda: _post(db, actor, body, today))
