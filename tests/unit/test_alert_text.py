"""Alert messages in the reader's language: every rule's template and values render back to the
stored English message, and in another language through the catalog with its dates and numbers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from portal.core.alert_text import (
    TEMPLATES,
    alert_message,
    alert_messages,
    po_changed,
    render,
    reopen_reason_text,
)
from portal.core.alerts import (
    backorder_conditions,
    evaluate_all,
    line_conditions,
    reopen_reasons,
    supplier_conditions,
)
from portal.i18n import language
from tests.fake_catalog import install
from tests.unit.test_alerts import (
    GERMANY,
    NO_OUTPUT,
    SETTINGS,
    D,
    backorders,
    make_lines,
    random_lines,
    suppliers,
)


def _every_message() -> pd.DataFrame:
    """Conditions of every rule, in every variant of its message (each phrase, each rate source)."""
    lines = make_lines(
        # LATE_START (as of 8 April) and STALE_UPDATE without a report
        {"start_date": "2026-02-02", "produced": 0, "reported_days": 0, "last_report_date": None},
        # BEHIND_PLAN, and QUALITY at 6% rejects
        {"produced": 300, "rejected": 30, "rate": 60.0},
        # PROJECTED_LATE at an observed rate against the plan
        {
            "need_by_date": "2026-03-13",
            "arrival_p50": "2026-03-30",
            "arrival_p90": "2026-04-02",
            "rate": 50.0,
        },
        # PROJECTED_LATE at an observed rate without a plan (daily_output missing)
        {"need_by_date": "2026-03-13", "arrival_p50": "2026-03-30", "daily_output": np.nan, "rate": 12.5},
        # PROJECTED_LATE at the planned rate
        {"arrival_p50": "2026-03-21", "arrival_p90": "2026-03-21", "rate_source": "plan"},
        # PROJECTED_LATE, stalled without any output, and with some output
        {"produced": 0, "rate": 0.0, "reported_days": 6, "arrival_p50": None, "arrival_p90": None},
        {"produced": 40, "rate": 0.0, "reported_days": 6, "arrival_p50": None, "arrival_p90": None},
        # AT_RISK
        {"arrival_p50": "2026-03-20", "arrival_p90": "2026-03-23"},
        # STALE_UPDATE with a last report, DATE_SLIPPED by revision 2 and by an unnumbered schedule
        {
            "last_report_date": "2026-02-20",
            "previous_estimated_end_date": "2026-03-13",
            "estimated_end_date": "2026-03-20",
            "schedule_revision": 2,
        },
        {
            "previous_estimated_end_date": "2026-03-13",
            "estimated_end_date": "2026-03-20",
            "schedule_revision": np.nan,
        },
        # UNREALISTIC_ESTIMATE at the observed rate; with no rate (no phrase)
        {"estimated_end_date": "2026-04-02", "completion_p90": "2026-04-09"},
        {"estimated_end_date": "2026-04-02", "completion_p90": "2026-04-09", "rate": np.nan},
    )
    lines["label"] = [f"PO-{1000 + i}/1 “Ä”" for i in range(len(lines))]  # user text, kept as is
    lead = pd.DataFrame({"supplier_id": [1], "median_lead_time_days": [80.5]})
    frames = [
        line_conditions(lines, D, GERMANY, SETTINGS, lead_times=lead),
        line_conditions(lines.iloc[:1], dt.date(2026, 4, 8), GERMANY, SETTINGS),
    ]
    # CAPACITY_OVERLOAD: declared with an overdue line, and observed
    two = make_lines(
        {"need_by_date": "2026-03-06", "transit_days": 3, "produced": 500},
        {"need_by_date": "2026-03-16", "transit_days": 0, "produced": 280},
    )
    frames.append(supplier_conditions(two, suppliers(100), NO_OUTPUT, D, GERMANY, SETTINGS))
    output = pd.DataFrame(
        {
            "supplier_id": [1] * 5,
            "report_date": pd.to_datetime(
                ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]
            ),
            "good_qty": [80, 90, 100, 110, 120],
        }
    )
    needing_120 = make_lines({"need_by_date": "2026-03-16", "transit_days": 0, "produced": 280})
    frames.append(supplier_conditions(needing_120, suppliers(np.nan), output, D, GERMANY, SETTINGS))
    frames.append(backorder_conditions(backorders(status="unpromisable", promise_date=None)))
    frames.append(backorder_conditions(backorders(communicated_date="2026-04-05", quantity=1240)))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def every() -> pd.DataFrame:
    return _every_message()


def _keys(args: Any) -> Iterator[str]:
    """The template keys an alert's arguments use, phrases inside included."""
    if isinstance(args, dict):
        if "t" in args:
            yield str(args["t"])
        for value in args.values():
            yield from _keys(value)


def _po_changes() -> list[tuple[str, str]]:
    """PO_CHANGED messages of each kind: need-by earlier, quantity raised, both."""
    need_by = (dt.date(2026, 3, 20), dt.date(2026, 3, 13))
    return [
        po_changed("PO-7/1", "Bea Buyer", dt.date(2026, 3, 6), need_by=need_by),
        po_changed("PO-7/1", "Bea Buyer", dt.date(2026, 3, 6), quantity=(900, 1240)),
        po_changed("PO-7/1", "Bea Buyer", dt.date(2026, 3, 6), need_by, (5, 8)),
    ]


def _reopen_reasons() -> Any:
    """Reopen reasons of each kind: later, more severe, both, and from info."""
    worse = pd.DataFrame(
        {
            "severity": ["critical", "critical", "critical", "warning"],
            "days_late": [9.0, 2.0, 4.0, 2.5],
            "dismissed_severity": ["critical", "warning", "warning", "info"],
            "dismissed_days_late": [3.0, 2.0, 1.0, np.nan],
        }
    )
    return reopen_reasons(worse, 3)


def test_every_template_is_used_by_some_rule_and_every_rule_writes_arguments(every: pd.DataFrame) -> None:
    args = [*every["message_args"], *(a for _m, a in _po_changes()), *_reopen_reasons().args]
    used = {key for a in args for key in _keys(json.loads(a))}
    assert used == set(TEMPLATES)
    assert set(every["rule"]) == {
        "LATE_START", "BEHIND_PLAN", "PROJECTED_LATE", "AT_RISK", "STALE_UPDATE", "DATE_SLIPPED",
        "UNREALISTIC_ESTIMATE", "SHORT_LEAD_TIME", "QUALITY", "CAPACITY_OVERLOAD", "UNPROMISABLE",
        "PROMISE_SLIPPED",
    }  # fmt: skip


def test_the_english_rendering_of_every_message_is_the_stored_message(every: pd.DataFrame) -> None:
    with language("en"):
        rendered = [render(json.loads(args)) for args in every["message_args"]]
    assert rendered == every["message"].tolist()
    # The stored English stays as the rules always wrote it (exports, the API and Slack show it).
    assert (
        "Supplier ACME needs 120/day to finish 1 open line on time, capacity 100/day (declared);"
        " 1 more line already past the ship-by date"
    ) in set(every["message"])


def test_a_po_change_message_reads_as_before_in_english_and_renders_back_to_it() -> None:
    messages = [m for m, _a in _po_changes()]
    assert messages == [
        "Purchase-order line PO-7/1 changed by Bea Buyer on 2026-03-06: need-by moved earlier, 2026-03-20"
        " → 2026-03-13. Reply if you cannot meet it.",
        "Purchase-order line PO-7/1 changed by Bea Buyer on 2026-03-06: quantity raised, 900 → 1,240."
        " Reply if you cannot meet it.",
        "Purchase-order line PO-7/1 changed by Bea Buyer on 2026-03-06: need-by moved earlier, 2026-03-20"
        " → 2026-03-13; quantity raised, 5 → 8. Reply if you cannot meet it.",
    ]
    with language("en"):
        assert [render(json.loads(a)) for _m, a in _po_changes()] == messages
    with language("de"):
        assert "13.03.2026" in alert_message("PO_CHANGED", _po_changes()[0][1], messages[0])


@hyp_settings(max_examples=30, deadline=None)
@given(lines=random_lines(), as_of=st.dates(min_value=dt.date(2026, 2, 1), max_value=dt.date(2026, 5, 1)))
def test_random_lines_render_back_to_their_english_messages(lines: pd.DataFrame, as_of: dt.date) -> None:
    found = evaluate_all(lines, as_of, GERMANY, SETTINGS, suppliers=suppliers(100), daily_output=NO_OUTPUT)
    with language("en"):
        assert [render(json.loads(a)) for a in found["message_args"]] == found["message"].tolist()


#: A German catalog of a few messages, standing in until the lead merges the real ones.
GERMAN = {
    "{n} day": "{n} Tag",
    "{n} days": "{n} Tage",
    "{label} has produced {produced} of a planned {planned} by {as_of} ({share})": (
        "{label} hat bis {as_of} {produced} von geplanten {planned} produziert ({share})"
    ),
    "{label} will arrive {arrival}, {late} after need-by {need_by}{rate}": (
        "{label} kommt am {arrival} an, {late} nach dem Bedarfstermin {need_by}{rate}"
    ),
    ", at {rate}/day against a plan of {plan}/day": ", bei {rate}/Tag statt geplanter {plan}/Tag",
    "{what} is now promised for {promise}, {slip} after the {told} told to the customer": (
        "{what} ist jetzt für {promise} zugesagt, {slip} nach dem dem Kunden genannten {told}"
    ),
    "Backorder {ref} ({qty} x {sku})": "Rückstand {ref} ({qty} x {sku})",
}


@pytest.fixture
def fake_german(monkeypatch: pytest.MonkeyPatch) -> None:
    install(monkeypatch, "de", GERMAN)


def test_a_german_reader_sees_the_template_translated_with_german_dates_and_numbers(
    every: pd.DataFrame, fake_german: None
) -> None:
    behind = every[(every["rule"] == "BEHIND_PLAN") & every["message"].str.startswith("PO-1001/1")].iloc[0]
    late = every[every["message"].str.contains("against a plan of 100/day")].iloc[0]
    slipped = every[every["rule"] == "PROMISE_SLIPPED"].iloc[0]
    with language("de"):
        assert alert_message("BEHIND_PLAN", behind["message_args"], behind["message"]) == (
            "PO-1001/1 “Ä” hat bis 06.03.2026 300 von geplanten 500 produziert (60\xa0%)"
        )
        assert alert_message("PROJECTED_LATE", late["message_args"], late["message"]) == (
            "PO-1002/1 “Ä” kommt am 30.03.2026 an, 17 Tage nach dem Bedarfstermin 13.03.2026,"
            " bei 50/Tag statt geplanter 100/Tag"
        )
        assert alert_message("PROMISE_SLIPPED", slipped["message_args"], slipped["message"]) == (
            "Rückstand SO-88 (1.240 x SKU-1) ist jetzt für 10.04.2026 zugesagt, 5 Tage nach dem dem Kunden"
            " genannten 05.04.2026"
        )
    with language("en"):  # an English reader sees exactly the stored text
        assert alert_message("BEHIND_PLAN", behind["message_args"], behind["message"]) == behind["message"]


def test_numbers_dates_and_shares_follow_the_language_without_a_catalog() -> None:
    args = {"t": "QUALITY", "label": "PO-1/1", "rejected": 1240.0, "made": 20000.0, "share": 0.062,
            "limit": 5.000000000000001}  # fmt: skip
    with language("en"):
        assert render(args) == "PO-1/1 has rejected 1,240 of 20,000 units made (6.2%), above the 5% limit"
    with language("de"):
        assert "1.240" in render(args) and "6,2\xa0%" in render(args) and "5\xa0%" in render(args)
    with language("tr"):
        assert "%6,2" in render(args)
    observed = {"t": "capacity.observed", "percentile": 90.0}
    with language("en"):
        assert render(observed) == "observed: 90th percentile of its daily output"
    slipped = {"t": "stale.last_report", "date": "2026-03-09"}
    with language("zh_Hans"):
        assert "2026年3月9日" in render(slipped)
    with language("de"):
        assert "09.03.2026" in render(slipped)


def test_an_alert_without_arguments_or_with_arguments_not_understood_shows_its_stored_text(
    fake_german: None,
) -> None:
    stored = "PO-1/1 has produced 300 of a planned 500 by 2026-03-06 (60%)"
    good = json.dumps({"t": "BEHIND_PLAN", "label": "PO-1/1", "produced": 300.0, "planned": 500.0,
                       "as_of": "2026-03-06", "share": 0.6})  # fmt: skip
    with language("de"):
        assert alert_message("BEHIND_PLAN", good, stored).startswith("PO-1/1 hat bis 06.03.2026")
        assert alert_message("BEHIND_PLAN", None, stored) == stored  # written before 0014
        assert alert_message("BEHIND_PLAN", float("nan"), stored) == stored  # NULL in a frame
        assert alert_message("BEHIND_PLAN", "not json", stored) == stored
        assert alert_message("BEHIND_PLAN", json.dumps({"t": "NO_SUCH"}), stored) == stored
        assert alert_message("QUALITY", good, stored) == stored  # another rule's arguments
        assert alert_message("BEHIND_PLAN", json.dumps({"t": "BEHIND_PLAN"}), stored) == stored
        assert alert_messages(["BEHIND_PLAN", "PO_CHANGED"], [good, None], [stored, "changed"]) == [
            alert_message("BEHIND_PLAN", good, stored),
            "changed",
        ]


def test_reopen_reasons_keep_arguments_that_say_them_in_the_readers_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    said = _reopen_reasons()
    assert said.english.tolist() == [
        "was 3 days late when dismissed, now 9",
        "was a warning when dismissed, now critical",
        "was a warning, 1 day late when dismissed; now critical, 4 days late",
        "was info when dismissed, now warning",
    ]
    args = said.args.tolist()
    with language("en"):  # the arguments say exactly the English stored beside them
        assert [render(json.loads(a)) for a in args] == said.english.tolist()
    install(
        monkeypatch,
        "de",
        {
            "was {then} late when dismissed, now {now}": "war {then} zu spät, jetzt {now}",
            "was {then} when dismissed, now {now}": "war {then}, jetzt {now}",
            "a warning": "eine Warnung",
            "critical": "kritisch",
        },
    )
    with language("de"):
        shown = [reopen_reason_text(a, e) for a, e in zip(args, said.english, strict=True)]
        assert shown[:2] == ["war 3 Tage zu spät, jetzt 9", "war eine Warnung, jetzt kritisch"]
        # Written before the arguments existed: the stored English; no reason at all: None.
        assert reopen_reason_text(None, "was 3 days late when dismissed, now 9") == (
            "was 3 days late when dismissed, now 9"
        )
        assert reopen_reason_text(None, None) is None and reopen_reason_text(np.nan, np.nan) is None
