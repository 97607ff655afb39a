"""The ranking read from the stored rank rows (one per supplier, issue 15 at scale XL), on SQLite and
PostgreSQL: for the snapshot's default end month it equals computing every supplier live today,

* right after a refresh, and with new weights or a new minimum of lines at once;
* after posts within the page's live budget (those suppliers computed live and patched in);
* after a changed-only refresh, which stores those suppliers' rank rows again as a full refresh would;
* after a sweep pass (any line's forecast may have moved: the line counts are counted again, and
  the next changed-only refresh stores everyone's counts);

while another end month keeps summing the monthly totals, and over the budget the changed
suppliers show their stored numbers (their line counts today's).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import delete, select, update

from db.engine import Database
from db.models import (
    LineForecast,
    PoLine,
    ScorecardRankRow,
    ScorecardSnapshot,
    Supplier,
    SweepRun,
)
from portal.core import scorecard as sc
from portal.core.domain import OPEN_LINE_STATUSES, Role
from portal.queries import scorecard_data
from portal.queries import scorecards as queries
from portal.queries.scorecards import Ranking, supplier_ranking
from portal.services.access import Actor
from portal.services.scorecards import refresh_scorecards
from portal.services.settings import update_settings
from tests.integration.scorecard_writes import demo_without_snapshot, receive, report

TODAY = dt.date(2026, 3, 6)  # a Friday
MONTH = f"{TODAY:%Y-%m}"
SYSTEM = Actor.system("test")
COMPARED = ["code", "rank", "score", "grade", "trend", "lines", "otd", "otif", "avg_days_late",
            "schedule_adherence", "promise_reliability", "mean_slip_days", "quality", "ppm",
            "responsiveness", "score_note", "previous_score", "total_lines", "open_lines",
            "late_lines", "received_lines", "score_history"]  # fmt: skip


@pytest.fixture
def demo(db: Database) -> Database:
    return demo_without_snapshot(db)


@pytest.fixture
def from_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rankings were read from the stored rank rows (one entry each)."""
    calls: list[int] = []
    original: Callable[..., Any] = queries._from_rank_rows

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(queries, "_from_rank_rows", counted)
    return calls


def _table(ranking: Ranking) -> pd.DataFrame:
    return ranking.table[COMPARED].set_index("code").sort_index()


def _live(db: Database, month: str = MONTH) -> pd.DataFrame:
    """Every supplier computed live today, as without a snapshot."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scorecard_data, "latest_snapshot", lambda session: None)
        live = supplier_ranking(db, SYSTEM, month, today=TODAY)
    assert live.computed_at is None
    return _table(live)


def _ranked(db: Database, month: str = MONTH) -> Ranking:
    return supplier_ranking(db, SYSTEM, month, today=TODAY)


def _assert_live(db: Database, ranking: Ranking, month: str = MONTH) -> None:
    pd.testing.assert_frame_equal(_table(ranking), _live(db, month), check_dtype=False)


def _rank_rows(db: Database) -> pd.DataFrame:
    """The stored rank rows, without their snapshot, one per supplier in supplier order."""
    with db.read() as session:
        snapshot = scorecard_data.latest_snapshot(session)
        assert snapshot is not None
        frame = scorecard_data.stored_rank_rows(session, snapshot.id)
    return frame.sort_values("supplier_id").reset_index(drop=True)


def _sweep_moves_a_forecast(db: Database) -> str:
    """What a sweep pass can do without any write the watermarks see: one open line forecast on time
    now forecast late (and the pass recorded). Returns the line's supplier code."""
    open_values = [s.value for s in OPEN_LINE_STATUSES]
    with db.write() as session:
        line_id, code = session.execute(
            select(LineForecast.po_line_id, Supplier.code)
            .join(PoLine, PoLine.id == LineForecast.po_line_id)
            .join(Supplier, Supplier.id == PoLine.supplier_id)
            .where(
                PoLine.status.in_(open_values),
                (LineForecast.days_late_p50 <= 0) | LineForecast.days_late_p50.is_(None),
            )
            .order_by(LineForecast.po_line_id)
            .limit(1)
        ).one()
        session.execute(
            update(LineForecast).where(LineForecast.po_line_id == line_id).values(days_late_p50=9)
        )
        now = dt.datetime(2026, 3, 6, 12)
        session.add(SweepRun(seen_at=now, as_of=TODAY, finished_at=now))
        session.commit()
    return str(code)


def test_a_refresh_stores_one_rank_row_per_supplier_and_the_ranking_read_from_them_is_the_live_one(
    demo: Database, from_rows: list[int]
) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    with demo.read() as session:
        snapshot = scorecard_data.latest_snapshot(session)
        assert snapshot is not None and snapshot.rank_end_month == sc.parse_month(MONTH)
        assert snapshot.counts_sweep_run == scorecard_data.sweep_mark(session)
        n_suppliers = len(session.scalars(select(Supplier.id)).all())
    stored = _rank_rows(demo)
    assert len(stored) == n_suppliers and stored["supplier_id"].is_unique
    assert set(stored["history"][0]) == set(sc.RANK_HISTORY)
    assert all(len(values) == sc.ROLLING_MONTHS for values in stored["history"][0].values())

    ranking = _ranked(demo)
    assert from_rows == [1]
    assert ranking.computed_at is not None and ranking.stale_suppliers == 0
    assert _table(ranking)["score"].notna().any()
    _assert_live(demo, ranking)
    # The default month (no month asked) is the stored one: read from the rows too.
    assert supplier_ranking(demo, SYSTEM, today=TODAY).end_month == MONTH and from_rows == [1, 1]


def test_new_weights_and_a_new_minimum_of_lines_apply_at_once_to_the_stored_rank_rows(
    demo: Database, from_rows: list[int]
) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    before = _table(_ranked(demo))
    admin = Actor(None, "admin", Role.ADMIN, None)
    update_settings(demo, admin, {"weight_otd": 45, "weight_otif": 5, "min_lines_for_score": 3})
    ranking = _ranked(demo)
    assert from_rows == [1, 1]
    assert not _table(ranking)["score"].equals(before["score"])
    _assert_live(demo, ranking)


def test_posts_within_the_budget_are_computed_live_and_patched_into_the_stored_rows(
    demo: Database, from_rows: list[int]
) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    before = _table(_ranked(demo))
    received = receive(demo, rejected=0.5)
    report(demo, other_than=received)

    ranking = _ranked(demo)
    assert from_rows == [1, 1] and ranking.stale_suppliers == 0
    shown = _table(ranking)
    assert not shown["quality"].equals(before["quality"])
    _assert_live(demo, ranking)


def test_a_changed_only_refresh_stores_the_rank_rows_a_full_refresh_would(
    demo: Database, from_rows: list[int]
) -> None:
    full = refresh_scorecards(demo, SYSTEM, today=TODAY)
    received = receive(demo)
    report(demo, other_than=received)

    info = refresh_scorecards(demo, SYSTEM, today=TODAY, changed_only=True)
    assert info.changed_only and info.snapshot_id == full.snapshot_id and info.suppliers == 2
    caught_up = _rank_rows(demo)
    ranking = _ranked(demo)
    assert from_rows == [1] and ranking.stale_suppliers == 0
    _assert_live(demo, ranking)

    refresh_scorecards(demo, SYSTEM, today=TODAY)  # everyone again, from the same data
    pd.testing.assert_frame_equal(caught_up, _rank_rows(demo))


def test_after_a_sweep_the_line_counts_are_counted_again_until_a_changed_only_refresh_stores_them(
    demo: Database, from_rows: list[int]
) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    before = _table(_ranked(demo))
    code = _sweep_moves_a_forecast(demo)

    ranking = _ranked(demo)
    assert _table(ranking).at[code, "late_lines"] == before.at[code, "late_lines"] + 1
    _assert_live(demo, ranking)

    # No supplier written to, but the counts are stored again: the rows read alone are today's.
    info = refresh_scorecards(demo, SYSTEM, today=TODAY, changed_only=True)
    assert info.changed_only and info.suppliers == 0
    with demo.read() as session:
        snapshot = scorecard_data.latest_snapshot(session)
        assert snapshot is not None
        assert snapshot.counts_sweep_run == scorecard_data.sweep_mark(session)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(queries, "line_counts", lambda *a, **k: pytest.fail("counted every line again"))
        ranking = _ranked(demo)
    _assert_live(demo, ranking)
    assert from_rows == [1, 1, 1]
    # Nothing new since: nothing to store.
    assert refresh_scorecards(demo, SYSTEM, today=TODAY, changed_only=True).suppliers == 0


def test_another_end_month_sums_the_monthly_totals_as_before(demo: Database, from_rows: list[int]) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    earlier = sc.month_label(sc.parse_month(MONTH) - 2)
    ranking = _ranked(demo, earlier)
    assert from_rows == [] and ranking.computed_at is not None
    _assert_live(demo, ranking, earlier)


def test_over_the_budget_the_changed_suppliers_show_their_stored_rows_and_todays_line_counts(
    demo: Database, from_rows: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    before = _table(_ranked(demo))
    sid = receive(demo, rejected=0.5)
    live = _live(demo)
    with demo.read() as session:
        code = str(session.scalar(select(Supplier.code).where(Supplier.id == sid)))

    monkeypatch.setattr(queries, "LIVE_LINE_BUDGET", 0)
    ranking = _ranked(demo)
    assert from_rows == [1, 1] and ranking.stale_suppliers == 1
    shown = _table(ranking)
    scores = ["score", "grade", "lines", "otd", "otif", "quality", "responsiveness", "score_history"]
    pd.testing.assert_frame_equal(shown.loc[[code], scores], before.loc[[code], scores], check_dtype=False)
    counts = ["total_lines", "open_lines", "late_lines", "received_lines"]
    pd.testing.assert_frame_equal(shown[counts], live[counts], check_dtype=False)
    # Everyone else: today's numbers (their ranks move around the stored one).
    others = shown.index != code
    rest = [c for c in COMPARED if c not in ("code", "rank")]
    pd.testing.assert_frame_equal(shown.loc[others, rest], live.loc[others, rest], check_dtype=False)


def test_a_snapshot_without_rank_rows_sums_its_monthly_totals(demo: Database, from_rows: list[int]) -> None:
    """One stored before the rank rows existed (migration 0024): read as before until the next refresh."""
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    with demo.write() as session:
        session.execute(delete(ScorecardRankRow))
        session.execute(update(ScorecardSnapshot).values(rank_end_month=None, counts_sweep_run=None))
        session.commit()
    ranking = _ranked(demo)
    assert from_rows == [] and ranking.computed_at is not None
    _assert_live(demo, ranking)


def test_a_supplier_added_since_without_a_line_is_ranked_with_no_data_as_live(
    demo: Database, from_rows: list[int]
) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    with demo.write() as session:
        session.add(Supplier(code="ZZNEW", name="New Works"))
        session.commit()
    ranking = _ranked(demo)
    assert from_rows == [1] and ranking.stale_suppliers == 0
    shown = _table(ranking)
    assert shown.at["ZZNEW", "score_note"] == sc.NO_DATA and shown.at["ZZNEW", "open_lines"] == 0
    _assert_live(demo, ranking)
