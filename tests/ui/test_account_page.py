"""AppTest of My account: changing one's password keeps this login and ends the others."""

from __future__ import annotations

import pytest
import streamlit as st

from db.engine import Database
from portal.services.auth import authenticate
from portal.services.sessions import actor_from_cookie, begin_login, exchange_ticket
from tests.apptest import app_as
from tests.builders import small_world

ACCOUNT_PAGE = "portal/ui/views/account.py"


def test_changing_my_password_on_my_account_ends_my_other_sessions(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database
) -> None:
    st.cache_data.clear()
    world = small_world(sqlite_db)
    elsewhere = exchange_ticket(sqlite_db, begin_login(sqlite_db, world.buyer))
    at = app_as(monkeypatch, sqlite_url, world.buyer, page=ACCOUNT_PAGE)
    current, new, repeat = at.text_input[0], at.text_input[1], at.text_input[2]
    current.input("buyer-password-1")
    new.input("a-new-password-2")
    repeat.input("a-new-password-2")
    at.button(key="FormSubmitter:account.password-Change password").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert actor_from_cookie(sqlite_db, elsewhere) is None
    assert authenticate(sqlite_db, "buyer", "a-new-password-2").username == "buyer"
