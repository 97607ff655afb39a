"""What protects the server: a body size limit, a per-token rate limit, and no traceback in any answer."""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.api.problems import PROBLEM_JSON, Problem, internal_error, problem_body

log = logging.getLogger("portal.api")

#: 10 MiB: a 20,000-row import file, far above any day's output.
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024


class GuardMiddleware:
    """Outermost layer of the API: refuses bodies over ``max_body_bytes`` (413) and turns a crash into a 500.

    The size is checked on Content-Length before reading, and counted while reading, so a
    chunked upload without a length is cut off too. A crash is logged with its traceback under
    a reference; the client gets the reference only (inside the app, its Exception handler
    answers and logs first; this catches what escapes it).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("root_path", "") + scope.get("path", "")
        limit = self.max_body_bytes
        detail = f"The request body is larger than {limit:,} bytes."
        too_large = Problem(413, detail, max_bytes=limit)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _send_problem(send, too_large, path)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI lets an HTTPException raised while reading the body through to its handler.
                    raise HTTPException(413, detail)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if not started and exc.status_code == 413:
                await _send_problem(send, too_large, path)
            elif not started:
                raise
        except Exception:
            if started:
                return  # the app's own handler answered and logged it
            problem = internal_error()
            log.exception("API error %s on %s %s", problem.extensions["reference"], scope.get("method"), path)
            await _send_problem(send, problem, path)


async def _send_problem(send: Send, problem: Problem, path: str) -> None:
    body = json.dumps(problem_body(problem, path)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per API token: ``per_minute`` requests a minute, in bursts of up to that many.

    ``per_minute`` is a function, so the admin setting applies without a restart. The buckets
    live in this process: with several replicas each allows the rate (see the README).
    """

    def __init__(self, per_minute: Callable[[], int], clock: Callable[[], float] = time.monotonic) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def check(self, token_id: int) -> None:
        """Take one request from the token's bucket; raise a 429 problem with Retry-After when it is empty."""
        rate = max(1, int(self._per_minute()))
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(token_id)
            if bucket is None:
                bucket = self._buckets[token_id] = _Bucket(tokens=float(rate), updated=now)
            bucket.tokens = min(float(rate), bucket.tokens + (now - bucket.updated) * rate / 60.0)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return
            wait = math.ceil((1.0 - bucket.tokens) * 60.0 / rate)
        raise Problem(
            429,
            f"This token may send {rate} request(s) a minute; retry in {wait} s.",
            headers={"Retry-After": str(wait)},
            retry_after=wait,
        )


class CachedSetting:
    """A setting read from the database at most once a minute (the rate limit is checked on every call)."""

    def __init__(
        self, read: Callable[[], int], ttl: float = 60.0, clock: Callable[[], float] = time.monotonic
    ):
        self._read = read
        self._ttl = ttl
        self._clock = clock
        self._value: int | None = None
        self._at = 0.0

    def __call__(self) -> int:
        now = self._clock()
        if self._value is None or now - self._at >= self._ttl:
            self._value = int(self._read())
            self._at = now
        return self._value
