"""AppTest of the admin's notifications page and the notification choices on My account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import streamlit as st
from sqlalchemy import update
from streamlit.source_util import page_icon_and_name
from streamlit.testing.v1 import AppTest

from db.engine import Database
from db.models import User
from portal.queries import notifications as reads
from portal.services import notifications as notify
from portal.services.access import Actor
from tests.apptest import app_as, shown, texts
from tests.builders import SmallWorld, actor_of, small_world
from tests.local_servers import Mailbox, smtp_server

ADMIN_PAGE = "portal/ui/views/admin/notifications.py"
ACCOUNT_PAGE = "portal/ui/views/account.py"
LINE_DETAIL = "portal/ui/views/buyer/line_detail.py"
BUYER = "buyer@example.com"


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    # Cached reads are keyed by actor, and every test's admin is user 1: start each test cold.
    st.cache_data.clear()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def world(sqlite_db: Database) -> SmallWorld:
    w = small_world(sqlite_db)
    with sqlite_db.write() as session:
        session.execute(update(User).where(User.username == "buyer").values(email=BUYER))
        session.commit()
    return w


def configure(db: Database, world: SmallWorld, mailbox: Mailbox) -> None:
    notify.update_notify_settings(
        db,
        world.admin,
        {
            "smtp.host": "127.0.0.1",
            "smtp.port": mailbox.port,
            "smtp.security": "none",
            "smtp.from": "portal@example.com",
        },
    )


def page(monkeypatch: pytest.MonkeyPatch, url: str, who: Actor, path: str) -> AppTest:
    at = app_as(monkeypatch, url, who, page=path)
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_label(widgets: Iterable[Any], label: str) -> Any:
    return next(w for w in widgets if w.label == label)


def rerun(target: Any) -> AppTest:
    """Run the app again (after a widget change or a click), as the browser would."""
    at = target.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


# ------------------------------------------------------------------------------ admin page


def test_an_empty_log_says_so_in_words_not_with_an_empty_grid(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = page(monkeypatch, sqlite_url, world.admin, ADMIN_PAGE)
    assert by_label(at.metric, "Sent").value == "0"
    # An empty grid reads "empty", in English on every page; the log's tab has no table then.
    assert "No messages to show." in texts(at)
    assert not [t for t in at.dataframe if "recipient" in t.value.columns]


def test_the_log_shows_a_failed_message_and_retry_now_delivers_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    configure(sqlite_db, world, mailbox)
    mailbox.unknown = {BUYER}
    notify.sweep_and_notify(sqlite_db, Actor.system("test"), dt.date(2026, 3, 12))
    [failed_id] = reads.notification_log(sqlite_db, world.admin, "failed")["id"].tolist()

    at = page(monkeypatch, sqlite_url, world.admin, ADMIN_PAGE)
    assert at.title[0].value == "Notifications"
    assert by_label(at.metric, "Failed").value == "1"
    log = at.dataframe[0].value.set_index("id")
    assert log.loc[failed_id, "status"] == "Failed" and "550" in log.loc[failed_id, "last_error"]
    # Words, not codes: the kind and channel as the admin reads them.
    assert (log.loc[failed_id, "kind"], log.loc[failed_id, "channel"]) == ("Alert digest", "E-mail")
    assert "1 message failed. Fix the cause (settings, address, webhook), then retry it." in texts(at)

    mailbox.unknown = set()
    at.multiselect(key="admin_notify.retry_ids").select(failed_id)
    at = rerun(at)  # choosing enables the button, as in the browser
    at = rerun(at.button(key="admin_notify.retry").click())

    assert "Delivered 1, retrying 0, failed 0." in texts(at)
    assert by_label(at.metric, "Failed").value == "0"
    assert len(mailbox.to(BUYER)) == 1


def test_saving_mail_settings_stores_them_and_never_shows_the_password_back(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = page(monkeypatch, sqlite_url, world.admin, ADMIN_PAGE)
    assert "E-mail is off" in texts(at)
    by_label(at.text_input, "SMTP host").input("smtp.example.com")
    by_label(at.number_input, "SMTP port").set_value(465)
    by_label(at.selectbox, "Connection security").select("tls")
    by_label(at.text_input, "SMTP user").input("portal")
    by_label(at.text_input, "SMTP password").input("s3cret-Pa55word")
    by_label(at.text_input, "From address").input("Portal <portal@example.com>")
    at = rerun(by_label(at.button, "Save settings").click())

    assert "Notification settings saved." in texts(at)
    view = reads.get_notify_settings(sqlite_db, world.admin)
    assert view.values["smtp.host"] == "smtp.example.com" and view.values["smtp.port"] == 465
    assert view.sources["smtp.security"] == "settings page" and view.password_set
    assert view.sources["notify.max_attempts"] == "default"  # untouched fields are not stored
    password = by_label(at.text_input, "SMTP password")
    assert password.value == "" and password.placeholder == "(unchanged: a password is set)"
    assert all("s3cret" not in str(w.value) for w in at.text_input)
    assert "E-mail is off" not in texts(at)


def test_a_bad_setting_is_refused_with_the_field_named(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = page(monkeypatch, sqlite_url, world.admin, ADMIN_PAGE)
    by_label(at.text_input, "Portal base URL").input("ftp://portal")
    at = rerun(by_label(at.button, "Save settings").click())

    assert [shown(e.value) for e in at.error] == [
        "Portal base URL: must start with http:// or https://, not 'ftp://portal'."
    ]
    assert reads.get_notify_settings(sqlite_db, world.admin).sources["notify.base_url"] != "settings page"


def test_a_setting_refused_from_the_environment_shows_in_the_language_of_the_browser_now(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    # The admin follows the browser's language (the actor does not say it), and the page's read of
    # the settings is cached for a minute: the language is part of its key, so a German browser of
    # the same admin does not get the problem in the English it was first read in.
    import portal.ui.app as app

    assert world.admin.language is None
    monkeypatch.setenv("PORTAL_SMTP_PORT", "many")
    at = page(monkeypatch, sqlite_url, world.admin, ADMIN_PAGE)
    assert "Ignored: PORTAL_SMTP_PORT: SMTP port: must be a whole number, not 'many'." in [
        shown(w.value) for w in at.warning
    ]
    monkeypatch.setattr(app, "_browser_language", lambda: "de")
    at = rerun(at)
    assert at.title[0].value == "Benachrichtigungen"
    assert "Ignoriert: PORTAL_SMTP_PORT: SMTP-Port: muss eine ganze Zahl sein, nicht 'many'." in [
        shown(w.value) for w in at.warning
    ]


def test_the_test_email_button_sends_one_message(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    configure(sqlite_db, world, mailbox)
    at = page(monkeypatch, sqlite_url, world.admin, ADMIN_PAGE)

    by_label(at.text_input, "To").input("admin@example.com")
    at = rerun(by_label(at.button, "Send a test e-mail").click())

    assert "Test e-mail sent to admin@example.com." in texts(at)
    assert len(mailbox.to("admin@example.com")) == 1


def test_an_admin_adds_a_webhook_sees_it_masked_and_disables_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = page(monkeypatch, sqlite_url, world.admin, ADMIN_PAGE)
    by_label(at.text_input, "Team").input("Purchasing")
    by_label(at.text_input, "Webhook URL").input("https://hooks.example.com/services/T0/B0/abcdSECRETwxyz")
    at = rerun(by_label(at.button, "Add webhook").click())

    assert "Webhook for Purchasing added." in texts(at)
    hooks = next(t.value for t in at.dataframe if "team" in t.value.columns)  # the empty log has no grid
    assert hooks["team"].tolist() == ["Purchasing"]
    assert hooks["url"].tolist() == ["https://hooks.example.com/…wxyz"]

    at = rerun(at.button(key="admin_notify.toggle_hook").click())

    assert reads.list_webhooks(sqlite_db, world.admin)["active"].tolist() == [False]
    assert at.button(key="admin_notify.toggle_hook").label == "Enable"


def test_the_line_link_of_a_digest_opens_that_line_in_the_buyers_line_detail(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld, mailbox: Mailbox
) -> None:
    configure(sqlite_db, world, mailbox)
    notify.sweep_and_notify(sqlite_db, Actor.system("test"), dt.date(2026, 3, 12))
    [digest] = mailbox.to(BUYER)
    link = next(w for w in digest.text.split() if "line=" + str(world.line_ids["PO-1/1"]) in w)
    parts = urlsplit(link)

    # st.navigation serves a page file at /<its file name>: the link must use that name.
    assert parts.path.strip("/") == page_icon_and_name(Path(LINE_DETAIL))[1]
    at = app_as(monkeypatch, sqlite_url, world.buyer)
    at.switch_page(LINE_DETAIL)
    at.query_params.update(parse_qs(parts.query))
    at = rerun(at)
    assert shown(at.title[0].value) == "Line PO-1/1"


# ------------------------------------------------------------------------------ my account


def test_a_buyer_turns_the_digest_off_and_follows_one_supplier(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = page(monkeypatch, sqlite_url, world.buyer, ACCOUNT_PAGE)
    assert f"E-mails go to {BUYER}." in texts(at)
    digest = at.checkbox(key="account.notify.alert_digest")
    assert digest.label == "Alert digest" and digest.value is True

    digest.uncheck()
    at.multiselect(key="account.notify.follows").select(world.bolt_id)
    at = rerun(by_label(at.button, "Save notification choices").click())

    assert reads.my_notifications(sqlite_db, world.buyer).kinds == {"alert_digest": False}
    assert reads.follow_choices(sqlite_db, world.buyer)[1] == [world.bolt_id]
    at = page(monkeypatch, sqlite_url, world.buyer, ACCOUNT_PAGE)
    assert at.checkbox(key="account.notify.alert_digest").value is False
    assert at.multiselect(key="account.notify.follows").value == [world.bolt_id]


def test_a_supplier_user_sees_reminders_and_is_told_when_no_address_is_on_file(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    acme = actor_of(sqlite_db, "acme")
    at = page(monkeypatch, sqlite_url, acme, ACCOUNT_PAGE)

    assert at.checkbox(key="account.notify.supplier_reminder").label == "Reporting reminders"
    assert "There is no e-mail address on your account" in texts(at)
    assert not [m for m in at.multiselect if m.key == "account.notify.follows"]

    assert at.checkbox(key="account.notify.po_change").label == "Purchase-order changes"

    at.checkbox(key="account.notify.supplier_reminder").uncheck()
    at = rerun(by_label(at.button, "Save notification choices").click())
    # Saved as shown: reminders off, purchase-order changes still on.
    assert reads.my_notifications(sqlite_db, acme).kinds == {"supplier_reminder": False, "po_change": True}


def test_a_manager_is_told_no_notifications_are_sent_to_the_role(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = page(monkeypatch, sqlite_url, world.manager, ACCOUNT_PAGE)
    assert "The portal sends no e-mail notifications to your role." in texts(at)
    assert not at.checkbox
