"""A backorder's promise reason in the reader's language: every reason the two promise writers give
reads back into its parts (so the grammar cannot drift from the writers), English stays the stored
text, and another language gets its own words, dates and numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.item_promise import SupplyLine, WaitingOrder, item_supply, promise_item
from portal.core.promise_text import PromiseReason, parse_promise_reason, promise_reason_text
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
}


@pytest.fixture
def german(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, "de", GERMAN)


def english(reason: PromiseReason) -> str:
    """The parts written back in the writers' English, to compare with what they stored."""
    if reason.short is not None:
        if reason.short == reason.whole:
            return f"no open supply for {reason.short:,} units"
        return f"no open supply for {reason.short:,} of {reason.whole:,} units"
    if reason.on_hand:
        text = "on hand"
    else:
        assert reason.date is not None
        text = f"{reason.basis} {reason.date.isoformat()} of {reason.label}"
        if reason.buffer_days:
            days = "day" if reason.buffer_days == 1 else "days"
            text += f" + {reason.buffer_days} {days} {reason.supplier} buffer"
    if reason.safety_days:
        text += f" + {reason.safety_days} {'day' if reason.safety_days == 1 else 'days'} safety buffer"
    return text


@settings(max_examples=200, deadline=None)
@given(
    on_hand=st.integers(0, 150),
    lines=supply_lines(),
    buffers=st.dictionaries(st.integers(1, 4), st.integers(0, 3), max_size=4),
    demand=waiting_orders(),
    safety_days=st.integers(0, 2),
)
def test_every_reason_the_writers_give_reads_back_into_its_parts(
    on_hand: int,
    lines: list[SupplyLine],
    buffers: dict[int, int],
    demand: list[WaitingOrder],
    safety_days: int,
) -> None:
    # The vectorized writer gives the same reasons (tests/unit/test_item_promise.py holds them equal).
    supply = item_supply(on_hand, lines, buffers, AS_OF)
    promises, _allocations = promise_item(supply, demand, safety_days)
    for promise in promises:
        parsed = parse_promise_reason(promise.reason)
        assert parsed is not None, promise.reason
        assert english(parsed) == promise.reason


def test_the_parts_of_each_kind_of_reason() -> None:
    assert parse_promise_reason("arrival p90 2026-12-20 of PO-40364/3 + 2 days ACME-DE buffer") == (
        PromiseReason(
            basis="arrival p90",
            date=dt.date(2026, 12, 20),
            label="PO-40364/3",
            buffer_days=2,
            supplier="ACME-DE",
        )
    )
    assert parse_promise_reason("on hand + 1 day safety buffer") == PromiseReason(on_hand=True, safety_days=1)
    assert parse_promise_reason("no open supply for 1,017 of 2,040 units") == PromiseReason(
        short=1017, whole=2040
    )
    assert parse_promise_reason("a reason typed by someone") is None


def test_a_german_reader_reads_the_reason_in_german_with_german_dates_and_numbers(german: None) -> None:
    with language("de"):
        assert promise_reason_text("arrival p90 2026-12-20 of PO-40364/3 + 2 days ACME-DE buffer") == (
            "Ankunft p90 am 20.12.2026 von PO-40364/3 + 2 Tage Puffer von ACME-DE"
        )
        assert promise_reason_text("due date 2026-04-02 of PO-7/1 + 1 day safety buffer") == (
            "Fälligkeit 02.04.2026 von PO-7/1 + 1 Tag Sicherheitspuffer"
        )
        assert promise_reason_text("on hand") == "Lagerbestand"
        assert promise_reason_text("no open supply for 1,017 units") == "kein offener Zugang für 1.017 Stück"
        assert (
            promise_reason_text("no open supply for 15 of 60 units")
            == "kein offener Zugang für 15 von 60 Stück"
        )
        # Not the writers' grammar (an older text, a hand edit): shown as stored.
        assert promise_reason_text("a reason typed by someone") == "a reason typed by someone"
        assert promise_reason_text(None) == ""


def test_an_english_reader_reads_exactly_the_stored_reason(german: None) -> None:
    stored = "arrival p90 2026-12-20 of PO-40364/3 + 2 days ACME-DE buffer + 1 day safety buffer"
    assert promise_reason_text(stored) == stored
    with language("en"):
        assert promise_reason_text("no open supply for 1,017 units") == "no open supply for 1,017 units"
