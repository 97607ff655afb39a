"""No raw codes on the line detail page (as buyer and as supplier, on lines in every state), on every
supplier page and on the manager's pages: the scan of tests/ui/test_buyer_raw_codes.py, everywhere.

The world: the buyer's small world plus a line of every kind: not started (PO-2/1), in production
with a correction, a change order and alerts (PO-1/1), late with customers waiting (PO-3/1), made in
full but not received (PO-4/1), received (PO-1/2) and cancelled (PO-5/1).
"""

from __future__ import annotations

import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import Database
from db.models import PoLine
from portal.core import vocabulary
from portal.services.access import Actor
from tests.apptest import app_as, shown
from tests.builders import BuyerWorld, buyer_world, load
from tests.ui.test_buyer_raw_codes import assert_no_raw_codes, page_text

POS_HEADER = "po_number,line,supplier_code,sku,quantity,order_date,need_by_date,promised_date,transit_days"
EXTRA_POS = (
    POS_HEADER + ",status\n"
    "PO-1,1,ACME,SKU-1,1200,2026-02-01,2026-03-16,,,\n"  # change order: more, sooner (PO_CHANGED)
    "PO-4,1,ACME,SKU-2,200,2026-02-01,2026-03-25,2026-03-24,2,\n"  # made in full below
    "PO-5,1,ACME,SKU-2,50,2026-02-01,2026-03-30,,,\n"  # cancelled below
)
CANCEL = POS_HEADER + ",status\nPO-5,1,ACME,SKU-2,50,2026-02-01,2026-03-30,,,cancelled\n"
SCHEDULE = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\nPO-4,1,2026-03-02,100,2026-03-03,\n"
)
REPORTS = (
    "po_number,line,date,good_qty,rejected_qty,note\n"
    "PO-4,1,2026-03-02,100,0,first half\n"
    "PO-4,1,2026-03-03,100,1,\n"
    "PO-1,1,2026-03-05,90,3,corrected after a recount\n"  # a correction: revision 2 of that day
)
RECEIPTS = "po_number,line,received_date,quantity,rejected_qty\nPO-1,2,2026-03-05,300,0\n"
#: A later revision that moves PO-1/1's end later (DATE_SLIPPED), with a reason.
REVISION = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\n"
    "PO-1,1,2026-03-02,90,2026-03-18,Moulding machine down for a day\n"
)


@pytest.fixture
def world(sqlite_db: Database) -> BuyerWorld:
    st.cache_data.clear()
    base = buyer_world(sqlite_db)
    for actor, kind, text in (
        (base.buyer, "pos", EXTRA_POS),
        (base.buyer, "pos", CANCEL),
        (base.acme_user, "schedules", SCHEDULE),
        (base.acme_user, "reports", REPORTS),
        (base.acme_user, "schedules", REVISION),
        (base.buyer, "receipts", RECEIPTS),
    ):
        result = load(sqlite_db, actor, kind, text)
        assert result.ok, (kind, result.errors)
    with sqlite_db.read() as session:
        base.line_ids = {
            str(label): int(i) for label, i in session.execute(select(PoLine.label, PoLine.id)).all()
        }
    return base


def line_page(monkeypatch: pytest.MonkeyPatch, url: str, who: Actor, line_id: int) -> AppTest:
    at = app_as(monkeypatch, url, who)
    at.switch_page("portal/ui/views/buyer/line_detail.py")
    at.query_params["line"] = str(line_id)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


ACME_LINES = ["PO-1/1", "PO-1/2", "PO-3/1", "PO-4/1", "PO-5/1"]


@pytest.mark.parametrize(
    ("who", "line"),
    [*(("buyer", line) for line in [*ACME_LINES, "PO-2/1"]), *(("acme_user", line) for line in ACME_LINES)],
)
def test_the_line_detail_page_shows_no_raw_codes_to_a_buyer_or_the_supplier(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld, who: str, line: str
) -> None:
    at = line_page(monkeypatch, sqlite_url, getattr(world, who), world.line_ids[line])
    assert shown(at.title[0].value) == f"Line {line}"
    assert_no_raw_codes(at)


def test_the_world_has_a_line_in_every_state_with_history_and_alerts(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    at = line_page(monkeypatch, sqlite_url, world.buyer, world.line_ids["PO-1/1"])
    text = page_text(at)
    # The change order, the correction and the alerts are on the page, in words.
    assert "Order changes (2)" in [t.label for t in at.tabs]
    assert "Need-by date" in text and "Quantity" in text
    assert "Corrections history" in text
    assert "Order changed" in text
    statuses = {
        line: page_text(line_page(monkeypatch, sqlite_url, world.buyer, world.line_ids[line]))
        for line in ("PO-1/2", "PO-5/1", "PO-2/1")
    }
    assert "Received" in statuses["PO-1/2"]
    assert "Cancelled" in statuses["PO-5/1"]
    assert "Open" in statuses["PO-2/1"]


SUPPLIER_PAGES = ["my_lines", "daily_output", "schedule", "alerts", "scorecard"]


#: Who opens which page (below portal/ui/views): every supplier and manager page, and everyone's account.
PAGES_AND_READERS = [
    *(("acme_user", f"supplier/{page}") for page in SUPPLIER_PAGES),
    *(("manager", f"manager/{page}") for page in ["ranking", "scorecard", "compare", "suppliers"]),
    *((who, "account") for who in ["acme_user", "buyer", "manager", "admin"]),
]


@pytest.mark.parametrize(("who", "page"), PAGES_AND_READERS)
def test_a_supplier_or_manager_page_or_an_account_shows_no_raw_codes(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld, who: str, page: str
) -> None:
    at = app_as(monkeypatch, sqlite_url, getattr(world, who), page=f"portal/ui/views/{page}.py")
    assert_no_raw_codes(at)


def test_daily_output_shows_no_raw_codes_in_either_layout(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.acme_user, page="portal/ui/views/supplier/daily_output.py")
    layouts = [w for w in at.get("button_group") if getattr(w, "key", None) == "daily_output.layout"]
    for layout in ("Table", "Cards"):
        if layouts:
            at.session_state["daily_output.layout"] = layout
            at.run()
        assert_no_raw_codes(at)


def test_the_scan_fails_on_a_page_with_a_raw_value(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    """The scan is no test that cannot fail: a page showing a stored status, a weekmask or a None
    the way the database keeps them is caught, in text and in a table."""
    at = line_page(monkeypatch, sqlite_url, world.buyer, world.line_ids["PO-1/1"])
    for raw in ("in_production", "PROJECTED_LATE", "alert.resolved", "1111100", "None"):
        at.caption[0].proto.body = f"Status: {raw}"
        with pytest.raises(AssertionError, match="raw codes on screen"):
            assert_no_raw_codes(at)


def test_the_suppliers_alerts_show_one_row_per_line_most_pressing_first(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: BuyerWorld
) -> None:
    from db.models import Alert
    from portal.core.domain import AlertStatus, Severity

    with sqlite_db.read() as session:
        live = session.execute(
            select(Alert.id, Alert.po_line_id, Alert.rule, Alert.severity, Alert.days_late).where(
                Alert.supplier_id == world.acme_id,
                Alert.status != AlertStatus.RESOLVED,
                Alert.backorder_id.is_(None),
            )
        ).all()
    by_line: dict[object, list] = {}
    for alert in live:
        by_line.setdefault(alert.po_line_id, []).append(alert)
    assert any(len(alerts) > 1 for alerts in by_line.values())  # a line with several conditions

    at = app_as(monkeypatch, sqlite_url, world.acme_user, page="portal/ui/views/supplier/alerts.py")
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe(key="supplier_alerts.table").value
    # One row per line, holding every live alert of the line.
    assert len(table) == len(by_line) and table["line"].is_unique
    assert sorted(i for ids in table["alert_ids"] for i in ids) == sorted(a.id for a in live)
    names = world.line_ids  # label -> id
    by_id = {a.id: a for a in live}
    urgency = []
    for row in table.itertuples(index=False):
        alerts = by_line[names.get(row.line)]
        # Its headline is its worst condition; the others are listed beside it, in words.
        head = by_id[row.alert_id]
        assert Severity(head.severity).rank == max(Severity(a.severity).rank for a in alerts)
        assert sorted(row.other_rules) == sorted(a.rule for a in alerts if a.id != head.id)
        assert row.also == " · ".join(vocabulary.rule_name(r) for r in row.other_rules)
        urgency.append((-Severity(head.severity).rank, -max(a.days_late or -1 for a in alerts)))
    # In the order to act on: the worst severity first, then the most days late.
    assert urgency == sorted(urgency), list(zip(table["line"], urgency, strict=True))
    assert table["severity"].iloc[0] == vocabulary.severity_name("critical")
    # Selecting a line shows each of its conditions, each with its own reply box.
    several = next(i for i, ids in enumerate(table["alert_ids"]) if len(ids) > 1)
    at.session_state["supplier_alerts.table"] = {"selection": {"rows": [several], "columns": []}}
    at.run()
    for alert_id in table["alert_ids"].iloc[several]:
        assert (
            at.button(key=f"FormSubmitter:supplier_alerts.reply.{alert_id}-Send reply").label == "Send reply"
        )
    assert_no_raw_codes(at)


def test_the_buyers_audit_trail_of_a_changed_line_shows_the_change_order_in_words(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    at = line_page(monkeypatch, sqlite_url, world.buyer, world.line_ids["PO-1/1"])
    assert not [t.label for t in at.tabs if t.label == "Audit trail (0)"]
    trail = next(t.value for t in at.dataframe if "change" in t.value.columns)
    [order] = trail[trail["action"] == "Changed the order"].to_dict("records")
    assert order["who"] == "buyer" and order["entity"] == "Line" and pd.notna(order["at"])
    assert (
        "Quantity: 1000 → 1200" in order["change"]
        and "Need-by date: 2026-03-20 → 2026-03-16" in order["change"]
    )


def test_what_the_data_import_wrote_is_by_data_import_not_by_its_account_name(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: BuyerWorld
) -> None:
    schedule = (
        "po_number,line,start_date,daily_output,estimated_end_date,reason\nPO-3,1,2026-03-02,50,2026-03-20,\n"
    )
    reports = "po_number,line,date,good_qty,rejected_qty,note\nPO-3,1,2026-03-02,40,0,\n"
    for kind, text in (("schedules", schedule), ("reports", reports)):
        result = load(sqlite_db, Actor.system("cli"), kind, text)
        assert result.ok, (kind, result.errors)
    for who in (world.buyer, world.acme_user):
        at = line_page(monkeypatch, sqlite_url, who, world.line_ids["PO-3/1"])
        by = [v for t in at.dataframe if "created_by" in t.value.columns for v in t.value["created_by"]]
        assert "Data import" in by and "cli" not in by
        assert "cli" not in page_text(at).split()
    # The supplier's schedule page lists the same revision, by the same words.
    at = app_as(monkeypatch, sqlite_url, world.acme_user)
    at.session_state["supplier.line_id"] = world.line_ids["PO-3/1"]
    at.switch_page("portal/ui/views/supplier/schedule.py").run()
    assert not at.exception, [e.value for e in at.exception]
    history = next(t.value for t in at.dataframe if "by" in t.value.columns)
    assert "Data import" in list(history["by"]) and "cli" not in list(history["by"])
