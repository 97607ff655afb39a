"""Who calls the API: a bearer token becomes the Actor of its user, with the token's id for the audit.

Only ``Authorization: Bearer <token>`` authenticates. The browser's session cookie is never
read here, so a page the user has open cannot be made to call the API on its behalf.
"""

from __future__ import annotations

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from db.engine import Database
from portal.api.problems import Problem
from portal.services.access import Actor
from portal.services.api_tokens import actor_for_token

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A personal API token (My account, or `python -m portal token create USERNAME`).",
)
UNAUTHENTICATED = (
    "The API token is missing, unknown, expired or revoked. Send 'Authorization: Bearer <token>'."
)


def database(request: Request) -> Database:
    """The portal's database, as the app was built with."""
    return request.app.state.database()


async def caller(
    request: Request,
    credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    db: Database = Depends(database),
) -> Actor:
    """The Actor of the request's token; 401 without a valid one, 429 when the token goes too fast."""
    secret = credentials.credentials if credentials is not None else ""
    actor = await run_in_threadpool(actor_for_token, db, secret) if secret else None
    if actor is None or actor.token_id is None:
        raise Problem(401, UNAUTHENTICATED, headers={"WWW-Authenticate": 'Bearer realm="portal"'})
    request.app.state.rate_limiter.check(actor.token_id)
    return actor
