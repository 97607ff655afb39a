"""The HTTP side of the portal: the routes that set and clear the session cookie, the process
lifespan (the optional in-app scheduler), and the friendly error handler.

Streamlit scripts cannot set an HttpOnly cookie; these two plain HTTP routes can. They run in
Streamlit's own ASGI server (``st.App``), so `streamlit run streamlit_app.py` serves both.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route

from portal.bootstrap import open_configured_database
from portal.services.sessions import COOKIE_NAME, end_session, exchange_ticket

START_PATH = "/portal-auth/start"
END_PATH = "/portal-auth/end"
log = logging.getLogger("portal")

_database = None


def _db() -> Any:
    global _database
    if _database is None:
        _database = open_configured_database()
    return _database


def safe_next(target: str | None) -> str:
    """Only a path on this site: an absolute or scheme-relative URL would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def start_url(ticket: str, next_path: str | None) -> str:
    """Where the browser goes right after a login, to exchange its ticket for the cookie."""
    return f"{START_PATH}?{urlencode({'ticket': ticket, 'next': safe_next(next_path)})}"


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


async def start_session(request: Request) -> RedirectResponse:
    """Exchange a one-time login ticket for the session cookie, then go where the user was going."""
    cookie = await run_in_threadpool(exchange_ticket, _db(), request.query_params.get("ticket", ""))
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    if cookie:
        response.set_cookie(
            COOKIE_NAME, cookie, httponly=True, samesite="lax", secure=_secure(request), path="/"
        )
    return response


async def end_session_route(request: Request) -> RedirectResponse:
    """End the session on the server and delete the cookie from the browser."""
    await run_in_threadpool(end_session, _db(), request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


def routes() -> list[BaseRoute]:
    from portal.api import PREFIX, create_app

    return [
        Route(START_PATH, start_session, methods=["GET"]),
        Route(END_PATH, end_session_route, methods=["GET"]),
        # The JSON API (bearer tokens only; the session cookie means nothing there).
        Mount(PREFIX, app=create_app(_db)),
    ]


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    """Once per process: the optional in-app schedule (PORTAL_SCHEDULER=1)."""
    from portal.services.scheduler import start_background_scheduler, stop_background_scheduler

    start_background_scheduler()
    try:
        yield
    finally:
        stop_background_scheduler()


def on_script_error(exc: Exception) -> bool:
    """Log the detail on the server; show the user a friendly message with a reference to quote."""
    reference = uuid.uuid4().hex[:8]
    log.error("page error %s", reference, exc_info=exc)
    st.error(
        "Something went wrong on this page. Nothing you saved is lost; try again, and if it happens again "
        f"give this reference to your administrator: {reference}."
    )
    return True
