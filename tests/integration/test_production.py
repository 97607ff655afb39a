"""The supplier's write services: schedule revisions and daily output, on SQLite and PostgreSQL.

Every rule of the supplier workspace: validation shared with the import path, optimistic
locking, corrections that keep the history, the recompute in the same transaction, and a
supplier user that can neither read nor write another supplier's line through any service.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable
from functools import partial

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Alert, AuditEvent, LineForecast, PoLine, ProductionReport, ProductionSchedule
from portal.core.calendar import WorkCalendar
from portal.core.domain import (
    AlertStatus,
    ConflictError,
    LineStatus,
    NotFound,
    PermissionDenied,
    PortalError,
    ValidationError,
)
from portal.i18n import language
from portal.queries.alerts import AlertFilter, alert_comments, alert_inbox
from portal.queries.line_detail import line_detail
from portal.queries.lines import LineFilter, line_choices, open_lines, output_sheet, recent_working_days
from portal.services.access import Actor
from portal.services.alerts import comment_on_alert
from portal.services.imports import ImportResult
from portal.services.production import (
    CorrectionNeeded,
    ScheduleConflict,
    implied_end_date,
    post_report,
    post_reports,
    revise_schedule,
)
from tests.builders import TODAY, SmallWorld, load, post, revise
from tests.integration.db_state import reports_of

MON = dt.date(2026, 3, 2)
THU = dt.date(2026, 3, 5)
SAT = dt.date(2026, 3, 7)


def schedules_of(db: Database, line_id: int) -> list[tuple]:
    with db.read() as session:
        rows = session.execute(
            select(
                ProductionSchedule.revision,
                ProductionSchedule.estimated_end_date,
                ProductionSchedule.reason,
                ProductionSchedule.created_by_name,
            )
            .where(ProductionSchedule.po_line_id == line_id)
            .order_by(ProductionSchedule.revision)
        ).all()
    return [tuple(r) for r in rows]


def stored_forecast(db: Database, line_id: int) -> LineForecast:
    with db.read() as session:
        return session.get_one(LineForecast, line_id)


def audit_actions(db: Database, line_id: int) -> list[str]:
    with db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent.action).where(AuditEvent.po_line_id == line_id).order_by(AuditEvent.id)
            )
        )


def count_reports(db: Database) -> int:
    with db.read() as session:
        return int(session.scalars(select(func.count(ProductionReport.id))).one())


def schedule_second_acme_line(db: Database, world: SmallWorld) -> None:
    """PO-1/2 (no schedule in the small world) makes 30 a day from Thursday to Tuesday 17 March."""
    line = world.line_ids["PO-1/2"]
    revise(db, world.acme_user, line, start=THU, output=30, end=dt.date(2026, 3, 17), expected=None)


# --------------------------------------------------------------------------- schedules


def test_a_revision_is_a_new_row_and_the_old_one_is_kept_with_who_and_why(
    db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    result = revise(db, world.acme_user, line, end=dt.date(2026, 3, 18), reason="Resin arrived late")
    assert result.revision == 2
    assert schedules_of(db, line) == [
        (1, dt.date(2026, 3, 13), None, "test"),
        (2, dt.date(2026, 3, 18), "Resin arrived late", "acme"),
    ]
    assert audit_actions(db, line)[-1] == "schedule.revised"


def test_moving_the_end_date_later_needs_a_reason(db: Database, world: SmallWorld) -> None:
    line = world.line_ids["PO-1/1"]
    with pytest.raises(ValidationError, match="Reason is required when the estimated end date moves later"):
        revise(db, world.acme_user, line, end=dt.date(2026, 3, 18), reason="  ")
    assert len(schedules_of(db, line)) == 1
    earlier = revise(db, world.acme_user, line, end=dt.date(2026, 3, 12))
    assert earlier.revision == 2


@pytest.mark.parametrize(
    ("start", "output", "end", "message"),
    [
        (
            dt.date(2026, 3, 10),
            100,
            dt.date(2026, 3, 9),
            "Estimated end date (2026-03-09) is before the start date",
        ),
        (MON, 0, dt.date(2026, 3, 13), "Planned daily output (0) must be a whole number >= 1"),
        (
            dt.date(2026, 1, 15),
            100,
            dt.date(2026, 3, 13),
            "Start date (2026-01-15) is before the line's order date",
        ),
    ],
)
def test_a_schedule_is_checked_like_an_imported_one(
    db: Database, world: SmallWorld, start: dt.date, output: int, end: dt.date, message: str
) -> None:
    line = world.line_ids["PO-1/1"]
    with pytest.raises(ValidationError, match=re.escape(message)):
        revise(db, world.acme_user, line, start=start, output=output, end=end, reason="x")
    assert len(schedules_of(db, line)) == 1


def test_the_services_take_typed_values_and_never_parse_text_cells_again(
    db: Database, world: SmallWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from portal.core import fileformats
    from portal.core.inputs import DailyReport, ScheduleRevision
    from portal.services import imports

    def no_file_checker(*args: object, **kwargs: object) -> None:
        raise AssertionError("a form value went through the file checker")

    monkeypatch.setattr(fileformats, "check_rows", no_file_checker)
    monkeypatch.setattr(imports, "check_rows", no_file_checker)
    line = world.line_ids["PO-1/1"]
    plan = ScheduleRevision(MON, 100, dt.date(2026, 3, 18), "Resin late")
    result = revise_schedule(db, world.acme_user, line, plan, expected_revision=1, today=TODAY)
    assert result.revision == 2 and schedules_of(db, line)[-1][1:3] == (dt.date(2026, 3, 18), "Resin late")
    posted = post_report(
        db, world.acme_user, line, DailyReport(THU, 90, 1), confirm_correction=True, today=TODAY
    )
    assert posted.created == 1 and reports_of(db, line, THU)[-1] == (2, 90, True)
    with pytest.raises(ValidationError, match=re.escape("Good quantity (-1) must be a whole number >= 0.")):
        post_report(db, world.acme_user, line, report_date=THU, good_qty=-1, today=TODAY)


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("en", lambda at: (f"changed by acme at {at:%b} {at.day}, {at:%Y, %H:%M} UTC", "reload")),
        ("de", lambda at: (f"von acme am {at:%d.%m.%Y, %H:%M} UTC geändert", "Laden Sie ihn neu")),
    ],
)
def test_a_save_based_on_an_old_revision_is_refused_naming_who_and_when_in_the_readers_language(
    db: Database, world: SmallWorld, code: str, said: Callable[[dt.datetime], tuple[str, str]]
) -> None:
    line = world.line_ids["PO-1/1"]
    revise(db, world.acme_user, line, end=dt.date(2026, 3, 12))
    with db.read() as session:
        saved_at = session.scalar(
            select(ProductionSchedule.created_at).where(
                ProductionSchedule.po_line_id == line, ProductionSchedule.revision == 2
            )
        )
    assert saved_at is not None
    with language(code), pytest.raises(ScheduleConflict) as refused:
        revise(db, world.buyer, line, end=dt.date(2026, 3, 11), expected=1)
    message = str(refused.value)
    who_and_when, reload = said(saved_at)
    assert who_and_when in message
    assert reload in message
    # Nothing is lost: the refused input comes back with the refusal.
    assert refused.value.submitted["estimated_end_date"] == dt.date(2026, 3, 11)
    assert refused.value.current_revision == 2
    assert [r[0] for r in schedules_of(db, line)] == [1, 2]


def test_a_first_schedule_saved_meanwhile_by_someone_else_is_a_conflict(
    db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/2"]
    revise(db, world.acme_user, line, start=THU, output=30, end=dt.date(2026, 3, 18), expected=None)
    with pytest.raises(ConflictError, match=r"changed by acme at .* UTC .*reload"):
        revise(db, world.buyer, line, start=THU, output=30, end=dt.date(2026, 3, 20), expected=None)


def test_the_unique_revision_constraint_turns_a_lost_race_into_the_same_conflict(
    db: Database, world: SmallWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the lock ever bypassed, the database still refuses a second revision 2 with the same message."""
    from portal.services import production

    line = world.line_ids["PO-1/1"]
    revise(db, world.acme_user, line, end=dt.date(2026, 3, 12))
    real_latest = production._latest_schedule
    calls: list[int] = []

    def stale_then_real(session: Session, line_id: int) -> object:
        calls.append(line_id)
        return _FakeRevision(1) if len(calls) == 1 else real_latest(session, line_id)

    monkeypatch.setattr(production, "_latest_schedule", stale_then_real)
    with pytest.raises(ScheduleConflict, match=r"changed by acme at .* UTC \(now revision 2\): reload"):
        revise(db, world.buyer, line, end=dt.date(2026, 3, 11), expected=1)
    monkeypatch.undo()
    assert [r[0] for r in schedules_of(db, line)] == [1, 2]


class _FakeRevision:
    def __init__(self, revision: int) -> None:
        self.revision = revision
        self.start_date = MON
        self.daily_output = 100
        self.estimated_end_date = dt.date(2026, 3, 13)
        self.reason = None


def test_two_saves_of_the_same_revision_at_once_one_wins_and_one_gets_the_conflict(
    db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def save(who: Actor, end: dt.date) -> None:
        barrier.wait()
        try:
            outcomes.append(revise(db, who, line, end=end))
        except ConflictError as exc:
            outcomes.append(exc)

    threads = [
        threading.Thread(target=save, args=(world.acme_user, dt.date(2026, 3, 12))),
        threading.Thread(target=save, args=(world.buyer, dt.date(2026, 3, 11))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(outcomes) == 2 and len(conflicts) == 1
    assert "reload" in str(conflicts[0])
    assert [r[0] for r in schedules_of(db, line)] == [1, 2]


def test_an_end_date_that_does_not_fit_the_plan_warns_with_the_implied_date_on_working_days(
    db: Database, world: SmallWorld
) -> None:
    # 300 units at 20 a day = 15 working days from Mon 30 March; German Good Friday (3 April) and
    # Easter Monday (6 April) are not worked, so the last unit is made on Tue 21 April, not Fri 17.
    twenty_a_day = partial(
        revise, db, world.acme_user, world.line_ids["PO-1/2"], start=dt.date(2026, 3, 30), output=20
    )
    result = twenty_a_day(end=dt.date(2026, 4, 14), expected=None)
    assert result.implied_end_date == dt.date(2026, 4, 21)
    assert result.warning is not None and "implied end date 2026-04-21" in result.warning
    fits = twenty_a_day(end=dt.date(2026, 4, 21), reason="fit")
    assert fits.warning is None


def test_the_implied_end_counts_the_remaining_units_from_the_first_working_day_after_today() -> None:
    calendar = WorkCalendar()
    implied = implied_end_date(
        calendar, start_date=MON, daily_output=100, quantity=1000, produced=500, today=TODAY
    )
    assert implied is not None
    # DOMAIN.md's example: 500 remaining at 100 a day, Mon 9 - Fri 13 March.
    assert (implied.first_day, implied.end_date, implied.working_days) == (
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 13),
        5,
    )
    assert (
        implied_end_date(calendar, start_date=MON, daily_output=100, quantity=500, produced=500, today=TODAY)
        is None
    )


def test_a_schedule_change_recomputes_the_forecast_and_alerts_in_the_same_transaction(
    db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/2"]
    assert stored_forecast(db, line).completion_p50 is None
    from_the_9th = partial(revise, db, world.acme_user, line, start=dt.date(2026, 3, 9))
    from_the_9th(output=30, end=dt.date(2026, 3, 20), expected=None)
    assert stored_forecast(db, line).completion_p50 == dt.date(2026, 3, 20)
    from_the_9th(output=20, end=dt.date(2026, 3, 27), reason="Dye")
    assert stored_forecast(db, line).completion_p50 == dt.date(2026, 3, 27)
    with db.read() as session:
        slipped = session.scalar(select(Alert).where(Alert.po_line_id == line, Alert.rule == "DATE_SLIPPED"))
    assert slipped is not None and slipped.status is AlertStatus.OPEN


# --------------------------------------------------------------------------- reports


def test_posting_a_day_writes_the_report_audits_it_and_starts_production(
    db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/2"]
    result = post_report(
        db, world.acme_user, line, report_date=TODAY, good_qty=30, rejected_qty=2, today=TODAY
    )
    assert (result.created, result.corrected) == (1, 0)
    assert reports_of(db, line, TODAY) == [(1, 30, True)]
    with db.read() as session:
        assert session.get_one(PoLine, line).status is LineStatus.IN_PRODUCTION
        event = session.scalars(select(AuditEvent).where(AuditEvent.po_line_id == line)).one()
    assert event.action == "report.posted"
    assert event.after is not None and event.after["good_qty"] == 30 and event.actor_name == "acme"
    assert stored_forecast(db, line).produced == 30


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (dt.date(2026, 3, 9), "Date (2026-03-09) is in the future (today is 2026-03-06)"),
        (dt.date(2026, 2, 28), "Date (2026-02-28) is not a working day for this supplier"),
    ],
)
def test_a_future_day_or_a_day_off_is_refused(
    db: Database, world: SmallWorld, day: dt.date, message: str
) -> None:
    before = count_reports(db)
    with pytest.raises(ValidationError, match=re.escape(message)):
        post_report(db, world.acme_user, world.line_ids["PO-1/2"], report_date=day, good_qty=5, today=TODAY)
    assert count_reports(db) == before


def test_a_day_already_reported_asks_for_confirmation_then_corrects_keeping_the_old_report(
    db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    assert stored_forecast(db, line).produced == 500
    with pytest.raises(
        CorrectionNeeded, match=r"Already reported: PO-1/1 on 2026-03-06 \(100 good, 0 rejected\)"
    ):
        post_report(db, world.acme_user, line, report_date=TODAY, good_qty=80, today=TODAY)
    assert reports_of(db, line, TODAY) == [(1, 100, True)]
    with language("de"), pytest.raises(CorrectionNeeded) as refused:  # a German supplier's own date
        post_report(db, world.acme_user, line, report_date=TODAY, good_qty=80, today=TODAY)
    assert "PO-1/1 am 06.03.2026" in str(refused.value) and "2026-03-06" not in str(refused.value)
    result = post(db, world.acme_user, line, TODAY, 80)
    assert result.corrected == 1
    assert reports_of(db, line, TODAY) == [(1, 100, False), (2, 80, True)]
    assert stored_forecast(db, line).produced == 480
    assert audit_actions(db, line)[-1] == "report.corrected"


def test_the_grid_posts_many_lines_for_one_day_and_recomputes_each(db: Database, world: SmallWorld) -> None:
    schedule_second_acme_line(db, world)
    before = stored_forecast(db, world.line_ids["PO-1/2"]).completion_p50
    grid = pd.DataFrame(
        {
            "po_number": ["PO-1", "PO-1"],
            "line": [1, 2],
            "good_qty": [120.0, 30.0],
            "rejected_qty": [None, 1.0],
        }
    )
    result = post_reports(db, world.acme_user, grid, report_date=THU, confirm_corrections=True, today=TODAY)
    assert (result.created, result.corrected) == (2, 1)
    assert result.preview is not None
    assert list(result.preview["check"]) == ["corrected", "posted"]
    assert reports_of(db, world.line_ids["PO-1/2"], THU) == [(1, 30, True)]
    assert stored_forecast(db, world.line_ids["PO-1/2"]).produced == 30
    assert stored_forecast(db, world.line_ids["PO-1/2"]).completion_p50 != before


def test_every_grid_cell_is_checked_again_on_the_server_and_a_bad_row_writes_nothing(
    db: Database, world: SmallWorld
) -> None:
    before = count_reports(db)
    rows = [
        {"po_number": "PO-1", "line": 2, "good_qty": 12.5},
        {"po_number": "PO-1", "line": 2, "good_qty": -3, "date": "2026-03-04"},
        {"po_number": "PO-1", "line": 2, "good_qty": None, "date": "2026-03-03"},
        {"po_number": "PO-1", "line": 2, "good_qty": 10, "date": "2026-03-02"},
    ]
    result = post_reports(db, world.acme_user, rows, report_date=THU, today=TODAY)
    assert not result.ok and result.created == 0
    assert result.preview is not None
    assert list(result.preview["check"]) == [
        "Good quantity (12.5) must be a whole number.",
        "Good quantity (-3) must be a whole number >= 0.",
        "Good quantity is required.",
        "ok",
    ]
    assert list(result.preview["line"]) == ["PO-1/2"] * 4
    assert count_reports(db) == before


def test_a_grid_with_days_already_reported_is_refused_until_confirmed(
    db: Database, world: SmallWorld
) -> None:
    rows = [{"po_number": "PO-1", "line": 1, "good_qty": 90}, {"po_number": "PO-1", "line": 2, "good_qty": 9}]
    before = count_reports(db)
    with pytest.raises(CorrectionNeeded) as refused:
        post_reports(db, world.acme_user, rows, report_date=THU, today=TODAY)
    assert refused.value.corrections == ["PO-1/1 on 2026-03-05 (100 good, 0 rejected)"]
    assert count_reports(db) == before


def test_a_dry_run_of_an_upload_checks_and_counts_corrections_without_writing(
    db: Database, world: SmallWorld
) -> None:
    frame = pd.DataFrame(
        {
            "po_number": ["PO-1", "PO-1"],
            "line": ["1", "2"],
            "date": ["2026-03-05", "2026-03-05"],
            "good_qty": ["90", "9"],
        }
    )
    before = count_reports(db)
    result = post_reports(db, world.acme_user, frame, dry_run=True, today=TODAY)
    assert result.ok and (result.created, result.corrected) == (2, 1)
    assert result.preview is not None
    assert list(result.preview["posted_good_qty"].astype("object")) == [100, pd.NA]
    assert count_reports(db) == before


def test_an_empty_grid_is_refused_with_a_message(db: Database, world: SmallWorld) -> None:
    with pytest.raises(ValidationError, match="at least one line"):
        post_reports(db, world.acme_user, [], report_date=THU, today=TODAY)


# --------------------------------------------------------------------------- queries of the workspace


def test_the_output_sheet_lists_lines_that_produce_that_day_with_what_is_posted(
    db: Database, world: SmallWorld
) -> None:
    schedule_second_acme_line(db, world)
    # On Wednesday 4 March PO-1/2 has not started yet: it is not in that day's sheet.
    assert list(output_sheet(db, world.acme_user, dt.date(2026, 3, 4))["line"]) == ["PO-1/1"]
    sheet = output_sheet(db, world.acme_user, THU).set_index("line")
    assert list(sheet.index) == ["PO-1/1", "PO-1/2"]
    assert sheet.loc["PO-1/1", "posted_good_qty"] == 100
    assert pd.isna(sheet.loc["PO-1/2", "posted_good_qty"])
    assert sheet.loc["PO-1/2", "daily_output"] == 30


def test_recent_working_days_skip_weekends_and_the_suppliers_holidays(
    db: Database, world: SmallWorld
) -> None:
    # Tuesday 7 April 2026: Easter Monday and Good Friday are German holidays.
    days = recent_working_days(db, world.acme_user, dt.date(2026, 4, 7), count=3)
    assert days == [dt.date(2026, 4, 7), dt.date(2026, 4, 2), dt.date(2026, 4, 1)]
    assert recent_working_days(db, world.acme_user, SAT, count=1) == [TODAY]


# --------------------------------------------------------------------------- another supplier's lines


def test_a_supplier_cannot_revise_another_suppliers_schedule(db: Database, world: SmallWorld) -> None:
    line = world.line_ids["PO-1/1"]
    with pytest.raises(PermissionDenied, match=f"PO line #{line} is not one of your lines"):
        revise(db, world.bolt_user, line, end=dt.date(2026, 3, 12))
    assert len(schedules_of(db, line)) == 1


def test_a_supplier_cannot_post_a_report_on_another_suppliers_line(db: Database, world: SmallWorld) -> None:
    before = count_reports(db)
    line = world.line_ids["PO-1/2"]
    with pytest.raises(PermissionDenied, match=f"PO line #{line} is not one of your lines"):
        post_report(db, world.bolt_user, line, report_date=THU, good_qty=5, today=TODAY)
    assert count_reports(db) == before


def test_one_foreign_line_in_a_grid_refuses_the_whole_grid(db: Database, world: SmallWorld) -> None:
    rows = [{"po_number": "PO-2", "line": 1, "good_qty": 10}, {"po_number": "PO-1", "line": 2, "good_qty": 5}]
    before = count_reports(db)
    for dry_run in (True, False):
        result = post_reports(db, world.bolt_user, rows, report_date=THU, today=TODAY, dry_run=dry_run)
        assert [(e.row, e.column, e.value, e.reason) for e in result.errors] == [
            (3, "line", "PO-1/2", "is not one of your lines")
        ]
        # Nothing of the other supplier's line shows: not what was posted on it, not its calendar.
        assert result.preview is not None
        assert result.preview["posted_good_qty"].isna().all()
    assert count_reports(db) == before


def _refusals(action: Callable[[int], object], line_id: int) -> str:
    try:
        action(line_id)
    except PortalError as exc:
        return f"{type(exc).__name__}: {exc}"
    raise AssertionError("not refused")


def test_another_suppliers_line_reads_exactly_like_a_line_that_does_not_exist(
    db: Database, world: SmallWorld
) -> None:
    # PO-1/2 is ACME's; PO-8/1 does not exist. BOLT's user must not learn that PO-1 exists.
    def grid(po: str) -> ImportResult:
        rows = [{"po_number": po, "line": 1, "good_qty": 5}]
        return post_reports(db, world.bolt_user, rows, report_date=THU, today=TODAY, dry_run=True)

    def upload(po: str) -> ImportResult:
        text = f"po_number,line,date,good_qty\n{po},1,{THU.isoformat()},5\n"
        return load(db, world.bolt_user, "reports", text)

    def schedule_upload(po: str) -> ImportResult:
        text = f"po_number,line,start_date,daily_output,estimated_end_date\n{po},1,2026-03-02,5,2026-03-30\n"
        return load(db, world.bolt_user, "schedules", text)

    for attempt in (grid, upload, schedule_upload):
        existing, missing = attempt("PO-1"), attempt("PO-8")
        assert [(e.column, e.reason) for e in existing.errors] == [("line", "is not one of your lines")]
        assert [(e.column, e.reason) for e in missing.errors] == [
            (e.column, e.reason) for e in existing.errors
        ]
    # By id (a link, a form): the id's line of another supplier and an id of no line read alike.
    other, nowhere = world.line_ids["PO-1/1"], 999_999
    for act in (
        lambda i: line_detail(db, world.bolt_user, i),
        lambda i: post_report(db, world.bolt_user, i, report_date=THU, good_qty=5, today=TODAY),
        lambda i: revise(db, world.bolt_user, i, end=dt.date(2026, 3, 12)),
    ):
        for line_id in (other, nowhere):
            expected = f"PermissionDenied: PO line #{line_id} is not one of your lines."
            assert _refusals(act, line_id) == expected


def test_a_supplier_cannot_read_another_suppliers_line_detail(db: Database, world: SmallWorld) -> None:
    line = world.line_ids["PO-1/1"]
    with pytest.raises(PermissionDenied, match="is not one of your lines"):
        line_detail(db, world.bolt_user, line)
    assert line_detail(db, world.acme_user, line).header["label"] == "PO-1/1"
    with pytest.raises(NotFound):
        line_detail(db, world.buyer, 999_999)


def test_a_suppliers_open_lines_hold_no_backorder_counts(db: Database, world: SmallWorld) -> None:
    # Two customer backorders (SO-1, SO-2: 70 units) wait on ACME's PO-1/1: the buyer's business.
    staff, _ = open_lines(db, world.buyer)
    row = staff.set_index("line").loc["PO-1/1"]
    assert (row["backorders_waiting"], row["backorder_qty"]) == (2, 70)
    mine, _ = open_lines(db, world.acme_user)
    assert "PO-1/1" in set(mine["line"])
    assert not {"backorders_waiting", "backorder_qty"} & set(mine.columns)


def test_a_suppliers_line_lists_hold_only_its_own_lines(db: Database, world: SmallWorld) -> None:
    frame, total = open_lines(db, world.bolt_user)
    assert (list(frame["line"]), total) == (["PO-2/1"], 1)
    foreign = (world.line_ids["PO-1/1"],)
    assert open_lines(db, world.bolt_user, LineFilter(line_ids=foreign))[1] == 0
    assert list(line_choices(db, world.bolt_user)["label"]) == ["PO-2/1"]
    assert list(output_sheet(db, world.bolt_user, THU)["line"]) == []
    assert sorted(open_lines(db, world.acme_user)[0]["line"]) == ["PO-1/1", "PO-1/2"]


def test_a_supplier_sees_and_answers_only_the_alerts_of_its_own_lines(
    db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    revise(db, world.acme_user, line, end=dt.date(2026, 3, 18), reason="Resin arrived late")
    acme_alerts, total, _ = alert_inbox(
        db, world.acme_user, AlertFilter(rules=("DATE_SLIPPED",)), today=TODAY
    )
    assert total == 1
    alert_id = int(acme_alerts["alert_id"].iloc[0])
    assert alert_inbox(db, world.bolt_user, AlertFilter(), today=TODAY)[1] == 0
    comment_on_alert(db, world.buyer, alert_id, "Can you add a shift?")
    reply = comment_on_alert(db, world.acme_user, alert_id, "Yes, from Monday.")
    assert reply > 0
    with pytest.raises(PermissionDenied):
        comment_on_alert(db, world.bolt_user, alert_id, "Not my line")
    with pytest.raises(PermissionDenied):
        alert_comments(db, world.bolt_user, alert_id)
    thread = alert_comments(db, world.acme_user, alert_id)
    assert list(zip(thread["author"], thread["body"], strict=True)) == [
        ("buyer", "Can you add a shift?"),
        ("acme", "Yes, from Monday."),
    ]


@pytest.mark.parametrize(
    ("good", "rejected", "column", "reason"),
    [
        ("５", "0", "good_qty", "digits 0-9"),  # was an IntegrityError shown as "someone else posted"
        ("10", "３", "rejected_qty", "digits 0-9"),  # was stored as 0
        (1e20, 0, "good_qty", "too large"),  # a number cell of the grid
        (float("inf"), 0, "good_qty", "whole number"),
        ("7\x00", 0, "good_qty", "control character"),
    ],
)
def test_a_grid_row_with_a_bad_number_is_a_row_error_and_nothing_is_posted(
    db: Database, world: SmallWorld, good: object, rejected: object, column: str, reason: str
) -> None:
    rows = [{"po_number": "PO-1", "line": 2, "good_qty": good, "rejected_qty": rejected}]
    before = count_reports(db)
    result = post_reports(db, world.acme_user, rows, report_date=THU, today=TODAY)
    assert [(e.row, e.column) for e in result.errors] == [(2, column)]
    assert reason in result.errors[0].reason
    assert count_reports(db) == before
