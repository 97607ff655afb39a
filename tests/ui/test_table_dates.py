"""Dates inside tables in the user's language: a German user's table shows 02.03.2026, a Chinese
user's 2026年3月2日, an English user's 2026-03-02 as before; date pickers follow the same order."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from portal.i18n import language
from portal.services.access import Actor
from portal.ui.widgets import change_summary, date_format, date_input_format, moment_pattern
from tests.apptest import app_as
from tests.builders import SmallWorld


def date_formats(monkeypatch: pytest.MonkeyPatch, url: str, who: Actor) -> set[str]:
    """The formats of the date columns of the first table on the user's home page."""
    at = app_as(monkeypatch, url, who)
    assert not at.exception, [e.message for e in at.exception]
    columns = json.loads(at.dataframe[0].proto.columns)
    return {
        c["type_config"]["format"] for c in columns.values() if c.get("type_config", {}).get("type") == "date"
    }


def test_a_german_supplier_sees_german_dates_in_the_lines_table(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    assert date_formats(monkeypatch, sqlite_url, replace(world.acme_user, language="de")) == {"DD.MM.YYYY"}


def test_a_chinese_supplier_sees_chinese_dates_and_an_english_one_iso_dates(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    chinese = replace(world.acme_user, language="zh_Hans")
    assert date_formats(monkeypatch, sqlite_url, chinese) == {"YYYY[年]M[月]D[日]"}
    assert date_formats(monkeypatch, sqlite_url, world.acme_user) == {"YYYY-MM-DD"}


@pytest.mark.parametrize(
    ("cldr", "moment"),
    [
        ("dd.MM.y", "DD.MM.YYYY"),
        ("d/M/yy", "D/M/YYYY"),  # years always in full
        ("y年M月d日", "YYYY[年]M[月]D[日]"),
        ("dd 'de' MM y", "DD [de] MM YYYY"),
        ("d MMM y", None),  # a month in words: moment.js would write it in English
        ("EEE, d.M.y", None),
    ],
)
def test_a_cldr_date_pattern_becomes_a_moment_pattern_only_when_all_numeric(
    cldr: str, moment: str | None
) -> None:
    assert moment_pattern(cldr) == moment


@pytest.mark.parametrize(
    ("code", "table", "picker"),
    [
        ("en", "YYYY-MM-DD", "YYYY-MM-DD"),
        ("de", "DD.MM.YYYY", "DD.MM.YYYY"),
        ("es", "D/M/YYYY", "DD/MM/YYYY"),
        ("tr", "D.MM.YYYY", "DD.MM.YYYY"),
        ("vi", "D/M/YYYY", "DD/MM/YYYY"),
        ("zh_Hans", "YYYY[年]M[月]D[日]", "YYYY/MM/DD"),
    ],
)
def test_each_language_has_a_table_date_format_and_a_date_picker_format(
    code: str, table: str, picker: str
) -> None:
    with language(code):
        assert (date_format(), date_input_format()) == (table, picker)


@pytest.mark.parametrize(
    ("code", "old", "new"),
    [
        ("de", "27.11.2026", "20.11.2026"),
        ("zh_Hans", "2026年11月27日", "2026年11月20日"),
        ("en", "2026-11-27", "2026-11-20"),
    ],
)
def test_dates_inside_the_audit_trails_change_text_follow_the_table_dates(
    code: str, old: str, new: str
) -> None:
    before = {"need_by_date": "2026-11-27", "quantity": 300, "note": "2026-11-27 is a note, not a date"}
    after = {"need_by_date": "2026-11-20", "quantity": 300, "note": "2026-11-27 is a note, not a date"}
    with language(code):
        text = change_summary(before, after)
        assert f"{old} → {new}" in text
        assert change_summary(None, {"start_date": "2026-11-27"}).endswith(old)
    assert "quantity" not in text.lower() and "note" not in text.lower()  # unchanged fields are left out


def test_days_in_a_tables_number_columns_are_counted_in_the_users_language(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    from tests.fake_catalog import install

    install(monkeypatch, "tr", {"%d d": "%d g"})  # gün: a stand-in until the catalogs are merged
    for who, unit in ((replace(world.buyer, language="tr"), "%d g"), (world.buyer, "%d d")):
        at = app_as(monkeypatch, sqlite_url, who)
        assert not at.exception, [e.message for e in at.exception]
        columns = json.loads(at.dataframe[0].proto.columns)
        formats = {c.get("type_config", {}).get("format") for c in columns.values()}
        assert unit in formats and ({"%d d", "%d g"} - {unit}).isdisjoint(formats), formats
