"""Every API error as an RFC 9457 problem: ``application/problem+json`` with type, title, status, detail.

Refusals of the services (``portal.core.domain`` errors) keep their sentence as the detail;
bad rows and bad fields come as ``errors``: a list of ``{index, field, reason}``. Nothing
else leaks: an unexpected failure answers 500 with a reference to quote, its traceback
goes to the server log only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from portal.core.domain import (
    AuthenticationError,
    ConflictError,
    NotFound,
    PermissionDenied,
    PortalError,
    ValidationError,
)
from portal.core.fileformats import RowError

PROBLEM_JSON = "application/problem+json"
#: Problem types are relative URIs under the API (RFC 9457 section 3.1.1); they are documented there.
TYPE_BASE = "/api/v1/problems/"
log = logging.getLogger("portal.api")

_TITLES = {
    400: "Malformed request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal error",
}


class ProblemModel(BaseModel):
    """An RFC 9457 problem, as the OpenAPI document describes it."""

    type: str = Field(examples=["/api/v1/problems/invalid-rows"])
    title: str = Field(examples=["Invalid rows"])
    status: int = Field(examples=[422])
    detail: str = Field(examples=["1 error(s) in 1 row(s); nothing was written."])
    instance: str | None = Field(default=None, examples=["/api/v1/reports"])
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="Each bad field or row: index (0-based, in the request's list), field, reason",
        examples=[
            [{"index": 0, "field": "good_qty", "value": "-5", "reason": "must be a whole number >= 0"}]
        ],
    )


def problem_response_doc(description: str) -> dict[str, Any]:
    """An error answer in the OpenAPI document: ``description``, as problem+json."""
    return {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": ProblemModel.model_json_schema()}},
    }


def openapi_responses() -> dict[int | str, dict[str, Any]]:
    """The error answers every route may give, for the OpenAPI document."""
    return {
        400: problem_response_doc("The body is not valid JSON"),
        401: problem_response_doc("Missing, unknown, expired or revoked token"),
        403: problem_response_doc("The token's role may not do this"),
        404: problem_response_doc("No such object (or another supplier's)"),
        413: problem_response_doc("Request body too large"),
        422: problem_response_doc("Invalid request: every bad field or row; nothing was written"),
        429: problem_response_doc("Too many requests for this token: see Retry-After"),
    }


class Problem(Exception):
    """An API answer that is an error: raise it anywhere in a route."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind or _default_kind(status)
        self.title = title or _TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extensions = extensions


def _default_kind(status: int) -> str:
    return {
        400: "malformed",
        401: "unauthenticated",
        403: "forbidden",
        404: "not-found",
        405: "method-not-allowed",
        409: "conflict",
        413: "too-large",
        422: "invalid",
        429: "rate-limited",
        500: "internal",
    }.get(status, "error")


def problem_body(problem: Problem, instance: str | None = None) -> dict[str, Any]:
    """The JSON members of a problem."""
    body: dict[str, Any] = {
        "type": TYPE_BASE + problem.kind,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    body.update(problem.extensions)
    return body


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    """A problem as a response with the problem+json media type."""
    return JSONResponse(
        problem_body(problem, instance),
        status_code=problem.status,
        headers=problem.headers,
        media_type=PROBLEM_JSON,
    )


def row_errors(errors: Iterable[RowError]) -> list[dict[str, Any]]:
    """Row errors of the file checks as ``{index, field, value, reason}``; index counts rows from 0."""
    # RowError.row counts the header as row 1, as a spreadsheet does: the first data row is 2.
    return [
        {
            "index": e.row - 2 if e.row >= 2 else None,
            "field": e.column or None,
            "value": e.value,
            "reason": e.reason,
        }
        for e in errors
    ]


def invalid_rows(errors: Sequence[RowError], what: str = "row") -> Problem:
    """A 422 naming every bad row: nothing was written."""
    rows = len({e.row for e in errors})
    return Problem(
        422,
        f"{len(errors)} error(s) in {rows} {what}(s); nothing was written.",
        kind="invalid-rows",
        title="Invalid rows",
        errors=row_errors(errors),
    )


def check_choices(values: Sequence[str], allowed: Collection[str], field: str) -> None:
    """422 naming the values of query parameter ``field`` that are not among ``allowed`` (listed in
    their own order when a sequence, sorted when a set)."""
    bad = [v for v in values if v not in allowed]
    if bad:
        shown = list(allowed) if isinstance(allowed, Sequence) else sorted(allowed)
        raise Problem(
            422,
            f"Unknown {field}: {', '.join(bad)}.",
            errors=[{"index": None, "field": f"query.{field}", "reason": f"must be one of {shown}"}],
        )


def from_portal_error(exc: PortalError) -> Problem:
    """A service's refusal as a problem; its sentence is the detail."""
    detail = str(exc) or exc.__class__.__name__
    if isinstance(exc, AuthenticationError):
        return Problem(401, detail)
    if isinstance(exc, PermissionDenied):
        return Problem(403, detail)
    if isinstance(exc, NotFound):
        return Problem(404, detail)
    if isinstance(exc, ConflictError):
        return Problem(409, detail)
    if isinstance(exc, ValidationError):
        return Problem(422, detail)
    return Problem(422, detail)


def _field(loc: Sequence[Any]) -> tuple[int | None, str]:
    """A validation error's location as (list index, dotted field): ('body', 'reports', 3, 'good_qty')."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        where = parts.pop(0)
    else:
        where = "body"
    index = None
    for i, part in enumerate(parts):
        if isinstance(part, int) and i > 0 and parts[i - 1] in ("reports", "rows", "alert_ids"):
            index = part
            break
    dotted = ".".join(str(p) for p in parts)
    return index, f"{where}.{dotted}" if dotted else where


def validation_problem(exc: RequestValidationError) -> Problem:
    """FastAPI's validation errors as a 422 (a body that is not JSON at all: 400), one entry per bad field."""
    errors = []
    malformed = False
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            malformed = True
        index, field = _field(err.get("loc", ()))
        reason = str(err.get("msg", "is invalid"))
        if err.get("type") == "extra_forbidden":
            reason = "is not a known field"
        errors.append({"index": index, "field": field, "reason": reason})
    if malformed:
        return Problem(400, "The request body is not valid JSON.", errors=errors)
    return Problem(422, f"{len(errors)} field(s) are missing or wrong; nothing was written.", errors=errors)


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(validation_problem(exc), request.url.path)

    async def on_portal_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PortalError)
        return problem_response(from_portal_error(exc), request.url.path)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No API endpoint at {request.url.path}."
        headers = dict(exc.headers or {})
        return problem_response(Problem(exc.status_code, detail, headers=headers), request.url.path)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        problem = internal_error()
        log.error(
            "API error %s on %s %s",
            problem.extensions["reference"],
            request.method,
            request.url.path,
            exc_info=exc,
        )
        return problem_response(problem, request.url.path)

    app.add_exception_handler(Exception, on_crash)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(PortalError, on_portal_error)
    app.add_exception_handler(StarletteHTTPException, on_http)


def internal_error() -> Problem:
    """A 500 with a reference for the server log; the cause stays on the server."""
    reference = uuid.uuid4().hex[:8]
    return Problem(
        500,
        f"Something went wrong on the server. Retry with the same Idempotency-Key; if it happens again, give "
        f"this reference to your administrator: {reference}.",
        reference=reference,
    )
