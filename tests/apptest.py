"""Running the real app in Streamlit's AppTest, as a given user, on a given database."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from portal.services.access import Actor
from portal.ui.context import ACTOR_KEY

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"


def app_as(
    monkeypatch: pytest.MonkeyPatch, database_url: str, actor: Actor | None = None, page: str | None = None
) -> AppTest:
    """The app on ``database_url``, logged in as ``actor``, run once (on ``page`` when given,
    a path like "portal/ui/views/buyer/open_lines.py")."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    # Cached reads are keyed by actor and arguments, not by database: start every test clean.
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=60)
    if actor is not None:
        at.session_state[ACTOR_KEY] = actor
    at.run()
    if page is not None:
        at.switch_page(page).run()
    return at


#: The elements of a page that render their text as Markdown (AppTest's attribute names).
MARKDOWN_ELEMENTS = (
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "info",
    "error",
    "warning",
    "success",
)


def shown(markdown: str) -> str:
    """The text a Markdown source shows: backslash escapes resolved, invisible word joiners dropped
    (user text is escaped with portal.ui.text.plain)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Every title, header, markdown, caption, info and error text on the page, as shown, joined."""
    parts: list[str] = []
    for kind in MARKDOWN_ELEMENTS:
        parts.extend(shown(str(e.value)) for e in getattr(at, kind))
    return "\n".join(parts)
