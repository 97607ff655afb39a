"""Server-side login sessions referenced by a signed, HttpOnly cookie.

The flow (Streamlit cannot set an HttpOnly cookie from a script, a plain HTTP route can):

1. The login page authenticates and calls :func:`begin_login`: a session row with a one-time
   ticket (valid :data:`TICKET_TTL`). The page puts the ticket in a short-lived cookie that only
   ``/portal-auth/start`` receives and sends the browser there (see ``portal.ui.server``: a ticket
   is only taken from that cookie, so another site cannot log a visitor in with its own ticket).
2. That route calls :func:`exchange_ticket`: the ticket is burnt and a fresh random token is
   issued; the response sets the cookie ``portal_session`` = token signed with the server
   secret (itsdangerous HMAC), HttpOnly, SameSite=Lax, Secure behind HTTPS.
3. Every new Streamlit session (a browser refresh) calls :func:`actor_from_cookie`: the
   signature must verify, the token's hash must match a live session of an active user, and
   the session must have been used within the idle limit (setting ``session_idle_hours``).
4. Logout calls :func:`end_session`: the row is ended, so the cookie is worthless even if
   it was copied; a POST from the portal's own page to ``/portal-auth/end`` also deletes it
   from the browser.
5. A password change ends the user's other sessions, an admin's reset all of them
   (:func:`end_user_sessions`).

Only SHA-256 hashes of tickets and tokens are stored. The secret comes from
``PORTAL_SECRET_KEY``, else one generated once and kept in the settings table, so several
replicas sharing a database share it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets

from itsdangerous import BadSignature, Signer
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import Database, rows_changed
from db.models import Setting, User, UserSession, utcnow
from portal.services import audit
from portal.services.access import Actor, actor_for
from portal.services.settings import load_settings

COOKIE_NAME = "portal_session"
TICKET_TTL = dt.timedelta(seconds=60)
SECRET_SETTING = "session.secret"
#: last_seen_at is written at most this often per session (a page load is not a write).
TOUCH_EVERY = dt.timedelta(minutes=1)


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def session_secret(db: Database) -> str:
    """The signing secret: PORTAL_SECRET_KEY, else generated once and stored in the database."""
    configured = os.environ.get("PORTAL_SECRET_KEY", "").strip()
    if configured:
        return configured
    with db.read() as session:
        stored = session.get(Setting, SECRET_SETTING)
        if stored is not None:
            return str(stored.value)
    try:
        with db.write() as session:
            session.add(Setting(key=SECRET_SETTING, value=secrets.token_hex(32)))
            session.commit()
    except IntegrityError:
        pass  # another replica stored one first: use theirs
    with db.read() as session:
        stored = session.get(Setting, SECRET_SETTING)
        assert stored is not None, "stored just now, or by the replica that got there first"
        return str(stored.value)


def _signer(db: Database) -> Signer:
    return Signer(session_secret(db), salt="portal-session")


def begin_login(
    db: Database, actor: Actor, user_agent: str | None = None, now: dt.datetime | None = None
) -> str:
    """A one-time ticket for a user who has just proved its password (see the module doc)."""
    now = now or utcnow()
    ticket = secrets.token_urlsafe(32)
    with db.write() as session:
        session.add(
            UserSession(
                user_id=actor.user_id,
                ticket_hash=_hash(ticket),
                ticket_expires_at=now + TICKET_TTL,
                created_at=now,
                last_seen_at=now,
                user_agent=(user_agent or "")[:300] or None,
            )
        )
        audit.record(session, actor, "session.login", "user", actor.user_id)
        session.commit()
    return ticket


def exchange_ticket(db: Database, ticket: str, now: dt.datetime | None = None) -> str | None:
    """The signed cookie value for a valid, unused, unexpired ticket; None otherwise (single use)."""
    now = now or utcnow()
    if not ticket:
        return None
    token = secrets.token_urlsafe(32)
    with db.write() as session:
        row = session.scalar(select(UserSession).where(UserSession.ticket_hash == _hash(ticket)))
        if (
            row is None
            or row.ended_at is not None
            or row.ticket_expires_at is None
            or row.ticket_expires_at < now
        ):
            return None
        row.ticket_hash = None
        row.ticket_expires_at = None
        row.token_hash = _hash(token)
        row.last_seen_at = now
        session.commit()
    return _signer(db).sign(token).decode("ascii")


def _unsign(db: Database, cookie: str | None) -> str | None:
    if not cookie:
        return None
    try:
        return _signer(db).unsign(cookie).decode("ascii")
    except BadSignature:
        return None


def actor_from_cookie(db: Database, cookie: str | None, now: dt.datetime | None = None) -> Actor | None:
    """The Actor of a live session named by ``cookie``; None for a forged, ended or idle one."""
    token = _unsign(db, cookie)
    if token is None:
        return None
    now = now or utcnow()
    with db.read() as session:
        idle = dt.timedelta(hours=load_settings(session).session_idle_hours)
        found = session.execute(
            select(UserSession, User)
            .join(User, User.id == UserSession.user_id)
            .where(UserSession.token_hash == _hash(token))
        ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or not user.active:
        return None
    if now - row.last_seen_at > idle:
        _end(db, row.id, now)
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        with db.write() as session:
            session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
            session.commit()
    return actor_for(user)


def touch(db: Database, cookie: str | None, now: dt.datetime | None = None) -> bool:
    """Keep a session alive while its user works; False when it has ended or gone idle."""
    return actor_from_cookie(db, cookie, now) is not None


def _end(db: Database, session_id: int, now: dt.datetime) -> None:
    with db.write() as session:
        session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
            .values(ended_at=now)
        )
        session.commit()


def session_token_hash(db: Database, cookie: str | None) -> str | None:
    """What the database stores to name the session of ``cookie``; None for no cookie or a forged one."""
    token = _unsign(db, cookie)
    return None if token is None else _hash(token)


def end_user_sessions(
    session: Session, user_id: int, now: dt.datetime, *, keep_token_hash: str | None = None
) -> int:
    """In an open transaction: end every live session of a user (pending logins too), except the
    one named by ``keep_token_hash``; returns how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_token_hash is not None:
        stmt = stmt.where(or_(UserSession.token_hash.is_(None), UserSession.token_hash != keep_token_hash))
    return rows_changed(session.execute(stmt.values(ended_at=now)))


def end_session(db: Database, cookie: str | None, now: dt.datetime | None = None) -> bool:
    """End the session named by ``cookie`` on the server (logout); True if there was one."""
    token = _unsign(db, cookie)
    if token is None:
        return False
    now = now or utcnow()
    with db.write() as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
        if row is None or row.ended_at is not None:
            return False
        row.ended_at = now
        user = session.get(User, row.user_id)
        if user is not None:
            audit.record(session, actor_for(user), "session.logout", "user", user.id)
        session.commit()
    return True
