"""Cached reads and writes: whoever writes sees it at once, and so do the staff; another supplier's
write, or a buyer's look at its inbox, leaves my cached reads in place (portal.ui.context).

The queries are wrapped to count how often it really runs (a cache miss): the pages import
it by name on every run, so they call the wrapper.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

import portal.queries.alerts as alerts_queries
import portal.queries.lines as lines_queries
from db.engine import Database
from portal.services.access import Actor
from portal.ui.context import ACTOR_KEY
from tests.apptest import APP
from tests.builders import SmallWorld

SUPPLIER = "portal/ui/views/supplier"


def counted(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[str]:
    """The username of every real run of the query ``module.name`` (not answered from the cache)."""
    runs: list[str] = []
    original = getattr(module, name)

    @functools.wraps(original)
    def counting(db: Database, actor: Actor, *args: Any, **kwargs: Any) -> Any:
        runs.append(actor.username)
        return original(db, actor, *args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return runs


@pytest.fixture
def open_lines_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return counted(monkeypatch, lines_queries, "open_lines")


def session(monkeypatch: pytest.MonkeyPatch, url: str, actor: Actor, page: str | None = None) -> AppTest:
    """A browser session of ``actor`` (the cache shared with the other sessions, as on a server)."""
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[ACTOR_KEY] = actor
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def progress(at: AppTest, line: str) -> float:
    """My lines' Produced column (good output / ordered) of ``line``."""
    table = at.dataframe[0].value.set_index("line")
    return float(table.loc[line, "progress"])


def test_my_lines_shows_my_post_at_once_though_its_reads_are_cached(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld, open_lines_runs: list[str]
) -> None:
    at = session(monkeypatch, sqlite_url, world.acme_user)  # My lines, the home page
    before = progress(at, "PO-1/1")
    at.run()
    assert open_lines_runs == ["acme"]  # the second run is answered from the cache
    at.switch_page(f"{SUPPLIER}/daily_output.py").run()
    at.session_state["daily_output.grid.0"] = {
        "edited_rows": {0: {"good_qty": 120}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="daily_output.post").click().run()
    assert not at.error, [e.value for e in at.error]
    at.switch_page(f"{SUPPLIER}/my_lines.py").run()
    # PO-1/1 orders 1,000 units: 120 more good units are 12 points more.
    assert progress(at, "PO-1/1") == pytest.approx(before + 0.12)


def test_another_suppliers_post_keeps_my_cached_reads_and_the_buyer_sees_it_at_once(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld, open_lines_runs: list[str]
) -> None:
    acme = session(monkeypatch, sqlite_url, world.acme_user)
    buyer = session(monkeypatch, sqlite_url, world.buyer, "portal/ui/views/buyer/open_lines.py")
    assert sorted(open_lines_runs) == ["acme", "buyer"]
    bolt = session(monkeypatch, sqlite_url, world.bolt_user, f"{SUPPLIER}/daily_output.py")
    bolt.session_state["daily_output.tab"] = "One line"
    bolt.run()
    bolt.selectbox(key="daily_output.one_line").select(world.line_ids["PO-2/1"]).run()
    bolt.number_input(key="daily_output.one_good.0").set_value(40)
    bolt.button(key="daily_output.one_post").click().run()
    assert not bolt.error, [e.value for e in bolt.error]
    open_lines_runs.clear()
    acme.run()
    buyer.run()
    # Bolt's post changes nothing ACME reads: ACME's page is answered from the cache; the buyer,
    # who sees every supplier's lines, reads again and sees the 40 units.
    assert open_lines_runs == ["buyer"]
    table = buyer.dataframe[0].value.set_index("line")
    assert table.loc["PO-2/1", "produced"] >= 40


def test_opening_the_alert_inbox_again_finds_it_cached_and_keeps_the_suppliers_reads(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld, open_lines_runs: list[str]
) -> None:
    problems_runs = counted(monkeypatch, alerts_queries, "alert_problems")
    acme = session(monkeypatch, sqlite_url, world.acme_user)
    # Each new session of the inbox records when the buyer looked (a write no cached read shows).
    session(monkeypatch, sqlite_url, world.buyer)
    session(monkeypatch, sqlite_url, world.buyer)  # a refresh: a new browser session
    acme.run()
    assert open_lines_runs == ["acme"]
    assert problems_runs == ["buyer"]
