"""Server-side sessions: one-time tickets, signed cookies that cannot be forged or replayed, idle expiry."""

from __future__ import annotations

import datetime as dt

import pytest

from db.engine import Database
from portal.core.domain import Role
from portal.services.access import Actor
from portal.services.sessions import actor_from_cookie, begin_login, end_session, exchange_ticket
from portal.services.settings import update_settings
from portal.services.users import create_user, set_user_active

T0 = dt.datetime(2026, 3, 6, 9, 0)
SYSTEM = Actor.system("test")


@pytest.fixture
def bea(db: Database) -> Actor:
    user_id = create_user(db, SYSTEM, "bea", "correct-horse-1", Role.BUYER, display_name="Bea")
    return Actor(user_id, "bea", Role.BUYER, display_name="Bea")


def login(db: Database, actor: Actor, now: dt.datetime = T0) -> str:
    cookie = exchange_ticket(db, begin_login(db, actor, "pytest", now=now), now=now)
    assert cookie is not None
    return cookie


def test_a_ticket_gives_a_cookie_that_names_the_user(db: Database, bea: Actor) -> None:
    cookie = login(db, bea)
    actor = actor_from_cookie(db, cookie, now=T0 + dt.timedelta(minutes=5))
    assert actor is not None
    assert (actor.user_id, actor.role) == (bea.user_id, Role.BUYER)


def test_a_ticket_works_once_and_only_for_a_minute(db: Database, bea: Actor) -> None:
    ticket = begin_login(db, bea, now=T0)
    assert exchange_ticket(db, ticket, now=T0 + dt.timedelta(seconds=61)) is None
    ticket = begin_login(db, bea, now=T0)
    assert exchange_ticket(db, ticket, now=T0 + dt.timedelta(seconds=10)) is not None
    assert exchange_ticket(db, ticket, now=T0 + dt.timedelta(seconds=11)) is None


def test_a_forged_or_altered_cookie_is_refused(db: Database, bea: Actor) -> None:
    cookie = login(db, bea)
    token, signature = cookie.rsplit(".", 1)
    assert actor_from_cookie(db, f"{token}x.{signature}", now=T0) is None
    assert actor_from_cookie(db, f"{token}.{signature[:-2]}AA", now=T0) is None
    assert actor_from_cookie(db, "made-up-token.made-up-signature", now=T0) is None
    assert actor_from_cookie(db, "", now=T0) is None


def test_a_cookie_cannot_be_replayed_after_logout(db: Database, bea: Actor) -> None:
    cookie = login(db, bea)
    assert end_session(db, cookie, now=T0 + dt.timedelta(minutes=1))
    assert actor_from_cookie(db, cookie, now=T0 + dt.timedelta(minutes=2)) is None
    assert not end_session(db, cookie)


def test_a_session_expires_after_the_idle_limit_but_activity_keeps_it(db: Database, bea: Actor) -> None:
    cookie = login(db, bea)
    for hours in (2, 4, 6, 8, 10):  # used every two hours: still alive after ten
        assert actor_from_cookie(db, cookie, now=T0 + dt.timedelta(hours=hours)) is not None
    assert actor_from_cookie(db, cookie, now=T0 + dt.timedelta(hours=18, minutes=1)) is None


def test_the_idle_limit_is_a_setting(db: Database, bea: Actor) -> None:
    update_settings(db, SYSTEM, {"session_idle_hours": 1})
    cookie = login(db, bea)
    assert actor_from_cookie(db, cookie, now=T0 + dt.timedelta(minutes=61)) is None


def test_a_deactivated_users_session_stops_working(db: Database, bea: Actor) -> None:
    cookie = login(db, bea)
    assert bea.user_id is not None
    set_user_active(db, SYSTEM, bea.user_id, False)
    assert actor_from_cookie(db, cookie, now=T0) is None


def test_only_hashes_are_stored(db: Database, bea: Actor) -> None:
    from sqlalchemy import select

    from db.models import UserSession

    ticket = begin_login(db, bea, now=T0)
    cookie = exchange_ticket(db, ticket, now=T0)
    assert cookie is not None
    with db.read() as session:
        stored = session.scalars(select(UserSession.token_hash)).all()
    assert ticket not in str(stored) and cookie.split(".")[0] not in str(stored)


def test_changing_ones_password_ends_every_other_session_and_keeps_this_one(db: Database, bea: Actor) -> None:
    from portal.services.auth import change_own_password

    here, elsewhere = login(db, bea), login(db, bea)
    pending = begin_login(db, bea, now=T0)
    change_own_password(db, bea, "correct-horse-1", "another-horse-2", keep_session=here)
    assert actor_from_cookie(db, here, now=T0) is not None
    assert actor_from_cookie(db, elsewhere, now=T0) is None
    assert exchange_ticket(db, pending, now=T0) is None


def test_changing_ones_password_without_naming_the_session_ends_them_all(db: Database, bea: Actor) -> None:
    from portal.services.auth import change_own_password

    cookie = login(db, bea)
    change_own_password(db, bea, "correct-horse-1", "another-horse-2")
    assert actor_from_cookie(db, cookie, now=T0) is None


def test_an_admin_password_reset_ends_every_session_of_that_user_and_no_one_elses(
    db: Database, bea: Actor
) -> None:
    from portal.services.users import reset_password

    other_id = create_user(db, SYSTEM, "otto", "correct-horse-3", Role.BUYER)
    other = login(db, Actor(other_id, "otto", Role.BUYER))
    first, second = login(db, bea), login(db, bea)
    assert bea.user_id is not None
    reset_password(db, SYSTEM, bea.user_id, "reset-horse-4")
    assert actor_from_cookie(db, first, now=T0) is None
    assert actor_from_cookie(db, second, now=T0) is None
    assert actor_from_cookie(db, other, now=T0) is not None
