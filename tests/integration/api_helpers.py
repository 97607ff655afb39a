"""The API under test: the small world swept as of TODAY, a token per caller, a client on the ASGI app."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from db.engine import Database
from portal.api import create_app
from portal.services.access import Actor
from portal.services.api_tokens import create_api_token
from portal.services.planning import sweep
from tests.builders import SmallWorld, small_world

#: The API's today: the small world's reports end on Friday 6 March; by Wednesday 11 ACME's line has alerts.
TODAY = dt.date(2026, 3, 11)
#: The callers of the authorization matrix, by username of the small world.
USERNAMES = {"own": "acme", "other": "bolt", "buyer": "buyer", "manager": "manager", "admin": "admin"}


@dataclass
class Api:
    """A client on the API app, the world behind it, and a bearer header per caller."""

    db: Database
    world: SmallWorld
    client: TestClient
    tokens: dict[str, str]
    token_ids: dict[str, int]

    def auth(self, who: str) -> dict[str, str]:
        """The Authorization header of ``who``'s token."""
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, who: str, path: str, **kwargs: Any) -> httpx2.Response:
        return self.client.get(path, headers={**self.auth(who), **kwargs.pop("headers", {})}, **kwargs)

    def post(self, who: str, path: str, **kwargs: Any) -> httpx2.Response:
        return self.client.post(path, headers={**self.auth(who), **kwargs.pop("headers", {})}, **kwargs)

    def put(self, who: str, path: str, **kwargs: Any) -> httpx2.Response:
        return self.client.put(path, headers={**self.auth(who), **kwargs.pop("headers", {})}, **kwargs)


def make_api(
    db: Database,
    *,
    requests_per_minute: int | Callable[[], int] | None = 100_000,
    max_body_bytes: int | None = None,
    today: dt.date = TODAY,
) -> Iterator[Api]:
    """The small world, swept as of ``today``, behind a fresh API app (rate None: the admin setting)."""
    world = small_world(db)
    sweep(db, world.admin, today)
    system = Actor.system("test")
    made = {
        who: create_api_token(db, system, f"{who} test", username=name) for who, name in USERNAMES.items()
    }
    app = create_app(
        lambda: db,
        requests_per_minute=requests_per_minute,
        max_body_bytes=max_body_bytes,
        today=lambda: today,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(
            db=db,
            world=world,
            client=client,
            tokens={who: t.secret for who, t in made.items()},
            token_ids={who: t.token_id for who, t in made.items()},
        )


@pytest.fixture
def api(db: Database) -> Iterator[Api]:
    """The API over the small world on SQLite and PostgreSQL."""
    yield from make_api(db)


def is_problem(response: httpx2.Response, status: int) -> bool:
    """Whether ``response`` is an RFC 9457 problem with ``status`` (and no traceback in it)."""
    body = response.json()
    return (
        response.status_code == status
        and response.headers["content-type"].startswith("application/problem+json")
        and body["status"] == status
        and {"type", "title", "detail"} <= set(body)
        and "Traceback" not in response.text
    )
