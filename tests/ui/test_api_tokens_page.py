"""AppTest of the API tokens on My account: made with a name, shown once, listed, revoked."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button, Widget

from db.engine import Database
from portal.services.api_tokens import actor_for_token, my_api_tokens
from tests.apptest import app_as
from tests.builders import small_world

ACCOUNT_PAGE = "portal/ui/views/account.py"


@pytest.fixture(autouse=True)
def fresh_caches() -> None:
    st.cache_data.clear()


def _run(at: AppTest | Widget) -> AppTest:
    at = at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _button(at: AppTest, label: str) -> Button:
    return next(b for b in at.button if b.label == label)


def test_a_supplier_user_makes_a_token_sees_it_once_and_revokes_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database
) -> None:
    world = small_world(sqlite_db)
    at = _run(app_as(monkeypatch, sqlite_url, world.acme_user, page=ACCOUNT_PAGE))
    assert "You have no API tokens." in [c.value for c in at.caption]

    next(t for t in at.text_input if t.label == "What is it for?").input("Shop floor system")
    at = _run(_button(at, "Create token").click())
    secret = at.code[0].value
    assert secret.startswith("spt_")
    actor = actor_for_token(sqlite_db, secret)
    assert actor is not None and actor.username == "acme"
    listed = my_api_tokens(sqlite_db, world.acme_user)
    assert list(listed["name"]) == ["Shop floor system"] and list(listed["state"]) == ["active"]

    at = _run(_button(at, "Revoke token").click())
    assert not at.code, "the secret is shown only right after it is made"
    assert list(my_api_tokens(sqlite_db, world.acme_user)["state"]) == ["revoked"]
    assert actor_for_token(sqlite_db, secret) is None
