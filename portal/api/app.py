"""The portal's JSON API, a FastAPI application mounted at /api/v1 in the same server as the pages.

Every route authenticates a personal API token, then calls the same services and queries
as the browser, with the token user's Actor. Errors are RFC 9457 problems. OpenAPI at
``/api/v1/openapi.json``, interactive docs at ``/api/v1/docs``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from db.engine import Database
from portal.api import problems
from portal.api.limits import DEFAULT_MAX_BODY_BYTES, CachedSetting, GuardMiddleware, RateLimiter
from portal.api.routes import alerts, buying, lines, reports

PREFIX = "/api/v1"
DESCRIPTION = """
Machine access to the supplier portal for suppliers' ERP and shop-floor systems and buyers' purchasing
systems. Authenticate with a personal API token (`Authorization: Bearer spt_...`), made on **My account**
or with `python -m portal token create USERNAME`. A token acts as its user: a supplier user's token only
sees and changes its own supplier's lines.

* Errors are `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail`, and for bad
  input `errors`, a list of `{index, field, reason}`.
* Writes of many rows (`POST /reports`, `POST /imports/{kind}`) are all-or-nothing and accept an
  `Idempotency-Key` header for safe retries.
* Lists are paginated: `limit` and the opaque `cursor` from the previous page's `next_cursor`.
* Each token may send a limited number of requests a minute (admin setting); beyond it, 429 with
  `Retry-After`.
"""


def _settings_rate(database: Callable[[], Database]) -> Callable[[], int]:
    def read() -> int:
        from portal.services.settings import load_settings

        with database().read() as session:
            return int(load_settings(session).api_requests_per_minute)

    return CachedSetting(read)


def create_app(
    database: Callable[[], Database],
    *,
    max_body_bytes: int | None = None,
    requests_per_minute: int | Callable[[], int] | None = None,
    today: Callable[[], dt.date] = dt.date.today,
) -> Any:
    """The API as an ASGI app over ``database`` (called on first use, so the server starts without it).

    ``requests_per_minute`` overrides the admin setting (tests); ``today`` pins "today" (tests).
    """
    api = FastAPI(
        title="Supplier Portal API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        responses=problems.openapi_responses(),
    )
    api.state.database = database
    api.state.today = today
    if requests_per_minute is None:
        rate: Callable[[], int] = _settings_rate(database)
    elif callable(requests_per_minute):
        rate = requests_per_minute
    else:
        rate = lambda: int(requests_per_minute)  # noqa: E731
    api.state.rate_limiter = RateLimiter(rate)
    problems.install(api)
    for module in (lines, reports, alerts, buying):
        api.include_router(module.router)
    limit = max_body_bytes or int(os.environ.get("PORTAL_API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES))
    api.add_middleware(GuardMiddleware, max_body_bytes=limit)
    return api


__all__ = ["PREFIX", "create_app"]
