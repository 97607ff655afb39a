"""Logins: argon2, one generic message, lockout after five failures in a row, password changes."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from typing import Any

import pytest

from db.engine import Database
from portal.core.domain import AuthenticationError, PermissionDenied, Role, ValidationError
from portal.services import auth
from portal.services.access import Actor
from portal.services.auth import authenticate, change_own_password
from portal.services.login_limits import LoginLimiter, LoginLimits
from portal.services.users import create_user, reset_password, set_user_active

SYSTEM = Actor.system("test")
T0 = dt.datetime(2026, 3, 6, 9, 0)


@pytest.fixture
def buyer(db: Database) -> str:
    create_user(db, SYSTEM, "Bea", "correct-horse-1", Role.BUYER, display_name="Bea Buyer")
    return "bea"


def test_valid_credentials_give_the_users_actor(db: Database, buyer: str) -> None:
    actor = authenticate(db, "BEA", "correct-horse-1", now=T0)
    assert (actor.username, actor.role, actor.display_name) == ("bea", Role.BUYER, "Bea Buyer")


@pytest.mark.parametrize(
    ("username", "password"), [("bea", "wrong-password"), ("nobody", "whatever-1"), ("", "")]
)
def test_every_failure_gets_the_same_message(db: Database, buyer: str, username: str, password: str) -> None:
    with pytest.raises(AuthenticationError) as failure:
        authenticate(db, username, password, now=T0)
    assert str(failure.value) == "Invalid username or password, or the account is locked. Try again later."


def test_five_failures_in_a_row_lock_the_account_for_fifteen_minutes(db: Database, buyer: str) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "correct-horse-1", now=T0 + dt.timedelta(minutes=14))
    assert authenticate(db, "bea", "correct-horse-1", now=T0 + dt.timedelta(minutes=16)).username == "bea"


def test_a_success_resets_the_failure_count(db: Database, buyer: str) -> None:
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    authenticate(db, "bea", "correct-horse-1", now=T0)
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    assert authenticate(db, "bea", "correct-horse-1", now=T0).username == "bea"


def test_a_deactivated_user_cannot_log_in(db: Database, buyer: str) -> None:
    admin_id = create_user(db, SYSTEM, "root", "admin-password-1", Role.ADMIN)
    admin = Actor(admin_id, "root", Role.ADMIN)
    bea = authenticate(db, "bea", "correct-horse-1", now=T0)
    assert bea is not None and bea.user_id is not None
    set_user_active(db, admin, bea.user_id, False)
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "correct-horse-1", now=T0)


def test_a_user_changes_its_own_password(db: Database, buyer: str) -> None:
    bea = authenticate(db, "bea", "correct-horse-1", now=T0)
    with pytest.raises(ValidationError, match="current password"):
        change_own_password(db, bea, "not-it-at-all", "another-horse-2")
    with pytest.raises(ValidationError, match="at least 10"):
        change_own_password(db, bea, "correct-horse-1", "short")
    change_own_password(db, bea, "correct-horse-1", "another-horse-2")
    assert authenticate(db, "bea", "another-horse-2", now=T0).user_id == bea.user_id


def test_only_an_admin_resets_passwords(db: Database, buyer: str) -> None:
    bea = authenticate(db, "bea", "correct-horse-1", now=T0)
    assert bea is not None and bea.user_id is not None
    with pytest.raises(PermissionDenied):
        reset_password(db, bea, bea.user_id, "new-password-99")


def test_a_password_is_stored_as_an_argon2_hash(db: Database, buyer: str) -> None:
    from sqlalchemy import select

    from db.models import User

    with db.read() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "bea"))
        assert stored is not None
    assert stored.startswith("$argon2id$")
    assert "correct-horse-1" not in stored


def test_parallel_wrong_guesses_lock_the_account_and_the_right_password_is_then_refused(
    db: Database, buyer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from argon2 import PasswordHasher

    from portal.services import auth

    # The lockout must hold on its own: the rate limits are per process, replicas each have theirs.
    monkeypatch.setattr(auth, "LOGIN_LIMITER", LoginLimiter(LoginLimits(per_address=0, per_username=0)))
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

    # A hash that takes a little while, so parallel guesses overlap as they do in production.
    original = auth._hasher
    auth._hasher = PasswordHasher(time_cost=2, memory_cost=16 * 1024)
    try:
        bea = authenticate(db, "bea", "correct-horse-1", now=T0)
        assert bea is not None and bea.user_id is not None
        bea_id = bea.user_id
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


@pytest.fixture
def password_checks(db: Database, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every password check, as the number of database connections checked out while it ran."""
    checks: list[int] = []
    original = auth._verify

    def verify(password_hash: str, password: str) -> bool:
        checks.append(db.engine.pool.checkedout())  # type: ignore[attr-defined]  # QueuePool's count; Pool does not declare it
        return original(password_hash, password)

    monkeypatch.setattr(auth, "_verify", verify)
    return checks


@pytest.mark.parametrize(
    ("username", "password"),
    [("nobody", "whatever-1"), ("bea", "wrong-password"), ("bea", "correct-horse-1")],
    ids=["unknown user", "wrong password", "right password"],
)
def test_a_password_is_checked_with_no_database_connection_held(
    db: Database, buyer: str, password_checks: list[int], username: str, password: str
) -> None:
    with contextlib.suppress(AuthenticationError):
        authenticate(db, username, password, now=T0)
    # No connection held means no transaction open: on SQLite, no write lock while argon2 runs.
    assert password_checks == [0]


def test_a_password_check_during_a_lockout_holds_no_database_connection(
    db: Database, buyer: str, password_checks: list[int]
) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    password_checks.clear()
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "correct-horse-1", now=T0)
    assert password_checks == [0]


def _limit(monkeypatch: pytest.MonkeyPatch, **limits: Any) -> None:
    no_pause = dt.timedelta(0)  # the pause itself is a unit test's business
    monkeypatch.setattr(auth, "LOGIN_LIMITER", LoginLimiter(LoginLimits(**limits, refusal_delay=no_pause)))


def test_an_address_over_its_limit_is_refused_even_the_right_password(
    db: Database, buyer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, per_address=3, per_username=0)
    for name in ("ann", "bob", "cid"):  # spraying usernames that do not even exist
        with pytest.raises(AuthenticationError):
            authenticate(db, name, "guess-password", now=T0, client_address="203.0.113.9")
    with pytest.raises(AuthenticationError) as refused:
        authenticate(db, "bea", "correct-horse-1", now=T0, client_address="203.0.113.9")
    assert str(refused.value) == "Invalid username or password, or the account is locked. Try again later."
    assert authenticate(db, "bea", "correct-horse-1", now=T0, client_address="198.51.100.7").username == "bea"
    later = T0 + dt.timedelta(minutes=16)
    assert (
        authenticate(db, "bea", "correct-horse-1", now=later, client_address="203.0.113.9").username == "bea"
    )


def test_a_username_over_its_limit_is_refused_from_every_address(
    db: Database, buyer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, per_address=0, per_username=3)
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0, client_address=address)
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "correct-horse-1", now=T0, client_address="198.51.100.7")
    assert authenticate(db, "bea", "correct-horse-1", now=T0 + dt.timedelta(minutes=16)).username == "bea"


def test_a_limited_attempt_computes_no_hash_and_writes_nothing(
    db: Database, buyer: str, monkeypatch: pytest.MonkeyPatch, password_checks: list[int]
) -> None:
    from sqlalchemy import select

    from db.models import AuditEvent, User

    _limit(monkeypatch, per_address=0, per_username=2)
    for _ in range(6):
        with pytest.raises(AuthenticationError):
            authenticate(db, "bea", "wrong-password", now=T0)
    assert len(password_checks) == 2
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == "bea")).one()
        locks = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.locked")).all()
    assert (user.failed_logins, user.locked_until, locks) == (2, None, [])


def test_successful_logins_do_not_count_against_the_limits(
    db: Database, buyer: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _limit(monkeypatch, per_address=2, per_username=2)
    for _ in range(5):  # an office behind one address, logging in all morning
        assert (
            authenticate(db, "bea", "correct-horse-1", now=T0, client_address="203.0.113.9").username == "bea"
        )
    with pytest.raises(AuthenticationError):
        authenticate(db, "bea", "wrong-password", now=T0, client_address="203.0.113.9")
    assert authenticate(db, "bea", "correct-horse-1", now=T0, client_address="203.0.113.9").username == "bea"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux's")
def test_passwords_are_hashed_in_worker_threads_that_yield_the_cpu_to_pages() -> None:
    import os

    def niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, 0)  # Linux: the calling thread's

    assert auth._hashing(niceness) > niceness()
