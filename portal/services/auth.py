"""Logins and passwords: argon2 hashes, one generic failure message, lockout after repeated failures."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from db.engine import Database
from db.models import User, utcnow
from portal.core.domain import AuthenticationError, ValidationError
from portal.i18n import _
from portal.services import audit
from portal.services.access import ALL_ROLES, Actor, actor_for, service
from portal.services.login_limits import LoginLimiter
from portal.services.sessions import end_user_sessions, session_token_hash

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
#: How much lower than the page threads the hashing threads run (Linux niceness, 0-19). At 19 a
#: hash got about 1.5% of a core on a saturated machine, so an honest login took tens of seconds
#: (seen in browser tests under a full suite); at 10 it gets about a tenth of a core, and a flood
#: still yields to pages and writes (bench/login_flood.py measured 10 and 19).
HASHING_NICENESS = 10
T = TypeVar("T")


def _make_hasher() -> PasswordHasher:
    """argon2id with the library's defaults; PORTAL_ARGON2_TIME_COST / _MEMORY_KIB tune it for the host."""
    defaults = PasswordHasher()
    return PasswordHasher(
        time_cost=int(os.environ.get("PORTAL_ARGON2_TIME_COST", defaults.time_cost)),
        memory_cost=int(os.environ.get("PORTAL_ARGON2_MEMORY_KIB", defaults.memory_cost)),
    )


def _lower_priority() -> None:
    # Linux keeps a nice value per thread: these threads (and the lanes argon2 starts from them)
    # give way to the threads serving pages and writes when the CPU is short. Elsewhere a thread
    # id is no process id, so leave the priority alone.
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASHING_NICENESS)


#: Every argon2 computation runs here: at most PORTAL_ARGON2_WORKERS at once (default 2), at a
#: lower CPU priority, so a login flood queues for these threads instead of taking every core
#: from the people posting their reports.
_HASHING = ThreadPoolExecutor(
    max_workers=int(os.environ.get("PORTAL_ARGON2_WORKERS", "2")),
    thread_name_prefix="argon2",
    initializer=_lower_priority,
)


def _hashing(fn: Callable[..., T], *args: str) -> T:
    """Run ``fn`` (an argon2 computation) in a hashing thread and wait for its result."""
    return _HASHING.submit(fn, *args).result()


_hasher = _make_hasher()
#: Failed attempts per client address and per username, counted in this process (see login_limits).
LOGIN_LIMITER = LoginLimiter()
# Verified against when the username is unknown, so the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password-dummy")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` after checking it is acceptable."""
    check_password_strength(password)
    return _hashing(_hasher.hash, password)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            _("The password must have at least {min_password_length} characters.").format(
                min_password_length=MIN_PASSWORD_LENGTH
            )
        )
    if password.strip() != password or not password.strip():
        raise ValidationError(_("The password must not start or end with spaces."))


def _verify(password_hash: str, password: str) -> bool:
    return _hashing(_verify_now, password_hash, password)


def _verify_now(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and locked_until > now


def authenticate(
    db: Database,
    username: str,
    password: str,
    now: dt.datetime | None = None,
    *,
    client_address: str | None = None,
) -> Actor:
    """The Actor for valid credentials; AuthenticationError (one message for every cause) otherwise.

    Five failures in a row lock the account for 15 minutes; a login during the lock
    fails like a wrong password, whatever the password. Too many failures from one client
    address or at one username (:data:`LOGIN_LIMITER`) are refused the same way, before any
    hash is computed and without touching the database.

    The argon2 check runs with no transaction open (on SQLite a write transaction holds the
    database's only write lock, and a hash takes a while): one short read, the check, then a
    short write only when there is something to record. The write locks the user's row and
    counts from what is stored, so parallel guesses cannot lose each other's failures.
    """
    now = now or utcnow()
    username = (username or "").strip().lower()
    password = password or ""
    if not LOGIN_LIMITER.try_acquire(username, client_address, now):
        LOGIN_LIMITER.pause_after_refusal()
        raise AuthenticationError()
    with db.read() as session:
        found = session.execute(
            select(User.id, User.password_hash, User.active, User.locked_until).where(
                func.lower(User.username) == username
            )
        ).first()
    if found is None or not found.active or _locked(found.locked_until, now):
        _verify(_DUMMY_HASH, password)  # the answer takes as long as for a real attempt
        raise AuthenticationError()
    if not _verify(found.password_hash, password):
        _count_failure(db, found.id, now)
        raise AuthenticationError()
    rehashed = _hashing(_hasher.hash, password) if _hasher.check_needs_rehash(found.password_hash) else None
    actor = _record_success(db, found.id, found.password_hash, rehashed, now)
    if actor is None:
        raise AuthenticationError()
    LOGIN_LIMITER.release(username, client_address, now)  # only failures count
    return actor


def _count_failure(db: Database, user_id: int, now: dt.datetime) -> None:
    """One more failure in a row, under the row's lock; the fifth locks the account."""
    with db.write() as session:
        user = session.scalar(select(User).where(User.id == user_id).with_for_update())
        if user is None or _locked(user.locked_until, now):
            return  # a parallel guess locked it first: the lock already counts for this one
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit.record(
                session,
                Actor.system("login"),
                "user.locked",
                "user",
                user.id,
                after={"username": user.username, "locked_until": user.locked_until},
            )
        session.commit()


def _record_success(
    db: Database, user_id: int, verified_hash: str, rehashed: str | None, now: dt.datetime
) -> Actor | None:
    """Record a login whose password checked out; None when, meanwhile, the account was locked,
    deactivated or given another password (the check then proves nothing)."""
    with db.write() as session:
        user = session.scalar(select(User).where(User.id == user_id).with_for_update())
        if (
            user is None
            or not user.active
            or _locked(user.locked_until, now)
            or user.password_hash != verified_hash
        ):
            return None
        if user.failed_logins or user.locked_until is not None:
            user.failed_logins = 0
            user.locked_until = None
        user.last_login_at = now
        if rehashed is not None:
            user.password_hash = rehashed
        actor = actor_for(user)
        session.commit()
        return actor


def actor_for_identity(db: Database, email: str) -> Actor | None:
    """The Actor of the active user whose e-mail the company identity provider vouched for (st.login).

    The provider proves who the person is; the portal's user table says what they may do
    (role, supplier). An e-mail without an active user gets nothing.
    """
    email = (email or "").strip().lower()
    if not email:
        return None
    with db.read() as session:
        users = session.scalars(select(User).where(func.lower(User.email) == email, User.active)).all()
    # Two users sharing an e-mail would make the role ambiguous: refuse rather than guess.
    return actor_for(users[0]) if len(users) == 1 else None


@service(*ALL_ROLES)
def change_own_password(
    db: Database, actor: Actor, current_password: str, new_password: str, *, keep_session: str | None = None
) -> None:
    """A user changes its own password, proving it knows the current one; its other sessions end.

    ``keep_session`` is the session cookie of the browser making the change: that session goes
    on, every other one (another browser, a stolen cookie, a pending login) ends.
    """
    if actor.user_id is None:
        raise ValidationError(_("Only a logged-in user can change its password."))
    with db.read() as session:
        stored = session.scalar(select(User.password_hash).where(User.id == actor.user_id))
    # Both hashes are computed with no transaction open (see authenticate).
    if stored is None or not _verify(stored, current_password or ""):
        raise ValidationError(_("The current password is not right."))
    if current_password == new_password:
        raise ValidationError(_("The new password must differ from the current one."))
    new_hash = hash_password(new_password)
    keep = session_token_hash(db, keep_session)
    with db.write() as session:
        user = session.scalar(select(User).where(User.id == actor.user_id).with_for_update())
        if user is None or user.password_hash != stored:  # changed meanwhile, elsewhere
            raise ValidationError(_("The current password is not right."))
        user.password_hash = new_hash
        ended = end_user_sessions(session, user.id, utcnow(), keep_token_hash=keep)
        audit.record(
            session, actor, "user.password_changed", "user", user.id, after={"sessions_ended": ended}
        )
        session.commit()


@service(*ALL_ROLES, writes=False)
def current_user_still_valid(db: Database, actor: Actor) -> bool:
    """Whether the actor's account still exists and is active (checked on every page load)."""
    if actor.user_id is None:
        return True
    with db.read() as session:
        user = session.get(User, actor.user_id)
        return bool(
            user and user.active and user.role == actor.role and user.supplier_id == actor.supplier_id
        )
