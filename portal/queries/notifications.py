"""Notification reads: the settings as the admin page shows them, a user's own choices, the suppliers a
buyer follows, the outbox log and counts, the team webhooks."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select

from db.engine import Database
from db.models import Notification as NotificationRow
from db.models import NotificationPreference, Supplier, SupplierFollow, User, Webhook
from portal.core.domain import Role
from portal.core.notifications import FAILED, PENDING, SENDING, SENT
from portal.services.access import ALL_ROLES, Actor, service
from portal.services.notifications.preferences import kinds_for
from portal.services.notifications.settings import NotifySettingsView, load_notify_settings, settings_view
from portal.services.notifications.webhooks import mask_url


@service(Role.ADMIN, writes=False)
def get_notify_settings(db: Database, actor: Actor) -> NotifySettingsView:
    """The notification settings as the admin page shows them (the password only as 'set')."""
    with db.read() as session:
        return settings_view(load_notify_settings(session))


@dataclass(frozen=True)
class MyNotifications:
    """A user's e-mail address on file and the notification kinds of their role, each on or off."""

    email: str | None
    kinds: dict[str, bool]


@service(*ALL_ROLES, writes=False)
def my_notifications(db: Database, actor: Actor) -> MyNotifications:
    """The actor's address and the notification kinds their role receives, with whether each is on."""
    kinds = kinds_for(actor)
    if actor.user_id is None:
        return MyNotifications(None, {})
    with db.read() as session:
        email = session.scalar(select(User.email).where(User.id == actor.user_id))
        off = set(
            session.scalars(
                select(NotificationPreference.kind).where(
                    NotificationPreference.user_id == actor.user_id, NotificationPreference.enabled.is_(False)
                )
            )
        )
    return MyNotifications(email or None, {kind: kind not in off for kind in kinds})


@service(Role.BUYER, writes=False)
def follow_choices(db: Database, actor: Actor) -> tuple[list[tuple[int, str]], list[int]]:
    """Every supplier as (id, 'CODE · name'), and the ids the buyer follows (none: all)."""
    with db.read() as session:
        suppliers = [
            (int(i), f"{code} · {name}")
            for i, code, name in session.execute(
                select(Supplier.id, Supplier.code, Supplier.name).order_by(Supplier.code)
            )
        ]
        followed = sorted(
            session.scalars(select(SupplierFollow.supplier_id).where(SupplierFollow.user_id == actor.user_id))
        )
    return suppliers, followed


LOG_COLUMNS = [
    "id",
    "created_at",
    "kind",
    "channel",
    "recipient",
    "subject",
    "status",
    "attempts",
    "next_attempt_at",
    "sent_at",
    "last_error",
]


@service(Role.ADMIN, writes=False)
def notification_log(db: Database, actor: Actor, status: str | None = None, limit: int = 500) -> pd.DataFrame:
    """The newest outbox rows (optionally of one status), newest first."""
    stmt = select(
        NotificationRow.id,
        NotificationRow.created_at,
        NotificationRow.kind,
        NotificationRow.channel,
        NotificationRow.recipient,
        NotificationRow.subject,
        NotificationRow.status,
        NotificationRow.attempts,
        NotificationRow.next_attempt_at,
        NotificationRow.sent_at,
        NotificationRow.last_error,
    )
    if status:
        stmt = stmt.where(NotificationRow.status == status)
    with db.read() as session:
        rows = session.execute(stmt.order_by(NotificationRow.id.desc()).limit(min(int(limit), 5000))).all()
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


@service(Role.ADMIN, writes=False)
def notification_counts(db: Database, actor: Actor) -> dict[str, int]:
    """How many outbox rows are in each status."""
    with db.read() as session:
        found = dict(
            session.execute(
                select(NotificationRow.status, func.count()).group_by(NotificationRow.status)
            ).all()
        )
    return {status: int(found.get(status, 0)) for status in (PENDING, SENDING, SENT, FAILED)}


@service(Role.ADMIN, writes=False)
def list_webhooks(db: Database, actor: Actor) -> pd.DataFrame:
    """The team webhooks with their URLs masked."""
    with db.read() as session:
        rows = session.execute(
            select(Webhook.id, Webhook.team, Webhook.url, Webhook.active, Webhook.created_at).order_by(
                Webhook.team
            )
        ).all()
    frame = pd.DataFrame(rows, columns=["id", "team", "url", "active", "created_at"])
    frame["url"] = frame["url"].map(mask_url)
    return frame
