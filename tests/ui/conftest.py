"""The page tests' shared world, on SQLite, with Streamlit's cached reads emptied first (they are keyed
by actor and arguments, not by database, so each test starts afresh): the small world, or the one a
module names with ``pytestmark = pytest.mark.world(build=buyer_world)``."""

from __future__ import annotations

import pytest
import streamlit as st

from db.engine import Database
from tests.builders import SmallWorld, small_world


@pytest.fixture
def world(request: pytest.FixtureRequest, sqlite_db: Database) -> SmallWorld:
    marked = request.node.get_closest_marker("world")
    build = marked.kwargs["build"] if marked else small_world
    st.cache_data.clear()
    world: SmallWorld = build(sqlite_db)
    return world
