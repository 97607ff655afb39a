"""Safe retries: a write sent with an ``Idempotency-Key`` runs once; a retry gets the first answer.

The key is reserved (one row per user and key) before the write runs and completed with the
answer after it. A retry with the same key and the same request gets the stored answer
(header ``Idempotent-Replayed: true``) without writing; the same key with another request
is a 422; a retry while the first is still running is a 409. A write that was refused
(any error) releases its key, so the corrected request can use it again. A reservation left
by a crashed server is taken over after ``ABANDONED_AFTER``. Keys are kept ``KEPT_FOR``: a user's
older keys are forgotten when it reserves a new one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from db.engine import Database
from db.models import ApiIdempotencyKey, utcnow
from portal.api.problems import Problem
from portal.services.access import Actor

HEADER = "Idempotency-Key"
ABANDONED_AFTER = dt.timedelta(minutes=5)
KEPT_FOR = dt.timedelta(days=7)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
HEADER_DESCRIPTION = (
    "Any unique string (a UUID is fine) naming this write. Retrying with the same key and body returns "
    "the first answer without writing again; the same key with another body is a 422."
)


@dataclass(frozen=True)
class Stored:
    """The first answer to a keyed request."""

    status: int
    body: Any


def request_hash(method: str, path: str, payload: bytes) -> str:
    """What makes two requests the same: method, path and body."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), payload):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """The key, or a 422 when it is not 1 to 200 visible ASCII characters."""
    if not _KEY_RE.fullmatch(key):
        raise Problem(
            422,
            "An Idempotency-Key is 1 to 200 visible ASCII characters (a UUID is fine).",
            errors=[{"index": None, "field": "header.Idempotency-Key", "reason": "is not a valid key"}],
        )
    return key


def reserve(
    db: Database, actor: Actor, key: str, digest: str, now: dt.datetime | None = None
) -> Stored | None:
    """Reserve ``key`` for this request; the stored answer when it already ran; a Problem on misuse."""
    now = now or utcnow()
    for _ in range(2):
        try:
            with db.write() as session:
                row = session.scalar(
                    select(ApiIdempotencyKey)
                    .where(ApiIdempotencyKey.user_id == actor.user_id, ApiIdempotencyKey.key == key)
                    .with_for_update()
                )
                if row is None:
                    session.execute(
                        delete(ApiIdempotencyKey).where(
                            ApiIdempotencyKey.user_id == actor.user_id,
                            ApiIdempotencyKey.created_at < now - KEPT_FOR,
                        )
                    )
                    session.add(
                        ApiIdempotencyKey(
                            user_id=actor.user_id,
                            key=key,
                            token_id=actor.token_id,
                            request_hash=digest,
                            created_at=now,
                        )
                    )
                    session.commit()
                    return None
                if row.request_hash != digest:
                    raise Problem(
                        422,
                        "This Idempotency-Key was already used for another request; use a new key for a new "
                        "request. Nothing was written.",
                        kind="idempotency-key-reused",
                        title="Idempotency-Key reused",
                    )
                if row.status_code is not None:
                    return Stored(row.status_code, row.response)
                if now - row.created_at < ABANDONED_AFTER:
                    raise Problem(
                        409,
                        "A request with this Idempotency-Key is still running; retry in a few seconds.",
                        kind="idempotency-key-in-use",
                        title="Idempotency-Key in use",
                        headers={"Retry-After": "2"},
                    )
                row.created_at = now  # abandoned by a crash: take it over
                row.token_id = actor.token_id
                session.commit()
                return None
        except IntegrityError:
            continue  # another request inserted the same key at the same moment: read it
    raise Problem(409, "A request with this Idempotency-Key is still running; retry in a few seconds.")


def complete(db: Database, actor: Actor, key: str, status: int, body: Any) -> None:
    """Store the answer of the keyed request."""
    with db.write() as session:
        row = session.scalar(
            select(ApiIdempotencyKey).where(
                ApiIdempotencyKey.user_id == actor.user_id, ApiIdempotencyKey.key == key
            )
        )
        if row is not None:
            row.status_code = status
            row.response = body
            session.commit()


def release(db: Database, actor: Actor, key: str) -> None:
    """Forget the reservation of a refused request, so its corrected version can reuse the key."""
    with db.write() as session:
        session.execute(
            delete(ApiIdempotencyKey).where(
                ApiIdempotencyKey.user_id == actor.user_id,
                ApiIdempotencyKey.key == key,
                ApiIdempotencyKey.status_code.is_(None),
            )
        )
        session.commit()


async def once(
    db: Database,
    actor: Actor,
    key: str | None,
    digest: str,
    operation: Callable[[], Awaitable[tuple[int, Any]]],
) -> JSONResponse:
    """Run ``operation`` (returning status and JSON body) once per key; without a key, every time."""
    if key is None:
        status, body = await operation()
        return JSONResponse(body, status_code=status)
    key = check_key(key)
    stored = await run_in_threadpool(reserve, db, actor, key, digest)
    if stored is not None:
        return JSONResponse(stored.body, status_code=stored.status, headers={"Idempotent-Replayed": "true"})
    try:
        status, body = await operation()
    except BaseException:
        await run_in_threadpool(release, db, actor, key)
        raise
    await run_in_threadpool(complete, db, actor, key, status, body)
    return JSONResponse(body, status_code=status)
