"""Notifications end to end: the real sweep on a small world, a real SMTP server and a real webhook endpoint.

As of Thursday 12 March 2026 the small world has alerts of every kind: PO-1/1 (ACME) is
projected late (critical) and has had no report since 6 March (STALE_UPDATE), PO-2/1 (BOLT)
has not started (LATE_START), and backorder SO-2's promise slipped (critical, opened by the
import before any sweep).
"""

from __future__ import annotations

import datetime as dt
import html
import re
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any, NoReturn

import pytest
from sqlalchemy import select, text, update

from db.engine import Database
from db.models import Alert, AuditEvent, JobLock, Setting, User, utcnow
from db.models import Notification as NotificationRow
from portal.cli import main
from portal.core.domain import AlertRule, PermissionDenied, Role, Severity, ValidationError
from portal.core.notifications import NotifySettings, message_id
from portal.queries import notifications as reads
from portal.services import locks, planning, scheduler
from portal.services import notifications as notify
from portal.services.access import Actor
from portal.services.locks import LockBusy, job_lock
from portal.services.notifications import plan as notify_plan
from portal.services.users import create_user
from tests.builders import SmallWorld, actor_of, load, small_world
from tests.local_servers import HookReceiver, Mailbox, Received, smtp_server, webhook_server

AS_OF = dt.date(2026, 3, 12)
#: 13:00 UTC: the morning of both suppliers (14:00 in Berlin, 08:00 in Chicago), so both are reminded.
NOW = dt.datetime(2026, 3, 12, 13, 0)
BASE = "https://portal.example.com"
BUYER, BUYER2 = "buyer@example.com", "buyer2@example.com"
ACME_USER, ACME_CONTACT = "acme-user@acme.example", "planner@acme.example"
BOLT_CONTACTS = ["boss@bolt.example", "ops@bolt.example"]
SYSTEM = Actor.system("test")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def hook() -> Iterator[HookReceiver]:
    with webhook_server() as receiver:
        yield receiver


@pytest.fixture
def world(db: Database, mailbox: Mailbox) -> SmallWorld:
    """The small world with e-mail addresses, a second buyer, and SMTP pointing at the local server."""
    return _world_on(db, mailbox)


@pytest.fixture
def sqlite_world(sqlite_db: Database, mailbox: Mailbox) -> SmallWorld:
    """The same world on SQLite only, for rules that do not depend on the database."""
    return _world_on(sqlite_db, mailbox)


def _world_on(db: Database, box: Mailbox) -> SmallWorld:
    w = small_world(db)
    with db.write() as session:
        session.execute(update(User).where(User.username == "buyer").values(email=BUYER))
        session.execute(update(User).where(User.username == "acme").values(email=ACME_USER))
        session.commit()
    create_user(db, SYSTEM, "buyer2", "buyer2-password-1", Role.BUYER, email=BUYER2)
    notify.update_notify_settings(
        db,
        w.admin,
        {
            "smtp.host": "127.0.0.1",
            "smtp.port": box.port,
            "smtp.security": "none",
            "smtp.from": "Supplier portal <portal@example.com>",
            "notify.base_url": BASE + "/",
            "notify.backoff_seconds": 60,
            "notify.max_attempts": 3,
        },
    )
    return w


def run(db: Database, as_of: dt.date = AS_OF, now: dt.datetime = NOW, **kwargs: Any) -> notify.NotifyRun:
    return notify.sweep_and_notify(db, SYSTEM, as_of, now=now, **kwargs)


def open_alerts(db: Database) -> list[Alert]:
    with db.read() as session:
        return list(session.scalars(select(Alert).where(Alert.status == "open").order_by(Alert.id)))


def rows(db: Database, kind: str | None = None) -> list[NotificationRow]:
    stmt = select(NotificationRow).order_by(NotificationRow.id)
    if kind:
        stmt = stmt.where(NotificationRow.kind == kind)
    with db.read() as session:
        return list(session.scalars(stmt))


def plan_only(db: Database, as_of: dt.date = AS_OF) -> None:
    """Sweep and plan, without delivering: the outbox holds the messages."""
    planning.sweep(db, SYSTEM, as_of)
    notify.plan_pending(db, as_of=as_of, now=NOW)


def live_settings(db: Database) -> NotifySettings:
    with db.read() as session:
        return notify.load_notify_settings(session).settings


# ------------------------------------------------------------------------------ what arrives


def test_each_buyer_gets_one_digest_with_every_open_alert_as_text_and_html(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    result = run(db)

    assert result.errors == []
    alerts = open_alerts(db)
    assert {a.rule for a in alerts} >= {"PROJECTED_LATE", "STALE_UPDATE", "LATE_START", "PROMISE_SLIPPED"}
    for address in (BUYER, BUYER2):
        [digest] = mailbox.to(address)
        for alert in alerts:
            assert alert.message in digest.text
            # The HTML part escapes the message (an apostrophe becomes &#39;): compare unescaped.
            assert alert.message in html.unescape(digest.html)
    # Alerts opened outside a sweep (the import's recompute) are announced too.
    [digest] = mailbox.to(BUYER)
    assert "SO-2" in digest.text and "Promise to customer slipped" in digest.text
    assert digest.message["Subject"] == "Supplier portal alerts as of Mar 12, 2026: 2 critical, 7 warning"
    assert digest.message["From"] == "Supplier portal <portal@example.com>"


def test_a_digest_groups_alerts_by_severity_critical_first(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    run(db)

    [digest] = mailbox.to(BUYER)
    critical = digest.text.index("CRITICAL (2)")
    warning = digest.text.index("WARNING (7)")
    assert critical < warning
    for alert in open_alerts(db):
        at = digest.text.index(alert.message)
        assert (critical < at < warning) if alert.severity.value == "critical" else at > warning
    assert digest.html.index(">Critical (2)</h3>") < digest.html.index(">Warning (7)</h3>")


def test_each_line_alert_links_to_the_line_detail_page(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    run(db)

    [digest] = mailbox.to(BUYER)
    po_1_1 = world.line_ids["PO-1/1"]
    po_2_1 = world.line_ids["PO-2/1"]
    for line_id, label in ((po_1_1, "PO-1/1"), (po_2_1, "PO-2/1")):
        link = f"{BASE}/line_detail?line={line_id}"
        assert link in digest.text
        assert f'<a href="{link}">{label}</a>' in digest.html
    assert f'<a href="{BASE}/backorders?order=SO-2">SO-2</a>' in digest.html
    assert f'<a href="{BASE}/account">your account page</a>' in digest.html


def test_message_ids_derive_from_the_dedup_key(db: Database, world: SmallWorld, mailbox: Mailbox) -> None:
    run(db)

    [digest] = mailbox.to(BUYER)
    [row] = [r for r in rows(db, "alert_digest") if r.recipient == BUYER]
    assert digest.message["Message-ID"] == message_id(row.dedup_key, "example.com")


def test_each_supplier_address_gets_one_reminder_about_its_own_quiet_or_unstarted_lines(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    run(db)

    for address in (ACME_USER, ACME_CONTACT):
        [reminder] = mailbox.to(address)
        assert "PO-1/1 has had no production report for 4 working days" in reminder.text
        assert "PO-2/1" not in reminder.text
        assert f"{BASE}/daily_output" in reminder.html
    for address in BOLT_CONTACTS:
        [reminder] = mailbox.to(address)
        assert "Production has not started on schedule" in reminder.text
        assert "PO-2/1 has not started" in reminder.text
        assert "PO-1/1" not in reminder.text
    assert mailbox.recipients() == sorted([BUYER, BUYER2, ACME_USER, ACME_CONTACT, *BOLT_CONTACTS])


def test_a_reminder_is_written_in_the_language_its_recipient_chose(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    from portal.services.users import set_user_language

    set_user_language(db, world.acme_user, "de")

    run(db)

    [german] = mailbox.to(ACME_USER)
    assert german.message["Subject"] == "Produktionsmeldung für 1 Position benötigt (Stand 12.03.2026)"
    assert "Hallo " in german.text and "Heutige Produktion melden" in german.html
    # A contact with no login of its own keeps the default language.
    [english] = mailbox.to(ACME_CONTACT)
    assert english.message["Subject"] == "Production update needed on 1 line (as of Mar 12, 2026)"


def test_a_german_reminder_and_digest_show_the_alert_messages_in_german(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    from portal.services.users import set_user_language

    set_user_language(db, world.acme_user, "de")
    set_user_language(db, world.buyer, "de")

    run(db)

    [german] = mailbox.to(ACME_USER)
    # The rule's template and its phrases through the German catalog, the dates as German writes them.
    assert "PO-1/1: keine Produktionsmeldung für 4 Arbeitstage bis 12.03.2026" in german.text
    assert "(letzte Meldung 06.03.2026)" in german.text and "2026-03-06" not in german.text
    assert "has had no production report" not in german.text
    assert "PO-1/1: keine Produktionsmeldung" in html.unescape(german.html)
    [digest] = mailbox.to(BUYER)
    assert "PO-1/1 kommt voraussichtlich am" in digest.text and "will arrive" not in digest.text
    # A contact with no login of its own keeps the English message.
    [english] = mailbox.to(ACME_CONTACT)
    assert "PO-1/1 has had no production report for 4 working days" in english.text
    assert "keine Produktionsmeldung" not in english.text


def test_a_supplier_is_reminded_in_its_own_morning_dated_by_its_local_day(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    # 06:00 UTC: 07:00 in Berlin (ACME's morning), still 01:00 at night in Chicago (BOLT).
    early = run(db, now=dt.datetime(2026, 3, 12, 6, 0))
    assert early.plan is not None and early.plan.reminders == 2
    assert mailbox.to(BOLT_CONTACTS[0]) == []
    [acme] = mailbox.to(ACME_CONTACT)
    assert "(as of Mar 12, 2026)" in acme.message["Subject"]

    # 12:30 UTC: 07:30 in Chicago. BOLT's reminder goes out now, once, dated its own day.
    later = run(db, now=dt.datetime(2026, 3, 12, 12, 30))
    assert later.plan is not None and later.plan.reminders == 2
    for address in BOLT_CONTACTS:
        [reminder] = mailbox.to(address)
        assert "(as of Mar 12, 2026)" in reminder.message["Subject"]
    assert len(mailbox.to(ACME_CONTACT)) == 1


def test_a_reminder_carries_a_posting_link_that_opens_for_its_supplier_only(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    from portal.services.posting_links import open_posting_link

    run(db)

    [reminder] = mailbox.to(ACME_CONTACT)
    found = re.search(rf"{re.escape(BASE)}/post_output\?link=(pl_[A-Za-z0-9_-]+)", reminder.text)
    assert found is not None
    assert f'href="{found.group(0)}"' in reminder.html
    grant = open_posting_link(db, found.group(1), now=NOW + dt.timedelta(hours=1))
    assert (grant.supplier_code, grant.today) == ("ACME", AS_OF)
    [bolt] = mailbox.to(BOLT_CONTACTS[0])
    assert found.group(1) not in bolt.text


def test_a_team_webhook_gets_each_critical_alert_once_as_slack_json(
    db: Database, world: SmallWorld, mailbox: Mailbox, hook: HookReceiver
) -> None:
    notify.add_webhook(db, world.admin, "Purchasing", hook.url)

    run(db)
    run(db)

    critical = [a for a in open_alerts(db) if a.severity.value == "critical"]
    assert len(hook.bodies) == len(critical) == 2
    for body in hook.bodies:
        assert set(body) == {"text", "blocks"}
        assert body["blocks"][0]["type"] == "section"
    texts = " ".join(b["text"] for b in hook.bodies)
    assert "Forecast to arrive late: PO-1/1 (ACME)" in texts and "Promise to customer slipped: SO-2" in texts
    line_post = next(b for b in hook.bodies if "PO-1/1" in b["text"])
    assert (
        f"<{BASE}/line_detail?line={world.line_ids['PO-1/1']}|PO-1/1>"
        in line_post["blocks"][0]["text"]["text"]
    )


# ------------------------------------------------------------------------------ never twice


def test_a_second_sweep_sends_nothing_new(
    db: Database, world: SmallWorld, mailbox: Mailbox, hook: HookReceiver
) -> None:
    notify.add_webhook(db, world.admin, "Purchasing", hook.url)
    run(db)
    first = mailbox.recipients()

    again = run(db, now=NOW + dt.timedelta(minutes=15))

    assert again.plan is not None
    assert (again.plan.digests, again.plan.reminders, again.plan.webhook_posts) == (0, 0, 0)
    assert mailbox.recipients() == first
    assert len(hook.bodies) == 2


def test_the_next_day_brings_reminders_again_but_no_digest_for_known_alerts(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    run(db)

    next_day = run(db, as_of=AS_OF + dt.timedelta(days=1), now=NOW + dt.timedelta(days=1))

    assert next_day.plan is not None
    assert next_day.plan.digests == 0
    assert next_day.plan.reminders == 4
    assert len(mailbox.to(BUYER)) == 1
    assert len(mailbox.to(ACME_CONTACT)) == 2


def test_a_rise_in_severity_is_announced_once(db: Database, world: SmallWorld, mailbox: Mailbox) -> None:
    # No rule changes severity by itself today: start the alert one level lower, as a rule whose
    # severity depends on how late a line is would, and let the next sweep raise it back.
    planning.sweep(db, SYSTEM, AS_OF)
    with db.write() as session:
        stale = session.scalars(select(Alert).where(Alert.rule == AlertRule.STALE_UPDATE.value)).one()
        stale.severity = Severity.INFO
        stale_id = stale.id
        session.commit()
    notify.plan_pending(db, as_of=AS_OF, now=NOW)
    notify.deliver_pending(db, NOW)
    [first] = mailbox.to(BUYER)
    assert "INFO (1)" in first.text

    raised = run(db, now=NOW + dt.timedelta(hours=1))

    assert raised.sweep is not None and raised.sweep.raised_alert_ids == [stale_id]
    digests = mailbox.to(BUYER)
    assert len(digests) == 2
    assert "now warning (was info)" in digests[1].text
    assert "No recent output" in digests[1].text
    assert "Forecast to arrive late" not in digests[1].text  # only what rose, nothing already told

    # Down again and up again: warning was already announced, so nothing more is sent.
    with db.write() as session:
        session.execute(update(Alert).where(Alert.id == stale_id).values(severity="info"))
        session.commit()
    again = run(db, now=NOW + dt.timedelta(hours=2))
    assert again.sweep is not None and again.sweep.raised_alert_ids == [stale_id]
    assert len(mailbox.to(BUYER)) == 2


def test_a_resolved_alert_that_comes_back_is_announced_as_new(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    run(db)
    with db.write() as session:
        # As if the condition cleared at one sweep: the lifecycle opens a new alert when it returns.
        session.execute(update(Alert).where(Alert.rule == "STALE_UPDATE").values(status="resolved"))
        session.commit()

    run(db, now=NOW + dt.timedelta(hours=1))

    digests = mailbox.to(BUYER)
    assert len(digests) == 2
    assert "No recent output" in digests[1].text and "WARNING (1)" in digests[1].text


# ------------------------------------------------------------------------------ who gets what


def test_opted_out_people_get_nothing_and_others_are_unaffected(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    notify.set_my_notification_preferences(db, world.buyer, {"alert_digest": False})
    notify.set_my_notification_preferences(db, actor_of(db, "acme"), {"supplier_reminder": False})

    run(db)

    assert mailbox.to(BUYER) == []
    assert mailbox.to(ACME_USER) == []
    assert len(mailbox.to(BUYER2)) == 1
    assert len(mailbox.to(ACME_CONTACT)) == 1


def test_opting_back_in_brings_the_alerts_not_yet_announced(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    notify.set_my_notification_preferences(db, world.buyer, {"alert_digest": False})
    run(db)
    notify.set_my_notification_preferences(db, world.buyer, {"alert_digest": True})

    run(db, now=NOW + dt.timedelta(hours=1))

    [digest] = mailbox.to(BUYER)
    assert "CRITICAL (2)" in digest.text
    assert len(mailbox.to(BUYER2)) == 1


def test_a_user_may_only_switch_the_kinds_of_their_role(
    sqlite_db: Database, sqlite_world: SmallWorld
) -> None:
    with pytest.raises(ValidationError, match="Your role gets no “Alert digest” notifications"):
        notify.set_my_notification_preferences(
            sqlite_db, actor_of(sqlite_db, "acme"), {"alert_digest": False}
        )
    assert reads.my_notifications(sqlite_db, sqlite_world.manager).kinds == {}
    mine = reads.my_notifications(sqlite_db, sqlite_world.buyer)
    assert (mine.email, mine.kinds) == (BUYER, {"alert_digest": True})


def test_a_buyer_following_a_supplier_gets_only_its_alerts_and_the_backorder_alerts(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    buyer2 = actor_of(db, "buyer2")
    notify.set_followed_suppliers(db, buyer2, [world.bolt_id])

    run(db)

    [followed] = mailbox.to(BUYER2)
    assert "PO-2/1" in followed.text and "SO-2" in followed.text
    assert "PO-1/1" not in followed.text and "More work than capacity" not in followed.text
    [everything] = mailbox.to(BUYER)
    assert "PO-1/1" in everything.text and "PO-2/1" in everything.text


@pytest.mark.parametrize(
    "call",
    [
        lambda db: reads.notification_log(db, actor_of(db, "buyer")),
        lambda db: notify.retry_notifications(db, actor_of(db, "manager"), [1]),
        lambda db: reads.get_notify_settings(db, actor_of(db, "buyer")),
        lambda db: notify.add_webhook(db, actor_of(db, "acme"), "Team", "https://hooks.example.com/x"),
        lambda db: notify.sweep_and_notify(db, actor_of(db, "buyer")),
    ],
)
def test_only_admins_see_the_log_change_settings_or_run_the_job(
    sqlite_db: Database, sqlite_world: SmallWorld, call: Callable[[Database], object]
) -> None:
    with pytest.raises(PermissionDenied):
        call(sqlite_db)


def test_only_buyers_may_follow_suppliers(sqlite_db: Database, sqlite_world: SmallWorld) -> None:
    with pytest.raises(PermissionDenied):
        notify.set_followed_suppliers(sqlite_db, sqlite_world.manager, [sqlite_world.acme_id])


# ------------------------------------------------------------------------------ failures, retries


def test_an_smtp_refusal_is_retried_with_backoff_and_delivered_exactly_once(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    mailbox.refuse_next = 1  # the first message (the first buyer's digest) is refused once

    first = run(db)

    assert first.delivery is not None and (first.delivery.sent, first.delivery.retrying) == (5, 1)
    [waiting] = [r for r in rows(db) if r.status == "pending"]
    assert waiting.attempts == 1 and "451" in (waiting.last_error or "")
    assert waiting.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert mailbox.to(waiting.recipient) == []

    early = notify.deliver_pending(db, NOW + dt.timedelta(seconds=30))  # not due yet
    later = notify.deliver_pending(db, NOW + dt.timedelta(seconds=61))
    notify.deliver_pending(db, NOW + dt.timedelta(hours=1))

    assert (early.sent, later.sent) == (0, 1)
    assert len(mailbox.to(waiting.recipient)) == 1
    row = next(r for r in rows(db) if r.id == waiting.id)
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_webhook_answering_500_once_is_retried_and_posted_exactly_once(
    db: Database, world: SmallWorld, mailbox: Mailbox, hook: HookReceiver
) -> None:
    notify.add_webhook(db, world.admin, "Purchasing", hook.url)
    hook.fail_next = 1

    run(db)
    assert len(hook.bodies) == 1
    [waiting] = [r for r in rows(db, "critical_webhook") if r.status == "pending"]
    assert "HTTP 500" in (waiting.last_error or "")

    notify.deliver_pending(db, NOW + dt.timedelta(minutes=2))
    notify.deliver_pending(db, NOW + dt.timedelta(hours=2))

    assert len(hook.bodies) == 2
    assert len({b["text"] for b in hook.bodies}) == 2
    assert {r.status for r in rows(db, "critical_webhook")} == {"sent"}


def test_a_message_still_failing_after_the_last_attempt_is_failed_with_doubling_waits(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    mailbox.refuse_next = 100
    planning.sweep(db, SYSTEM, AS_OF)
    notify.plan_pending(db, as_of=AS_OF, now=NOW)
    row_id = rows(db, "alert_digest")[0].id

    waits = []
    now = NOW
    for _attempt in range(3):
        notify.deliver_pending(db, now, ids=[row_id])
        row = next(r for r in rows(db) if r.id == row_id)
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at

    assert (row.status, row.attempts) == ("failed", 3)
    assert waits[:2] == [dt.timedelta(seconds=60), dt.timedelta(seconds=120)]
    assert reads.notification_counts(db, world.admin)["failed"] == 1


def test_a_refused_recipient_fails_at_once_and_an_admin_retry_delivers_it(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    mailbox.unknown = {BUYER}

    run(db)

    [row] = [r for r in rows(db) if r.recipient == BUYER]
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in (row.last_error or "")
    failed = reads.notification_log(db, world.admin, "failed")
    assert failed["id"].tolist() == [row.id]

    mailbox.unknown = set()
    report = notify.retry_notifications(db, world.admin, [row.id])

    assert report.sent == 1
    assert len(mailbox.to(BUYER)) == 1
    with pytest.raises(ValidationError, match="already sent"):
        notify.retry_notifications(db, world.admin, [row.id])


def test_a_disabled_webhook_gets_no_queued_or_new_posts(
    db: Database, world: SmallWorld, mailbox: Mailbox, hook: HookReceiver
) -> None:
    hook_id = notify.add_webhook(db, world.admin, "Purchasing", hook.url)
    plan_only(db)
    notify.set_webhook_active(db, world.admin, hook_id, False)

    notify.deliver_pending(db, NOW)
    run(db, now=NOW + dt.timedelta(hours=1))

    assert hook.bodies == []
    posts = rows(db, "critical_webhook")
    assert len(posts) == 2
    assert all(p.status == "failed" and "disabled" in (p.last_error or "") for p in posts)


def test_no_mail_server_never_fails_the_sweep(db: Database, world: SmallWorld, mailbox: Mailbox) -> None:
    notify.update_notify_settings(db, world.admin, {"smtp.port": 1})  # nothing listens there

    result = run(db)

    assert result.sweep is not None and result.sweep.alerts_opened > 0
    assert len(open_alerts(db)) == 9
    # One attempt finds the server down; the other messages wait, their attempts untouched.
    assert result.delivery is not None
    assert (result.delivery.retrying, result.delivery.deferred) == (1, 5)
    assert {r.status for r in rows(db)} == {"pending"}
    assert sorted(r.attempts for r in rows(db)) == [0, 0, 0, 0, 0, 1]
    assert "Mail server 127.0.0.1:1: ConnectionRefusedError" in (rows(db)[0].last_error or "")

    notify.update_notify_settings(db, world.admin, {"smtp.port": mailbox.port})
    notify.deliver_pending(db, NOW + dt.timedelta(minutes=5))
    assert len(mailbox.received) == 6


def test_a_planning_error_is_reported_and_the_sweep_is_kept(
    sqlite_db: Database, sqlite_world: SmallWorld, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> NoReturn:
        raise RuntimeError("template exploded")

    monkeypatch.setattr(notify_plan, "plan_notifications", broken)

    result = run(sqlite_db)

    assert result.plan is None
    assert any("template exploded" in e for e in result.errors)
    assert len(open_alerts(sqlite_db)) == 9
    assert mailbox.received == []


def test_without_smtp_settings_nothing_is_planned_and_the_first_digest_catches_up(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    notify.update_notify_settings(db, world.admin, {"smtp.host": ""})

    off = run(db)
    assert off.plan is not None and not off.plan.email_enabled and rows(db) == []

    notify.update_notify_settings(db, world.admin, {"smtp.host": "127.0.0.1"})
    run(db, now=NOW + dt.timedelta(hours=1))

    [digest] = mailbox.to(BUYER)
    assert "CRITICAL (2)" in digest.text


def test_a_notification_setting_change_is_audited_and_a_secret_only_as_set_or_not(db: Database) -> None:
    world = small_world(db)
    notify.update_notify_settings(db, world.admin, {"smtp.password": "hunter2", "smtp.port": 2525})
    notify.update_notify_settings(db, world.admin, {"smtp.password": "", "smtp.port": 2525})

    with db.read() as session:
        events = session.execute(
            select(AuditEvent.entity_id, AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.action == "setting.changed")
            .order_by(AuditEvent.id)
        ).all()
        stored: dict[str, Any] = dict(session.execute(select(Setting.key, Setting.value)).all())
    assert [(key, before["value"], after["value"]) for key, before, after in events] == [
        ("smtp.password", "(not set)", "(set)"),
        ("smtp.port", None, 2525),
        ("smtp.password", "(set)", "(not set)"),
    ]
    assert stored.get("smtp.port") == 2525 and "smtp.password" not in stored


# ------------------------------------------------------------------------------ crash safety


class Crash(BaseException):
    """The process dying: not an Exception, so nothing catches it on the way out."""


class CrashingTransport(notify.LiveTransport):
    """Real SMTP, but the process dies on the message after ``survive`` sent ones."""

    def __init__(self, settings: NotifySettings, survive: int, *, after_the_server_accepted: bool) -> None:
        super().__init__(settings)
        self.survive, self.after = survive, after_the_server_accepted
        self.count = 0

    def send_email(self, message: EmailMessage, sender: str, recipient: str) -> None:
        if self.count == self.survive:
            if self.after:
                super().send_email(message, sender, recipient)
            raise Crash
        super().send_email(message, sender, recipient)
        self.count += 1


def die_on_the_second_message(db: Database, *, after_the_server_accepted: bool) -> None:
    """Plan the messages, then deliver until the process dies on the second one, before or after the
    mail server accepted it."""
    plan_only(db)
    with pytest.raises(Crash):
        notify.deliver_pending(
            db,
            NOW,
            transport=CrashingTransport(
                live_settings(db), 2, after_the_server_accepted=after_the_server_accepted
            ),
        )


def test_a_crash_after_the_server_accepted_a_message_resumes_without_any_repeat(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    die_on_the_second_message(db, after_the_server_accepted=True)
    assert len(mailbox.received) == 3
    assert [r.status for r in rows(db)].count("sending") == 1

    # Right away, the lease may belong to a sender still at work: the row is left alone.
    soon = notify.deliver_pending(db, NOW)
    assert soon.interrupted == 0 and soon.sent == 3
    later = notify.deliver_pending(db, NOW + dt.timedelta(minutes=10))

    assert later.interrupted == 1
    assert len(mailbox.received) == 6
    assert mailbox.recipients() == sorted({r.to for r in mailbox.received})  # nobody twice
    [interrupted] = [r for r in rows(db) if r.status == "failed"]
    assert (interrupted.last_error or "").startswith("Interrupted while sending")
    assert [r.status for r in rows(db)].count("sent") == 5


def test_a_crash_before_sending_leaves_the_message_to_an_admin_retry_and_it_arrives_once(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    die_on_the_second_message(db, after_the_server_accepted=False)
    notify.deliver_pending(db, NOW + dt.timedelta(minutes=10))
    [interrupted] = [r for r in rows(db) if r.status == "failed"]
    assert mailbox.to(interrupted.recipient) == []
    assert len(mailbox.received) == 5

    notify.retry_notifications(db, world.admin, [interrupted.id])
    notify.deliver_pending(db, NOW + dt.timedelta(hours=1))

    assert len(mailbox.to(interrupted.recipient)) == 1
    assert mailbox.recipients() == sorted([BUYER, BUYER2, ACME_USER, ACME_CONTACT, *BOLT_CONTACTS])


# ------------------------------------------------------------------------------ one sweep at a time


def _watch_sweeps(monkeypatch: pytest.MonkeyPatch, until_second_waits: Callable[[], None]) -> list[str]:
    """Record sweep starts and ends; the first sweep holds on until the second is seen waiting."""
    events: list[str] = []
    guard = threading.Lock()
    real = planning.sweep

    def watched(db: Database, actor: Actor, as_of: dt.date | None = None) -> planning.SweepResult:
        with guard:
            events.append("start")
            first = events.count("start") == 1
        if first:
            until_second_waits()
        result = real(db, actor, as_of)
        with guard:
            events.append("end")
        return result

    monkeypatch.setattr(planning, "sweep", watched)
    return events


def _two_at_once(db: Database) -> list[notify.NotifyRun]:
    results: list[notify.NotifyRun] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def one(i: int) -> None:
        try:
            barrier.wait()
            results.append(notify.sweep_and_notify(db, Actor.system(f"cron-{i}"), AS_OF, now=NOW))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert len(results) == 2
    return results


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    # A synchronisation point, not a timing assertion: give up only after a generous while.
    for _ in range(600):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _assert_one_runs_after_the_other(
    db: Database, monkeypatch: pytest.MonkeyPatch, box: Mailbox, second_is_waiting: Callable[[], bool]
) -> None:
    """Start two sweeps at once, the first holding on until ``second_is_waiting``: the second runs after
    the first ended, finds nothing left to send, and every recipient got one digest."""
    events = _watch_sweeps(monkeypatch, lambda: _wait_for(second_is_waiting, "the second sweep to wait"))
    results = _two_at_once(db)

    assert events == ["start", "end", "start", "end"]
    assert sorted(r.plan.digests for r in results if r.plan) == [0, 2]
    assert box.recipients() == sorted([BUYER, BUYER2, ACME_USER, ACME_CONTACT, *BOLT_CONTACTS])


@pytest.mark.postgres
def test_two_sweeps_started_at_once_on_postgresql_run_one_after_the_other(
    postgres_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server() as box:
        _world_on(postgres_db, box)

        def second_is_waiting() -> bool:
            with postgres_db.engine.connect() as conn:
                waiting = conn.execute(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                ).scalar()
            return bool(waiting)

        _assert_one_runs_after_the_other(postgres_db, monkeypatch, box, second_is_waiting)


def test_two_sweeps_started_at_once_on_sqlite_run_one_after_the_other(
    sqlite_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with smtp_server() as box:
        _world_on(sqlite_db, box)
        refused = threading.Event()
        real_try = locks._try_row

        def noting_refusals(*args: Any, **kwargs: Any) -> Any:
            other = real_try(*args, **kwargs)
            if other is not None:
                refused.set()
            return other

        monkeypatch.setattr(locks, "_try_row", noting_refusals)
        _assert_one_runs_after_the_other(sqlite_db, monkeypatch, box, refused.is_set)


@pytest.mark.postgres
def test_the_postgresql_lock_refuses_or_times_out_while_held(postgres_db: Database) -> None:
    with job_lock(postgres_db, "sweep"):
        with (
            pytest.raises(LockBusy, match="Another sweep is running"),
            job_lock(postgres_db, "sweep", wait=0),
        ):
            pass
        with (
            pytest.raises(LockBusy, match="still running after waiting"),
            job_lock(postgres_db, "sweep", wait=0.1),
        ):
            pass
        with job_lock(postgres_db, "another job", wait=0):
            pass
    with job_lock(postgres_db, "sweep", wait=0):
        pass


def test_the_sqlite_lock_row_is_held_for_the_block_and_removed_after(sqlite_db: Database) -> None:
    with job_lock(sqlite_db, "sweep") as held:
        with sqlite_db.read() as session:
            row = session.get(JobLock, "sweep")
            assert row is not None and row.holder == held.holder and row.expires_at > utcnow()
        with pytest.raises(LockBusy, match=f"held by {held.holder}"), job_lock(sqlite_db, "sweep", wait=0):
            pass
    with sqlite_db.read() as session:
        assert session.get(JobLock, "sweep") is None


def test_an_expired_sqlite_lock_row_is_taken_over_and_a_live_one_is_not(sqlite_db: Database) -> None:
    now = utcnow()
    with sqlite_db.write() as session:
        session.add(
            JobLock(
                name="sweep",
                holder="dead-host:1",
                acquired_at=now - dt.timedelta(hours=2),
                expires_at=now - dt.timedelta(hours=1),
            )
        )
        session.add(
            JobLock(
                name="other", holder="busy-host:2", acquired_at=now, expires_at=now + dt.timedelta(hours=1)
            )
        )
        session.commit()

    with job_lock(sqlite_db, "sweep", wait=0) as held, sqlite_db.read() as session:
        row = session.get(JobLock, "sweep")
        assert row is not None and row.holder == held.holder and row.expires_at > now
    with pytest.raises(LockBusy, match="held by busy-host:2"), job_lock(sqlite_db, "other", wait=0):
        pass


def test_refreshing_a_sqlite_lock_pushes_its_expiry_out(sqlite_db: Database) -> None:
    with job_lock(sqlite_db, "sweep", ttl=dt.timedelta(minutes=1)) as held:
        with sqlite_db.write() as session:
            session.execute(update(JobLock).values(expires_at=utcnow() + dt.timedelta(seconds=5)))
            session.commit()
        held.refresh()
        with sqlite_db.read() as session:
            row = session.get(JobLock, "sweep")
            assert row is not None and row.expires_at > utcnow() + dt.timedelta(seconds=30)


# ------------------------------------------------------------------------------ entry points


def test_sweep_notify_on_the_command_line_sends_the_digests(
    sqlite_db: Database, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server() as box:
        _world_on(sqlite_db, box)
        monkeypatch.setenv("DATABASE_URL", sqlite_url)

        code = main(["sweep", "--notify", "--as-of", "2026-03-12", "--lock-wait", "5"])

        out = capsys.readouterr().out
        assert code == 0
        assert "Notifications planned: 2 digest(s)" in out and "Delivered 6" in out
        assert len(box.to(BUYER)) == 1


def test_the_scheduler_skips_a_run_while_another_process_sweeps(
    sqlite_db: Database, sqlite_world: SmallWorld, mailbox: Mailbox
) -> None:
    with job_lock(sqlite_db, locks.SWEEP_LOCK):
        assert scheduler.run_once(sqlite_db, AS_OF) is None
    assert mailbox.received == []

    done = scheduler.run_once(sqlite_db, AS_OF)

    assert done is not None and done.delivery is not None and done.delivery.sent == 6


def test_the_scheduler_runs_one_job_every_n_minutes_and_only_when_switched_on(sqlite_db: Database) -> None:
    built = scheduler.build_scheduler(lambda: sqlite_db, 10, background=True, run_now=False)
    [job] = built.get_jobs()
    assert job.id == "sweep_notify" and job.max_instances == 1 and job.coalesce
    assert job.trigger.interval == dt.timedelta(minutes=10)
    assert scheduler.start_background_scheduler(lambda: sqlite_db, env={}) is None
    with pytest.raises(ValidationError, match="PORTAL_SCHEDULER_MINUTES"):
        scheduler.minutes_from_env({"PORTAL_SCHEDULER_MINUTES": "0"})


def test_a_test_email_is_sent_once_and_logged(
    sqlite_db: Database, sqlite_world: SmallWorld, mailbox: Mailbox
) -> None:
    outcome = notify.send_test_email(sqlite_db, sqlite_world.admin, "admin@example.com")

    assert outcome.sent and outcome.error is None
    [received] = mailbox.to("admin@example.com")
    assert received.message["Subject"] == "Supplier portal: test message"
    assert [r.status for r in rows(sqlite_db, "test_email")] == ["sent"]


def test_a_test_email_over_starttls_to_a_server_without_it_fails_once_with_the_reason(
    sqlite_db: Database, sqlite_world: SmallWorld, mailbox: Mailbox
) -> None:
    notify.update_notify_settings(sqlite_db, sqlite_world.admin, {"smtp.security": "starttls"})

    outcome = notify.send_test_email(sqlite_db, sqlite_world.admin, "admin@example.com")

    assert not outcome.sent and "STARTTLS" in (outcome.error or "")
    assert [r.status for r in rows(sqlite_db, "test_email")] == ["failed"]
    assert mailbox.received == []


# ------------------------------------------------------------------------------ purchase-order changes

PO_HEADER = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date,promised_date,transit_days,status\n"
)


def po_change_mails(mailbox: Mailbox, address: str) -> list[Received]:
    subjects = ("Purchase-order change", "Bestelländerung")  # English, German
    return [m for m in mailbox.to(address) if any(w in str(m.message["Subject"]) for w in subjects)]


def test_a_change_order_queues_its_e_mails_at_import_and_a_sweep_sends_them_once(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    # ACME's user reads the portal in German; its contact (no login) gets the default language.
    with db.write() as session:
        session.execute(update(User).where(User.username == "acme").values(language="de"))
        session.commit()
    # The buyer needs more, sooner, on ACME's PO-1/1: 1000 -> 1400 units, need-by 20 -> 16 March.
    change = PO_HEADER + "PO-1,1,ACME,SKU-1,1400,2026-02-01,2026-03-16,,,\n"
    result = load(db, world.buyer, "pos", change)
    assert result.ok and result.change_emails == 2  # ACME's user and its contact

    # In the outbox with the change itself, before any sweep: nothing waits for one.
    queued = rows(db, "po_change")
    assert [r.status for r in queued] == ["pending", "pending"]
    assert sorted(r.subject for r in queued) == [
        "Bestelländerung zu PO-1/1",
        "Purchase-order change on PO-1/1",
    ]
    assert mailbox.received == []

    first = run(db, now=utcnow())  # the e-mails are due from the import's moment
    assert [r.status for r in rows(db, "po_change")] == ["sent", "sent"]
    [german] = po_change_mails(mailbox, ACME_USER)
    assert german.message["Subject"] == "Bestelländerung zu PO-1/1"
    assert "PO-1/1 · Geändert von buyer am " in german.text
    assert (
        "1.000 → 1.400 (verlangt mehr von Ihnen)" in german.text and "20.03.2026 → 16.03.2026" in german.text
    )
    assert first.plan is not None and "purchase-order" not in first.plan.summary()
    for address in (ACME_CONTACT,):
        [mail] = po_change_mails(mailbox, address)
        assert "The buyer changed 1 of your purchase-order lines:" in mail.text
        assert "PO-1/1 · Changed by buyer on " in mail.text
        assert "Quantity: 1,000 → 1,400 (asks more of you)" in mail.text
        assert "Need-by date: Mar 20, 2026 → Mar 16, 2026 (asks more of you)" in mail.text
        assert f'href="{BASE}/alerts"' in mail.html
        assert "need_by_date" not in mail.text and "need_by_date" not in mail.html
    for address in BOLT_CONTACTS:
        assert po_change_mails(mailbox, address) == []

    # The next sweep --notify sends no duplicate; a second change order sends only the new change.
    run(db, now=utcnow() + dt.timedelta(minutes=15))
    assert len(rows(db, "po_change")) == 2
    assert len(po_change_mails(mailbox, ACME_CONTACT)) == 1
    assert load(db, world.buyer, "pos", PO_HEADER + "PO-1,1,ACME,SKU-1,1500,2026-02-01,2026-03-16,,,\n").ok
    run(db, now=utcnow() + dt.timedelta(minutes=30))
    [_first, second] = po_change_mails(mailbox, ACME_CONTACT)
    assert "Quantity: 1,400 → 1,500 (asks more of you)" in second.text
    assert "Need-by date" not in second.text
    assert len(rows(db, "po_change")) == 4


def test_a_change_order_with_e_mail_off_waits_in_the_outbox_and_goes_out_once_e_mail_is_set_up(
    sqlite_db: Database, sqlite_world: SmallWorld, mailbox: Mailbox
) -> None:
    notify.update_notify_settings(sqlite_db, sqlite_world.admin, {"smtp.host": ""})
    result = load(sqlite_db, sqlite_world.buyer, "pos", PO_HEADER + "PO-1,1,ACME,SKU-1,1400,,2026-03-16,,,\n")

    assert result.ok and result.changed == 1 and result.change_emails == 2  # ACME's user and its contact
    assert AlertRule.PO_CHANGED.value in {a.rule for a in open_alerts(sqlite_db)}
    # Sweeps while e-mail is off leave them waiting, their attempts untouched (no retry used up).
    for minutes in (0, 15):
        off = run(sqlite_db, now=utcnow() + dt.timedelta(minutes=minutes))
        assert off.delivery is not None and off.delivery.waiting_for_email == 2
    assert [(r.status, r.attempts) for r in rows(sqlite_db, "po_change")] == [("pending", 0), ("pending", 0)]
    assert mailbox.received == []

    notify.update_notify_settings(sqlite_db, sqlite_world.admin, {"smtp.host": "127.0.0.1"})
    run(sqlite_db, now=utcnow() + dt.timedelta(minutes=30))
    assert [r.status for r in rows(sqlite_db, "po_change")] == ["sent", "sent"]
    [mail] = po_change_mails(mailbox, ACME_CONTACT)
    assert "Quantity: 1,000 → 1,400 (asks more of you)" in mail.text


def test_two_change_orders_committing_at_once_each_queue_their_e_mail(
    postgres_db: Database, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two buyers import change orders on two of ACME's lines at the same moment: both transactions
    hold their changes and e-mails before either commits, and no e-mail is lost or sent twice."""
    db = postgres_db
    world = _world_on(db, mailbox)
    both_written = threading.Barrier(2)
    plan_emails = notify_plan.plan_po_change_emails

    def plan_then_wait(*args: Any, **kwargs: Any) -> int:
        written = plan_emails(*args, **kwargs)
        both_written.wait(timeout=60)  # neither import commits before the other has written its e-mails
        return written

    monkeypatch.setattr(notify_plan, "plan_po_change_emails", plan_then_wait)
    files = {
        "PO-1/1": PO_HEADER + "PO-1,1,ACME,SKU-1,1400,,2026-03-16,,,\n",
        "PO-1/2": PO_HEADER + "PO-1,2,ACME,SKU-2,450,,2026-03-27,,,\n",
    }
    results: dict[str, Any] = {}

    def import_one(line: str) -> None:
        try:
            results[line] = load(db, world.buyer, "pos", files[line])
        except BaseException as exc:  # reported below, not lost in the thread
            results[line] = exc

    threads = [threading.Thread(target=import_one, args=(line,)) for line in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    assert all(getattr(r, "ok", False) and r.change_emails == 2 for r in results.values()), results
    assert len(rows(db, "po_change")) == 4  # two lines, two addresses each
    run(db, now=utcnow())
    run(db, now=utcnow() + dt.timedelta(minutes=15))  # a later sweep sends no duplicate
    for address in (ACME_USER, ACME_CONTACT):
        mails = po_change_mails(mailbox, address)
        assert sorted(m.message["Subject"] for m in mails) == [
            "Purchase-order change on PO-1/1",
            "Purchase-order change on PO-1/2",
        ]
    assert {r.status for r in rows(db, "po_change")} == {"sent"}


def test_a_change_in_the_suppliers_favour_sends_no_e_mail_and_opting_out_is_per_address(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    # Later need-by and fewer units on BOLT's line: kept in the history, no alert, no e-mail.
    assert load(db, world.buyer, "pos", PO_HEADER + "PO-2,1,BOLT,SKU-1,700,,2026-04-20,,,\n").ok
    notify.set_my_notification_preferences(db, actor_of(db, "acme"), {"po_change": False})
    assert load(db, world.buyer, "pos", PO_HEADER + "PO-1,2,ACME,SKU-2,350,,2026-03-27,,,\n").ok

    run(db, now=utcnow())

    assert po_change_mails(mailbox, ACME_USER) == []
    [mail] = po_change_mails(mailbox, ACME_CONTACT)
    assert "PO-1/2" in mail.text and "Quantity: 300 → 350" in mail.text
    for address in BOLT_CONTACTS:
        assert po_change_mails(mailbox, address) == []


# ------------------------------------------------------------------------------ dismissals that come back


def test_a_dismissed_alert_that_got_worse_comes_back_in_the_digest_saying_why(
    db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    from portal.services.alerts import resolve_alerts

    run(db)
    with db.read() as session:
        # The open one: the schedules' import (as of 6 March, at the planned rate) raised one that the
        # reports' import resolved.
        late = session.scalars(
            select(Alert).where(Alert.rule == AlertRule.PROJECTED_LATE.value, Alert.status == "open")
        ).one()
    now_late = int(late.days_late or 0)
    assert now_late > 0
    assert resolve_alerts(db, actor_of(db, "buyer"), [late.id]) == 1
    # Dismissed when it was 5 days less late: it has grown past the admin's threshold since.
    with db.write() as session:
        session.execute(update(Alert).where(Alert.id == late.id).values(dismissed_days_late=now_late - 5))
        session.commit()

    run(db, now=NOW + dt.timedelta(hours=1))

    reason = f"was {now_late - 5} days late when dismissed, now {now_late}"
    [_first, digest] = mailbox.to(BUYER)
    assert f"reopened: {reason}" in digest.text
    assert f"reopened: {reason}" in html.unescape(digest.html)
    # Nothing else was new: the digest is about the reopened alert alone.
    assert "As of Mar 12, 2026, 1 alert is new." in digest.text
