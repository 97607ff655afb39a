"""The service tests' shared world: the small world, on SQLite and on PostgreSQL (a module that needs
another world defines its own ``world``)."""

from __future__ import annotations

import pytest

from db.engine import Database
from tests.builders import SmallWorld, small_world


@pytest.fixture
def world(db: Database) -> SmallWorld:
    return small_world(db)
