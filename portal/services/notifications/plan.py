"""Planning: the digests, reminders and webhook posts due now, written to the outbox in one transaction
(the package docstring tells how a message travels); and the e-mails of a purchase-order change,
written by the import itself in its own transaction (:func:`plan_po_change_emails`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select, true
from sqlalchemy.orm import Session

from db.engine import Database
from db.joins import with_alert_subjects
from db.models import (
    Alert,
    AlertNotification,
    Supplier,
    SupplierContact,
    SupplierFollow,
    User,
    Webhook,
    severity_rank,
    utcnow,
)
from portal.core import change_order_email as change_mail
from portal.core import notifications as msg
from portal.core.domain import AlertRule, AlertStatus, Role, Severity
from portal.core.notifications import AlertItem, NotifySettings
from portal.core.timezones import local_time
from portal.i18n import language
from portal.services.notifications.outbox import (
    add_email_to_outbox,
    add_to_outbox,
    alert_columns,
    alert_item,
    existing_keys,
    opted_out,
    visible_open,
)
from portal.services.notifications.settings import load_notify_settings
from portal.services.posting_links import issue_posting_link, link_url

log = logging.getLogger("portal.notifications")

#: A digest shows at most this many alerts (critical first); the rest are one click away.
DIGEST_LIMIT = 200


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


def _plan_digests(
    session: Session, settings: NotifySettings, as_of: dt.date, now: dt.datetime, result: PlanResult
) -> None:
    """One digest per buyer: open alerts above the severity already announced to that buyer."""
    announced_rank = (
        select(func.max(severity_rank(AlertNotification.severity)))
        .where(AlertNotification.alert_id == Alert.id, AlertNotification.user_id == User.id)
        .scalar_subquery()
    )
    follows_any = select(SupplierFollow.user_id).where(SupplierFollow.user_id == User.id).exists()
    follows_this = (
        select(SupplierFollow.user_id)
        .where(SupplierFollow.user_id == User.id, SupplierFollow.supplier_id == Alert.supplier_id)
        .exists()
    )
    stmt = with_alert_subjects(
        select(
            *alert_columns(),
            announced_rank.label("announced_rank"),
            User.id.label("user_id"),
            User.email,
            User.display_name,
        )
        .select_from(User)
        .join(Alert, true())
    ).where(
        User.role == Role.BUYER,
        User.active.is_(True),
        User.email.is_not(None),
        ~opted_out(msg.ALERT_DIGEST),
        visible_open(as_of),
        # No follows: every supplier. Backorder alerts have no supplier: every buyer gets them.
        or_(~follows_any, Alert.supplier_id.is_(None), follows_this),
        func.coalesce(announced_rank, -1) < severity_rank(Alert.severity),
    )
    per_user: dict[int, list[AlertItem]] = defaultdict(list)
    who: dict[int, tuple[str, str]] = {}
    for row in session.execute(stmt.order_by(User.id, Alert.id)):
        previous = None if row.announced_rank is None else Severity.from_rank(row.announced_rank).value
        user_id, email, name = int(row.user_id), row.email.strip(), row.display_name
        if not msg.is_email_address(email):
            log.warning("buyer %s has no usable e-mail address (%r): no digest", user_id, email)
            continue
        per_user[user_id].append(alert_item(row, settings.base_url, previous))
        who[user_id] = (email, name)
    languages = _user_languages(session, list(per_user))
    for user_id, items in per_user.items():
        email, name = who[user_id]
        with language(languages.get(user_id)):  # in the recipient's own language
            content = msg.digest_email(
                name, items, as_of=as_of, base_url=settings.base_url, limit=DIGEST_LIMIT
            )
        digest = add_email_to_outbox(
            session,
            kind=msg.ALERT_DIGEST,
            key=msg.digest_key(user_id, items),
            to=email,
            content=content,
            now=now,
            alerts=len(items),
        )
        session.flush()
        session.add_all(
            AlertNotification(
                alert_id=i.alert_id, user_id=user_id, severity=i.severity, notification_id=digest.id
            )
            for i in items
        )
        result.digests += 1
        result.digest_alerts += len(items)


def _user_languages(session: Session, user_ids: Collection[int]) -> dict[int, str | None]:
    """Each user's chosen language (None: none chosen, the default)."""
    rows = session.execute(select(User.id, User.language).where(User.id.in_(user_ids)))
    return {int(uid): lang for uid, lang in rows}


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


def _supplier_recipients(
    session: Session, supplier_ids: Collection[int], kind: str = msg.SUPPLIER_REMINDER
) -> dict[int, list[str]]:
    """Contact and supplier-user addresses per supplier, minus addresses whose owner opted out of ``kind``."""
    addresses: dict[int, dict[str, str]] = defaultdict(dict)
    for sid, email in session.execute(
        select(SupplierContact.supplier_id, SupplierContact.email).where(
            SupplierContact.supplier_id.in_(supplier_ids)
        )
    ):
        addresses[int(sid)].setdefault(email.strip().lower(), email.strip())
    for user_sid, user_email in session.execute(
        select(User.supplier_id, User.email).where(
            User.supplier_id.in_(supplier_ids),
            User.role == Role.SUPPLIER,
            User.active.is_(True),
            User.email.is_not(None),
        )
    ):
        if user_sid is not None and user_email is not None:  # both filtered in SQL: tells the type checker
            addresses[int(user_sid)].setdefault(user_email.strip().lower(), user_email.strip())
    # An address belongs to whoever has it on their account: their opt-out covers it everywhere.
    refused = {
        e.strip().lower()
        for e in session.scalars(select(User.email).where(User.email.is_not(None), opted_out(kind)))
        if e is not None  # filtered in SQL: tells the type checker
    }
    return {
        sid: [e for low, e in sorted(found.items()) if low not in refused and msg.is_email_address(e)]
        for sid, found in addresses.items()
    }


def _plan_reminders(
    session: Session, settings: NotifySettings, as_of: dt.date, now: dt.datetime, result: PlanResult
) -> None:
    """One reminder a day per supplier address: lines with no recent report or a late start.

    Sent from REMINDER_LOCAL_HOUR on the supplier's own clock, dated (and keyed) by its local day.
    """
    stmt = with_alert_subjects(
        select(*alert_columns(), Alert.supplier_id, Supplier.name.label("supplier_name")).where(
            Alert.status != AlertStatus.RESOLVED,
            Alert.rule.in_([AlertRule.STALE_UPDATE.value, AlertRule.LATE_START.value]),
            Alert.supplier_id.is_not(None),
            Alert.po_line_id.is_not(None),
        )
    )
    by_supplier: dict[int, dict[str, list[AlertItem]]] = defaultdict(lambda: defaultdict(list))
    names: dict[int, str] = {}
    for row in session.execute(stmt.order_by(Alert.supplier_id, Alert.id)):
        item = alert_item(row, settings.base_url)
        by_supplier[int(row.supplier_id)][item.rule].append(item)
        names[int(row.supplier_id)] = row.supplier_name
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
    recipients = _supplier_recipients(session, list(local_days))
    planned = [
        (sid, email, msg.reminder_key(sid, email, local_days[sid]))
        for sid in local_days
        for email in recipients.get(sid, [])
    ]
    done = existing_keys(session, [key for _sid, _email, key in planned])
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
        add_email_to_outbox(session, kind=msg.SUPPLIER_REMINDER, key=key, to=email, content=content, now=now)
        result.reminders += 1


def plan_po_change_emails(
    session: Session,
    changed: Mapping[int, Sequence[tuple[int, change_mail.ChangedLine]]],
    *,
    now: dt.datetime,
) -> int:
    """Write the e-mails of one change order into the outbox, in the caller's (the import's) transaction.

    ``changed``: per supplier, its lines changed against it, each with the newest line-change id of
    this change order. One e-mail per supplier address not opted out of "Purchase-order changes", in
    the language of the address's user; its key ends with the newest change id it covers, so each
    change order is announced once per address, and two imports committing at once each write
    their own (the ids differ). With e-mail off they are written all the same and wait in the outbox
    (delivery leaves e-mails alone while e-mail is off): a change order is an event, which no later
    planning would find again, so they go out once e-mail is set up. Returns how many were written.
    """
    changed = {sid: lines for sid, lines in changed.items() if lines}
    if not changed:
        return 0
    settings = load_notify_settings(session).settings
    names = dict(
        session.execute(select(Supplier.id, Supplier.name).where(Supplier.id.in_(list(changed)))).all()
    )
    recipients = _supplier_recipients(session, list(changed), change_mail.PO_CHANGE)
    languages = _address_languages(session, [e for found in recipients.values() for e in found])
    written = 0
    for sid, lines in sorted(changed.items()):
        through = max(t for t, _line in lines)
        for email in recipients.get(sid, []):
            with language(languages.get(email.strip().lower())):  # in the recipient's own language
                content = change_mail.po_change_email(
                    names[sid], [line for _t, line in lines], base_url=settings.base_url
                )
            add_email_to_outbox(
                session,
                kind=change_mail.PO_CHANGE,
                key=f"{change_mail.PO_CHANGE}:supplier:{sid}:{msg.address_key(email)}:{through}",
                to=email,
                content=content,
                now=now,
                alerts=len(lines),
            )
            written += 1
    session.flush()
    return written


def _plan_webhooks(
    session: Session, settings: NotifySettings, as_of: dt.date, now: dt.datetime, result: PlanResult
) -> None:
    """One post per active team webhook and critical alert (new, or risen to critical)."""
    hooks = session.execute(select(Webhook.id, Webhook.team).where(Webhook.active.is_(True))).all()
    if not hooks:
        return
    rows = session.execute(
        with_alert_subjects(select(*alert_columns()))
        .where(visible_open(as_of), Alert.severity == Severity.CRITICAL)
        .order_by(Alert.id)
    ).all()
    items = [alert_item(r, settings.base_url) for r in rows]
    planned = [
        (hook_id, team, item, msg.webhook_key(hook_id, item.alert_id, item.severity))
        for hook_id, team in hooks
        for item in items
    ]
    done = existing_keys(session, [key for *_rest, key in planned])
    for hook_id, team, item, key in planned:
        if key in done:
            continue
        add_to_outbox(
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
