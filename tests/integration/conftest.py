"""The service tests' shared worlds, on SQLite and on PostgreSQL: the small world, and the demo world
as of :data:`DEMO_TODAY` (a module that needs another world defines its own fixture)."""

from __future__ import annotations

import datetime as dt

import pytest

from db.engine import Database
from portal.demo.load import load_demo_world
from portal.services.access import Actor
from tests.builders import SmallWorld, small_world

#: The day the ``demo`` world is loaded and swept as of.
DEMO_TODAY = dt.date(2026, 3, 6)


@pytest.fixture
def world(db: Database) -> SmallWorld:
    return small_world(db)


@pytest.fixture
def demo(db: Database) -> Database:
    """The demo world (its default seed), loaded and swept as of :data:`DEMO_TODAY`."""
    load_demo_world(db, Actor.system("test"), today=DEMO_TODAY)
    return db
