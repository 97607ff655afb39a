"""The admin's hand on the outbox: send failed or waiting messages again, send a test e-mail."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from db.engine import Database
from db.models import Notification as NotificationRow
from db.models import utcnow
from portal.core import notifications as msg
from portal.core.domain import NotFound, Role, ValidationError
from portal.core.notifications import FAILED, PENDING, SENDING, SENT
from portal.i18n import _, format_utc
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.notifications.delivery import DeliveryReport, deliver_pending
from portal.services.notifications.outbox import add_email_to_outbox
from portal.services.notifications.settings import load_notify_settings
from portal.services.notifications.transport import Transport


@service(Role.ADMIN)
def retry_notifications(
    db: Database, actor: Actor, notification_ids: Collection[int], *, transport: Transport | None = None
) -> DeliveryReport:
    """Send failed or waiting messages again right now (one more attempt each)."""
    ids = sorted({int(i) for i in notification_ids})
    if not ids:
        raise ValidationError(_("Choose at least one message to retry."))
    now = utcnow()
    with db.write() as session:
        rows = list(session.scalars(select(NotificationRow).where(NotificationRow.id.in_(ids))))
        missing = set(ids) - {r.id for r in rows}
        if missing:
            raise NotFound(
                _("No notification with id {ids}.").format(ids=", ".join(map(str, sorted(missing))))
            )
        for row in rows:
            if row.status == SENT:
                raise ValidationError(
                    _("Notification {id} was already sent on {when}.").format(
                        id=row.id, when=format_utc(row.sent_at)
                    )
                )
            if row.status == SENDING:
                raise ValidationError(_("Notification {id} is being sent right now.").format(id=row.id))
            audit.record(
                session,
                actor,
                "notification.retried",
                "notification",
                row.id,
                before={"status": row.status, "attempts": row.attempts},
            )
            row.status, row.next_attempt_at = PENDING, now
        session.commit()
    return deliver_pending(db, ids=ids, transport=transport)


@dataclass(frozen=True)
class TrialEmailOutcome:
    """Whether the test e-mail went out, and the error if not."""

    sent: bool
    error: str | None


@service(Role.ADMIN)
def send_test_email(
    db: Database, actor: Actor, to: str, *, transport: Transport | None = None
) -> TrialEmailOutcome:
    """Send a test e-mail now with the current settings (one attempt, logged like any message)."""
    to = (to or "").strip()
    if not msg.is_email_address(to):
        raise ValidationError(_("'{address}' is not an e-mail address.").format(address=to))
    with db.write() as session:
        settings = load_notify_settings(session).settings
        if not settings.email_enabled:
            raise ValidationError(_("Set the SMTP host and the from address first."))
        content = msg.trial_email(settings.base_url)
        row = add_email_to_outbox(
            session, kind=msg.TEST_EMAIL, key=f"test:{uuid.uuid4().hex}", to=to, content=content, now=utcnow()
        )
        audit.record(session, actor, "notification.test", "notification", after={"to": to})
        session.flush()
        test_id = row.id
        session.commit()
    report = deliver_pending(db, ids=[test_id], transport=transport)
    with db.write() as session:
        logged = session.get(NotificationRow, test_id)
        assert logged is not None
        if logged.status != SENT:
            # A test is one attempt: no retries behind the admin's back.
            logged.status = FAILED
        outcome = TrialEmailOutcome(
            sent=logged.status == SENT, error=logged.last_error or "; ".join(report.errors) or None
        )
        session.commit()
    return outcome
