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
from portal.services.access import Actor
from portal.services.production import CorrectionNeeded, post_reports

router = APIRouter(tags=["reports"])


async def _post(db: Database, actor: Actor, body: ReportBatchIn, today: Any) -> tuple[int, dict[str, Any]]:
    rows = [r.model_dump() for r in body.reports]
    # A supplier's row for another supplier's line comes back from the service as a row error in
    # the same words as a line that does not exist, beside every other bad row.
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
    assert preview is not None  # a checked post always has its preview
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
