"""Scorecard queries and the scorecards export on SQLite and PostgreSQL: who may read what, the export's
columns and values, and the admin settings that change the scores (validated and audited)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import AuditEvent, Setting
from portal.core.domain import PermissionDenied, ValidationError
from portal.queries.exports import EXPORT_COLUMNS, export_frame, to_csv_bytes
from portal.queries.scorecards import (
    compare_suppliers,
    scorecard_export,
    scorecard_lines,
    scorecard_months,
    supplier_ranking,
    supplier_scorecard,
)
from portal.services.settings import get_settings, load_settings, update_settings
from tests.builders import RECEIVED_AS_OF as AS_OF
from tests.builders import SmallWorld, received_world

DOMAIN = Path(__file__).parents[3] / "shared" / "DOMAIN.md"
ROOT = Path(__file__).parents[2]
EXPECTED_EXPORT_COLUMNS = [
    "supplier_code",
    "period",
    "lines",
    "otd",
    "otif",
    "avg_days_late",
    "schedule_adherence",
    "promise_reliability",
    "quality",
    "responsiveness",
    "score",
    "grade",
]


@pytest.fixture
def world(db: Database) -> SmallWorld:
    return received_world(db)


def _rows(frame: pd.DataFrame) -> dict[str, dict]:
    return {r["supplier_code"]: r for r in frame.to_dict("records")}


# ----------------------------------------------------------------------------- who may read what


def test_a_supplier_user_reads_its_own_scorecard(db: Database, world: SmallWorld) -> None:
    card = supplier_scorecard(db, world.acme_user, world.acme_id, "2026-04", today=AS_OF)
    assert (card.code, card.end_month) == ("ACME", "2026-04")
    lines = scorecard_lines(db, world.acme_user, world.acme_id, "lines", "2026-04", today=AS_OF)
    assert set(lines["label"]) == {"PO-1/1", "PO-1/2"}


def test_a_supplier_user_cannot_read_another_suppliers_scorecard(db: Database, world: SmallWorld) -> None:
    with pytest.raises(PermissionDenied, match="another supplier"):
        supplier_scorecard(db, world.acme_user, world.bolt_id, today=AS_OF)
    with pytest.raises(PermissionDenied, match="another supplier"):
        scorecard_lines(db, world.acme_user, world.bolt_id, "lines", today=AS_OF)


# ----------------------------------------------------------------------------- the lines behind a number


@pytest.mark.parametrize(
    ("number", "labels"),
    [
        ("otd", ["PO-1/1", "PO-1/2", "PO-1/2"]),  # every receipt
        ("quality", ["PO-1/1", "PO-1/2", "PO-1/2"]),
        ("otif", ["PO-1/1", "PO-1/2"]),  # every line due
        ("avg_days_late", ["PO-1/2"]),  # the late lines only
        ("lines", ["PO-1/1", "PO-1/2"]),
    ],
)
def test_the_lines_behind_each_number_are_read_on_their_own(
    db: Database, world: SmallWorld, number: str, labels: list[str]
) -> None:
    rows = scorecard_lines(db, world.manager, world.acme_id, number, "2026-04", today=AS_OF)
    assert sorted(rows["label"]) == labels
    assert set(rows["period"]) == {"2026-03"}
    assert {"sku", "ordered", "status"} <= set(rows.columns)


def test_the_lines_behind_a_number_add_up_to_it(db: Database, world: SmallWorld) -> None:
    card = supplier_scorecard(db, world.manager, world.acme_id, "2026-04", today=AS_OF)
    receipts = scorecard_lines(db, world.manager, world.acme_id, "otd", "2026-04", today=AS_OF)
    assert int(receipts["on_time"].sum()) == card.summary["otd_on_time"] == 2
    assert len(receipts) == card.summary["otd_receipts"] == 3
    due = scorecard_lines(db, world.manager, world.acme_id, "otif", "2026-04", today=AS_OF)
    assert int(due["otif"].sum()) == card.summary["otif_on_time"]


def test_the_lines_behind_a_number_can_be_read_for_one_month(db: Database, world: SmallWorld) -> None:
    march = scorecard_lines(db, world.manager, world.acme_id, "otd", "2026-04", "2026-03", today=AS_OF)
    april = scorecard_lines(db, world.manager, world.acme_id, "otd", "2026-04", "2026-04", today=AS_OF)
    assert (len(march), len(april)) == (3, 0)
    with pytest.raises(ValidationError, match="not one of the 12 months"):
        scorecard_lines(db, world.manager, world.acme_id, "otd", "2026-04", "2025-04", today=AS_OF)


def test_the_score_and_unknown_numbers_have_no_lines_to_read(db: Database, world: SmallWorld) -> None:
    for number in ("score", "grade", "nonsense"):
        with pytest.raises(ValidationError, match="Unknown scorecard number"):
            scorecard_lines(db, world.manager, world.acme_id, number, today=AS_OF)


@pytest.mark.parametrize("query", ["ranking", "compare"])
def test_a_supplier_user_cannot_rank_or_compare_suppliers(
    db: Database, world: SmallWorld, query: str
) -> None:
    with pytest.raises(PermissionDenied):
        if query == "ranking":
            supplier_ranking(db, world.acme_user, today=AS_OF)
        else:
            compare_suppliers(db, world.acme_user, [world.acme_id, world.bolt_id], today=AS_OF)


@pytest.mark.parametrize("who", ["manager", "buyer", "admin"])
def test_staff_read_every_suppliers_scorecard(db: Database, world: SmallWorld, who: str) -> None:
    actor = getattr(world, who)
    assert supplier_scorecard(db, actor, world.bolt_id, today=AS_OF).code == "BOLT"
    ranking = supplier_ranking(db, actor, "2026-04", today=AS_OF)
    assert sorted(ranking.table["code"]) == ["ACME", "BOLT"]


def test_a_supplier_users_export_has_only_its_own_row(db: Database, world: SmallWorld) -> None:
    frame = export_frame(db, world.bolt_user, "scorecards", period="2026-03")
    assert frame["supplier_code"].tolist() == ["BOLT"]


def test_a_supplier_users_months_are_its_own(db: Database, world: SmallWorld) -> None:
    # BOLT has no receipt and no report: its first month is that of its line's need-by date.
    choices, _ = scorecard_months(db, world.bolt_user, today=AS_OF)
    assert choices[-1] == "2026-04"
    staff_choices, _ = scorecard_months(db, world.manager, today=AS_OF)
    assert staff_choices[-1] == "2026-03"


# ----------------------------------------------------------------------------- the numbers


def test_the_scorecard_numbers_come_from_the_receipts_and_lines(db: Database, world: SmallWorld) -> None:
    card = supplier_scorecard(db, world.manager, world.acme_id, "2026-04", today=AS_OF)
    march = card.monthly.set_index("period").loc["2026-03"]
    assert (march["otd_on_time"], march["otd_receipts"]) == (2, 3)
    assert (march["otif_on_time"], march["otif_lines"]) == (1, 2)
    assert march["avg_days_late"] == 3.0  # PO-1/2 complete on 30 March, due 27 March
    assert march["quality"] == pytest.approx(1 - 10 / 1300)
    late = scorecard_lines(db, world.manager, world.acme_id, "avg_days_late", "2026-04", today=AS_OF)
    assert late.loc[late["late"].astype(bool), "label"].tolist() == ["PO-1/2"]


def test_a_supplier_without_enough_lines_is_not_scored(db: Database, world: SmallWorld) -> None:
    ranking = supplier_ranking(db, world.manager, "2026-04", today=AS_OF).table.set_index("code")
    assert ranking["score"].isna().all()
    assert ranking.loc["ACME", "score_note"] == "not enough data (2 lines, 5 needed)"
    assert ranking.loc["ACME", "open_lines"] + ranking.loc["ACME", "received_lines"] == 2
    assert ranking.loc["BOLT", "open_lines"] == 1


def test_compare_needs_two_to_four_suppliers(db: Database, world: SmallWorld) -> None:
    with pytest.raises(ValidationError, match="2 to 4"):
        compare_suppliers(db, world.manager, [world.acme_id], today=AS_OF)
    result = compare_suppliers(db, world.manager, [world.bolt_id, world.acme_id], "2026-04", today=AS_OF)
    assert result.summary["code"].tolist() == ["BOLT", "ACME"]
    assert result.trend["period"].nunique() == 12


# ----------------------------------------------------------------------------- the export


def test_the_scorecards_export_has_exactly_the_columns_of_domain_md(db: Database, world: SmallWorld) -> None:
    if DOMAIN.exists():
        text = DOMAIN.read_text(encoding="utf-8")
        listed = re.search(r"- scorecards \(export only\): (.+?) \(rates", text, re.S)
        assert listed is not None
        columns = [c.strip().split(" ")[0] for c in re.sub(r"\([^)]*\)", "", listed.group(1)).split(",")]
        assert columns == EXPECTED_EXPORT_COLUMNS
    assert EXPORT_COLUMNS["scorecards"] == EXPECTED_EXPORT_COLUMNS
    frame = export_frame(db, world.manager, "scorecards")
    assert list(frame.columns) == EXPECTED_EXPORT_COLUMNS
    assert set(frame["period"]) == {"rolling-12"}
    assert sorted(frame["supplier_code"]) == ["ACME", "BOLT"]


def test_a_months_export_has_rates_as_fractions_and_empty_cells_where_there_is_no_data(
    db: Database, world: SmallWorld
) -> None:
    with db.read() as session:
        frame = scorecard_export(session, world.manager, "2026-03", today=AS_OF)
    rows = _rows(frame)
    assert rows["ACME"]["period"] == "2026-03"
    assert rows["ACME"]["otd"] == pytest.approx(0.6667)
    assert rows["ACME"]["otif"] == 0.5
    csv = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), dtype=str, keep_default_na=False)
    bolt = csv.set_index("supplier_code").loc["BOLT"]
    assert bolt["lines"] == "0"
    assert [bolt[c] for c in ("otd", "otif", "avg_days_late", "quality", "score", "grade")] == [""] * 6


@pytest.mark.parametrize("period", ["2026-13", "March", "2026-3"])
def test_the_export_period_must_be_a_month(db: Database, world: SmallWorld, period: str) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM"):
        export_frame(db, world.manager, "scorecards", period=period)


def test_the_command_line_exports_scorecards(db: Database, world: SmallWorld) -> None:
    env = {**os.environ, "DATABASE_URL": str(db.engine.url.render_as_string(hide_password=False))}
    out = subprocess.run(
        [sys.executable, "-m", "portal", "export", "scorecards", "--period", "2026-03"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    frame = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(frame.columns) == EXPECTED_EXPORT_COLUMNS
    assert set(frame["period"]) == {"2026-03"}


# ----------------------------------------------------------------------------- settings


def test_weights_that_do_not_sum_to_100_are_refused_and_nothing_is_stored(
    db: Database, world: SmallWorld
) -> None:
    with pytest.raises(ValidationError, match="sum to 100, they sum to 105"):
        update_settings(db, world.admin, {"weight_otd": 30})
    with db.read() as session:
        assert session.scalars(select(Setting)).all() == []
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.changed")).all() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"on_time_tolerance_days": -1}, "between 0 and 60"),
        ({"on_time_tolerance_days": 1.5}, "whole number"),
        ({"min_lines_for_score": "many"}, "not a number"),
        ({"min_lines_for_score": "５"}, "not a number"),  # full-width digit: refused, not read as 5
        ({"min_lines_for_score": float("nan")}, "not a number"),  # was a ValueError from int(nan)
        ({"upload_rows_reports": 5}, "between 10 and 500000"),
        ({"nonsense": 1}, "Unknown setting"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(
    db: Database, world: SmallWorld, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        update_settings(db, world.admin, changes)


@pytest.mark.parametrize("who", ["manager", "buyer", "acme_user"])
def test_only_an_admin_changes_settings(db: Database, world: SmallWorld, who: str) -> None:
    with pytest.raises(PermissionDenied):
        update_settings(db, getattr(world, who), {"min_lines_for_score": 1})


def test_changed_settings_are_audited_and_change_the_next_scores(db: Database, world: SmallWorld) -> None:
    before = supplier_ranking(db, world.manager, "2026-04", today=AS_OF).table.set_index("code")
    assert pd.isna(before.loc["ACME", "score"])
    only_otd = {f"weight_{m}": 0 for m in get_settings(db, world.admin).weights()}
    update_settings(
        db,
        world.admin,
        {**only_otd, "weight_otd": 100, "min_lines_for_score": 1, "on_time_tolerance_days": 3},
    )
    with db.read() as session:
        assert load_settings(session).min_lines_for_score == 1
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "setting.changed")).all()
    changed = {e.entity_id: (e.before, e.after) for e in events}
    assert changed["min_lines_for_score"] == ({"value": 5}, {"value": 1})
    assert changed["weight_otd"] == ({"value": 25}, {"value": 100})
    assert all(e.actor_name == "admin" for e in events)
    after = supplier_ranking(db, world.manager, "2026-04", today=AS_OF).table.set_index("code")
    # Only OTD counts now, and with 3 days of tolerance every ACME receipt is on time.
    assert after.loc["ACME", "score"] == 100.0
    assert after.loc["ACME", "grade"] == "A"
