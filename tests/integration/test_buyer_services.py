"""The buyer workspace's services and queries on SQLite and PostgreSQL: alerts, late lines, promises,
column mappings and exports, with who may do what."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

import pandas as pd
import pytest
from sqlalchemy import func, select

from db.engine import Database
from db.models import Alert, AlertComment, AuditEvent, Backorder, ImportMapping, PoLine, User
from portal.core.domain import AlertStatus, ConflictError, PermissionDenied, ValidationError
from portal.core.fileformats import check_rows, read_table
from portal.queries.alerts import AlertFilter, alert_inbox, alert_severity_counts
from portal.queries.backorders import (
    PROMISE_SLIPPED,
    PROMISED,
    UNPROMISABLE,
    BackorderFilter,
    backorder_promises,
    backorder_supply,
)
from portal.queries.directory import supplier_overview, supplier_profile, weekday_names
from portal.queries.exports import EXPORT_COLUMNS, export_frame, to_csv_bytes, to_xlsx_bytes
from portal.queries.late_lines import AT_RISK, LATE, LateLineFilter, late_lines
from portal.services.access import Actor
from portal.services.alerts import (
    acknowledge_alerts,
    comment_on_alert,
    comment_on_alerts,
    mark_alerts_seen,
    resolve_alerts,
    snooze_alerts,
    unsnooze_alerts,
)
from portal.services.backorders import mark_promises_communicated
from portal.services.import_mappings import (
    IGNORE,
    apply_mapping,
    check_mapping,
    load_import_mapping,
    needs_mapping,
    save_import_mapping,
    suggest_mapping,
)
from portal.services.imports import import_table
from tests.builders import TODAY, BuyerWorld, buyer_world, load
from tests.integration.db_state import live_alerts

SYSTEM = Actor.system("test")


@pytest.fixture
def world(db: Database) -> BuyerWorld:
    return buyer_world(db)


def _alert_ids(db: Database, **where: object) -> dict[str, int]:
    """rule -> id of the live alerts matching ``where`` (column == value)."""
    return live_alerts(db, Alert.rule, Alert.id, **where)


def _alert(db: Database, alert_id: int) -> Alert:
    with db.read() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        return alert


# --------------------------------------------------------------------------- alerts


def test_a_buyer_works_several_alerts_at_once(db: Database, world: BuyerWorld) -> None:
    ids = sorted(_alert_ids(db).values())
    assert len(ids) >= 3
    assert acknowledge_alerts(db, world.buyer, ids) == len(ids)
    assert acknowledge_alerts(db, world.buyer, ids) == 0  # already acknowledged: nothing changes
    assert comment_on_alerts(db, world.buyer, ids[:2], "  Called the supplier.  ") == 2
    assert snooze_alerts(db, world.buyer, ids[2:], TODAY + dt.timedelta(days=3), today=TODAY) == len(ids) - 2
    statuses = {_alert(db, i).status for i in ids}
    assert statuses == {AlertStatus.ACKNOWLEDGED}
    with db.read() as session:
        bodies = list(session.scalars(select(AlertComment.body).order_by(AlertComment.alert_id)))
        actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "alert")))
    assert bodies == ["Called the supplier."] * 2
    assert actions.count("alert.acknowledged") == len(ids)
    assert actions.count("alert.commented") == 2
    snoozed, _, _ = alert_inbox(db, world.buyer, today=TODAY)
    assert set(snoozed["alert_id"]) == set(ids[:2])  # snoozed ones leave the inbox until the date
    assert unsnooze_alerts(db, world.buyer, ids[2:]) == len(ids) - 2
    assert resolve_alerts(db, world.buyer, ids) == len(ids)
    frame, total, _ = alert_inbox(db, world.buyer, today=TODAY)
    assert total == 0 and frame.empty


def test_a_bulk_comment_on_an_unknown_alert_writes_nothing(db: Database, world: BuyerWorld) -> None:
    ids = list(_alert_ids(db).values())
    with pytest.raises(Exception, match="No alert with id 999999"):
        comment_on_alerts(db, world.buyer, [*ids, 999999], "note")
    with db.read() as session:
        assert session.scalars(select(AlertComment)).first() is None
    with pytest.raises(ValidationError, match="Write a comment first"):
        comment_on_alerts(db, world.buyer, ids, "   ")


def test_a_comment_with_a_control_character_is_refused_with_a_message(
    db: Database, world: BuyerWorld
) -> None:
    ids = list(_alert_ids(db).values())
    # A NUL was a PostgreSQL traceback; an escape sequence would reach terminals. Line breaks are fine.
    with pytest.raises(ValidationError, match="control character"):
        comment_on_alerts(db, world.buyer, ids, "Call back\x00 tomorrow")
    with db.read() as session:
        assert session.scalars(select(AlertComment)).first() is None
    assert comment_on_alerts(db, world.buyer, ids, "Call back\r\ntomorrow") == len(ids)


@pytest.mark.parametrize("action", [acknowledge_alerts, resolve_alerts, unsnooze_alerts])
def test_a_supplier_user_cannot_work_alerts(
    db: Database, world: BuyerWorld, action: Callable[..., object]
) -> None:
    own = _alert_ids(db, po_line_id=world.late_line_id)["PROJECTED_LATE"]
    with pytest.raises(PermissionDenied):
        action(db, world.acme_user, [own])
    with pytest.raises(PermissionDenied):
        snooze_alerts(db, world.acme_user, [own], TODAY + dt.timedelta(days=2), today=TODAY)
    assert _alert(db, own).status is AlertStatus.OPEN


def test_a_supplier_user_comments_only_on_its_own_line_alerts(db: Database, world: BuyerWorld) -> None:
    own = _alert_ids(db, po_line_id=world.late_line_id)["PROJECTED_LATE"]
    backorder = _alert_ids(db, backorder_id=world.backorder_ids["SO-4"])["UNPROMISABLE"]
    assert comment_on_alert(db, world.acme_user, own, "Second shift from Monday.") > 0
    with pytest.raises(PermissionDenied, match="another supplier"):
        comment_on_alert(db, world.bolt_user, own, "Not mine.")
    with pytest.raises(PermissionDenied):
        comment_on_alert(db, world.acme_user, backorder, "Backorders name customers.")
    with pytest.raises(PermissionDenied):
        comment_on_alerts(db, world.acme_user, [own, backorder], "Mixed.")
    with db.read() as session:
        assert list(session.scalars(select(AlertComment.author_name))) == [world.acme_user.name]


def test_a_manager_reads_alerts_but_cannot_write_them(db: Database, world: BuyerWorld) -> None:
    ids = list(_alert_ids(db).values())
    _, total, _ = alert_inbox(db, world.manager, today=TODAY)
    assert total == len(ids)
    for action in (acknowledge_alerts, resolve_alerts, unsnooze_alerts):
        with pytest.raises(PermissionDenied):
            action(db, world.manager, ids)
    with pytest.raises(PermissionDenied):
        comment_on_alerts(db, world.manager, ids, "note")
    with pytest.raises(PermissionDenied):
        mark_promises_communicated(db, world.manager, [world.backorder_ids["SO-2"]])


def test_new_since_my_last_visit_counts_alerts_first_seen_after_the_visit_before(
    db: Database, world: BuyerWorld
) -> None:
    total = len(_alert_ids(db))
    monday = dt.datetime(2026, 3, 9, 9, 0)
    assert mark_alerts_seen(db, world.buyer, at=monday) is None  # first visit: every alert is new
    _, _, new = alert_inbox(db, world.buyer, today=TODAY, since=dt.datetime.min)
    assert new == total
    # A day later (past the idle limit, no login recorded): a new visit, counted from Monday's look.
    seen = mark_alerts_seen(db, world.buyer, at=monday + dt.timedelta(days=1))
    assert seen == monday
    _, _, new = alert_inbox(db, world.buyer, today=TODAY)
    with db.read() as session:
        assert new == session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.first_seen > monday, Alert.status != "resolved")
        )
    with db.write() as session:  # one alert appears after the visit
        alert = session.get(Alert, min(_alert_ids(db).values()))
        assert alert is not None
        alert.first_seen = dt.datetime(2030, 1, 1)
        session.commit()
    frame, _, new = alert_inbox(db, world.buyer, today=TODAY, since=dt.datetime(2029, 1, 1))
    assert new == 1
    assert frame["is_new"].sum() == 1


def test_new_since_my_last_visit_survives_the_pages_of_a_login_and_moves_at_the_next_login(
    db: Database, world: BuyerWorld
) -> None:
    monday = dt.datetime(2026, 3, 9, 9, 0)
    with db.write() as session:
        user = session.get(User, world.buyer.user_id)
        assert user is not None
        user.last_login_at = monday - dt.timedelta(minutes=1)
        session.commit()
    mark_alerts_seen(db, world.buyer, at=monday)
    mark_alerts_seen(db, world.buyer, at=monday + dt.timedelta(hours=3))  # the last look of Monday's visit
    # Tuesday's login, then its first page and a refresh right after: both count from Monday's last look.
    tuesday = monday + dt.timedelta(days=1)
    with db.write() as session:
        session.get_one(User, world.buyer.user_id).last_login_at = tuesday
        session.commit()
    assert mark_alerts_seen(db, world.buyer, at=tuesday + dt.timedelta(seconds=2)) == monday + dt.timedelta(
        hours=3
    )
    assert mark_alerts_seen(db, world.buyer, at=tuesday + dt.timedelta(seconds=9)) == monday + dt.timedelta(
        hours=3
    )


def test_the_inbox_filters_by_text_severity_and_sorts_worst_first(db: Database, world: BuyerWorld) -> None:
    frame, total, _ = alert_inbox(db, world.buyer, today=TODAY)
    ranks = frame["severity"].map({"critical": 2, "warning": 1, "info": 0})
    assert ranks.is_monotonic_decreasing
    by_order, n, _ = alert_inbox(db, world.buyer, AlertFilter(text="so-4"), today=TODAY)
    assert n == 1 and list(by_order["order_ref"]) == ["SO-4"]
    by_line, _, _ = alert_inbox(db, world.buyer, AlertFilter(text="PO-3"), today=TODAY)
    assert set(by_line["line"]) == {"PO-3/1"}
    counts = alert_severity_counts(db, world.buyer, today=TODAY)
    assert sum(counts.values()) == total
    assert counts["critical"] == int((frame["severity"] == "critical").sum())
    supplier_view, _, _ = alert_inbox(db, world.acme_user, today=TODAY)
    assert supplier_view["order_ref"].isna().all()  # never a customer backorder for a supplier


# --------------------------------------------------------------------------- late lines


def test_late_lines_say_how_many_backorders_and_units_wait_on_them(db: Database, world: BuyerWorld) -> None:
    frame, total, counts = late_lines(db, world.buyer)
    assert total == 1
    row = frame.iloc[0]
    assert (row["line"], row["risk"], row["supplier_code"], row["sku"]) == ("PO-3/1", LATE, "ACME", "SKU-3")
    assert row["days_late_p50"] == 13  # arrives 2026-03-23, needed 2026-03-10
    assert (row["backorders_waiting"], row["backorder_qty"]) == (1, 60)  # SO-3; SO-4 is unpromisable
    assert counts == {"late": 1, "at_risk": 0, "backorders": 1, "backorder_qty": 60}
    assert late_lines(db, world.buyer, LateLineFilter(risks=(AT_RISK,)))[1] == 0
    assert late_lines(db, world.buyer, LateLineFilter(supplier_ids=(world.bolt_id,)))[1] == 0
    assert late_lines(db, world.buyer, LateLineFilter(with_backorders=True))[1] == 1
    assert late_lines(db, world.bolt_user)[1] == 0  # a supplier sees only its own lines


def test_a_supplier_gets_its_late_lines_without_the_customers_backorders(
    db: Database, world: BuyerWorld
) -> None:
    # PO-3/1 is ACME's late line; the buyer sees SO-3 waiting on it (above), ACME must not.
    frame, total, counts = late_lines(db, world.acme_user)
    assert (total, list(frame["line"])) == (1, ["PO-3/1"])
    assert counts == {"late": 1, "at_risk": 0}
    assert not {"backorders_waiting", "backorder_qty"} & set(frame.columns)
    with pytest.raises(PermissionDenied):
        late_lines(db, world.acme_user, LateLineFilter(with_backorders=True))


# --------------------------------------------------------------------------- backorders


def test_backorders_show_status_and_the_supply_they_count_on(db: Database, world: BuyerWorld) -> None:
    frame, total, counts = backorder_promises(db, world.buyer)
    assert total == 4
    by_ref = frame.set_index("order_ref")
    assert by_ref.loc["SO-2", "status"] == PROMISE_SLIPPED  # told 03-10, now 03-16
    assert by_ref.loc["SO-2", "slip_days"] == 6
    assert by_ref.loc["SO-4", "status"] == UNPROMISABLE
    assert pd.isna(by_ref.loc["SO-4", "promise_date"])
    assert by_ref.loc["SO-1", "status"] == PROMISED
    assert list(frame["order_ref"][:2]) == ["SO-2", "SO-4"]  # worst first
    ((line, units, day),) = by_ref.loc["SO-3", "supply"]
    assert (line, units, type(day)) == ("PO-3/1", 60, dt.date)
    assert by_ref.loc["SO-3", "reason"].startswith("arrival p90 ")
    assert " of PO-3/1" in by_ref.loc["SO-3", "reason"]
    assert by_ref.loc["SO-4", "reason"].startswith("no open supply for ")
    assert counts[PROMISE_SLIPPED] == 1 and counts[UNPROMISABLE] == 1 and counts[PROMISED] == 2
    supply = backorder_supply(db, world.buyer, world.backorder_ids["SO-3"])
    assert list(supply["source"]) == ["PO-3/1"] and list(supply["quantity"]) == [60]
    assert supply["po_line_id"].iloc[0] == world.late_line_id
    only_slipped, n, _ = backorder_promises(db, world.buyer, BackorderFilter(statuses=(PROMISE_SLIPPED,)))
    assert n == 1 and list(only_slipped["order_ref"]) == ["SO-2"]
    _, n, dee_counts = backorder_promises(db, world.buyer, BackorderFilter(text="dee"))
    assert n == 1 and dee_counts[UNPROMISABLE] == 1  # the counts follow the filters
    assert dee_counts[PROMISE_SLIPPED] == dee_counts[PROMISED] == 0
    with pytest.raises(PermissionDenied):
        backorder_promises(db, world.acme_user)


def test_marking_a_promise_communicated_stores_it_audits_and_clears_the_slip(
    db: Database, world: BuyerWorld
) -> None:
    so2 = world.backorder_ids["SO-2"]
    slipped = _alert_ids(db, backorder_id=so2)
    assert "PROMISE_SLIPPED" in slipped
    assert mark_promises_communicated(db, world.buyer, [so2], today=TODAY) == 1
    with db.read() as session:
        backorder = session.get(Backorder, so2)
        assert backorder is not None
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "backorder.communicated")).one()
    assert backorder.communicated_date == backorder.promise_date == dt.date(2026, 3, 16)
    assert event.before == {"communicated_date": "2026-03-10"}
    assert event.after is not None and event.after["communicated_date"] == "2026-03-16"
    assert _alert(db, slipped["PROMISE_SLIPPED"]).status is AlertStatus.RESOLVED
    assert "PROMISE_SLIPPED" not in _alert_ids(db, backorder_id=so2)
    assert mark_promises_communicated(db, world.buyer, [so2], today=TODAY) == 0  # already told


def test_an_unpromisable_backorder_cannot_be_marked_and_nothing_is_written(
    db: Database, world: BuyerWorld
) -> None:
    ids = [world.backorder_ids["SO-1"], world.backorder_ids["SO-4"]]
    with pytest.raises(ValidationError, match="SO-4 is unpromisable"):
        mark_promises_communicated(db, world.buyer, ids, today=TODAY)
    with db.read() as session:
        assert session.get_one(Backorder, world.backorder_ids["SO-1"]).communicated_date is None


def test_a_promise_that_changed_since_the_page_was_read_is_not_marked(
    db: Database, world: BuyerWorld
) -> None:
    so1 = world.backorder_ids["SO-1"]
    with pytest.raises(ConflictError, match="changed to 2026-03-16"):
        mark_promises_communicated(db, world.buyer, [so1], expected={so1: dt.date(2026, 3, 12)}, today=TODAY)
    assert mark_promises_communicated(
        db, world.buyer, [so1], expected={so1: dt.date(2026, 3, 16)}, today=TODAY
    )


def test_a_supplier_user_cannot_mark_promises(db: Database, world: BuyerWorld) -> None:
    with pytest.raises(PermissionDenied):
        mark_promises_communicated(db, world.acme_user, [world.backorder_ids["SO-1"]])


# --------------------------------------------------------------------------- column mappings

ERP_POS = (
    "PO Number;Line No;Supplier;Item SKU;Quantity;Need-by Date;Buyer note\n"
    "PO-9;1;BOLT;SKU-2;50;2026-04-01;urgent\n"
    "PO-9;2;BOLT;SKU-1;70;2026-04-02;\n"
)


@pytest.mark.parametrize(
    ("kind", "suggested"),
    [
        (
            "pos",
            {
                "PO No": "po_number",
                "Line No": "line",
                "Vendor": "supplier_code",
                "Item": "sku",
                "Order Qty": "quantity",  # not order_date, though both start with "order"
                "Ordered on": "order_date",
                "Need-by Date": "need_by_date",
                "Buyer": IGNORE,
            },
        ),
        (
            "backorders",
            {
                "Order Ref": "order_ref",
                "Customer Name": "customer",
                "Item SKU": "sku",
                "Qty": "quantity",
                "Order Date": "order_date",
                "Prio": "priority",
                "Told customer": IGNORE,
            },
        ),
        ("receipts", {"PO": "po_number", "Line": "line", "Received": "received_date", "Qty": "quantity"}),
        # By meaning: a required date is when the buyer needs it, never an order or promised date.
        (
            "pos",
            {
                "PO Number": "po_number",
                "Line": "line",
                "Supplier": "supplier_code",
                "Material": "sku",
                "Qty": "quantity",
                "Required Date": "need_by_date",
                "Promise Date": "promised_date",
            },
        ),
    ],
)
def test_headers_that_differ_from_ours_get_the_closest_of_our_columns(
    kind: str, suggested: dict[str, str]
) -> None:
    assert needs_mapping(list(suggested), kind)
    assert suggest_mapping(list(suggested), kind) == suggested


def test_a_remembered_mapping_wins_over_the_suggestion() -> None:
    headers = ["PO Number", "Line No", "Supplier", "Maker", "Item SKU", "Quantity", "Need-by Date"]
    assert suggest_mapping(headers, "pos")["Supplier"] == "supplier_code"
    remembered = {"Supplier": IGNORE, "Maker": "supplier_code", "Gone": "sku"}
    suggested = suggest_mapping(headers, "pos", remembered)
    assert (suggested["Supplier"], suggested["Maker"], suggested["Item SKU"]) == (
        IGNORE,
        "supplier_code",
        "sku",
    )
    assert "Gone" not in suggested
    assert not needs_mapping(["po_number", "line", "supplier_code", "sku", "quantity", "need_by_date"], "pos")


@pytest.mark.parametrize(
    ("mapping", "problem"),
    [
        ({"a": "po_number", "b": "po_number"}, "'a', 'b' all map to po_number"),
        ({"a": "po_number"}, "no column maps to line"),
        ({"a": "price"}, "unknown column(s) price"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused(mapping: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        check_mapping(mapping, "pos")


def test_a_mapped_file_goes_through_the_same_checks_and_the_mapping_is_remembered(
    db: Database, world: BuyerWorld
) -> None:
    raw = read_table(ERP_POS.encode(), "erp.csv", "pos")
    mapping = suggest_mapping(list(raw.columns), "pos") | {"Supplier": "supplier_code", "Item SKU": "sku"}
    check_mapping(mapping, "pos")
    frame, effective = apply_mapping(raw, mapping)
    assert "Buyer note" not in frame.columns
    result = import_table(
        db, world.buyer, check_rows(frame, "pos", effective), filename="erp.csv", today=TODAY
    )
    assert result.ok and result.created == 2
    save_import_mapping(db, world.buyer, "pos", mapping)
    assert load_import_mapping(db, world.buyer, "pos") == mapping
    assert load_import_mapping(db, world.buyer, "receipts") == {}  # per kind
    assert load_import_mapping(db, world.admin, "pos") == {}  # per user
    save_import_mapping(db, world.buyer, "pos", {**mapping, "Vendor": "supplier_code", "Supplier": IGNORE})
    remembered = load_import_mapping(db, world.buyer, "pos")
    assert remembered["Vendor"] == "supplier_code" and remembered["Supplier"] == IGNORE
    with db.read() as session:
        assert len(session.scalars(select(ImportMapping)).all()) == 1
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "import_mapping.saved")).all()


def test_a_mapped_file_with_a_bad_row_names_it_and_writes_nothing(db: Database, world: BuyerWorld) -> None:
    bad = ERP_POS.replace("PO-9;2;BOLT;SKU-1;70", "PO-9;2;BOLT;SKU-1;seventy")
    raw = read_table(bad.encode(), "erp.csv", "pos")
    mapping = suggest_mapping(list(raw.columns), "pos") | {"Supplier": "supplier_code", "Item SKU": "sku"}
    frame, effective = apply_mapping(raw, mapping)
    result = import_table(
        db, world.buyer, check_rows(frame, "pos", effective), filename="erp.csv", today=TODAY
    )
    assert [(e.row, e.column, e.value) for e in result.errors] == [(3, "quantity", "seventy")]
    with db.read() as session:
        assert session.scalars(select(PoLine).where(PoLine.po_number == "PO-9")).first() is None


def test_mappings_are_refused_for_kinds_the_role_cannot_import(db: Database, world: BuyerWorld) -> None:
    with pytest.raises(PermissionDenied):
        save_import_mapping(db, world.acme_user, "pos", {"a": "po_number"})
    with pytest.raises(PermissionDenied):
        load_import_mapping(db, world.manager, "pos")


# --------------------------------------------------------------------------- exports and directory

FORMULAS_CSV = (
    "order_ref,customer,sku,quantity,order_date,priority\n"
    "=cmd|' /C calc'!A0,@SUM(1+1),SKU-1,5,2026-02-27,0\n"
    "+SO-9,-Eve,SKU-1,5,2026-02-28,0\n"
)


def test_promise_exports_neutralize_formulas_and_open_with_pandas(db: Database, world: BuyerWorld) -> None:
    assert load(db, SYSTEM, "backorders", FORMULAS_CSV).ok
    frame = export_frame(db, world.buyer, "promises")
    assert list(frame.columns) == EXPORT_COLUMNS["promises"]
    from_csv = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), dtype=str, keep_default_na=False)
    from_xlsx = pd.read_excel(io.BytesIO(to_xlsx_bytes(frame, "promises")), dtype=str, keep_default_na=False)
    for opened in (from_csv, from_xlsx):
        assert len(opened) == 6
        refs = set(opened["order_ref"])
        assert "'=cmd|' /C calc'!A0" in refs and "'+SO-9" in refs
        assert not any(ref[:1] in "=+-@" for ref in refs)
        so4 = opened.set_index("order_ref").loc["SO-4"]
        assert (so4["promise_date"], so4["status"]) == ("", "unpromisable")
        assert so4["reason"].startswith("no open supply for ")
        assert so4["customer"] == "Dee"
        assert opened.set_index("order_ref").loc["SO-2", "promise_date"] == "2026-03-16"
    with pytest.raises(PermissionDenied):
        export_frame(db, world.acme_user, "promises")


def test_the_promise_export_marks_a_promise_later_than_the_date_told_as_slipped(
    db: Database, world: BuyerWorld
) -> None:
    before = export_frame(db, world.buyer, "promises").set_index("order_ref")
    promised = before.loc["SO-2", "promise_date"]
    told = promised - dt.timedelta(days=4)
    with db.write() as session:
        session.get_one(Backorder, world.backorder_ids["SO-2"]).communicated_date = told
        session.commit()
    after = export_frame(db, world.buyer, "promises").set_index("order_ref")
    assert (after.loc["SO-2", "status"], after.loc["SO-2", "days_of_slip"]) == ("slipped", 4)
    assert after.loc["SO-2", "reason"] == before.loc["SO-2", "reason"] != ""
    assert after["days_of_slip"].drop("SO-2").isna().all()


def test_the_directory_shows_calendar_capacity_contacts_and_late_lines(
    db: Database, world: BuyerWorld
) -> None:
    overview = supplier_overview(db, world.buyer).set_index("code")
    assert overview.loc["ACME", "late_lines"] == 1 and overview.loc["ACME", "at_risk_lines"] == 0
    assert overview.loc["BOLT", "capacity_per_day"] == 500
    profile = supplier_profile(db, world.buyer, world.bolt_id, today=TODAY)
    assert profile.header["transit_days"] == 5
    assert sorted(profile.contacts["email"]) == ["boss@bolt.example", "ops@bolt.example"]
    assert all(d >= TODAY for d in profile.public_holidays)
    assert dt.date(2026, 7, 3) in profile.public_holidays  # US Independence Day, observed
    assert weekday_names(profile.header["working_weekdays"]) == "Mon-Fri"
    assert weekday_names("1111110") == "Mon-Sat" and weekday_names("1010100") == "Mon, Wed, Fri"
    with pytest.raises(PermissionDenied):
        supplier_profile(db, world.acme_user, world.bolt_id)


def test_a_snoozed_problem_stays_out_of_the_inbox_through_sweeps_until_its_date(
    db: Database, world: BuyerWorld
) -> None:
    from portal.queries.alerts import alert_problems
    from portal.services.planning import sweep

    first = alert_problems(db, world.buyer, today=TODAY).rows.iloc[0]
    until = TODAY + dt.timedelta(days=3)
    ids = [int(i) for i in first["alert_ids"]]
    assert snooze_alerts(db, world.buyer, ids, until, today=TODAY) == len(ids)
    sweep(db, SYSTEM, as_of=TODAY)
    day_before = alert_problems(db, world.buyer, today=until - dt.timedelta(days=1)).rows
    assert first["subject_key"] not in set(day_before["subject_key"])
    on_the_day = alert_problems(db, world.buyer, today=until).rows
    assert first["subject_key"] in set(on_the_day["subject_key"])
