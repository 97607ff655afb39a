"""A backorder's promise reason in the reader's language: every reason the two promise writers give
renders from its stored arguments in English exactly as its stored English text (so the templates
cannot drift from the writers), English shows the stored text, and another language gets its own
words, dates and numbers."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.item_promise import ItemPromise, SupplyLine, WaitingOrder, item_supply, promise_item
from portal.core.promise_text import (
    ARRIVAL_P90,
    DUE_DATE,
    line_args,
    no_supply_args,
    on_hand_args,
    promise_reason_text,
    render_promise_reason,
    supply_text,
    with_safety,
)
from portal.i18n import language
from tests.fake_catalog import install
from tests.unit.test_item_promise import AS_OF, supply_lines, waiting_orders

GERMAN = {
    "on hand": "Lagerbestand",
    "arrival p90 {date} of {line}": "Ankunft p90 am {date} von {line}",
    "due date {date} of {line}": "Fälligkeit {date} von {line}",
    "{reason} + {n} day {supplier} buffer": "{reason} + {n} Tag Puffer von {supplier}",
    "{reason} + {n} days {supplier} buffer": "{reason} + {n} Tage Puffer von {supplier}",
    "{reason} + {n} day safety buffer": "{reason} + {n} Tag Sicherheitspuffer",
    "{reason} + {n} days safety buffer": "{reason} + {n} Tage Sicherheitspuffer",
    "no open supply for {n} units": "kein offener Zugang für {n} Stück",
    "no open supply for {n} of {whole} units": "kein offener Zugang für {n} von {whole} Stück",
    "on hand {n}": "Lagerbestand {n}",
}


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, "de", GERMAN)


@st.composite
def promises_of_any_item(draw: st.DrawFn) -> list[ItemPromise]:
    """The promises the item writer gives any item: stock on hand, open supply lines, supplier
    buffers, waiting orders and a safety buffer."""
    on_hand = draw(st.integers(0, 150))
    lines = draw(supply_lines())
    buffers = draw(st.dictionaries(st.integers(1, 4), st.integers(0, 3), max_size=4))
    supply = item_supply(on_hand, lines, buffers, AS_OF)
    promises, _allocations = promise_item(supply, draw(waiting_orders()), draw(st.integers(0, 2)))
    return promises


@settings(max_examples=200, deadline=None)
@given(promises=promises_of_any_item())
def test_every_reason_the_writers_give_renders_in_english_as_the_stored_text(
    promises: list[ItemPromise],
) -> None:
    # The vectorized writer gives the same reasons and arguments (tests/unit/test_item_promise.py).
    for promise in promises:
        assert render_promise_reason(json.loads(promise.reason_args)) == promise.reason, promise


def test_a_reason_with_a_comma_a_quote_and_plus_signs_in_its_label_and_supplier_code() -> None:
    line = SupplyLine(7, 1, 50, AS_OF, None, 'PO-"7"/1 + 2 days X buffer', "Ü + 1 day safety")
    supply = item_supply(0, [line], {1: 2}, AS_OF)
    promises, _allocations = promise_item(supply, [WaitingOrder(1, 5, 0.0, AS_OF, "SO-1")], 1)
    (promise,) = promises
    assert promise.reason == (
        'arrival p90 2026-03-13 of PO-"7"/1 + 2 days X buffer + 2 days Ü + 1 day safety buffer'
        " + 1 day safety buffer"
    )
    assert json.loads(promise.reason_args) == {
        "t": "arrival_p90",
        "date": "2026-03-13",
        "line": 'PO-"7"/1 + 2 days X buffer',
        "buffer": 2,
        "supplier": "Ü + 1 day safety",
        "safety": 1,
    }
    assert render_promise_reason(json.loads(promise.reason_args)) == promise.reason


def test_a_german_reader_reads_the_reason_in_german_with_german_dates_and_numbers(german: None) -> None:
    arrival = line_args(ARRIVAL_P90, dt.date(2026, 12, 20), "PO-40364/3", 2, "ACME-DE")
    due = with_safety(line_args(DUE_DATE, dt.date(2026, 4, 2), "PO-7/1", 0, "ACME"), 1)
    with language("de"):
        assert promise_reason_text("(English)", arrival) == (
            "Ankunft p90 am 20.12.2026 von PO-40364/3 + 2 Tage Puffer von ACME-DE"
        )
        assert (
            promise_reason_text("(English)", due)
            == "Fälligkeit 02.04.2026 von PO-7/1 + 1 Tag Sicherheitspuffer"
        )
        assert promise_reason_text("on hand", on_hand_args()) == "Lagerbestand"
        assert (
            promise_reason_text("(English)", no_supply_args(1017, 1017))
            == "kein offener Zugang für 1.017 Stück"
        )
        assert (
            promise_reason_text("(English)", no_supply_args(15, 60))
            == "kein offener Zugang für 15 von 60 Stück"
        )
        # No arguments (not read by migration 0021), or arguments not understood: shown as stored.
        assert promise_reason_text("a reason typed by someone", None) == "a reason typed by someone"
        assert promise_reason_text("a reason typed by someone", float("nan")) == "a reason typed by someone"
        assert promise_reason_text("on hand", '{"t":"on_sale"}') == "on hand"
        assert promise_reason_text("on hand", "not json") == "on hand"
        assert promise_reason_text(None, None) == ""


def test_an_english_reader_reads_exactly_the_stored_reason(german: None) -> None:
    stored = "arrival p90 2026-12-20 of PO-40364/3 + 2 days ACME-DE buffer + 1 day safety buffer"
    args = with_safety(line_args(ARRIVAL_P90, dt.date(2026, 12, 20), "PO-40364/3", 2, "ACME-DE"), 1)
    assert promise_reason_text(stored, args) == stored
    assert render_promise_reason(json.loads(args)) == stored
    with language("en"):
        assert promise_reason_text("no open supply for 1,017 units", no_supply_args(1017, 1017)) == (
            "no open supply for 1,017 units"
        )


def _migration() -> ModuleType:
    """Migration 0021's module (its frozen reader of stored English reasons)."""
    path = Path(__file__).parents[2] / "alembic" / "versions" / "0021_promiseargs.py"
    spec = importlib.util.spec_from_file_location("migration_0021_promiseargs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@settings(max_examples=200, deadline=None)
@given(promises=promises_of_any_item())
def test_migration_0021_reads_every_stored_reason_into_the_arguments_the_writers_store(
    promises: list[ItemPromise],
) -> None:
    # Equal text: the first sweep after the upgrade finds these promises unchanged and writes none.
    reason_args = _migration().reason_args
    for promise in promises:
        assert reason_args(promise.reason) == promise.reason_args, promise.reason


def test_migration_0021_leaves_a_reason_it_cannot_read_without_arguments() -> None:
    reason_args = _migration().reason_args
    assert reason_args("a reason typed by someone") is None
    assert reason_args("due date 2026-02-30 of PO-1/1") is None
    assert reason_args(None) is None
    assert json.loads(reason_args("on hand + 2 days safety buffer")) == {"t": "on_hand", "safety": 2}


def test_the_supply_a_promise_counts_on_in_the_readers_words(german: None) -> None:
    parts = ((None, 1200, dt.date(2026, 3, 13)), ("PO-1/1", 30, dt.date(2026, 3, 16)))
    assert supply_text(parts) == "on hand 1,200 · PO-1/1 30 (Mar 16, 2026)"
    with language("de"):
        assert supply_text(parts) == "Lagerbestand 1.200 · PO-1/1 30 (16.03.2026)"
    assert supply_text(float("nan")) == ""  # a backorder that counts on nothing (unpromisable)
