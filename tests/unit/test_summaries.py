"""Per-line production summaries: folding day by day equals the bulk builder, and forecasts from them."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.core.calendar import CalendarSet
from portal.core.calibration import positive_day_rate
from portal.core.forecast import _report_stats, forecast_lines
from portal.core.settings import Settings
from portal.core.summaries import (
    DATE_COLUMNS,
    SUMMARY_COLUMNS,
    LineSummary,
    calibration_stats,
    differences,
    line_stats,
    report_stats,
    summarize,
    summarize_frame,
)

MON_FRI = CalendarSet({})
FIRST = dt.date(2026, 1, 5)

# One line's history: distinct day offsets with good and rejected output.
history = st.dictionaries(
    st.integers(0, 80), st.tuples(st.integers(0, 400), st.integers(0, 30)), min_size=0, max_size=40
)


#: Up to six lines, each a history and a quantity.
lines_drawn = st.lists(st.tuples(history, st.integers(1, 6000)), min_size=1, max_size=6)
DrawnLines = list[tuple[dict[int, tuple[int, int]], int]]


def as_reports(line_id: int, days: dict[int, tuple[int, int]]) -> list[tuple[dt.date, int, int]]:
    return [(FIRST + dt.timedelta(days=d), g, r) for d, (g, r) in days.items()]


def frame_of(histories: dict[int, list[tuple[dt.date, int, int]]]) -> pd.DataFrame:
    rows = [(line_id, day, g, r) for line_id, reports in histories.items() for day, g, r in reports]
    return pd.DataFrame(rows, columns=["line_id", "report_date", "good_qty", "rejected_qty"])


def drawn(lines: DrawnLines) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """Drawn lines (history, quantity) as their reports (dates as timestamps), their quantities, and
    the (line_id, quantity) frame the raw-report paths take."""
    histories = {i + 1: as_reports(i + 1, days) for i, (days, _) in enumerate(lines)}
    quantities = pd.Series({i + 1: qty for i, (_, qty) in enumerate(lines)})
    reports = frame_of(histories)
    reports["report_date"] = pd.to_datetime(reports["report_date"])
    frame = pd.DataFrame({"line_id": quantities.index, "quantity": quantities.to_numpy()})
    return reports, quantities, frame


def assert_same_days(ours: pd.DataFrame, raw: pd.DataFrame, columns: list[str]) -> None:
    """The date columns hold the same days in both frames (missing where the other misses one)."""
    for col in columns:
        got = pd.to_datetime(ours[col]).to_numpy(dtype="datetime64[D]")
        want = pd.to_datetime(raw[col]).to_numpy(dtype="datetime64[D]")
        assert ((got == want) | (np.isnat(got) & np.isnat(want))).all(), col


def row_of(summary: LineSummary, line_id: int) -> dict[str, object]:
    row = summary.as_row(line_id)
    for col in DATE_COLUMNS:
        row[col] = pd.Timestamp(row[col]) if row[col] is not None else pd.NaT
    return row


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(history, st.integers(1, 6000)), min_size=1, max_size=6),
    st.sampled_from([3, 10, 20]),
)
def test_summaries_folded_post_by_post_equal_the_bulk_builder_bit_for_bit(
    lines: list[tuple[dict[int, tuple[int, int]], int]], span: int
) -> None:
    histories = {i + 1: as_reports(i + 1, days) for i, (days, _) in enumerate(lines)}
    quantities = pd.Series({i + 1: qty for i, (_, qty) in enumerate(lines)})
    bulk = summarize_frame(frame_of(histories).sample(frac=1.0, random_state=1), quantities, span)
    for line_id, reports in histories.items():
        folded = LineSummary(quantity=int(quantities[line_id]), ewm_span=span)
        for day, good, rejected in sorted(reports):
            folded = folded.append(day, good, rejected)
        assert folded == summarize(reports, int(quantities[line_id]), span)
        got = bulk.set_index("line_id").loc[line_id]
        expected = row_of(folded, line_id)
        for col in SUMMARY_COLUMNS[1:]:
            if isinstance(expected[col], pd.Timestamp) or expected[col] is pd.NaT:
                assert (pd.isna(got[col]) and pd.isna(expected[col])) or got[col] == expected[col], col
            else:
                assert got[col] == expected[col], col  # floats too: the same recurrence, the same bits


@settings(max_examples=60, deadline=None)
@given(lines_drawn)
def test_statistics_from_summaries_equal_the_ones_from_raw_reports(lines: DrawnLines) -> None:
    reports, quantities, frame = drawn(lines)
    raw = _report_stats(frame, reports.astype({"line_id": "int64"}), dt.date(2030, 1, 1), 10)
    raw = raw.set_index("line_id")
    ours = report_stats(summarize_frame(reports, quantities, 10)).set_index("line_id")
    for col in ("produced", "rejected", "reported_days"):
        assert (ours[col].to_numpy() == raw[col].to_numpy()).all(), col
    assert_same_days(ours, raw, ["last_report_date", "completed_on"])
    for col in ("mean_rate", "rate_sd", "ewm_rate"):
        np.testing.assert_allclose(ours[col].to_numpy(), raw[col].to_numpy(dtype="float64"), rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(history, st.integers(1, 6000))
def test_one_summarys_plain_python_statistics_are_the_vectorized_ones_exactly(
    days: dict[int, tuple[int, int]], qty: int
) -> None:
    summary = summarize(as_reports(1, days), qty, 10)
    vector = report_stats(pd.DataFrame([summary.as_row(1)])).iloc[0]
    scalar = line_stats(summary)
    for key, value in scalar.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(vector[key]), key
        elif value is None:
            assert pd.isna(vector[key]), key
        elif isinstance(value, dt.date):
            assert vector[key] == pd.Timestamp(value), key
        else:
            assert vector[key] == value, key


def lines_in_production(supplier_id: int | np.ndarray, quantity: np.ndarray) -> pd.DataFrame:
    """Lines 1..n in production since 2 February 2026 at 100 a day, due 30 April."""
    return pd.DataFrame(
        {
            "line_id": np.arange(1, len(quantity) + 1),
            "supplier_id": supplier_id,
            "quantity": quantity,
            "status": "in_production",
            "transit_days": 3,
            "need_by_date": pd.Timestamp("2026-04-30"),
            "start_date": pd.Timestamp("2026-02-02"),
            "daily_output": 100.0,
        }
    )


def test_a_forecast_from_summaries_gives_the_same_dates_as_from_raw_reports() -> None:
    rng = np.random.default_rng(3)
    lines = lines_in_production(1, rng.integers(200, 5000, 200))
    days = pd.bdate_range("2026-02-02", "2026-03-06")
    reports = pd.DataFrame(
        [
            (line_id, day, int(rng.integers(0, 250)), int(rng.integers(0, 5)))
            for line_id in lines["line_id"]
            for day in days[: rng.integers(0, len(days))]
        ],
        columns=["line_id", "report_date", "good_qty", "rejected_qty"],
    )
    as_of = dt.date(2026, 3, 6)
    raw = forecast_lines(lines, reports, MON_FRI, as_of, Settings())
    stats = report_stats(summarize_frame(reports, lines.set_index("line_id")["quantity"], 10))
    ours = forecast_lines(lines, None, MON_FRI, as_of, Settings(), stats=stats)
    for col in ("produced", "remaining", "reported_days", "completion_p50", "completion_p90", "arrival_p90"):
        assert ours[col].equals(raw[col]), col
    np.testing.assert_allclose(ours["rate"], raw["rate"], rtol=1e-9)


def test_a_day_before_the_last_one_cannot_be_appended() -> None:
    summary = summarize([(FIRST, 10, 0), (FIRST + dt.timedelta(days=2), 10, 0)], 100, 10)
    assert not summary.can_append(FIRST + dt.timedelta(days=1), 100, 10)
    assert not summary.can_append(FIRST + dt.timedelta(days=2), 100, 10)  # the same day: a correction
    assert summary.can_append(FIRST + dt.timedelta(days=3), 100, 10)
    assert not summary.can_append(FIRST + dt.timedelta(days=3), 90, 10)  # quantity changed
    assert not summary.can_append(FIRST + dt.timedelta(days=3), 100, 12)  # span changed
    with pytest.raises(ValueError, match="not after the last reported day"):
        summary.append(FIRST + dt.timedelta(days=1), 5, 0)


def test_completion_is_the_first_day_the_quantity_is_reached() -> None:
    days = [(FIRST + dt.timedelta(days=i), 40, 0) for i in range(5)]
    assert summarize(days, 100, 10).completed_on == FIRST + dt.timedelta(days=2)
    assert summarize(days, 1000, 10).completed_on is None


def test_differences_name_each_wrong_field_and_each_missing_summary() -> None:
    quantities = pd.Series({1: 100, 2: 100, 3: 100})
    reports = frame_of({1: [(FIRST, 10, 1)], 2: [(FIRST, 20, 0)], 3: []})
    expected = summarize_frame(reports, quantities, 10)
    stored = expected[expected["line_id"] != 2].copy()
    stored.loc[stored["line_id"] == 1, "produced"] = 15
    found = differences(stored, expected).set_index("line_id")["problem"]
    assert found.to_dict() == {1: "produced 15 stored, 10 from its reports", 2: "no summary"}
    assert differences(expected, expected).empty


@settings(max_examples=60, deadline=None)
@given(lines_drawn)
def test_the_calibrations_day_figures_from_summaries_equal_the_ones_from_raw_reports(
    lines: DrawnLines,
) -> None:
    reports, quantities, frame = drawn(lines)
    raw = positive_day_rate(frame, reports.astype({"line_id": "int64"}), dt.date(2030, 1, 1), 10)
    raw = raw.set_index("line_id")
    summaries = summarize_frame(reports, quantities, 10)
    ours = calibration_stats(summaries).set_index("line_id")
    assert_same_days(ours, raw, ["first_report", "last_report"])
    for col in ("positive_rate", "steady_sd"):
        np.testing.assert_allclose(ours[col].to_numpy(), raw[col].to_numpy(dtype="float64"), rtol=1e-9)
    # The record's first day with output, too.
    first = reports[reports["good_qty"] > 0].groupby("line_id")["report_date"].min()
    got = pd.to_datetime(summaries.set_index("line_id")["first_output_date"])
    assert got.reindex(quantities.index).equals(first.reindex(quantities.index).astype(got.dtype))


def test_a_calibrated_forecast_from_summaries_gives_the_same_dates_as_from_raw_reports() -> None:
    rng = np.random.default_rng(5)
    n = 300
    supplier_ids = rng.integers(1, 4, n)
    lines = lines_in_production(supplier_ids, rng.integers(200, 5000, n))
    days = pd.bdate_range("2026-02-02", "2026-03-06")
    rows = []
    for line_id in lines["line_id"]:
        # Ramp-up, outages (zero days) and skipped reports: what the calibration reads.
        for i, day in enumerate(days[: rng.integers(0, len(days))]):
            if rng.random() < 0.15:
                continue
            good = 0 if rng.random() < 0.1 else int(rng.integers(0, 250) * min(1.0, (i + 1) / 4))
            rows.append((line_id, day, good, int(rng.integers(0, 5))))
    reports = pd.DataFrame(rows, columns=["line_id", "report_date", "good_qty", "rejected_qty"])
    learned = pd.DataFrame(
        {
            "supplier_id": [1, 2, 3],
            "forecast_records": [0, 4, 12],
            "start_delay_days": [np.nan, 2.0, 5.5],
            "start_delay_sd": [np.nan, 1.0, 3.0],
            "rate_ratio": [np.nan, 1.2, 1.6],
            "rate_ratio_sd": [np.nan, 0.2, 0.5],
        }
    )
    as_of = dt.date(2026, 3, 6)
    raw = forecast_lines(lines, reports, MON_FRI, as_of, Settings(), calibration=learned)
    stats = report_stats(summarize_frame(reports, lines.set_index("line_id")["quantity"], 10))
    ours = forecast_lines(lines, None, MON_FRI, as_of, Settings(), stats=stats, calibration=learned)
    for col in ("produced", "remaining", "reported_days", "completion_p50", "completion_p90", "arrival_p90"):
        assert ours[col].equals(raw[col]), col
    np.testing.assert_allclose(ours["rate"], raw["rate"], rtol=1e-9)
    np.testing.assert_allclose(ours["rate_sd"], raw["rate_sd"], rtol=1e-9)
