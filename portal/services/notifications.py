"""Notifications: plan them into the outbox after a sweep, deliver them, never twice, never lost.

How a message travels:

1. **Plan** (:func:`plan_notifications`, one transaction). Planning reads the *state*, not the
   last sweep's events: every open alert whose current severity is above what a buyer was
   already told (``alert_notifications``) goes into that buyer's digest, whether the alert came
   from a sweep or from a supplier's report in between. The message is written to the
   ``notifications`` outbox (status pending, unique ``dedup_key``) together with the
   ``alert_notifications`` rows that say it was announced, in the same transaction: the
   decision and the message commit or vanish together. A crash before the commit loses nothing
   (the next run plans the same message again, with the same dedup key); two planners at once
   cannot both commit it (unique dedup key and primary keys).
2. **Deliver** (:func:`deliver_pending`). Each due row is claimed (pending -> sending, attempts + 1)
   in a short transaction, sent, then marked sent (or pending with a backoff, or failed after
   the last attempt) in a second short transaction. Rows already sent are never picked again.
3. **The at-most-once window** lies between those two transactions: if the process dies after
   claiming a row, the row stays "sending" with a lease; once the lease is over, the next run
   marks it failed with "interrupted: delivery unknown" instead of resending it, so nobody gets
   a message twice. The admin page shows it and "Retry now" sends it again; the Message-ID is
   derived from the dedup key, so a mail client recognises a repeat as the same message.

Nothing in notifications can undo or block a sweep: :func:`sweep_and_notify` commits the sweep
first and catches every failure after it; delivery failures are retried with exponential
backoff and shown to admins.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
import ssl
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, Protocol
from urllib.parse import urlsplit

import pandas as pd
import requests
from sqlalchemy import Select, case, delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import (
    Alert,
    AlertNotification,
    Backorder,
    NotificationPreference,
    PoLine,
    Setting,
    Supplier,
    SupplierContact,
    SupplierFollow,
    User,
    Webhook,
    utcnow,
)
from db.models import Notification as NotificationRow
from portal.core import notifications as msg
from portal.core.domain import AlertRule, AlertStatus, NotFound, Role, Severity, ValidationError
from portal.core.notifications import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    AlertItem,
    NotifySettings,
    ResolvedNotifySettings,
)
from portal.core.timezones import local_time
from portal.i18n import language
from portal.services import audit, planning
from portal.services.access import ALL_ROLES, Actor, service
from portal.services.locks import SWEEP_LOCK, job_lock
from portal.services.posting_links import issue_posting_link, link_url

log = logging.getLogger("portal.notifications")

#: A digest shows at most this many alerts (critical first); the rest are one click away.
DIGEST_LIMIT = 200
INTERRUPTED = (
    "Interrupted while sending (the process stopped): it may or may not have been delivered, "
    "so it is not resent by itself. Retry it if the recipient did not get it."
)
CHUNK = 1000


# ============================================================================ settings


def load_notify_settings(session: Session, env: Mapping[str, str] | None = None) -> ResolvedNotifySettings:
    """The effective notification settings: the settings page over PORTAL_* variables over defaults."""
    stored = dict(
        session.execute(
            select(Setting.key, Setting.value).where(
                or_(Setting.key.startswith("smtp."), Setting.key.startswith("notify."))
            )
        ).all()
    )
    return msg.resolve_notify_settings(stored, os.environ if env is None else env)


@dataclass(frozen=True)
class NotifySettingsView:
    """What the admin page shows: values (never the password), where each comes from, problems."""

    values: dict[str, Any]
    sources: dict[str, str]
    password_set: bool
    problems: list[str]
    email_enabled: bool


def _view(resolved: ResolvedNotifySettings) -> NotifySettingsView:
    s = resolved.settings
    values = {key: getattr(s, msg.SETTING_FIELDS[key]) for key in msg.NOTIFY_SPECS}
    values["smtp.password"] = ""
    return NotifySettingsView(
        values, resolved.sources, bool(s.smtp_password), resolved.problems, s.email_enabled
    )


@service(Role.ADMIN, writes=False)
def get_notify_settings(db: Database, actor: Actor) -> NotifySettingsView:
    """The notification settings as the admin page shows them (the password only as 'set')."""
    with db.read() as session:
        return _view(load_notify_settings(session))


@service(Role.ADMIN)
def update_notify_settings(db: Database, actor: Actor, changes: Mapping[str, Any]) -> NotifySettingsView:
    """Validate and store changed notification settings; an empty value removes the override."""
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        empty = value is None or str(value).strip() == ""
        checked[key] = None if empty else msg.validate_notify_setting(key, value)
        if empty and key not in msg.NOTIFY_SPECS:
            raise ValidationError(f"Unknown notification setting '{key}'.")
    with db.write() as session:
        stored = {s.key: s for s in session.scalars(select(Setting).where(Setting.key.in_(list(checked))))}
        for key, value in checked.items():
            row = stored.get(key)
            before = None if row is None else row.value
            if value == before:
                continue
            if value is None:
                session.delete(row)
            elif row is None:
                session.add(Setting(key=key, value=value, updated_by_id=actor.user_id))
            else:
                row.value, row.updated_by_id = value, actor.user_id
            secret = msg.NOTIFY_SPECS[key].kind == "secret"
            audit.record(
                session,
                actor,
                "setting.changed",
                "setting",
                key,
                before={"value": ("(set)" if before else "(not set)") if secret else before},
                after={"value": ("(set)" if value else "(not set)") if secret else value},
            )
        session.commit()
        return _view(load_notify_settings(session))


# ============================================================================ preferences, follows


def _kinds_for(actor: Actor) -> list[str]:
    return [kind for kind, (role, _label, _help) in msg.USER_KINDS.items() if role == actor.role.value]


@dataclass(frozen=True)
class MyNotifications:
    """A user's e-mail address on file and the notification kinds of their role, each on or off."""

    email: str | None
    kinds: dict[str, bool]


@service(*ALL_ROLES, writes=False)
def my_notifications(db: Database, actor: Actor) -> MyNotifications:
    """The actor's address and the notification kinds their role receives, with whether each is on."""
    kinds = _kinds_for(actor)
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


@service(*ALL_ROLES)
def set_my_notification_preferences(
    db: Database, actor: Actor, choices: Mapping[str, bool]
) -> dict[str, bool]:
    """Turn the actor's own notification kinds on or off; returns the choices now in force."""
    allowed = _kinds_for(actor)
    for kind in choices:
        if kind not in allowed:
            raise ValidationError(f"A {actor.role.value} user gets no '{kind}' notifications.")
    if actor.user_id is None:
        raise ValidationError("Only a logged-in user has notification preferences.")
    with db.write() as session:
        for kind, enabled in choices.items():
            row = session.get(NotificationPreference, (actor.user_id, kind))
            before = True if row is None else row.enabled
            if before == bool(enabled):
                continue
            if row is None:
                session.add(NotificationPreference(user_id=actor.user_id, kind=kind, enabled=bool(enabled)))
            else:
                row.enabled = bool(enabled)
            audit.record(
                session,
                actor,
                "notification_preference.changed",
                "user",
                actor.user_id,
                before={kind: before},
                after={kind: bool(enabled)},
            )
        session.commit()
    return {kind: bool(enabled) for kind, enabled in choices.items()}


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


@service(Role.BUYER)
def set_followed_suppliers(db: Database, actor: Actor, supplier_ids: Collection[int]) -> list[int]:
    """Replace the suppliers whose alerts the buyer's digest covers (empty: all); returns them."""
    wanted = {int(i) for i in supplier_ids}
    with db.write() as session:
        known = set(session.scalars(select(Supplier.id).where(Supplier.id.in_(wanted)))) if wanted else set()
        if wanted - known:
            raise NotFound(f"No supplier with id {', '.join(map(str, sorted(wanted - known)))}.")
        current = set(
            session.scalars(select(SupplierFollow.supplier_id).where(SupplierFollow.user_id == actor.user_id))
        )
        if current == wanted:
            return sorted(wanted)
        session.execute(delete(SupplierFollow).where(SupplierFollow.user_id == actor.user_id))
        session.add_all(SupplierFollow(user_id=actor.user_id, supplier_id=i) for i in sorted(wanted))
        audit.record(
            session,
            actor,
            "follows.changed",
            "user",
            actor.user_id,
            before={"suppliers": sorted(current)},
            after={"suppliers": sorted(wanted)},
        )
        session.commit()
    return sorted(wanted)


# ============================================================================ planning


@dataclass
class PlanResult:
    """What one planning pass put into the outbox."""

    digests: int = 0
    digest_alerts: int = 0
    reminders: int = 0
    webhook_posts: int = 0
    email_enabled: bool = True

    def summary(self) -> str:
        email = (
            f"{self.digests} digest(s) covering {self.digest_alerts} alert(s), {self.reminders} reminder(s)"
            if self.email_enabled
            else "e-mail off (no SMTP host or from address)"
        )
        return f"Notifications planned: {email}, {self.webhook_posts} webhook post(s)."


def _rank(column: Any) -> Any:
    return case(msg.SEVERITY_RANK, value=column, else_=-1)


_RANK_NAME = {rank: name for name, rank in msg.SEVERITY_RANK.items()}


def _alert_columns() -> tuple[Any, ...]:
    return (
        Alert.id,
        Alert.rule,
        Alert.severity,
        Alert.message,
        Alert.po_line_id,
        Supplier.code,
        PoLine.po_number,
        PoLine.line,
        Backorder.order_ref,
    )


def _with_subjects(stmt: Select[Any]) -> Select[Any]:
    return (
        stmt.outerjoin(Supplier, Supplier.id == Alert.supplier_id)
        .outerjoin(PoLine, PoLine.id == Alert.po_line_id)
        .outerjoin(Backorder, Backorder.id == Alert.backorder_id)
    )


def _item(row: Any, base_url: str, previous: str | None = None) -> AlertItem:
    alert_id, rule, severity, message, line_id, supplier_code, po_number, line, order_ref = row[:9]
    if line_id is not None:
        subject, link = f"{po_number}/{line}", msg.line_link(base_url, int(line_id))
    elif order_ref is not None:
        subject, link = order_ref, msg.page_link(base_url, "backorders", order=order_ref)
    else:
        # Supplier alerts live in the alert inbox, the buyer's home page.
        subject, link = supplier_code or f"alert {alert_id}", msg.page_link(base_url)
    return AlertItem(
        alert_id=int(alert_id),
        rule=str(rule),
        severity=getattr(severity, "value", str(severity)),
        message=message,
        subject=subject,
        link=link,
        supplier_code=supplier_code,
        previous_severity=previous,
    )


def _visible_open(as_of: dt.date) -> Any:
    """Open and not snoozed past as_of: what a buyer would see in the inbox that day."""
    return (Alert.status == AlertStatus.OPEN) & (
        Alert.snoozed_until.is_(None) | (Alert.snoozed_until <= as_of)
    )


def _opted_out(kind: str) -> Any:
    return (
        select(NotificationPreference.user_id)
        .where(
            NotificationPreference.user_id == User.id,
            NotificationPreference.kind == kind,
            NotificationPreference.enabled.is_(False),
        )
        .exists()
    )


def _outbox(
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


def _existing_keys(session: Session, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        found |= set(
            session.scalars(
                select(NotificationRow.dedup_key).where(NotificationRow.dedup_key.in_(keys[i : i + CHUNK]))
            )
        )
    return found


def _plan_digests(
    session: Session, settings: NotifySettings, as_of: dt.date, now: dt.datetime, result: PlanResult
) -> None:
    """One digest per buyer: open alerts above the severity already announced to that buyer."""
    announced_rank = (
        select(func.max(_rank(AlertNotification.severity)))
        .where(AlertNotification.alert_id == Alert.id, AlertNotification.user_id == User.id)
        .scalar_subquery()
    )
    follows_any = select(SupplierFollow.user_id).where(SupplierFollow.user_id == User.id).exists()
    follows_this = (
        select(SupplierFollow.user_id)
        .where(SupplierFollow.user_id == User.id, SupplierFollow.supplier_id == Alert.supplier_id)
        .exists()
    )
    stmt = _with_subjects(
        select(*_alert_columns(), announced_rank, User.id, User.email, User.display_name)
        .select_from(User)
        .join(Alert, true())
    ).where(
        User.role == Role.BUYER,
        User.active.is_(True),
        User.email.is_not(None),
        ~_opted_out(msg.ALERT_DIGEST),
        _visible_open(as_of),
        # No follows: every supplier. Backorder alerts have no supplier: every buyer gets them.
        or_(~follows_any, Alert.supplier_id.is_(None), follows_this),
        func.coalesce(announced_rank, -1) < _rank(Alert.severity),
    )
    per_user: dict[int, list[AlertItem]] = defaultdict(list)
    who: dict[int, tuple[str, str]] = {}
    for row in session.execute(stmt.order_by(User.id, Alert.id)):
        previous = None if row[9] is None else _RANK_NAME.get(int(row[9]))
        user_id, email, name = int(row[10]), row[11].strip(), row[12]
        if not msg.is_email_address(email):
            log.warning("buyer %s has no usable e-mail address (%r): no digest", user_id, email)
            continue
        per_user[user_id].append(_item(row, settings.base_url, previous))
        who[user_id] = (email, name)
    languages = _user_languages(session, list(per_user))
    for user_id, items in per_user.items():
        email, name = who[user_id]
        with language(languages.get(user_id)):  # in the recipient's own language
            content = msg.digest_email(
                name, items, as_of=as_of, base_url=settings.base_url, limit=DIGEST_LIMIT
            )
        row = _outbox(
            session,
            channel="email",
            kind=msg.ALERT_DIGEST,
            key=msg.digest_key(user_id, items),
            recipient=email,
            subject=content.subject,
            payload={"to": email, "text": content.text, "html": content.html, "alerts": len(items)},
            now=now,
        )
        session.flush()
        session.add_all(
            AlertNotification(
                alert_id=i.alert_id, user_id=user_id, severity=i.severity, notification_id=row.id
            )
            for i in items
        )
        result.digests += 1
        result.digest_alerts += len(items)


def _user_languages(session: Session, user_ids: Collection[int]) -> dict[int, str | None]:
    """Each user's chosen language (None: none chosen, the default)."""
    return {
        int(uid): lang
        for uid, lang in session.execute(select(User.id, User.language).where(User.id.in_(user_ids)))
    }


def _address_languages(session: Session, emails: Collection[str]) -> dict[str, str | None]:
    """The language of the user who has each address (lower-cased); a contact with no login: none."""
    lowered = sorted({e.strip().lower() for e in emails})
    if not lowered:
        return {}
    rows = session.execute(
        select(User.email, User.language).where(
            func.lower(func.trim(User.email)).in_(lowered), User.language.is_not(None)
        )
    )
    return {str(email).strip().lower(): lang for email, lang in rows}


def _reminder_recipients(session: Session, supplier_ids: Collection[int]) -> dict[int, list[str]]:
    """Contact and supplier-user addresses per supplier, minus addresses whose owner opted out."""
    addresses: dict[int, dict[str, str]] = defaultdict(dict)
    for sid, email in session.execute(
        select(SupplierContact.supplier_id, SupplierContact.email).where(
            SupplierContact.supplier_id.in_(supplier_ids)
        )
    ):
        addresses[int(sid)].setdefault(email.strip().lower(), email.strip())
    for sid, email in session.execute(
        select(User.supplier_id, User.email).where(
            User.supplier_id.in_(supplier_ids),
            User.role == Role.SUPPLIER,
            User.active.is_(True),
            User.email.is_not(None),
        )
    ):
        addresses[int(sid)].setdefault(email.strip().lower(), email.strip())
    # An address belongs to whoever has it on their account: their opt-out covers it everywhere.
    opted_out = {
        e.strip().lower()
        for e in session.scalars(
            select(User.email).where(User.email.is_not(None), _opted_out(msg.SUPPLIER_REMINDER))
        )
    }
    return {
        sid: [e for low, e in sorted(found.items()) if low not in opted_out and msg.is_email_address(e)]
        for sid, found in addresses.items()
    }


def _plan_reminders(
    session: Session, settings: NotifySettings, as_of: dt.date, now: dt.datetime, result: PlanResult
) -> None:
    """One reminder a day per supplier address: lines with no recent report or a late start.

    Sent from REMINDER_LOCAL_HOUR on the supplier's own clock, dated (and keyed) by its local day.
    """
    stmt = _with_subjects(
        select(*_alert_columns(), Alert.supplier_id, Supplier.name).where(
            Alert.status != AlertStatus.RESOLVED,
            Alert.rule.in_([AlertRule.STALE_UPDATE.value, AlertRule.LATE_START.value]),
            Alert.supplier_id.is_not(None),
            Alert.po_line_id.is_not(None),
        )
    )
    by_supplier: dict[int, dict[str, list[AlertItem]]] = defaultdict(lambda: defaultdict(list))
    names: dict[int, str] = {}
    for row in session.execute(stmt.order_by(Alert.supplier_id, Alert.id)):
        item = _item(row, settings.base_url)
        by_supplier[int(row[9])][item.rule].append(item)
        names[int(row[9])] = row[10]
    if not by_supplier:
        return
    # Each supplier is reminded in its own morning, once per its local day (its time zone).
    zones = dict(
        session.execute(
            select(Supplier.id, Supplier.timezone).where(Supplier.id.in_(list(by_supplier)))
        ).all()
    )
    local_days: dict[int, dt.date] = {}
    for sid in by_supplier:
        local = local_time(zones.get(sid), now)
        if as_of < local.date():
            local_days[sid] = as_of  # a sweep for a day gone by: that day's morning has passed
        elif local.hour >= msg.REMINDER_LOCAL_HOUR:
            local_days[sid] = local.date()
    recipients = _reminder_recipients(session, list(local_days))
    planned = [
        (sid, email, msg.reminder_key(sid, email, local_days[sid]))
        for sid in local_days
        for email in recipients.get(sid, [])
    ]
    done = _existing_keys(session, [key for _sid, _email, key in planned])
    languages = _address_languages(session, [email for _sid, email, _key in planned])
    for sid, email, key in planned:
        if key in done:
            continue
        rules = by_supplier[sid]
        # One posting link per reminder: 24 hours, this supplier only, revocable (services.posting_links).
        _link_id, secret = issue_posting_link(session, sid, email=email, now=now)
        with language(languages.get(email.strip().lower())):  # the language of the address's user
            content = msg.reminder_email(
                names[sid],
                rules.get(AlertRule.STALE_UPDATE.value, []),
                rules.get(AlertRule.LATE_START.value, []),
                as_of=local_days[sid],
                base_url=settings.base_url,
                posting_link=link_url(settings.base_url, secret),
            )
        _outbox(
            session,
            channel="email",
            kind=msg.SUPPLIER_REMINDER,
            key=key,
            recipient=email,
            subject=content.subject,
            payload={"to": email, "text": content.text, "html": content.html},
            now=now,
        )
        result.reminders += 1


def _plan_webhooks(
    session: Session, settings: NotifySettings, as_of: dt.date, now: dt.datetime, result: PlanResult
) -> None:
    """One post per active team webhook and critical alert (new, or risen to critical)."""
    hooks = session.execute(select(Webhook.id, Webhook.team).where(Webhook.active.is_(True))).all()
    if not hooks:
        return
    rows = session.execute(
        _with_subjects(select(*_alert_columns()))
        .where(_visible_open(as_of), Alert.severity == Severity.CRITICAL)
        .order_by(Alert.id)
    ).all()
    items = [_item(r, settings.base_url) for r in rows]
    planned = [
        (hook_id, team, item, msg.webhook_key(hook_id, item.alert_id, item.severity))
        for hook_id, team in hooks
        for item in items
    ]
    done = _existing_keys(session, [key for *_rest, key in planned])
    for hook_id, team, item, key in planned:
        if key in done:
            continue
        _outbox(
            session,
            channel="webhook",
            kind=msg.CRITICAL_WEBHOOK,
            key=key,
            recipient=f"webhook:{team}"[:500],
            subject=f"{item.rule}: {item.subject}",
            payload={"webhook_id": int(hook_id), "body": msg.slack_post(item, as_of=as_of, team=team)},
            now=now,
        )
        result.webhook_posts += 1


def plan_notifications(
    session: Session,
    *,
    as_of: dt.date,
    now: dt.datetime | None = None,
    settings: NotifySettings | None = None,
) -> PlanResult:
    """Write the digests, reminders and webhook posts due now into the outbox, in the caller's transaction."""
    now = now or utcnow()
    settings = settings or load_notify_settings(session).settings
    result = PlanResult(email_enabled=settings.email_enabled)
    # Without SMTP nothing is marked announced: once e-mail is set up, the first digest catches up.
    if settings.email_enabled:
        _plan_digests(session, settings, as_of, now, result)
        _plan_reminders(session, settings, as_of, now, result)
    _plan_webhooks(session, settings, as_of, now, result)
    session.flush()
    return result


def plan_pending(db: Database, *, as_of: dt.date, now: dt.datetime | None = None) -> PlanResult:
    """Plan notifications in a transaction of their own."""
    with db.write() as session:
        result = plan_notifications(session, as_of=as_of, now=now)
        session.commit()
        return result


# ============================================================================ delivery


class PermanentFailure(Exception):
    """A refusal that retrying will not fix (unknown recipient, webhook gone)."""


class ServerUnavailable(Exception):
    """The mail server cannot be reached or refuses the login: no e-mail can go out in this run."""


class Transport(Protocol):
    """Where messages go: SMTP and HTTP in production, wrappers of them in tests."""

    def send_email(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Hand one message for one recipient to the mail server."""

    def post_webhook(self, url: str, body: dict[str, Any]) -> None:
        """POST one JSON body to a webhook; raise unless it was accepted."""

    def close(self) -> None:
        """Let go of connections."""


def open_smtp(settings: NotifySettings) -> smtplib.SMTP:
    """A connected (and, with a user, logged-in) SMTP client as the settings say."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_security == "tls":
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
    try:
        if settings.smtp_security == "starttls":
            client.starttls(context=context)
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        client.close()
        raise
    return client


class LiveTransport:
    """SMTP through smtplib (one connection reused for a batch) and webhooks through requests."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._http = requests.Session()

    def send_email(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Send over the batch's SMTP connection (opened on first use); 5xx for the recipient is permanent."""
        if self._smtp is None:
            try:
                self._smtp = open_smtp(self.settings)
            except Exception as exc:
                where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
                raise ServerUnavailable(f"Mail server {where}: {type(exc).__name__}: {exc}") from exc
        try:
            self._smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"The mail server refused {recipient}: {exc.recipients}") from exc
            raise
        except BaseException:
            # A connection in an unknown state is not reused: the next message reconnects.
            self._drop()
            raise

    def post_webhook(self, url: str, body: dict[str, Any]) -> None:
        """POST the JSON body; 4xx (other than timeouts and rate limits) is permanent, the rest retried."""
        response = self._http.post(url, json=body, timeout=self.settings.timeout_seconds)
        if response.status_code < 300:
            return
        detail = f"HTTP {response.status_code}: {response.text[:200]}"
        # Client errors other than timeouts and rate limits mean the hook or the body is wrong.
        if 400 <= response.status_code < 500 and response.status_code not in (408, 425, 429):
            raise PermanentFailure(detail)
        raise RuntimeError(detail)

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye to the mail server and close the HTTP session."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except Exception:
                log.debug("SMTP quit failed", exc_info=True)
            self._smtp = None
        self._http.close()


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    interrupted: int = 0
    deferred: int = 0  # e-mails not tried because the mail server was unreachable in this run
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"Delivered {self.sent}, retrying {self.retrying}, failed {self.failed}"
        if self.deferred:
            text += f", {self.deferred} e-mail(s) left for the next run (mail server unreachable)"
        if self.interrupted:
            text += f", {self.interrupted} interrupted earlier (delivery unknown, shown to admins)"
        return text + "."


def build_email(row: Any, settings: NotifySettings) -> EmailMessage:
    """The MIME message of an outbox row: plain text and HTML, with a Message-ID from its dedup key."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row["payload"]["to"]
    message["Subject"] = row["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = msg.message_id(row["dedup_key"], settings.sender_domain)
    # RFC 3834: an automatic message; out-of-office replies should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["payload"]["text"])
    message.add_alternative(row["payload"]["html"], subtype="html")
    return message


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
    report.interrupted += result.rowcount or 0


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


# ============================================================================ the job


@dataclass
class NotifyRun:
    """One ``sweep --notify``: the sweep, what was planned, what was delivered, what went wrong."""

    sweep: planning.SweepResult | None = None
    plan: PlanResult | None = None
    delivery: DeliveryReport | None = None
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [p.summary() for p in (self.sweep, self.plan, self.delivery) if p is not None]
        parts += [f"Problem: {e}" for e in self.errors[:5]]
        if len(self.errors) > 5:
            parts.append(
                f"... and {len(self.errors) - 5} more problems: see the message log on the admin page."
            )
        return "\n".join(parts)


@service(Role.ADMIN)
def sweep_and_notify(
    db: Database,
    actor: Actor,
    as_of: dt.date | None = None,
    *,
    now: dt.datetime | None = None,
    lock_wait: float | None = None,
    transport: Transport | None = None,
) -> NotifyRun:
    """Under the sweep lock: sweep, plan notifications, deliver; notifications never fail the sweep."""
    run = NotifyRun()
    with job_lock(db, SWEEP_LOCK, wait=lock_wait) as lock:
        run.sweep = planning.sweep(db, actor, as_of)
        lock.refresh()
        try:
            run.plan = plan_pending(db, as_of=run.sweep.as_of, now=now)
        except Exception as exc:
            log.exception("planning notifications failed")
            run.errors.append(f"planning notifications failed: {type(exc).__name__}: {exc}")
        lock.refresh()
        run.delivery = deliver_pending(db, now, transport=transport)
        run.errors.extend(run.delivery.errors)
    return run


# ============================================================================ admin


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


@service(Role.ADMIN)
def retry_notifications(
    db: Database, actor: Actor, notification_ids: Collection[int], *, transport: Transport | None = None
) -> DeliveryReport:
    """Send failed or waiting messages again right now (one more attempt each)."""
    ids = sorted({int(i) for i in notification_ids})
    if not ids:
        raise ValidationError("Choose at least one message to retry.")
    now = utcnow()
    with db.write() as session:
        rows = list(session.scalars(select(NotificationRow).where(NotificationRow.id.in_(ids))))
        missing = set(ids) - {r.id for r in rows}
        if missing:
            raise NotFound(f"No notification with id {', '.join(map(str, sorted(missing)))}.")
        for row in rows:
            if row.status == SENT:
                raise ValidationError(
                    f"Notification {row.id} was already sent on {row.sent_at:%Y-%m-%d %H:%M}."
                )
            if row.status == SENDING:
                raise ValidationError(f"Notification {row.id} is being sent right now.")
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
        raise ValidationError(f"'{to}' is not an e-mail address.")
    with db.write() as session:
        settings = load_notify_settings(session).settings
        if not settings.email_enabled:
            raise ValidationError("Set the SMTP host and the from address first.")
        content = msg.trial_email(settings.base_url)
        row = _outbox(
            session,
            channel="email",
            kind=msg.TEST_EMAIL,
            key=f"test:{uuid.uuid4().hex}",
            recipient=to,
            subject=content.subject,
            payload={"to": to, "text": content.text, "html": content.html},
            now=utcnow(),
        )
        audit.record(session, actor, "notification.test", "notification", after={"to": to})
        session.flush()
        test_id = row.id
        session.commit()
    report = deliver_pending(db, ids=[test_id], transport=transport)
    with db.write() as session:
        row = session.get(NotificationRow, test_id)
        assert row is not None
        if row.status != SENT:
            # A test is one attempt: no retries behind the admin's back.
            row.status = FAILED
        outcome = TrialEmailOutcome(
            sent=row.status == SENT, error=row.last_error or "; ".join(report.errors) or None
        )
        session.commit()
    return outcome


def mask_url(url: str) -> str:
    """A webhook URL is a secret: show its host and last characters only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{url[-4:]}" if parts.netloc else "…"


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


@service(Role.ADMIN)
def add_webhook(db: Database, actor: Actor, team: str, url: str) -> int:
    """Add a team's Slack-compatible webhook; it receives each critical alert once."""
    team = (team or "").strip()
    url = (url or "").strip()
    if not team or len(team) > 80:
        raise ValidationError("Team: 1 to 80 characters.")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 500 or " " in url:
        raise ValidationError("Webhook URL: an http(s) address of at most 500 characters.")
    with db.write() as session:
        if session.scalar(select(Webhook.id).where(Webhook.team == team)) is not None:
            raise ValidationError(f"Team '{team}' already has a webhook: disable it or use another name.")
        hook = Webhook(team=team, url=url, active=True)
        session.add(hook)
        session.flush()
        audit.record(
            session, actor, "webhook.added", "webhook", hook.id, after={"team": team, "url": mask_url(url)}
        )
        session.commit()
        return hook.id


@service(Role.ADMIN)
def set_webhook_active(db: Database, actor: Actor, webhook_id: int, active: bool) -> None:
    """Enable or disable a team webhook (a disabled hook gets nothing, not even queued posts)."""
    with db.write() as session:
        hook = session.get(Webhook, int(webhook_id))
        if hook is None:
            raise NotFound(f"No webhook with id {webhook_id}.")
        if hook.active == bool(active):
            return
        audit.record(
            session,
            actor,
            "webhook.changed",
            "webhook",
            hook.id,
            before={"active": hook.active},
            after={"active": bool(active)},
        )
        hook.active = bool(active)
        session.commit()
