"""AppTest of alert messages in the reader's language: a Chinese supplier's alerts page, a German
buyer's inbox and line page show the rules' messages translated, with their dates written as the
language writes them; an English user sees exactly the stored text.

The translations of the rules' templates come with the lead's catalog merge; until then a stand-in
catalog marks each translated template, so the tests see which texts went through the catalog."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import Database
from db.models import Alert
from portal.core.alert_text import TEMPLATES
from portal.ui.context import ACTOR_KEY
from tests.apptest import APP, app_as, texts
from tests.builders import BuyerWorld, buyer_world
from tests.fake_catalog import install
from tests.integration.db_state import live_alerts

pytestmark = pytest.mark.world(build=buyer_world)

SUPPLIER_ALERTS = "portal/ui/views/supplier/alerts.py"
LINE_DETAIL = "portal/ui/views/buyer/line_detail.py"
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def marked(code: str) -> dict[str, str]:
    """Every template "translated" as itself behind a mark: "[de] {label} has produced ..."."""
    return {template.text: f"[{code}] {template.text}" for template in TEMPLATES.values()}


def stored(db: Database, **where: object) -> dict[int, str]:
    """alert id -> the English message stored, of the live alerts matching ``where``."""
    return live_alerts(db, Alert.id, Alert.message, **where)


def shown_messages(at: AppTest) -> list[str]:
    """The messages of the alerts shown below the supplier's table (the first line's: no comments yet)."""
    table = at.dataframe(key="supplier_alerts.table").value
    assert len(table) > 0
    return [text.value for text in at.text]


def test_a_chinese_supplier_sees_its_alert_messages_in_chinese_with_chinese_dates(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    install(monkeypatch, "zh_Hans", marked("zh"))
    chinese = replace(world.acme_user, language="zh_Hans")
    at = app_as(monkeypatch, sqlite_url, chinese, page=SUPPLIER_ALERTS)
    assert not at.exception, [e.message for e in at.exception]
    messages = shown_messages(at)
    assert messages and all(message.startswith("[zh] ") for message in messages), messages
    dated = [m for m in messages if "年" in m]
    assert dated and not any(ISO_DATE.search(m) for m in dated)  # 2026年3月6日, never 2026-03-06


def test_an_english_supplier_sees_exactly_the_stored_messages(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: BuyerWorld
) -> None:
    install(monkeypatch, "zh_Hans", marked("zh"))  # another language's catalog changes nothing here
    at = app_as(monkeypatch, sqlite_url, world.acme_user, page=SUPPLIER_ALERTS)
    messages = shown_messages(at)
    assert messages and set(messages) <= set(
        stored(sqlite_db, supplier_id=world.acme_user.supplier_id).values()
    )


def test_a_german_buyer_reads_the_inbox_and_the_line_page_in_german(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: BuyerWorld
) -> None:
    install(monkeypatch, "de", marked("de"))
    german = replace(world.buyer, language="de")
    at = app_as(monkeypatch, sqlite_url, german)
    assert not at.exception, [e.message for e in at.exception]
    inbox = at.dataframe[0].value
    assert all("[de] " in message for message in inbox["message"]), list(inbox["message"])
    late = inbox.set_index("subject").loc["PO-3/1", "message"]
    assert re.search(r"\d\d\.\d\d\.\d{4}", late) and not ISO_DATE.search(late), late
    assert "1 Auftrag wartet" in set(inbox["waiting"])  # "N orders waiting", translated at display

    # Straight to the line page (AppTest cannot rerun the German inbox's translated radio options).
    line = AppTest.from_file(str(APP), default_timeout=60)
    line.session_state[ACTOR_KEY] = german
    line.session_state["line_detail.line"] = world.late_line_id
    line.switch_page(LINE_DETAIL).run()
    assert not line.exception, [e.message for e in line.exception]
    messages = [t.value for t in line.text if "[de] " in str(t.value)]
    assert len(messages) == len(stored(sqlite_db, po_line_id=world.late_line_id))


def test_an_english_buyer_reads_the_inbox_as_before(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: BuyerWorld
) -> None:
    install(monkeypatch, "de", marked("de"))
    at = app_as(monkeypatch, sqlite_url, world.buyer)
    inbox = at.dataframe[0].value
    english = list(stored(sqlite_db).values())
    # Each headline is a stored message, less the subject the table already shows.
    for message in inbox["message"]:
        assert any(full.endswith(message) for full in english), message
    assert "[de]" not in texts(at)


@pytest.mark.parametrize("code", ["de", "es", "zh_Hans"])
def test_a_backorders_headline_in_the_inbox_does_not_repeat_its_subject_in_any_language(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld, code: str
) -> None:
    # The real catalog: the backorder is named in the reader's language ("Rückstand SO-4 (...)").
    at = app_as(monkeypatch, sqlite_url, replace(world.buyer, language=code))
    assert not at.exception, [e.message for e in at.exception]
    inbox = at.dataframe[0].value
    orders = inbox[inbox["subject"].isin(list(world.backorder_ids))]
    assert len(orders) > 0, list(inbox["subject"])
    for subject, message in zip(orders["subject"], orders["message"], strict=True):
        assert message and subject not in message, message
