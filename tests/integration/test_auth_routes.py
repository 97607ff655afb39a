"""The cookie routes cannot be forced from another site: the login ticket comes only from the
browser's own cookie, and logout is a POST from a page of this site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from db.engine import Database
from db.models import utcnow
from portal.core.domain import Role
from portal.services.access import Actor
from portal.services.sessions import COOKIE_NAME, actor_from_cookie, begin_login, exchange_ticket
from portal.services.users import create_user
from portal.ui import server

SYSTEM = Actor.system("test")
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}
CROSS_SITE = {"sec-fetch-site": "cross-site"}


@pytest.fixture
def bea(db: Database) -> Actor:
    user_id = create_user(db, SYSTEM, "bea", "correct-horse-1", Role.BUYER)
    return Actor(user_id, "bea", Role.BUYER)


@pytest.fixture
def client(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setattr(server, "_database", db)
    with TestClient(Starlette(routes=server.routes()), follow_redirects=False) as client:
        yield client


def _start(
    client: TestClient,
    *,
    ticket_cookie: str | None = None,
    url_ticket: str | None = None,
    headers: dict[str, str] = SAME_ORIGIN,
) -> httpx2.Response:
    params = {"next": "/backorders"} | ({"ticket": url_ticket} if url_ticket else {})
    cookies = {server.TICKET_COOKIE: ticket_cookie} if ticket_cookie else {}
    client.cookies.clear()
    client.cookies.update(cookies)
    return client.get(server.START_PATH, params=params, headers=headers)


def test_the_ticket_the_browser_holds_in_its_cookie_logs_it_in(
    db: Database, bea: Actor, client: TestClient
) -> None:
    response = _start(client, ticket_cookie=begin_login(db, bea))
    assert (response.status_code, response.headers["location"]) == (303, "/backorders")
    actor = actor_from_cookie(db, response.cookies[COOKIE_NAME])
    assert actor is not None and actor.user_id == bea.user_id
    # The ticket cookie is deleted on the way: it has done its job.
    assert f'{server.TICKET_COOKIE}=""' in response.headers.get_list("set-cookie")[0]


def test_a_ticket_in_a_link_does_not_log_the_browser_in(db: Database, bea: Actor, client: TestClient) -> None:
    # Someone logs in, keeps the ticket and sends the link to a colleague: the colleague must not
    # end up working in that account.
    ticket = begin_login(db, bea)
    response = _start(client, url_ticket=ticket)
    assert response.status_code == 303
    assert COOKIE_NAME not in response.cookies
    assert exchange_ticket(db, ticket) is not None  # it was never even tried


def test_a_cross_site_request_is_refused_even_with_a_ticket_cookie(
    db: Database, bea: Actor, client: TestClient
) -> None:
    response = _start(client, ticket_cookie=begin_login(db, bea), headers=CROSS_SITE)
    assert COOKIE_NAME not in response.cookies


def _logged_in(db: Database, actor: Actor) -> str:
    cookie = exchange_ticket(db, begin_login(db, actor))
    assert cookie is not None
    return cookie


def _end(
    client: TestClient, cookie: str, method: str = "POST", headers: dict[str, str] = SAME_ORIGIN
) -> httpx2.Response:
    client.cookies.clear()
    client.cookies.set(COOKIE_NAME, cookie)
    return client.request(method, server.END_PATH, headers=headers)


def test_logout_from_the_portals_page_ends_the_session_and_deletes_the_cookie(
    db: Database, bea: Actor, client: TestClient
) -> None:
    cookie = _logged_in(db, bea)
    response = _end(client, cookie)
    assert (response.status_code, response.headers["location"]) == (303, "/")
    assert f'{COOKIE_NAME}=""' in response.headers["set-cookie"]
    assert actor_from_cookie(db, cookie) is None


def test_logout_by_a_link_is_not_possible(db: Database, bea: Actor, client: TestClient) -> None:
    cookie = _logged_in(db, bea)
    assert _end(client, cookie, method="GET").status_code == 405
    assert actor_from_cookie(db, cookie, now=utcnow() + dt.timedelta(seconds=1)) is not None


@pytest.mark.parametrize(
    "headers",
    [
        CROSS_SITE,
        {"sec-fetch-site": "same-site"},  # a sibling subdomain is another site for this purpose
        {"origin": "https://evil.example"},  # a browser without Fetch Metadata
        {"origin": "null"},
        {},  # neither header: not a browser on one of our pages
    ],
    ids=["cross-site", "same-site", "foreign origin", "null origin", "no headers"],
)
def test_a_logout_post_from_elsewhere_is_refused(
    db: Database, bea: Actor, client: TestClient, headers: dict[str, str]
) -> None:
    cookie = _logged_in(db, bea)
    assert _end(client, cookie, headers=headers).status_code == 403
    assert actor_from_cookie(db, cookie) is not None


def test_a_browser_without_fetch_metadata_logs_out_when_its_origin_is_this_site(
    db: Database, bea: Actor, client: TestClient
) -> None:
    cookie = _logged_in(db, bea)
    assert _end(client, cookie, headers={"origin": "http://testserver"}).status_code == 303
    assert actor_from_cookie(db, cookie) is None
