"""HTTP hardening around Streamlit's own server: security headers on every response, and
Streamlit's ``/_stcore/metrics`` closed to the public.

Both are plain ASGI middleware passed to ``st.App(middleware=...)`` (streamlit_app.py), so they
wrap every route: Streamlit's pages, static files, health and upload endpoints, and the portal's
own session routes. Websocket traffic passes through untouched.
"""

from __future__ import annotations

import hmac
import re

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.config import load_config

#: Sent with every HTTP response. The page may not be framed by any site (clickjacking: a hidden
#: "Post" or "Log out" button under a decoy); browsers never guess a file's type from its bytes;
#: links to other sites do not carry our URLs (which name lines) in the Referer.
SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
_ENCODED = [
    (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
]
_REPLACED = {name for name, _ in _ENCODED if name != b"content-security-policy"}

METRICS_SUFFIX = "/_stcore/metrics"


class SecurityHeadersMiddleware:
    """Add :data:`SECURITY_HEADERS` to every HTTP response (replacing any the app set itself)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A second Content-Security-Policy would be enforced alongside the app's own
                # (browsers apply both); the other headers take one value, so ours replaces theirs.
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _REPLACED]
                message = {**message, "headers": kept + _ENCODED}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def is_metrics_path(path: str) -> bool:
    """Whether ``path`` names Streamlit's metrics endpoint (under any base URL path, any slashes)."""
    return re.sub(r"/+", "/", "/" + path).rstrip("/").endswith(METRICS_SUFFIX)


class MetricsGuardMiddleware:
    """Answer 404 on ``/_stcore/metrics`` unless the request carries the configured bearer token.

    Streamlit serves its metrics (sessions, caches, memory) to anyone; they tell an outsider how
    busy the portal is and what it caches. With ``PORTAL_METRICS_TOKEN`` unset nobody gets them;
    with it set, a scraper sends ``Authorization: Bearer <token>``.
    """

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token or None

    def _allowed(self, scope: Scope) -> bool:
        if self.token is None:
            return False
        given = Headers(scope=scope).get("authorization", "")
        scheme, _, credentials = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode("utf-8"), self.token.encode("utf-8")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_metrics_path(scope.get("path", "")) and not self._allowed(scope):
            # 404, not 401/403: an outsider learns nothing about what is there.
            await PlainTextResponse("Not Found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def middleware() -> list[Middleware]:
    """The middleware for ``st.App``: headers outermost, so refusals carry them too."""
    return [
        Middleware(SecurityHeadersMiddleware),
        Middleware(MetricsGuardMiddleware, token=load_config().metrics_token),
    ]
