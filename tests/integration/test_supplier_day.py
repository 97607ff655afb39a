"""A supplier's own day: its time zone decides its "today" for posting, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.engine import Database
from db.models import AuditEvent, ProductionReport, Supplier
from portal.core.domain import ValidationError
from portal.queries.exports import export_frame
from portal.queries.lines import my_today
from portal.queries.scorecards import supplier_scorecard
from portal.services.production import post_report, post_reports
from portal.services.suppliers import set_supplier_timezone
from tests.builders import SmallWorld, load

#: Monday 9 March 2026, 22:30 UTC: Tuesday 06:30 in Shanghai, still Monday 23:30 in Berlin.
NOW = dt.datetime(2026, 3, 9, 22, 30, tzinfo=dt.UTC)
SHANGHAI_TODAY = dt.date(2026, 3, 10)
BERLIN_TODAY = dt.date(2026, 3, 9)


def test_imported_suppliers_get_their_countrys_time_zone(db: Database, world: SmallWorld) -> None:
    with db.read() as session:
        zones = dict(session.execute(select(Supplier.code, Supplier.timezone)).all())
    assert zones == {"ACME": "Europe/Berlin", "BOLT": "America/Chicago"}


def test_a_supplier_in_shanghai_posts_for_its_own_today_while_europe_is_still_on_yesterday(
    db: Database, world: SmallWorld
) -> None:
    set_supplier_timezone(db, world.admin, world.acme_id, "Asia/Shanghai")
    assert my_today(db, world.acme_user, NOW) == SHANGHAI_TODAY

    result = post_report(
        db, world.acme_user, world.line_ids["PO-1/1"], report_date=SHANGHAI_TODAY, good_qty=90, now=NOW
    )

    assert result.created == 1
    with db.read() as session:
        days = session.scalars(
            select(ProductionReport.report_date).where(
                ProductionReport.po_line_id == world.line_ids["PO-1/1"]
            )
        ).all()
    assert SHANGHAI_TODAY in days


def test_a_supplier_in_berlin_cannot_post_for_the_day_shanghai_has_already_begun(
    db: Database, world: SmallWorld
) -> None:
    assert my_today(db, world.acme_user, NOW) == BERLIN_TODAY
    with pytest.raises(ValidationError, match=r"is in the future \(today is 2026-03-09\)"):
        post_report(
            db, world.acme_user, world.line_ids["PO-1/1"], report_date=SHANGHAI_TODAY, good_qty=90, now=NOW
        )


def test_a_grid_post_checks_each_row_against_its_suppliers_own_today(db: Database, world: SmallWorld) -> None:
    set_supplier_timezone(db, world.admin, world.acme_id, "Asia/Shanghai")
    rows = [{"po_number": "PO-1", "line": 1, "good_qty": 80}]
    result = post_reports(db, world.acme_user, rows, report_date=SHANGHAI_TODAY, now=NOW)
    assert not result.errors and result.created == 1
    tomorrow = [{"po_number": "PO-1", "line": 1, "good_qty": 80}]
    refused = post_reports(
        db, world.acme_user, tomorrow, report_date=dt.date(2026, 3, 11), now=NOW, dry_run=True
    )
    assert [e.reason for e in refused.errors] == ["is in the future (today is 2026-03-10)"]


@pytest.mark.parametrize("zone", ["Mars/Olympus", "asia/shanghai", "UTC+8", ""])
def test_a_time_zone_that_is_not_iana_is_refused_and_nothing_changes(
    db: Database, world: SmallWorld, zone: str
) -> None:
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        set_supplier_timezone(db, world.admin, world.acme_id, zone)
    with db.read() as session:
        assert session.get_one(Supplier, world.acme_id).timezone == "Europe/Berlin"


def test_changing_a_time_zone_is_audited(db: Database, world: SmallWorld) -> None:
    set_supplier_timezone(db, world.admin, world.acme_id, "Asia/Shanghai")
    with db.read() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "supplier.timezone_changed")
        ).one()
    assert (event.before, event.after) == ({"timezone": "Europe/Berlin"}, {"timezone": "Asia/Shanghai"})


def test_suppliers_import_and_export_carry_the_timezone_column(db: Database, world: SmallWorld) -> None:
    text = (
        "code,name,country,timezone\n"
        "PEARL,Pearl River,CN,\nLOCAL,Local Works,CN,Asia/Hong_Kong\nNOWHERE,Nowhere,,\n"
    )
    load(db, world.admin, "suppliers", text)
    exported = export_frame(db, world.admin, "suppliers").set_index("code")
    assert exported.loc["PEARL", "timezone"] == "Asia/Shanghai"
    assert exported.loc["LOCAL", "timezone"] == "Asia/Hong_Kong"
    assert exported.loc["NOWHERE", "timezone"] == "UTC"
    assert list(exported.reset_index().columns)[-1] == "timezone"


def test_a_suppliers_file_with_a_bad_time_zone_names_the_row_and_column(
    db: Database, world: SmallWorld
) -> None:
    text = "code,name,country,timezone\nPEARL,Pearl River,CN,China/Beijing\n"
    result = load(db, world.admin, "suppliers", text)
    assert [(e.row, e.column) for e in result.errors] == [(2, "timezone")]
    assert "IANA time zone" in result.errors[0].reason


def _post_each_report_next_day_at_17_utc(db: Database, line_id: int) -> None:
    """Every report of the line posted the next working day at 17:00 UTC (18:00 Berlin, 01:00+1 Shanghai)."""
    with db.write() as session:
        for report in session.scalars(select(ProductionReport).where(ProductionReport.po_line_id == line_id)):
            next_day = report.report_date + dt.timedelta(days=3 if report.report_date.weekday() == 4 else 1)
            report.created_at = dt.datetime.combine(next_day, dt.time(17, 0))
        session.commit()


def test_responsiveness_judges_a_posting_on_the_suppliers_local_day(db: Database, world: SmallWorld) -> None:
    _post_each_report_next_day_at_17_utc(db, world.line_ids["PO-1/1"])
    as_of = dt.date(2026, 3, 31)
    in_berlin = supplier_scorecard(db, world.admin, world.acme_id, "2026-03", today=as_of).summary
    set_supplier_timezone(db, world.admin, world.acme_id, "Asia/Shanghai")
    in_shanghai = supplier_scorecard(db, world.admin, world.acme_id, "2026-03", today=as_of).summary

    # Posted the next working day by 18:00 in Berlin: on time. In Shanghai it is already 01:00 the
    # day after: late, although the UTC date is the same.
    assert in_berlin["reported_on_time"] == 5
    assert in_shanghai["reported_on_time"] == 0
    assert in_shanghai["responsiveness"] < in_berlin["responsiveness"]
