"""The outbox rows and the alerts they speak of: how an alert is named and linked in a message, which
alerts a buyer would see, who opted out, and the dedup keys already written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.frames import enum_value
from db.models import Alert, Backorder, NotificationPreference, PoLine, Supplier, User
from db.models import Notification as NotificationRow
from portal.core import notifications as msg
from portal.core.batching import chunked
from portal.core.domain import AlertStatus
from portal.core.notifications import PENDING, AlertItem, EmailContent


def alert_columns() -> tuple[Any, ...]:
    """The columns :func:`alert_item` reads, by name (select them with
    :func:`db.joins.with_alert_subjects`)."""
    return (
        Alert.id.label("alert_id"),
        Alert.rule,
        Alert.severity,
        Alert.message,
        Alert.message_args,
        Alert.reopen_reason,
        Alert.reopen_args,
        Alert.po_line_id.label("line_id"),
        Supplier.code.label("supplier_code"),
        PoLine.label.label("line_label"),
        Backorder.order_ref,
    )


def alert_item(row: Any, base_url: str, previous: str | None = None) -> AlertItem:
    """An alert as a message names and links it: its line, its backorder, else its supplier."""
    alert_id, supplier_code, order_ref = row.alert_id, row.supplier_code, row.order_ref
    if row.line_id is not None:
        subject, link = row.line_label, msg.line_link(base_url, int(row.line_id))
    elif order_ref is not None:
        subject, link = order_ref, msg.page_link(base_url, "backorders", order=order_ref)
    else:
        # Supplier alerts live in the alert inbox, the buyer's home page.
        subject, link = supplier_code or f"alert {alert_id}", msg.page_link(base_url)
    return AlertItem(
        alert_id=int(alert_id),
        rule=str(row.rule),
        severity=str(enum_value(row.severity)),
        message=row.message,
        subject=subject,
        link=link,
        supplier_code=supplier_code,
        previous_severity=previous,
        reopen_reason=getattr(row, "reopen_reason", None) or None,
        message_args=getattr(row, "message_args", None),
        reopen_args=getattr(row, "reopen_args", None),
    )


def visible_open(as_of: dt.date) -> Any:
    """Open and not snoozed past as_of: what a buyer would see in the inbox that day."""
    return (Alert.status == AlertStatus.OPEN) & (
        Alert.snoozed_until.is_(None) | (Alert.snoozed_until <= as_of)
    )


def opted_out(kind: str) -> Any:
    return (
        select(NotificationPreference.user_id)
        .where(
            NotificationPreference.user_id == User.id,
            NotificationPreference.kind == kind,
            NotificationPreference.enabled.is_(False),
        )
        .exists()
    )


def add_to_outbox(
    session: Session,
    *,
    channel: str,
    kind: str,
    key: str,
    recipient: str,
    subject: str,
    payload: dict,
    now: dt.datetime,
) -> NotificationRow:
    row = NotificationRow(
        channel=channel,
        kind=kind,
        dedup_key=key,
        recipient=recipient,
        subject=subject[:300],
        payload=payload,
        status=PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    return row


def add_email_to_outbox(
    session: Session,
    *,
    kind: str,
    key: str,
    to: str,
    content: EmailContent,
    now: dt.datetime,
    **extra: object,
) -> NotificationRow:
    """An e-mail to ``to`` into the outbox: its subject, and its text and HTML (and ``extra``) as payload."""
    payload = {"to": to, "text": content.text, "html": content.html, **extra}
    return add_to_outbox(
        session,
        channel="email",
        kind=kind,
        key=key,
        recipient=to,
        subject=content.subject,
        payload=payload,
        now=now,
    )


def existing_keys(session: Session, keys: list[str]) -> set[str]:
    """The dedup keys among ``keys`` that the outbox already holds."""
    found: set[str] = set()
    stmt = select(NotificationRow.dedup_key)
    for chunk in chunked(keys):
        found |= set(session.scalars(stmt.where(NotificationRow.dedup_key.in_(chunk))))
    return found
