"""The HTTP side of the portal: the routes that set and clear the session cookie, the process
lifespan (the optional in-app scheduler), and the friendly error handler.

Streamlit scripts cannot set an HttpOnly cookie; these two plain HTTP routes can. They run in
Streamlit's own ASGI server (``st.App``), so `streamlit run streamlit_app.py` serves both.

Neither can be forced from another site:

* **Login.** The login page's script (server side) gets the one-time ticket and sends the page a
  few lines of JavaScript that put it in a cookie only :data:`START_PATH` receives (SameSite=Strict,
  a minute long) and then go there. The route reads the ticket from that cookie and never from
  the URL. Another site can link to the route, but it cannot put a cookie in a visitor's browser,
  so it cannot log the visitor in as someone else (its own account, say, to harvest what they
  type). The ticket is tied to the browser that asked for it, and is never in a URL, a log or a
  Referer.
* **Logout.** Only a POST, and only from a page of this site: the browser's ``Sec-Fetch-Site``
  header must say ``same-origin`` (browsers without it: the ``Origin`` header must name this host).
  The Log out button's script submits that POST.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode, urlsplit

import streamlit as st
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from portal.bootstrap import open_configured_database
from portal.services.sessions import COOKIE_NAME, TICKET_TTL, end_session, exchange_ticket

START_PATH = "/portal-auth/start"
END_PATH = "/portal-auth/end"
#: The cookie that carries a login ticket from the login page to :data:`START_PATH`, and only there.
TICKET_COOKIE = "portal_login_ticket"
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


def start_url(next_path: str | None) -> str:
    """Where the browser goes right after a login, to exchange its ticket for the cookie."""
    return f"{START_PATH}?{urlencode({'next': safe_next(next_path)})}"


def login_script(ticket: str, next_path: str | None) -> str:
    """JavaScript for the login page: keep the ticket in a cookie only the start route gets, go there."""
    max_age = int(TICKET_TTL.total_seconds())
    cookie = f"{TICKET_COOKIE}={ticket}; path={START_PATH}; max-age={max_age}; samesite=strict"
    # JSON-quoted: the ticket is URL-safe base64 and the path passed safe_next, but quote anyway.
    return (
        f"document.cookie = {json.dumps(cookie)} + (location.protocol === 'https:' ? '; secure' : '');"
        f"window.location.replace({json.dumps(start_url(next_path))});"
    )


def logout_script() -> str:
    """JavaScript for the Log out button: POST to the end route (a link could be forged elsewhere)."""
    return (
        "(() => { const form = document.createElement('form');"
        f"form.method = 'post'; form.action = {json.dumps(END_PATH)};"
        "document.body.appendChild(form); form.submit(); })();"
    )


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


def from_this_site(request: Request) -> bool:
    """Whether a request comes from a page of this site: Fetch Metadata, else the Origin header."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return False
    hosts = {request.headers.get("host"), request.headers.get("x-forwarded-host")}
    return urlsplit(origin).netloc in hosts - {None}


async def start_session(request: Request) -> RedirectResponse:
    """Exchange the login ticket this browser holds for the session cookie, then go to the page asked for."""
    ticket = request.cookies.get(TICKET_COOKIE, "")
    cross_site = request.headers.get("sec-fetch-site") in ("cross-site", "same-site")
    cookie = None
    if ticket and not cross_site:
        cookie = await run_in_threadpool(exchange_ticket, _db(), ticket)
    response = RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
    response.delete_cookie(TICKET_COOKIE, path=START_PATH, samesite="strict")
    if cookie:
        response.set_cookie(
            COOKIE_NAME, cookie, httponly=True, samesite="lax", secure=_secure(request), path="/"
        )
    return response


async def end_session_route(request: Request) -> Response:
    """End the session on the server and delete the cookie from the browser (a POST from this site)."""
    if not from_this_site(request):
        return PlainTextResponse("Log out from the portal's own page.", status_code=403)
    await run_in_threadpool(end_session, _db(), request.cookies.get(COOKIE_NAME))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response


def routes() -> list[BaseRoute]:
    from portal.api import PREFIX, create_app

    return [
        Route(START_PATH, start_session, methods=["GET"]),
        Route(END_PATH, end_session_route, methods=["POST"]),
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
