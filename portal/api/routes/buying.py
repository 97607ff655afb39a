"""The buyers' side: forecasts of open lines, promise dates, imports; and the managers' scorecards."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError as PydanticValidationError

from db.engine import Database
from portal.api import idempotency
from portal.api.auth import caller, database
from portal.api.calls import require_role, run
from portal.api.paging import Cursor, Limit, window
from portal.api.problems import Problem, check_choices, invalid_rows
from portal.api.routes.lines import split_label
from portal.api.schemas import ImportOut, ImportRowsIn, Page, records
from portal.core.domain import Role
from portal.core.fileformats import FORMATS, IMPORT_KINDS, CheckedTable, check_rows, read_table, typed_table
from portal.core.inputs import INPUTS_BY_KIND, build_rows
from portal.queries.backorders import STATUSES, BackorderFilter, backorder_promises
from portal.queries.directory import supplier_codes
from portal.queries.exports import EXPORT_COLUMNS, export_frame
from portal.queries.lines import LineFilter, open_lines
from portal.services.access import STAFF, Actor
from portal.services.imports import KIND_ROLES, import_table

router = APIRouter()
#: The forecasts export's columns, the line as one label (split into PO number and line when shown),
#: and the lateness at p90 too.
FORECAST_COLUMNS = ["line", *EXPORT_COLUMNS["forecasts"][2:], "days_late_p90"]
PROMISE_COLUMNS = [
    "order_ref",
    "customer",
    "sku",
    "quantity",
    "priority",
    "order_date",
    "promise_date",
    "status",
    "communicated_date",
    "slip_days",
    "reason",
]
STATUS_HELP = f"Promise statuses: {', '.join(STATUSES)} (default: all)"
SCORECARD_ROLES = frozenset({Role.MANAGER, Role.ADMIN})


@router.get("/forecasts", response_model=Page, tags=["buyers"], summary="Forecast of every open line")
async def list_forecasts(
    supplier: list[str] = Query(default=[], description="Supplier codes (default: all)"),
    late_only: bool = Query(
        default=False, description="Only lines whose p90 arrival is after the need-by date"
    ),
    limit: Limit = 100,
    cursor: Cursor = None,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """Most urgent first (days late at p90, then need-by date)."""
    require_role(actor, STAFF, "read every supplier's forecasts")
    want = window(limit, cursor)
    supplier_ids: tuple[int, ...] = ()
    if supplier:
        codes = await run(supplier_codes, db, actor, tuple(supplier))
        known = dict(zip(codes["code"], codes["supplier_id"], strict=True))
        unknown = [c for c in supplier if c not in known]
        if unknown:
            raise Problem(
                422,
                f"No supplier {', '.join(unknown)}.",
                errors=[{"index": None, "field": "query.supplier", "reason": "is not a supplier code"}],
            )
        supplier_ids = tuple(int(known[c]) for c in supplier)
    filters = LineFilter(supplier_ids=supplier_ids, late_only=late_only)
    frame, total = await run(open_lines, db, actor, filters, limit=want.limit, offset=want.offset)
    items = []
    for row in records(frame, FORECAST_COLUMNS):
        po_number, number = split_label(row.pop("line"))
        items.append({"po_number": po_number, "line": number, **row})
    return want.page(items, total)


@router.get("/promises", response_model=Page, tags=["buyers"], summary="Promise dates of waiting backorders")
async def list_promises(
    status: list[str] = Query(default=[], description=STATUS_HELP),
    not_communicated: bool = Query(default=False, description="Only promises not yet told to the customer"),
    limit: Limit = 100,
    cursor: Cursor = None,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """Worst first (slipped, unpromisable), then the allocation queue's order."""
    check_choices(status, STATUSES, "status")
    want = window(limit, cursor)
    filters = BackorderFilter(statuses=tuple(status), not_communicated=not_communicated)
    frame, total, _counts = await run(
        backorder_promises, db, actor, filters, limit=want.limit, offset=want.offset
    )
    return want.page(records(frame, PROMISE_COLUMNS), total)


@router.get("/scorecards", response_model=Page, tags=["managers"], summary="Every supplier's scorecard")
async def list_scorecards(
    period: str | None = Query(
        default=None, pattern=r"^\d{4}-\d{2}$", description="A month YYYY-MM (default: the rolling 12 months)"
    ),
    limit: Limit = 100,
    cursor: Cursor = None,
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> dict[str, Any]:
    """One row per supplier (the scorecards export): rates are fractions 0-1, null where there is no data."""
    require_role(actor, SCORECARD_ROLES, "read scorecards")
    want = window(limit, cursor)
    frame = await run(export_frame, db, actor, "scorecards", period=period)
    total = len(frame)
    rows = frame.iloc[want.offset : want.offset + want.limit]
    return want.page(records(rows, EXPORT_COLUMNS["scorecards"]), total)


async def _table_from_request(request: Request, kind: str) -> tuple[CheckedTable, str, bytes]:
    """The request's rows, checked: JSON ``{"rows": [...]}`` or a multipart ``file`` (CSV, .xlsx)."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise Problem(
                422,
                "Send the file in a form field named 'file'.",
                errors=[{"index": None, "field": "body.file", "reason": "is missing"}],
            )
        data = await upload.read()
        name = upload.filename or f"{kind}.csv"
        return check_rows(read_table(data, name, kind), kind), name, name.encode() + b"\0" + data
    if not content_type.startswith("application/json"):
        raise Problem(415, "Send JSON ({\"rows\": [...]}) or a multipart form with a 'file' field.")
    raw = await request.body()
    try:
        body = ImportRowsIn.model_validate_json(raw)
    except PydanticValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
    names = set(FORMATS[kind].names)
    unknown = [
        {"index": i, "field": key, "reason": f"is not a column of {kind} ({', '.join(FORMATS[kind].names)})"}
        for i, row in enumerate(body.rows)
        for key in row
        if key not in names
    ]
    if unknown:
        raise Problem(422, f"{len(unknown)} unknown field(s); nothing was written.", errors=unknown)
    # JSON values are already typed: each row is checked by its value object's fields and rules, as the
    # grid's are (never turned into text for the file checker); index i is row i + 2 of a file.
    typed, problems = build_rows(INPUTS_BY_KIND[kind], body.rows)
    payload = json.dumps(body.model_dump(mode="json"), sort_keys=True).encode()
    return typed_table(kind, typed, problems), "api", payload


@router.post(
    "/imports/{kind}",
    status_code=201,
    response_model=ImportOut,
    tags=["buyers"],
    summary="Import rows of a kind: every row or none, as the command line's import",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": ImportRowsIn.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def post_import(
    request: Request,
    kind: str = Path(description=f"One of {', '.join(IMPORT_KINDS)}"),
    idempotency_key: str | None = Header(
        default=None, alias="Idempotency-Key", description=idempotency.HEADER_DESCRIPTION
    ),
    actor: Actor = Depends(caller),
    db: Database = Depends(database),
) -> Any:
    """JSON rows use the file format's columns as keys; a file is CSV or .xlsx. Bad rows: 422 naming each."""
    if kind not in IMPORT_KINDS:
        raise Problem(404, f"No import kind '{kind}'. Kinds: {', '.join(IMPORT_KINDS)}.")
    require_role(actor, KIND_ROLES[kind], f"import {kind}")
    table, filename, payload = await _table_from_request(request, kind)
    today = request.app.state.today()

    async def write() -> tuple[int, dict[str, Any]]:
        result = await run(import_table, db, actor, table, filename=filename, today=today)
        if result.errors:
            raise invalid_rows(result.errors)
        body = {
            "kind": kind,
            "rows": result.rows,
            "created": result.created,
            "corrected": result.corrected,
            "warnings": list(result.warnings),
        }
        return 201, body

    digest = idempotency.request_hash("POST", f"/imports/{kind}", payload)
    return await idempotency.once(db, actor, idempotency_key, digest, write)
