"""The posting page of a reminder's link, logged out, in AppTest: cards for today, and clear refusals."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from streamlit.testing.v1 import AppTest

from db.engine import Database
from portal.services.access import Actor
from portal.services.posting_links import create_posting_link, revoke_posting_link
from tests.apptest import app_as, texts
from tests.builders import SmallWorld

PAGE = "portal/ui/views/post_output.py"


def open_link(monkeypatch: pytest.MonkeyPatch, url: str, secret: str) -> AppTest:
    at = app_as(monkeypatch, url)
    at.query_params["link"] = secret
    at.switch_page(PAGE).run()
    return at


def test_a_valid_link_shows_its_suppliers_lines_as_cards_without_a_login(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    _link_id, secret = create_posting_link(sqlite_db, Actor.system("test"), world.acme_id)
    at = open_link(monkeypatch, sqlite_url, secret)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Post today's output" in texts(at)
    assert "Acme Plastics" in texts(at)
    assert not [b for b in at.button if b.key == "auth.logout"]


def test_a_revoked_link_is_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    link_id, secret = create_posting_link(sqlite_db, Actor.system("test"), world.acme_id)
    revoke_posting_link(sqlite_db, Actor.system("test"), link_id)
    at = open_link(monkeypatch, sqlite_url, secret)
    assert any("revoked by an administrator" in e.value for e in at.error)
    assert not at.number_input


def test_a_tampered_link_is_refused(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    _link_id, secret = create_posting_link(sqlite_db, Actor.system("test"), world.acme_id)
    at = open_link(monkeypatch, sqlite_url, secret[:-1] + "!")
    assert any("This posting link is not valid" in e.value for e in at.error)
    assert not at.number_input


@pytest.mark.parametrize(
    ("utc", "working"),
    [
        (dt.datetime(2026, 4, 17, 10, 0, tzinfo=dt.UTC), True),  # Friday in Germany
        (dt.datetime(2026, 4, 17, 22, 30, tzinfo=dt.UTC), False),  # already Saturday in Germany (00:30)
        (dt.datetime(2026, 4, 19, 12, 0, tzinfo=dt.UTC), False),  # Sunday
    ],
)
def test_on_a_day_off_the_link_says_there_is_nothing_to_post_today(
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    sqlite_db: Database,
    world: SmallWorld,
    utc: dt.datetime,
    working: bool,
) -> None:
    """ACME (Germany, Monday to Friday) on its own day: cards on a working day; on a day off (its
    local date, not the server's) no cards that every post would refuse, but where to post instead."""
    with time_machine.travel(utc, tick=True):
        _link_id, secret = create_posting_link(sqlite_db, Actor.system("test"), world.acme_id)
        at = open_link(monkeypatch, sqlite_url, secret)
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = " ".join(i.value for i in at.info)
    if working:
        assert "not one of your working days" not in said
    else:
        assert "Today is not one of your working days" in said and "Apr 17, 2026" in said, said
        assert not at.number_input
