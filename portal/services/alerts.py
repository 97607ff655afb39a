"""Working alerts: acknowledge, snooze until a date, resolve, comment (one at a time or in bulk).

Buyers and admins work every alert. A supplier user may read and reply on the alerts of
its own supplier's lines (the "communicate regularly" loop), never on backorder alerts,
which name customers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from db.engine import Database
from db.models import Alert, AlertComment, User, utcnow
from portal.core.domain import AlertStatus, NotFound, PermissionDenied, Role, ValidationError
from portal.core.inputs.fields import bounded_text
from portal.core.parsing import CONTROL_CHARACTER, control_characters
from portal.i18n import _
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.planning.lock import share_planning_lock
from portal.services.planning.problems import refresh_problems
from portal.services.planning.seen import Pass, as_of_column, last_seen_column, latest_passes
from portal.services.settings import load_settings

MAX_COMMENT_LENGTH = 4000
MAX_BULK = 1000


def _load(session: Session, actor: Actor, alert_ids: Collection[int]) -> list[Alert]:
    ids = sorted({int(i) for i in alert_ids})
    if not ids:
        raise ValidationError(_("Choose at least one alert."))
    if len(ids) > MAX_BULK:
        raise ValidationError(_("At most {max_bulk} alerts at once.").format(max_bulk=MAX_BULK))
    alerts = list(
        session.scalars(
            select(Alert).where(Alert.id.in_(ids)).order_by(Alert.id).with_for_update(key_share=True)
        )
    )
    missing = set(ids) - {a.id for a in alerts}
    if missing:
        raise NotFound(_("No alert with id {ids}.").format(ids=", ".join(map(str, sorted(missing)))))
    for alert in alerts:
        check_alert_visible(actor, alert)
    return alerts


def check_alert_visible(actor: Actor, alert: Alert) -> None:
    """Refuse a supplier user an alert about another supplier or about a customer backorder."""
    if actor.is_supplier and (alert.supplier_id != actor.supplier_id or alert.backorder_id is not None):
        raise PermissionDenied(_("This alert belongs to another supplier."))


def _state(alert: Alert) -> dict[str, object]:
    return {"status": alert.status.value, "snoozed_until": alert.snoozed_until}


def _change_each(
    db: Database,
    actor: Actor,
    alert_ids: Collection[int],
    action: str,
    applies: Callable[[Alert], bool],
    change: Callable[[Alert], None],
    today: dt.date | None = None,
) -> int:
    """``change`` each alert that it ``applies`` to, with its audit event ``action``, in one
    transaction, and keep their subjects' inbox problems; returns how many changed."""
    with db.write() as session:
        # The inbox problems this keeps are a sweep's too: wait for a running one, as a post does.
        share_planning_lock(session)
        changed = 0
        subjects: set[str] = set()
        for alert in _load(session, actor, alert_ids):
            if not applies(alert):
                continue
            before = _state(alert)
            change(alert)
            audit.record(
                session,
                actor,
                action,
                "alert",
                alert.id,
                before=before,
                after=_state(alert),
                po_line_id=alert.po_line_id,
            )
            changed += 1
            subjects.add(alert.subject_key)
        refresh_problems(session, today or dt.date.today(), subjects)
        session.commit()
        return changed


@service(Role.BUYER, Role.ADMIN)
def acknowledge_alerts(db: Database, actor: Actor, alert_ids: Collection[int]) -> int:
    """Acknowledge open alerts ("I have seen it and I am on it"); returns how many changed."""

    def acknowledge(alert: Alert) -> None:
        alert.status = AlertStatus.ACKNOWLEDGED
        alert.acknowledged_by_id = actor.user_id
        alert.acknowledged_at = utcnow()

    return _change_each(
        db, actor, alert_ids, "alert.acknowledged", lambda a: a.status is AlertStatus.OPEN, acknowledge
    )


@service(Role.BUYER, Role.ADMIN)
def snooze_alerts(
    db: Database, actor: Actor, alert_ids: Collection[int], until: dt.date, today: dt.date | None = None
) -> int:
    """Hide live alerts from the inbox until ``until`` (they keep being updated meanwhile)."""
    today = today or dt.date.today()
    if until <= today:
        raise ValidationError(_("Snooze until a date after today ({date}).").format(date=today.isoformat()))
    if until > today + dt.timedelta(days=366):
        raise ValidationError(_("Snooze for at most a year."))

    def snooze(alert: Alert) -> None:
        alert.snoozed_until = until

    return _change_each(
        db, actor, alert_ids, "alert.snoozed", lambda a: a.status is not AlertStatus.RESOLVED, snooze, today
    )


@service(Role.BUYER, Role.ADMIN)
def unsnooze_alerts(db: Database, actor: Actor, alert_ids: Collection[int]) -> int:
    """Show snoozed alerts again now."""

    def unsnooze(alert: Alert) -> None:
        alert.snoozed_until = None

    return _change_each(
        db, actor, alert_ids, "alert.unsnoozed", lambda a: a.snoozed_until is not None, unsnooze
    )


@service(Role.BUYER, Role.ADMIN)
def resolve_alerts(db: Database, actor: Actor, alert_ids: Collection[int]) -> int:
    """Resolve alerts by hand: "dismissed until it gets worse".

    Each alert remembers its severity and days late now; while its condition holds, the next
    recomputes keep it closed unless it materially worsens (setting ``alert_reopen_days``, or a
    higher severity), and then a new alert opens saying why. Once the condition clears, the
    dismissal ends, and the condition coming back opens a new alert as usual.
    """

    passes: list[Pass] | None = None  # the sweep passes, read once for every alert of this call

    def resolve(alert: Alert) -> None:
        # Its last_seen and as_of as shown until now, written in: no later sweep pass covers it.
        nonlocal passes
        session = object_session(alert)
        assert session is not None
        if passes is None:
            passes = latest_passes(session)
        shown = session.execute(
            select(last_seen_column(passes), as_of_column(passes)).where(Alert.id == alert.id)
        ).one()
        alert.last_seen, alert.as_of = shown
        alert.status = AlertStatus.RESOLVED
        alert.resolved_by_id = actor.user_id
        alert.resolved_at = utcnow()
        alert.dismissed_severity = alert.severity.value
        alert.dismissed_days_late = alert.days_late

    return _change_each(
        db, actor, alert_ids, "alert.resolved", lambda a: a.status is not AlertStatus.RESOLVED, resolve
    )


def _comment_text(body: str) -> str:
    text = bounded_text(
        body,
        MAX_COMMENT_LENGTH,
        missing=_("Write a comment first."),
        too_long=lambda given: _(
            "A comment has at most {max_comment_length} characters ({given} given)."
        ).format(max_comment_length=MAX_COMMENT_LENGTH, given=given),
    )
    # PostgreSQL refuses NUL in text (a traceback, not a message); escapes would reach terminals.
    if control_characters(pd.Series([text]), line_breaks_allowed=True).iloc[0]:
        raise ValidationError(
            _("The comment {control_character}.").format(control_character=CONTROL_CHARACTER)
        )
    return text


def _add_comment(session: Session, actor: Actor, alert: Alert, text: str) -> AlertComment:
    comment = AlertComment(alert_id=alert.id, author_id=actor.user_id, author_name=actor.name, body=text)
    session.add(comment)
    session.flush()
    audit.record(
        session,
        actor,
        "alert.commented",
        "alert",
        alert.id,
        after={"comment": text},
        po_line_id=alert.po_line_id,
    )
    return comment


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def comment_on_alert(db: Database, actor: Actor, alert_id: int, body: str) -> int:
    """Add a comment (a buyer's note, or a supplier's reply) to an alert; returns the comment id."""
    text = _comment_text(body)
    with db.write() as session:
        [alert] = _load(session, actor, [alert_id])
        comment = _add_comment(session, actor, alert, text)
        session.commit()
        return comment.id


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def comment_on_alerts(db: Database, actor: Actor, alert_ids: Collection[int], body: str) -> int:
    """Add the same comment to several alerts at once (all or none); returns how many got it."""
    text = _comment_text(body)
    with db.write() as session:
        alerts = _load(session, actor, alert_ids)
        for alert in alerts:
            _add_comment(session, actor, alert, text)
        session.commit()
        return len(alerts)


def _new_visit(user: User, now: dt.datetime, idle: dt.timedelta) -> bool:
    """Whether a look at ``now`` begins a new visit: the first look since the user's last login,
    or (no login recorded, e.g. the company identity provider) the first look after ``idle``."""
    seen = user.alerts_seen_at
    if seen is None:
        return True
    if user.last_login_at is not None and seen < user.last_login_at:
        return True
    return now - seen > idle


@service(Role.BUYER, Role.ADMIN, Role.MANAGER, Role.SUPPLIER)
def mark_alerts_seen(db: Database, actor: Actor, at: dt.datetime | None = None) -> dt.datetime | None:
    """Remember that the user looks at its alerts now; returns the end of its previous visit (None: never).

    A visit is a login: every look during it (a refresh or a new tab is a new Streamlit session)
    counts "new" from the same moment, the last look of the visit before, never from this
    login's first page.
    """
    if actor.user_id is None:
        return None
    now = at or utcnow()
    with db.write() as session:
        user = session.get(User, actor.user_id)
        previous = None
        if user is not None:
            idle = dt.timedelta(hours=load_settings(session).session_idle_hours)
            if _new_visit(user, now, idle):
                user.previous_visit_at = user.alerts_seen_at
            user.alerts_seen_at = now
            previous = user.previous_visit_at
        session.commit()
        return previous
