"""Logins: argon2, one generic message, lockout after five failures in a row, password changes."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core.domain import AuthenticationError, PermissionDenied, Role, ValidationError
from portal.services.access import Actor
from portal.services.auth import authenticate, change_own_password
from portal.services.users import create_user, reset_password, set_user_active

SYSTEM = Actor.system("test")
T0 = dt.datetime(2026, 3, 6, 9, 0)


@pytest.fixture
def buyer(db):  # type: ignore[no-untyped-def]
    create_user(db, SYSTEM, "Bea", "correct-horse-1", Role.BUYER, display_name="Bea Buyer")
    return "bea"


def test_valid_credentials_give_the_users_actor(db, buyer) -> None:  # type: ignore[no-untyped-def]
    actor = authenticate(db, "BEA", "correct-horse-1", now=T0)
    assert (actor.username, actor.role, actor.display_name) == ("bea", Role.BUYER, "Bea Buyer")


@pytest.mark.parametrize(
    ("username", "password"), [("bea", "wrong-password"), ("nobody", "whatever-1"), ("", "")]
)
def test_every_failure_gets_the_same_message(db, buyer, username, password) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(AuthenticationError) as failure:
        authenticate(db, username, password, now=T0)
    assert str(failure.value) == "Invalid username or password, or the account is locked. Try again later."


def test_five_failures_in_a_row_lock_the_account_for_fifteen_minutes(db, buyer) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "correct-horse-1", now=T0 + dt.timedelta(minutes=14))
    assert authenticate(db, "bea", "correct-horse-1", now=T0 + dt.timedelta(minutes=16)).username == "bea"


def test_a_success_resets_the_failure_count(db, buyer) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    authenticate(db, "bea", "correct-horse-1", now=T0)
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    assert authenticate(db, "bea", "correct-horse-1", now=T0).username == "bea"


def test_a_deactivated_user_cannot_log_in(db, buyer) -> None:  # type: ignore[no-untyped-def]
    admin_id = create_user(db, SYSTEM, "root", "admin-password-1", Role.ADMIN)
    admin = Actor(admin_id, "root", Role.ADMIN)
    bea = authenticate(db, "bea", "correct-horse-1", now=T0)
    set_user_active(db, admin, bea.user_id, False)
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "correct-horse-1", now=T0)


def test_a_user_changes_its_own_password(db, buyer) -> None:  # type: ignore[no-untyped-def]
    bea = authenticate(db, "bea", "correct-horse-1", now=T0)
    with pytest.raises(ValidationError, match="current password"):
        change_own_password(db, bea, "not-it-at-all", "another-horse-2")
    with pytest.raises(ValidationError, match="at least 10"):
        change_own_password(db, bea, "correct-horse-1", "short")
    change_own_password(db, bea, "correct-horse-1", "another-horse-2")
    assert authenticate(db, "bea", "another-horse-2", now=T0).user_id == bea.user_id


def test_only_an_admin_resets_passwords(db, buyer) -> None:  # type: ignore[no-untyped-def]
    bea = authenticate(db, "bea", "correct-horse-1", now=T0)
    with pytest.raises(PermissionDenied):
        reset_password(db, bea, bea.user_id, "new-password-99")


def test_a_password_is_stored_as_an_argon2_hash(db, buyer) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from db.models import User

    with db.read() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "bea"))
    assert stored.startswith("$argon2id$")
    assert "correct-horse-1" not in stored


def test_parallel_wrong_guesses_lock_the_account_and_the_right_password_is_then_refused(db, buyer) -> None:  # type: ignore[no-untyped-def]
    import threading

    from argon2 import PasswordHasher

    from portal.services import auth

    # A hash that takes a little while, so parallel guesses overlap as they do in production.
    guessers, rounds = 10, 3
    start = threading.Barrier(guessers)
    failures: list[BaseException] = []

    def guess(index: int) -> None:
        for attempt in range(rounds):
            start.wait()
            try:
                authenticate(db, "bea", f"wrong-guess-{index}-{attempt}", now=T0)
            except AuthenticationError:
                continue
            except BaseException as exc:  # anything but a refusal fails the test below
                failures.append(exc)

    original = auth._hasher
    auth._hasher = PasswordHasher(time_cost=2, memory_cost=16 * 1024)
    try:
        bea_id = authenticate(db, "bea", "correct-horse-1", now=T0).user_id
        reset_password(db, SYSTEM, bea_id, "correct-horse-1")  # stored with the slower parameters
        threads = [threading.Thread(target=guess, args=(i,)) for i in range(guessers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        auth._hasher = original
    assert failures == []
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "correct-horse-1", now=T0 + dt.timedelta(minutes=1))
    assert authenticate(db, "bea", "correct-horse-1", now=T0 + dt.timedelta(minutes=16)).username == "bea"
