"""AppTest of languages: a user's own language on every page, chosen on My account and used at once;
logged out, the browser's language (its Accept-Language header)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import Database
from db.models import User
from portal.i18n import choose_language
from tests.apptest import app_as
from tests.builders import SmallWorld

ACCOUNT_PAGE = "portal/ui/views/account.py"


def test_a_supplier_who_chose_german_sees_german_titles_and_menu(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, replace(world.acme_user, language="de"))
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Meine Positionen"
    assert at.sidebar.button(key="auth.logout").label == "Abmelden"
    assert "Lieferant" in [c.value for c in at.sidebar.caption]


def chart_configs(at: AppTest) -> list[dict[str, Any]]:
    """The ``config`` of every Vega-Lite chart on the page."""
    return [json.loads(chart.proto.spec).get("config", {}) for chart in at.get("vega_lite_chart")]


@pytest.mark.parametrize(
    ("code", "months", "thousands"),
    [("de", ["Okt.", "Nov.", "Dez."], "."), ("zh_Hans", ["10月", "11月", "12月"], ",")],
)
def test_charts_name_months_and_days_and_write_numbers_in_the_users_language(
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    world: SmallWorld,
    code: str,
    months: list[str],
    thousands: str,
) -> None:
    # The burn-up's axis says "Wed 21", "Oct 25" and "20,000" unless Vega is given the language's names.
    at = app_as(monkeypatch, sqlite_url, replace(world.acme_user, language=code))
    at.switch_page("portal/ui/views/supplier/schedule.py").run()
    at.selectbox(key="schedule.line").select(world.line_ids["PO-1/1"]).run()
    [burnup] = chart_configs(at)
    assert burnup["locale"]["time"]["shortMonths"][9:] == months
    assert burnup["locale"]["number"]["thousands"] == thousands
    at.switch_page("portal/ui/views/supplier/scorecard.py").run()
    [trends] = chart_configs(at)
    assert trends == burnup
    english = app_as(monkeypatch, sqlite_url, world.acme_user)
    english.switch_page("portal/ui/views/supplier/schedule.py").run()
    english.selectbox(key="schedule.line").select(world.line_ids["PO-1/1"]).run()
    assert chart_configs(english) == [{}]  # Vega's own English


def test_without_a_choice_the_user_sees_english(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.acme_user)
    assert at.title[0].value == "My lines"
    assert at.sidebar.button(key="auth.logout").label == "Log out"


def test_choosing_a_language_on_my_account_switches_at_once_and_is_kept(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.buyer, page=ACCOUNT_PAGE)
    assert at.title[0].value == "My account"
    at.selectbox(key="account.language").set_value("de").run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.title[0].value == "Mein Konto"
    with sqlite_db.read() as session:
        assert session.scalar(select(User.language).where(User.username == "buyer")) == "de"
    at.selectbox(key="account.language").set_value("en").run()
    assert at.title[0].value == "My account"


def test_the_login_page_follows_the_browsers_language(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    # AppTest sends no request headers: stand in for the browser's Accept-Language.
    import portal.ui.app

    monkeypatch.setattr(portal.ui.app, "_browser_language", lambda: "de-DE,de;q=0.9,en;q=0.8")
    at = app_as(monkeypatch, sqlite_url)
    assert at.title[0].value == "Lieferantenportal"
    assert at.text_input(key="login.username").label == "Benutzername"


@pytest.mark.parametrize(
    ("user", "header", "locale", "expected"),
    [
        ("de", "zh-CN,zh;q=0.9", "zh-CN", "de"),  # the user's own choice wins
        (None, "zh-CN,zh;q=0.9,en;q=0.5", None, "zh_Hans"),
        (None, "fr-FR,fr;q=0.9,es;q=0.8", None, "es"),  # the first the portal has
        (None, "fr-FR", None, "en"),  # nothing fits: English
        (None, None, "vi-VN", "vi"),  # no header: the browser's navigator.language
        (None, None, None, "en"),
        ("xx", "tr-TR", None, "tr"),  # a stored code with no catalog is ignored
    ],
)
def test_the_language_of_a_request(
    user: str | None, header: str | None, locale: str | None, expected: str
) -> None:
    assert choose_language(user, header, locale) == expected


def _english_only_messages(code: str) -> set[str]:
    """The catalog's English messages whose translation in ``code`` reads differently."""
    from babel.messages.pofile import read_po

    from portal.i18n import LOCALE_DIR

    with open(LOCALE_DIR / code / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    english = set()
    for message in catalog:
        ids = tuple(message.id) if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and "{" not in ids[0] and ids[0] not in strings:
            english.add(ids[0])
    return english


def _labels(at: AppTest) -> list[str]:
    """What a user reads on the page: titles, headers, captions, Markdown, and every widget's label."""
    found: list[str] = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error"):
        found.extend(str(element.value) for element in getattr(at, kind))
    for kind in ("button", "selectbox", "multiselect", "text_input", "number_input", "date_input", "tabs"):
        found.extend(str(getattr(element, "label", "")) for element in getattr(at, kind))
    found.extend(str(element.label) for element in at.metric)
    return [text for text in found if text]


@pytest.mark.parametrize("page", ["my_lines", "daily_output", "schedule", "alerts", "scorecard"])
def test_every_supplier_page_in_chinese_shows_no_english_text_the_catalog_translates(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld, page: str
) -> None:
    english = _english_only_messages("zh_Hans")
    at = app_as(
        monkeypatch,
        sqlite_url,
        replace(world.acme_user, language="zh_Hans"),
        page=f"portal/ui/views/supplier/{page}.py",
    )
    assert not at.exception, [e.message for e in at.exception]
    shown = _labels(at)
    assert shown, "the page showed nothing to read"
    untranslated = sorted({text for text in shown if text in english})
    assert not untranslated, f"English on the Chinese {page} page: {untranslated}"
    # And the page really is in Chinese: its title has CJK characters.
    assert any("\u4e00" <= ch <= "\u9fff" for ch in at.title[0].value), at.title[0].value
