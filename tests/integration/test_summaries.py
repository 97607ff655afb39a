"""Per-line production summaries on SQLite and PostgreSQL: kept by every report write, equal to a
fold of the line's own reports, checked by ``sweep --verify`` and repaired by ``summaries rebuild``."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import sys
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from db.engine import Database, open_database
from db.models import LineForecast, LineProductionSummary, PoLine, SupplierDailyOutput
from portal.cli import main
from portal.services.access import Actor
from portal.services.daily_outputs import add_daily_totals_at_commit, verify_daily_outputs
from portal.services.planning import sweep
from portal.services.production import post_reports
from portal.services.settings import update_settings
from portal.services.summaries import load_summaries, rebuild, summaries_from_reports, verify_summaries
from tests.builders import TODAY, SmallWorld, load, post, small_world

#: ACME's working days (Germany, Mon-Fri, no public holiday in these weeks), up to TODAY.
WORKING_DAYS = [d.date() for d in pd.bdate_range("2026-02-02", TODAY)]
_numbers = itertools.count(1)


def new_line(db: Database, quantity: int) -> int:
    po = f"PO-H{next(_numbers)}"
    csv = (
        "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
        f"{po},1,ACME,SKU-1,{quantity},2026-01-15,2026-04-30\n"
    )
    assert load(db, Actor.system("test"), "pos", csv).ok
    with db.read() as session:
        return int(session.scalars(select(PoLine.id).where(PoLine.po_number == po)).one())


def assert_summary_matches_reports(db: Database, line_id: int, span: int = 10) -> None:
    with db.read() as session:
        stored = load_summaries(session, [line_id])
        expected = summaries_from_reports(session, [line_id], span)
        assert verify_summaries(session, span, [line_id]).empty
        assert verify_daily_outputs(session).empty  # the suppliers' daily totals too
    expected = expected[expected["reported_days"] > 0].reset_index(drop=True)
    # Exactly equal, floats included: the stored EWM state was folded by the same recurrence.
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True).astype(expected.dtypes.to_dict()), expected, check_exact=True
    )


# One batch: distinct days of the line with good and rejected output; posted through the form (one
# row), the grid (many rows) or the reports import, corrections confirmed.
batch = st.dictionaries(
    st.sampled_from(range(len(WORKING_DAYS))),
    st.tuples(st.integers(0, 300), st.integers(0, 20)),
    min_size=1,
    max_size=6,
)


@settings(
    max_examples=12,
    deadline=None,
    # Each example posts through the services on a real database: no shrinking (minutes per failure).
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    quantity=st.integers(100, 3000),
    batches=st.lists(st.tuples(batch, st.sampled_from(["form", "grid", "import"])), min_size=1, max_size=5),
)
def test_a_summary_kept_through_random_posts_and_corrections_equals_a_fold_of_the_reports(
    db: Database, world: SmallWorld, quantity: int, batches: list[tuple[dict[int, tuple[int, int]], str]]
) -> None:
    line_id = new_line(db, quantity)
    with db.read() as session:
        po = session.get_one(PoLine, line_id).po_number
    for days, how in batches:
        rows = [
            {"po_number": po, "line": 1, "date": WORKING_DAYS[i], "good_qty": g, "rejected_qty": r}
            for i, (g, r) in days.items()
        ]
        if how == "form":
            row = rows[0]
            post(db, world.acme_user, line_id, row["date"], row["good_qty"], rejected=row["rejected_qty"])
        elif how == "grid":
            post_reports(db, world.acme_user, rows, confirm_corrections=True, today=TODAY)
        else:
            csv = "po_number,line,date,good_qty,rejected_qty\n" + "".join(
                f"{r['po_number']},1,{r['date']},{r['good_qty']},{r['rejected_qty']}\n" for r in rows
            )
            assert load(db, world.buyer, "reports", csv).ok
        assert_summary_matches_reports(db, line_id)


def test_days_posted_in_order_are_appended_and_a_correction_folds_the_line_again(
    db: Database, world: SmallWorld
) -> None:
    line_id = world.line_ids["PO-1/1"]  # 100 a day Mon 2 - Fri 6 March, from the builder's import
    assert_summary_matches_reports(db, line_id)
    post(db, world.acme_user, line_id, dt.date(2026, 3, 4), 40)
    assert_summary_matches_reports(db, line_id)
    with db.read() as session:
        s = session.get_one(LineProductionSummary, line_id)
        assert (s.produced, s.reported_days, s.rejected) == (440, 5, 0)
        assert s.last_report_date == dt.date(2026, 3, 6)


def test_a_summary_that_disagrees_is_reported_by_sweep_verify_never_used_and_repaired_by_rebuild(
    db: Database, world: SmallWorld
) -> None:
    line_id = world.line_ids["PO-1/1"]
    with db.write() as session:
        session.execute(
            update(LineProductionSummary)
            .where(LineProductionSummary.po_line_id == line_id)
            .values(produced=1)
        )
        session.commit()
    checked = sweep(db, world.admin, TODAY, verify=True)
    assert checked.inconsistent.to_dict("records") == [
        {"line_id": line_id, "label": "PO-1/1", "problem": "produced 1 stored, 500 from its reports"}
    ]
    with db.read() as session:
        assert session.get_one(LineForecast, line_id).produced == 500
    repaired = rebuild(db, world.admin)
    assert repaired.repaired["label"].tolist() == ["PO-1/1"]
    assert repaired.lines == 1
    assert sweep(db, world.admin, TODAY, verify=True).inconsistent.empty
    assert_summary_matches_reports(db, line_id)


def test_a_changed_quantity_is_forecast_from_the_reports_not_the_old_summary(
    db: Database, world: SmallWorld
) -> None:
    line_id = world.line_ids["PO-1/1"]
    with db.write() as session:
        session.execute(update(PoLine).where(PoLine.id == line_id).values(quantity=300))
        session.commit()
    sweep(db, world.admin, TODAY)
    with db.read() as session:
        forecast = session.get_one(LineForecast, line_id)
        # 100 a day from Monday 2 March: the 300th unit on Wednesday 4 March.
        assert forecast.completion_p50 == dt.date(2026, 3, 4)
        assert forecast.remaining == 0


def test_a_new_span_setting_folds_every_summary_again_with_it(db: Database, world: SmallWorld) -> None:
    update_settings(db, world.admin, {"forecast_ewm_span": 4})
    with db.read() as session:
        assert set(session.scalars(select(LineProductionSummary.ewm_span))) == {4}
    assert_summary_matches_reports(db, world.line_ids["PO-1/1"], span=4)


def test_the_command_line_verifies_and_rebuilds_summaries(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_database(sqlite_url)
    world = small_world(db)
    with db.write() as session:
        session.execute(update(LineProductionSummary).values(reported_days=2))
        session.commit()
    db.dispose()
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["sweep", "--verify", "--as-of", TODAY.isoformat()]) == 1
    err = capsys.readouterr().err
    assert "inconsistent summary: line PO-1/1: reported_days 2 stored, 5 from its reports" in err
    assert main(["summaries", "rebuild"]) == 0
    out = capsys.readouterr().out
    assert "repaired: line PO-1/1" in out and "1 lines with reports, 1 repaired" in out
    assert main(["sweep", "--verify", "--as-of", TODAY.isoformat()]) == 0
    assert "Every production summary agrees with its reports." in capsys.readouterr().out
    assert world.line_ids


def test_a_wrong_daily_output_total_is_reported_by_sweep_verify_and_repaired_by_rebuild(
    db: Database, world: SmallWorld
) -> None:
    with db.write() as session:
        session.execute(
            update(SupplierDailyOutput)
            .where(SupplierDailyOutput.report_date == dt.date(2026, 3, 3))
            .values(good_qty=7)
        )
        session.commit()
    checked = sweep(db, world.admin, TODAY, verify=True)
    assert checked.inconsistent_days.to_dict("records") == [
        {
            "supplier_id": world.acme_id,
            "report_date": dt.date(2026, 3, 3),
            "problem": "daily output 7 stored, 100 from the reports",
        }
    ]
    repaired = rebuild(db, world.admin).repaired_days
    assert repaired is not None and len(repaired) == 1
    with db.read() as session:
        assert verify_daily_outputs(session).empty


def test_what_a_post_stores_equals_what_a_full_sweep_computes_for_the_same_data(
    db: Database, world: SmallWorld
) -> None:
    from db.models import Backorder

    line_id = world.line_ids["PO-1/1"]
    post_reports(
        db,
        world.acme_user,
        [{"po_number": "PO-1", "line": 1, "date": dt.date(2026, 3, 5), "good_qty": 37, "rejected_qty": 1}],
        confirm_corrections=True,
        today=TODAY,
    )
    post(db, world.acme_user, line_id, TODAY, 161)
    columns: tuple[str, ...] = (
        "produced",
        "remaining",
        "rate",
        "rate_source",
        "completion_p50",
        "completion_p90",
    )
    columns += ("arrival_p50", "arrival_p90", "days_late_p50", "days_late_p90")

    def stored() -> tuple:
        with db.read() as session:
            f = session.get(LineForecast, line_id)
            promises = session.execute(
                select(Backorder.id, Backorder.promise_date, Backorder.promise_status).order_by(Backorder.id)
            ).all()
            return tuple(getattr(f, c) for c in columns), [tuple(p) for p in promises]

    after_post = stored()
    sweep(db, world.admin, TODAY)
    assert stored() == after_post
    assert after_post[0][0] == 100 + 100 + 100 + 37 + 161  # Thursday corrected, Friday corrected


def test_the_sweep_from_summaries_computes_what_it_computes_from_the_raw_reports(
    db: Database, world: SmallWorld
) -> None:
    """Forecasts, supplier statistics (the calibration's record) and alerts: the sweep that reads
    only summaries stores exactly what the reference path that reads every report stores, after
    random histories with ramp-up, outages, skipped days and corrections."""
    import random

    from db.models import Alert, SupplierStats

    rng = random.Random(15)
    for _ in range(6):
        line_id = new_line(db, rng.randint(300, 3000))
        with db.read() as session:
            po = session.get_one(PoLine, line_id).po_number
        days = [d for d in WORKING_DAYS[-rng.randint(3, 25) :] if rng.random() > 0.15]
        for round_ in range(3):  # the first posts, then two rounds of corrections of some days
            chosen = days if round_ == 0 else rng.sample(days, k=min(len(days), 3))
            rows = [
                {
                    "po_number": po,
                    "line": 1,
                    "date": d,
                    "good_qty": 0 if rng.random() < 0.1 else rng.randint(0, 150) * min(i + 1, 4) // 4,
                    "rejected_qty": rng.randint(0, 5),
                }
                for i, d in enumerate(chosen)
            ]
            post_reports(db, world.acme_user, rows, confirm_corrections=True, today=TODAY)

    def stored() -> tuple[Any, ...]:
        with db.read() as session:
            forecasts = [
                (
                    *(f.po_line_id, f.produced, f.remaining, f.rate_source, f.completion_p50),
                    *(f.completion_p90, f.arrival_p50, f.arrival_p90, round(f.rate or 0, 9)),
                )
                for f in session.scalars(select(LineForecast).order_by(LineForecast.po_line_id))
            ]
            stats = [
                tuple(round(v, 9) if isinstance(v, float) else v for v in r)
                for r in session.execute(
                    select(
                        SupplierStats.supplier_id,
                        SupplierStats.forecast_records,
                        SupplierStats.start_delay_days,
                        SupplierStats.start_delay_sd,
                        SupplierStats.rate_ratio,
                        SupplierStats.rate_ratio_sd,
                    ).order_by(SupplierStats.supplier_id)
                ).all()
            ]
            alerts = sorted(
                tuple(r)
                for r in session.execute(select(Alert.rule, Alert.subject_key, Alert.severity, Alert.status))
            )
            return forecasts, stats, alerts

    sweep(db, world.admin, TODAY, from_reports=True)
    from_reports = stored()
    sweep(db, world.admin, TODAY)
    from_summaries = stored()
    assert from_summaries == from_reports
    assert len(from_reports[0]) >= 6 and any(s[1] for s in from_reports[1])  # lines and a record


def test_daily_totals_are_written_when_their_transaction_commits_and_forgotten_when_it_rolls_back(
    db: Database, world: SmallWorld
) -> None:
    day = dt.date(2026, 3, 9)

    def total() -> int | None:
        with db.read() as session:
            return session.scalar(
                select(SupplierDailyOutput.good_qty).where(
                    SupplierDailyOutput.supplier_id == world.acme_id, SupplierDailyOutput.report_date == day
                )
            )

    with db.write() as session:
        add_daily_totals_at_commit(
            session, [{"supplier_id": world.acme_id, "report_date": day, "good_qty": 40}]
        )
        session.rollback()
        session.execute(select(PoLine.id)).all()  # the session's next transaction
        session.commit()
    assert total() is None
    with db.write() as session:
        rows = [{"supplier_id": world.acme_id, "report_date": day, "good_qty": n} for n in (40, 2)]
        add_daily_totals_at_commit(session, rows[:1])
        add_daily_totals_at_commit(session, rows[1:])  # one supplier day twice: added up
        assert total() is None  # not before the commit
        session.commit()
    assert total() == 42
