"""Delivery: claim each due outbox row under a lease, send it, record the outcome; never twice, never
lost (the at-most-once window: the package docstring)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select, update

from db.engine import Database, rows_changed
from db.models import Notification as NotificationRow
from db.models import Webhook, utcnow
from portal.core import notifications as msg
from portal.core.notifications import FAILED, PENDING, SENDING, SENT, NotifySettings
from portal.services.notifications.settings import load_notify_settings
from portal.services.notifications.transport import (
    LiveTransport,
    PermanentFailure,
    ServerUnavailable,
    Transport,
    build_email,
)

log = logging.getLogger("portal.notifications")

INTERRUPTED = (
    "Interrupted while sending (the process stopped): it may or may not have been delivered, "
    "so it is not resent by itself. Retry it if the recipient did not get it."
)


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    deferred: int = 0  # e-mails not tried because the mail server was unreachable in this run
    #: E-mails left pending, attempts untouched, because e-mail is off (sent once it is set up).
    waiting_for_email: int = 0
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"Delivered {self.sent}, retrying {self.retrying}, failed {self.failed}"
        if self.deferred:
            text += f", {self.deferred} e-mail(s) left for the next run (mail server unreachable)"
        if self.waiting_for_email:
            text += f", {self.waiting_for_email} e-mail(s) waiting until e-mail is set up"
        if self.interrupted:
            text += f", {self.interrupted} interrupted earlier (delivery unknown, shown to admins)"
        return text + "."


def _lease(settings: NotifySettings) -> dt.timedelta:
    """How long a claimed row may stay 'sending' before it counts as interrupted."""
    return dt.timedelta(seconds=2 * settings.timeout_seconds + 60)


def _claim(db: Database, notification_id: int, now: dt.datetime, settings: NotifySettings) -> dict | None:
    """pending -> sending in its own transaction; None when the row is not (or no longer) due."""
    with db.write() as session:
        row = session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.id == notification_id,
                NotificationRow.status == PENDING,
                NotificationRow.next_attempt_at <= now,
            )
            .values(
                status=SENDING, attempts=NotificationRow.attempts + 1, next_attempt_at=now + _lease(settings)
            )
            .returning(
                NotificationRow.id,
                NotificationRow.channel,
                NotificationRow.dedup_key,
                NotificationRow.subject,
                NotificationRow.payload,
                NotificationRow.attempts,
            )
            .execution_options(synchronize_session=False)
        ).first()
        if row is None:
            session.rollback()
            return None
        claimed = dict(row._mapping)
        if claimed["channel"] == "webhook":
            hook = session.get(Webhook, int(claimed["payload"]["webhook_id"]))
            claimed["url"] = hook.url if hook is not None and hook.active else None
        session.commit()
        return claimed


def _send(claimed: dict, settings: NotifySettings, transport: Transport) -> None:
    if claimed["channel"] == "webhook":
        if claimed["url"] is None:
            raise PermanentFailure("The webhook was disabled or removed before this post was sent.")
        transport.post_webhook(claimed["url"], claimed["payload"]["body"])
        return
    if not settings.email_enabled:
        raise ServerUnavailable("E-mail is not configured (SMTP host and from address).")
    transport.send_email(
        build_email(claimed, settings), parseaddr(settings.smtp_from)[1], claimed["payload"]["to"]
    )


def _record(
    db: Database,
    claimed: dict,
    now: dt.datetime,
    settings: NotifySettings,
    error: BaseException | None,
    report: DeliveryReport,
) -> None:
    """sending -> sent, or back to pending with a backoff, or failed: in its own transaction."""
    values: dict[str, Any]
    if error is None:
        values = {"status": SENT, "sent_at": now, "last_error": None}
        report.sent += 1
    else:
        text = f"{type(error).__name__}: {error}"[:2000]
        give_up = isinstance(error, PermanentFailure) or claimed["attempts"] >= settings.max_attempts
        if give_up:
            values = {"status": FAILED, "last_error": text, "next_attempt_at": now}
            report.failed += 1
        else:
            delay = msg.backoff_delay(claimed["attempts"], settings.backoff_seconds)
            values = {"status": PENDING, "last_error": text, "next_attempt_at": now + delay}
            report.retrying += 1
        report.errors.append(f"#{claimed['id']}: {text}")
    with db.write() as session:
        session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == claimed["id"], NotificationRow.status == SENDING)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def _recover_interrupted(db: Database, now: dt.datetime, report: DeliveryReport) -> None:
    """Rows left 'sending' past their lease: mark failed, never resend (the at-most-once rule)."""
    with db.write() as session:
        result = session.execute(
            update(NotificationRow)
            .where(NotificationRow.status == SENDING, NotificationRow.next_attempt_at <= now)
            .values(status=FAILED, last_error=INTERRUPTED)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    report.interrupted += rows_changed(result)


def deliver_pending(
    db: Database,
    now: dt.datetime | None = None,
    *,
    ids: Collection[int] | None = None,
    transport: Transport | None = None,
    limit: int = 1000,
) -> DeliveryReport:
    """Send the due outbox rows (or just ``ids``); failures are recorded and retried, never raised."""
    report = DeliveryReport()
    clock = (lambda: now) if now is not None else utcnow
    try:
        with db.read() as session:
            settings = load_notify_settings(session).settings
        _recover_interrupted(db, clock(), report)
        stmt = select(NotificationRow.id, NotificationRow.channel).where(
            NotificationRow.status == PENDING, NotificationRow.next_attempt_at <= clock()
        )
        if ids is not None:
            stmt = stmt.where(NotificationRow.id.in_([int(i) for i in ids]))
        with db.read() as session:
            due = session.execute(stmt.order_by(NotificationRow.id).limit(limit)).all()
    except Exception as exc:
        log.exception("notification delivery could not start")
        report.errors.append(f"Delivery could not start: {exc}")
        return report
    if not due:
        return report
    transport = transport or LiveTransport(settings)
    mail_server_down = False
    try:
        for notification_id, channel in due:
            if channel == "email" and not settings.email_enabled:
                # Queued while e-mail is off (a change order's e-mails): they wait, unclaimed and with
                # their attempts untouched, and go out at the first delivery after e-mail is set up.
                report.waiting_for_email += 1
                continue
            if channel == "email" and mail_server_down:
                # Unclaimed, attempts untouched: an unreachable server (each try waiting for the
                # timeout) must not hold the run up, nor use up every message's attempts.
                report.deferred += 1
                continue
            try:
                claimed = _claim(db, notification_id, clock(), settings)
                if claimed is None:
                    continue
                try:
                    _send(claimed, settings, transport)
                except Exception as exc:
                    mail_server_down = mail_server_down or isinstance(exc, ServerUnavailable)
                    _record(db, claimed, clock(), settings, exc, report)
                else:
                    _record(db, claimed, clock(), settings, None, report)
            except Exception as exc:
                # The database itself failed: the row stays as it is and the next run sorts it out.
                log.exception("notification %s: bookkeeping failed", notification_id)
                report.errors.append(f"#{notification_id}: {exc}")
    finally:
        try:
            transport.close()
        except Exception:
            log.debug("closing the transport failed", exc_info=True)
    return report
