"""The ranking's stored scorecards kept current, on SQLite and PostgreSQL (issue 15, scale XL):

* a changed-only refresh (what the scheduler runs after each sweep) stores again exactly the
  suppliers written to since, and the snapshot plus those equals computing everyone live today;
* a snapshot of an earlier day counts for nobody: yesterday's snapshot plus today's writes gives
  what computing everyone live today gives;
* over the page's live budget the ranking shows the stored numbers of the suppliers that changed,
  says how many, and never mixes them with today's;
* a refresh in supplier chunks stores the same totals as one in a single piece.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import ScorecardSnapshot, ScorecardTotal
from portal.queries import scorecard_data
from portal.queries import scorecards as queries
from portal.queries.scorecards import Ranking, supplier_ranking
from portal.services.access import Actor
from portal.services.scheduler import refresh_stale_scorecards
from portal.services.scorecards import refresh_scorecards
from tests.integration.scorecard_writes import demo_without_snapshot, receive, report

TODAY = dt.date(2026, 3, 6)  # a Friday
YESTERDAY = TODAY - dt.timedelta(days=1)
MONTH = f"{TODAY:%Y-%m}"
SYSTEM = Actor.system("test")
COMPARED = ["code", "rank", "score", "grade", "trend", "lines", "otd", "otif", "avg_days_late",
            "schedule_adherence", "promise_reliability", "quality", "responsiveness", "score_note",
            "open_lines", "late_lines", "received_lines", "score_history"]  # fmt: skip


@pytest.fixture
def demo(db: Database) -> Database:
    return demo_without_snapshot(db)


def _table(ranking: Ranking) -> pd.DataFrame:
    return ranking.table[COMPARED].set_index("code").sort_index()


def _ranking(db: Database, today: dt.date = TODAY) -> Ranking:
    """The ranking page's read of this month, as of ``today``."""
    return supplier_ranking(db, SYSTEM, MONTH, today=today)


def _live(db: Database) -> pd.DataFrame:
    """Every supplier computed live today, as without a snapshot."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scorecard_data, "latest_snapshot", lambda session: None)
        live = _ranking(db)
    assert live.computed_at is None
    return _table(live)


def _same(shown: pd.DataFrame, expected: pd.DataFrame) -> None:
    """The same numbers (the dtypes of a stored and a live read may differ)."""
    pd.testing.assert_frame_equal(shown, expected, check_dtype=False)


def test_a_changed_only_refresh_stores_the_changed_suppliers_and_equals_everyone_live(demo: Database) -> None:
    full = refresh_scorecards(demo, SYSTEM, today=TODAY)
    assert refresh_scorecards(demo, SYSTEM, today=TODAY, changed_only=True).suppliers == 0  # nothing written
    received = receive(demo)
    reported = report(demo, other_than=received)

    info = refresh_scorecards(demo, SYSTEM, today=TODAY, changed_only=True)
    assert info.changed_only and info.snapshot_id == full.snapshot_id
    assert info.suppliers == 2 and info.rows > 0
    with demo.read() as session:
        snapshot = session.scalars(select(ScorecardSnapshot)).one()
        stored_for = set(session.scalars(select(ScorecardTotal.supplier_id).distinct()))
        marks = scorecard_data.watermarks(session)
    assert {received, reported} <= stored_for
    assert snapshot.watermarks == marks  # raised to what it has now read

    ranking = _ranking(demo)
    assert ranking.computed_at is not None and ranking.stale_suppliers == 0
    _same(_table(ranking), _live(demo))
    # The scheduler's run after the next sweep: nothing written since, nothing stored.
    assert refresh_stale_scorecards(demo, TODAY) is False


def test_a_snapshot_of_yesterday_and_the_writes_since_give_the_live_numbers_of_today(
    demo: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh_scorecards(demo, SYSTEM, today=YESTERDAY)
    yesterday = _table(_ranking(demo, YESTERDAY))
    received = receive(demo)

    # Within the page's budget (the demo world): everyone live, the stale snapshot unused.
    ranking = _ranking(demo)
    assert ranking.computed_at is None and ranking.stale_suppliers == 0
    live = _live(demo)
    _same(_table(ranking), live)
    assert not _table(ranking).drop(columns=["late_lines"]).equals(yesterday.drop(columns=["late_lines"]))

    # Over it: yesterday's numbers, said to be yesterday's (the line counts are always today's).
    monkeypatch.setattr(queries, "LIVE_LINE_BUDGET", 0)
    stale = _ranking(demo)
    assert stale.snapshot_as_of == YESTERDAY and stale.computed_at is not None
    with demo.read() as session:
        in_snapshot = len(session.scalars(select(ScorecardTotal.supplier_id).distinct()).all())
    assert stale.stale_suppliers == in_snapshot
    scores = ["score", "otd", "otif", "responsiveness", "promise_reliability"]
    _same(_table(stale)[scores], yesterday[scores])
    code = _code(demo, received)
    assert _table(stale).at[code, "open_lines"] == live.at[code, "open_lines"]

    # The first scheduled run of today stores everyone again: today's numbers, none stale.
    assert refresh_stale_scorecards(demo, TODAY) is True
    fresh = _ranking(demo)
    assert fresh.snapshot_as_of == TODAY and fresh.stale_suppliers == 0
    _same(_table(fresh), live)


def _code(db: Database, supplier_id: int) -> str:
    from db.models import Supplier

    with db.read() as session:
        return str(session.scalar(select(Supplier.code).where(Supplier.id == supplier_id)))


def test_over_the_live_budget_the_changed_suppliers_keep_their_stored_numbers_and_say_so(
    demo: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    refresh_scorecards(demo, SYSTEM, today=TODAY)
    before = _table(_ranking(demo))
    code = _code(demo, receive(demo, rejected=0.5))
    live = _live(demo)
    assert before.at[code, "quality"] != live.at[code, "quality"]

    monkeypatch.setattr(queries, "LIVE_LINE_BUDGET", 0)
    ranking = _ranking(demo)
    assert ranking.stale_suppliers == 1 and ranking.snapshot_as_of == TODAY
    shown = _table(ranking)
    scores = ["score", "grade", "lines", "otd", "otif", "quality", "responsiveness"]
    # The changed supplier: as stored; everyone else: today's (unchanged since the snapshot).
    _same(shown.loc[[code], scores], before.loc[[code], scores])
    assert shown.at[code, "score_history"] == before.at[code, "score_history"]
    others = shown.index != code
    _same(shown.loc[others, scores], live.loc[others, scores])

    # A changed-only refresh catches up: nothing stale, every number today's.
    assert refresh_scorecards(demo, SYSTEM, today=TODAY, changed_only=True).suppliers == 1
    caught_up = _ranking(demo)
    assert caught_up.stale_suppliers == 0
    _same(_table(caught_up), live)


def test_a_refresh_in_supplier_chunks_stores_the_same_totals(demo: Database) -> None:
    def stored() -> pd.DataFrame:
        with demo.read() as session:
            frame = pd.read_sql(select(ScorecardTotal), session.connection())
        frame = frame.drop(columns=["snapshot_id"]).sort_values(["supplier_id", "month"])
        return frame.reset_index(drop=True)

    whole = refresh_scorecards(demo, SYSTEM, today=TODAY, chunk_lines=10**9)
    in_one = stored()
    chunked = refresh_scorecards(demo, SYSTEM, today=TODAY, chunk_lines=1)  # one supplier a chunk
    assert (chunked.rows, chunked.suppliers) == (whole.rows, whole.suppliers)
    pd.testing.assert_frame_equal(stored(), in_one)
