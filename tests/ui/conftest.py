"""The page tests' shared world: the small world on SQLite, with Streamlit's cached reads emptied first
(they are keyed by actor and arguments, not by database, so each test starts afresh)."""

from __future__ import annotations

import pytest
import streamlit as st

from db.engine import Database
from tests.builders import SmallWorld, small_world


@pytest.fixture
def world(sqlite_db: Database) -> SmallWorld:
    st.cache_data.clear()
    return small_world(sqlite_db)
