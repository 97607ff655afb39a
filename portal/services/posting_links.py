"""Posting links: a reminder's link that lets a supplier post today's output without a password.

The link carries a random secret (32 bytes); only its SHA-256 is stored, so the database alone
cannot rebuild a link and a changed character matches nothing. A link belongs to one supplier,
expires after 24 hours, can be revoked by an admin, and can do one thing: post output dated the
supplier's own today for that supplier's lines. Every post through it is audited with its id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import PostingLink, Supplier, utcnow
from portal.core.domain import NotFound, PermissionDenied, Role
from portal.core.notifications import page_link
from portal.core.timezones import supplier_today
from portal.i18n import _, format_utc
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.imports import ImportResult

#: How long a posting link works after it is made.
LINK_LIFETIME = dt.timedelta(hours=24)
#: The page a link opens (its URL path) and the query parameter holding the secret.
PAGE_PATH = "post_output"
PARAM = "link"
PREFIX = "pl_"


@dataclass(frozen=True)
class LinkGrant:
    """What a valid link allows: post for this supplier, on its own today, as this actor."""

    link_id: int
    supplier_id: int
    supplier_code: str
    supplier_name: str
    today: dt.date
    expires_at: dt.datetime
    actor: Actor


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _naive_utc(now: dt.datetime | None) -> dt.datetime:
    if now is None:
        return utcnow()
    return now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now


def issue_posting_link(
    session: Session, supplier_id: int, *, email: str | None = None, now: dt.datetime | None = None
) -> tuple[int, str]:
    """Make a link for ``supplier_id`` in the caller's transaction; returns (its id, the secret).

    The secret goes into the e-mail and nowhere else.
    """
    secret = PREFIX + secrets.token_urlsafe(32)
    created = _naive_utc(now)
    link = PostingLink(
        token_hash=_hash(secret),
        supplier_id=supplier_id,
        email=email,
        created_at=created,
        expires_at=created + LINK_LIFETIME,
    )
    session.add(link)
    session.flush()
    return link.id, secret


def link_url(base_url: str, secret: str) -> str:
    """The address of the posting page for this secret."""
    return page_link(base_url, PAGE_PATH, **{PARAM: secret})


@service(Role.ADMIN)
def create_posting_link(
    db: Database, actor: Actor, supplier_id: int, *, email: str | None = None, now: dt.datetime | None = None
) -> tuple[int, str]:
    """An admin makes a posting link by hand (the reminders make theirs); returns (id, secret)."""
    with db.write() as session:
        if session.get(Supplier, supplier_id) is None:
            raise NotFound(_("No supplier with id {supplier_id}.").format(supplier_id=supplier_id))
        link_id, secret = issue_posting_link(session, supplier_id, email=email, now=now)
        audit.record(session, actor, "posting_link.created", "posting_link", link_id, after={"email": email})
        session.commit()
    return link_id, secret


def open_posting_link(db: Database, secret: str | None, *, now: dt.datetime | None = None) -> LinkGrant:
    """What ``secret`` allows now; PermissionDenied with a sentence when it is unknown, expired or revoked."""
    # No @service: the secret itself is the credential. Unknown and tampered links read the same.
    invalid = PermissionDenied(
        _(
            "This posting link is not valid: check that the whole link from the e-mail was opened, "
            "or log in to post your output."
        )
    )
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        raise invalid
    at = _naive_utc(now)
    with db.read() as session:
        row = session.execute(
            select(PostingLink, Supplier.code, Supplier.name, Supplier.timezone)
            .join(Supplier, Supplier.id == PostingLink.supplier_id)
            .where(PostingLink.token_hash == _hash(secret))
        ).first()
    if row is None:
        raise invalid
    link, code, name, zone = row
    if link.revoked_at is not None:
        raise PermissionDenied(
            _(
                "This posting link was revoked by an administrator. Log in to post your output, "
                "or wait for the next reminder."
            )
        )
    if at >= link.expires_at:
        raise PermissionDenied(
            _(
                "This posting link expired on {expires_at} (links work for 24 hours). Log in "
                "to post your output, or use the link in your next reminder."
            ).format(expires_at=format_utc(link.expires_at))
        )
    actor = Actor(
        user_id=None,
        username=f"posting-link-{link.id}",
        role=Role.SUPPLIER,
        supplier_id=link.supplier_id,
        display_name=f"{code} (posting link #{link.id})",
        posting_link_id=link.id,
    )
    return LinkGrant(
        link_id=link.id,
        supplier_id=link.supplier_id,
        supplier_code=code,
        supplier_name=name,
        today=supplier_today(zone, now),
        expires_at=link.expires_at,
        actor=actor,
    )


def post_with_link(
    db: Database,
    secret: str | None,
    rows: pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    confirm_corrections: bool = False,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Post the supplier's output of its own today through a link: every row dated today, all or none."""
    from portal.services.production import post_reports

    grant = open_posting_link(db, secret, now=now)
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    # The link posts today's output only: any date in the rows is replaced by the supplier's today.
    frame["date"] = grant.today
    result = post_reports(
        db, grant.actor, frame, report_date=grant.today, confirm_corrections=confirm_corrections, now=now
    )
    if not result.errors and result.created:
        with db.write() as session:
            session.execute(
                update(PostingLink)
                .where(PostingLink.id == grant.link_id)
                .values(used_at=_naive_utc(now), uses=PostingLink.uses + 1)
            )
            session.commit()
    return result


@service(Role.ADMIN)
def revoke_posting_link(db: Database, actor: Actor, link_id: int) -> None:
    """Stop a posting link from working (a forwarded or leaked e-mail); audited."""
    with db.write() as session:
        link = session.get(PostingLink, link_id)
        if link is None:
            raise NotFound(_("No posting link #{link_id}.").format(link_id=link_id))
        if link.revoked_at is None:
            link.revoked_at = utcnow()
            link.revoked_by = actor.name
            audit.record(session, actor, "posting_link.revoked", "posting_link", link_id)
        session.commit()


@service(Role.ADMIN, writes=False)
def list_posting_links(db: Database, actor: Actor, *, limit: int = 200) -> pd.DataFrame:
    """The newest posting links: supplier, address, when made, expires, revoked, last used."""
    columns = ["id", "supplier", "email", "created_at", "expires_at", "revoked_at", "used_at", "uses"]
    with db.read() as session:
        rows = session.execute(
            select(
                PostingLink.id,
                Supplier.code,
                PostingLink.email,
                PostingLink.created_at,
                PostingLink.expires_at,
                PostingLink.revoked_at,
                PostingLink.used_at,
                PostingLink.uses,
            )
            .join(Supplier, Supplier.id == PostingLink.supplier_id)
            .order_by(PostingLink.id.desc())
            .limit(limit)
        ).all()
    return pd.DataFrame(rows, columns=columns)


__all__ = [
    "LINK_LIFETIME",
    "LinkGrant",
    "create_posting_link",
    "issue_posting_link",
    "link_url",
    "list_posting_links",
    "open_posting_link",
    "post_with_link",
    "revoke_posting_link",
]
