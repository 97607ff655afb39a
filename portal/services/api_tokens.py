"""Personal API tokens: made and revoked by their user (or an admin, or the command line), shown once.

A token acts as its user: the same role, the same supplier, the same services and checks as
the browser. Only the SHA-256 of the secret is stored (the secret has 256 random bits, so a
plain hash is enough: there is nothing to guess), and every change it makes is audited with
its id. A token stops working when it expires, is revoked, or its user is deactivated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, replace

import pandas as pd
from sqlalchemy import func, select, update

from db.engine import Database
from db.models import ApiToken, User, utcnow
from portal.core.domain import NotFound, PermissionDenied, Role, ValidationError
from portal.core.inputs.fields import bounded_text
from portal.i18n import _
from portal.services import audit
from portal.services.access import ALL_ROLES, Actor, service
from portal.services.auth import actor_for

#: Every secret starts with this, so scanners and people recognise a leaked portal token.
SECRET_PREFIX = "spt_"
MAX_EXPIRY_DAYS = 730
MAX_NAME_LENGTH = 80
#: last_used_at is written at most this often per token: a busy client must not cost a write per call.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
TOKEN_COLUMNS = [
    "token_id",
    "name",
    "prefix",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "state",
]


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``secret`` is shown this once and never stored."""

    token_id: int
    username: str
    name: str
    secret: str
    expires_at: dt.datetime | None


def hash_secret(secret: str) -> str:
    """The stored form of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _state(token: ApiToken, now: dt.datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


@service(*ALL_ROLES)
def create_api_token(
    db: Database,
    actor: Actor,
    name: str,
    *,
    expires_days: int | None = 90,
    username: str | None = None,
    now: dt.datetime | None = None,
) -> NewToken:
    """Make a token for the actor (an admin, the command line: for ``username``); its secret is shown once."""
    now = now or utcnow()
    name = bounded_text(
        name,
        MAX_NAME_LENGTH,
        missing=_("Give the token a name (what it is for, e.g. 'ERP nightly upload')."),
        too_long=lambda given: _(
            "A token name has at most {max_name_length} characters ({given} given)."
        ).format(max_name_length=MAX_NAME_LENGTH, given=given),
    )
    if expires_days is not None and not 1 <= int(expires_days) <= MAX_EXPIRY_DAYS:
        raise ValidationError(
            _("A token expires after 1 to {max_expiry_days} days ({expires_days} given).").format(
                max_expiry_days=MAX_EXPIRY_DAYS, expires_days=expires_days
            )
        )
    with db.write() as session:
        if username is None or (actor.user_id is not None and username.lower() == actor.username.lower()):
            user = session.get(User, actor.user_id) if actor.user_id is not None else None
            if user is None:
                raise ValidationError(_("Name the user the token is for."))
        else:
            if actor.role is not Role.ADMIN:
                raise PermissionDenied(_("Only an admin makes tokens for other users."))
            user = session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
            if user is None:
                raise NotFound(_("No user '{username}'.").format(username=username))
        if not user.active:
            raise ValidationError(_("User '{username}' is deactivated.").format(username=user.username))
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        expires_at = now + dt.timedelta(days=int(expires_days)) if expires_days is not None else None
        token = ApiToken(
            user_id=user.id,
            name=name,
            prefix=secret[:10],
            token_hash=hash_secret(secret),
            created_at=now,
            created_by=actor.name,
            expires_at=expires_at,
        )
        session.add(token)
        session.flush()
        audit.record(
            session,
            actor,
            "api_token.created",
            "api_token",
            token.id,
            after={"user": user.username, "name": name, "prefix": token.prefix, "expires_at": expires_at},
        )
        session.commit()
        return NewToken(token.id, user.username, name, secret, expires_at)


@service(*ALL_ROLES)
def revoke_api_token(db: Database, actor: Actor, token_id: int, *, now: dt.datetime | None = None) -> bool:
    """Revoke one of the actor's tokens (an admin: anyone's); False when it was already revoked."""
    now = now or utcnow()
    with db.write() as session:
        token = session.get(ApiToken, int(token_id))
        if token is None:
            raise NotFound(_("No API token with id {token_id}.").format(token_id=token_id))
        if actor.role is not Role.ADMIN and token.user_id != actor.user_id:
            raise PermissionDenied(_("This API token belongs to another user."))
        if token.revoked_at is not None:
            return False
        token.revoked_at = now
        audit.record(
            session,
            actor,
            "api_token.revoked",
            "api_token",
            token.id,
            before={"name": token.name, "prefix": token.prefix},
        )
        session.commit()
        return True


@service(*ALL_ROLES, writes=False)
def my_api_tokens(db: Database, actor: Actor, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """The actor's own tokens, newest first, with their state (active, expired, revoked)."""
    now = now or utcnow()
    with db.read() as session:
        tokens = session.scalars(
            select(ApiToken).where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id.desc())
        ).all()
        rows = [
            (t.id, t.name, t.prefix, t.created_at, t.created_by, t.expires_at, t.last_used_at, _state(t, now))
            for t in tokens
        ]
    return pd.DataFrame(rows, columns=TOKEN_COLUMNS)


def actor_for_token(db: Database, secret: str, *, now: dt.datetime | None = None) -> Actor | None:
    """The Actor a bearer secret acts as (with its token id), or None when unknown, expired or revoked."""
    # Not a @service: this is how an API caller becomes an Actor, before there is one.
    now = now or utcnow()
    if not secret or not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
        return None
    digest = hash_secret(secret)
    with db.read() as session:
        row = session.execute(
            select(ApiToken, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == digest)
        ).first()
        if row is None:
            return None
        token, user = row
        if _state(token, now) != "active" or not user.active:
            return None
        actor = replace(actor_for(user), token_id=token.id)
        stale = token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION
    if stale:
        with db.write() as session:
            session.execute(update(ApiToken).where(ApiToken.id == actor.token_id).values(last_used_at=now))
            session.commit()
    return actor


__all__ = [
    "NewToken",
    "actor_for_token",
    "create_api_token",
    "hash_secret",
    "my_api_tokens",
    "revoke_api_token",
]
