"""Logins and passwords: argon2 hashes, one generic failure message, lockout after repeated failures."""

from __future__ import annotations

import datetime as dt
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from db.engine import Database
from db.models import User, utcnow
from portal.core.domain import AuthenticationError, ValidationError
from portal.services import audit
from portal.services.access import ALL_ROLES, Actor, service

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10


def _make_hasher() -> PasswordHasher:
    """argon2id with the library's defaults; PORTAL_ARGON2_TIME_COST / _MEMORY_KIB tune it for the host."""
    defaults = PasswordHasher()
    return PasswordHasher(
        time_cost=int(os.environ.get("PORTAL_ARGON2_TIME_COST", defaults.time_cost)),
        memory_cost=int(os.environ.get("PORTAL_ARGON2_MEMORY_KIB", defaults.memory_cost)),
    )


_hasher = _make_hasher()
# Verified against when the username is unknown, so the answer takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-real-password-dummy")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` after checking it is acceptable."""
    check_password_strength(password)
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if password.strip() != password or not password.strip():
        raise ValidationError("The password must not start or end with spaces.")


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_for(user: User) -> Actor:
    """The Actor a logged-in user acts as."""
    return Actor(
        user_id=user.id,
        username=user.username,
        role=user.role,
        supplier_id=user.supplier_id,
        display_name=user.display_name,
    )


def authenticate(db: Database, username: str, password: str, now: dt.datetime | None = None) -> Actor:
    """The Actor for valid credentials; AuthenticationError (one message for every cause) otherwise.

    Five failures in a row lock the account for 15 minutes; a login during the lock
    fails like a wrong password, whatever the password.
    """
    now = now or utcnow()
    username = (username or "").strip().lower()
    with db.write() as session:
        user = session.scalar(select(User).where(func.lower(User.username) == username))
        if user is None:
            _verify(_DUMMY_HASH, password or "")
            raise AuthenticationError()
        locked = user.locked_until is not None and user.locked_until > now
        if locked or not user.active:
            _verify(_DUMMY_HASH, password or "")
            raise AuthenticationError()
        if not _verify(user.password_hash, password or ""):
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
            raise AuthenticationError()
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
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
def change_own_password(db: Database, actor: Actor, current_password: str, new_password: str) -> None:
    """A user changes its own password, proving it knows the current one."""
    if actor.user_id is None:
        raise ValidationError("Only a logged-in user can change its password.")
    with db.write() as session:
        user = session.get(User, actor.user_id)
        if user is None or not _verify(user.password_hash, current_password or ""):
            raise ValidationError("The current password is not right.")
        if current_password == new_password:
            raise ValidationError("The new password must differ from the current one.")
        user.password_hash = hash_password(new_password)
        audit.record(session, actor, "user.password_changed", "user", user.id)
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
