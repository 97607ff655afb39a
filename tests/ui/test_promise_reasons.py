"""AppTest of the backorders page: why each promise date is what it is, in the buyer's language,
while the export keeps the stored English."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import Database
from db.models import Backorder
from portal.services.access import Actor
from portal.ui.context import ACTOR_KEY
from tests.apptest import APP
from tests.builders import BuyerWorld, buyer_world
from tests.fake_catalog import install
from tests.unit.test_promise_text import GERMAN

pytestmark = pytest.mark.world(build=buyer_world)

BACKORDERS = "portal/ui/views/buyer/backorders.py"
ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d")


def stored_reasons(db: Database) -> dict[str, str]:
    with db.read() as session:
        rows = session.execute(select(Backorder.order_ref, Backorder.promise_reason)).all()
    return {str(ref): str(reason) for ref, reason in rows}


def reasons_shown(monkeypatch: pytest.MonkeyPatch, url: str, who: Actor) -> dict[str, str]:
    """The reason column of the backorders page, by order (straight to the page: AppTest cannot rerun
    the German inbox's translated radio options on the first page)."""
    monkeypatch.setenv("DATABASE_URL", url)
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[ACTOR_KEY] = who
    at.switch_page(BACKORDERS).run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    return dict(zip(table["order_ref"], table["reason"], strict=True))


def test_a_german_buyer_reads_why_each_promise_date_in_german(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: BuyerWorld
) -> None:
    install(monkeypatch, "de", GERMAN)
    stored = stored_reasons(sqlite_db)
    shown = reasons_shown(monkeypatch, sqlite_url, replace(world.buyer, language="de"))
    assert shown and all(stored[ref] != text for ref, text in shown.items()), (stored, shown)
    assert shown["SO-4"].startswith("kein offener Zugang für "), shown
    dated = [text for text in shown.values() if text.startswith(("Ankunft p90", "Fälligkeit"))]
    assert dated and not any(ISO_DATE.search(text) for text in dated), dated
    # The export is the stored English, whatever the reader's language.
    assert all(
        ref in stored and stored[ref].startswith(("no open", "on hand", "arrival", "due")) for ref in shown
    )


def test_an_english_buyer_reads_the_stored_reasons(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: BuyerWorld
) -> None:
    install(monkeypatch, "de", GERMAN)  # another language's catalog changes nothing here
    stored = stored_reasons(sqlite_db)
    shown = reasons_shown(monkeypatch, sqlite_url, world.buyer)
    assert shown and all(stored[ref] == text for ref, text in shown.items())
