"""One vocabulary: every rule has one display name, the same on the buyer's line detail, the
supplier's alerts and line detail, and in the e-mails; no raw code reaches the screen."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import Alert
from portal.core import vocabulary
from portal.core.domain import AlertRule, AlertStatus
from portal.core.notifications import AlertItem, digest_email
from tests.apptest import app_as, texts
from tests.builders import SmallWorld, load


def test_every_rule_has_its_own_name_and_definition() -> None:
    names = [vocabulary.rule_name(rule) for rule in AlertRule]
    assert all(rule.value in vocabulary.RULES for rule in AlertRule)
    assert len(set(names)) == len(names)
    assert all(vocabulary.rule_definition(rule) for rule in AlertRule)
    assert vocabulary.rule_name("PROJECTED_LATE") == "Forecast to arrive late"
    assert vocabulary.status_name("in_production") == "In production"
    assert vocabulary.status_name(None) == "–"
    assert vocabulary.weekdays_text("1111100") == "Mon–Fri"
    assert vocabulary.event_name("alert.resolved") == "Resolved an alert"
    assert vocabulary.severity_markdown("critical") == ":red[:material/error: **Critical**]"


def test_a_rule_reads_the_same_for_buyer_supplier_and_in_the_email(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    line_id = world.line_ids["PO-1/1"]
    # The buyer needs more: a PO_CHANGED alert for ACME, beside whatever else holds on the line.
    change = "po_number,line,supplier_code,sku,quantity,need_by_date\nPO-1,1,ACME,SKU-1,1200,2026-03-20\n"
    from db.engine import open_database

    database = open_database(sqlite_url)
    assert load(database, world.buyer, "pos", change).ok
    with database.read() as session:
        rules = sorted(
            set(
                session.scalars(
                    select(Alert.rule).where(
                        Alert.po_line_id == line_id, Alert.status != AlertStatus.RESOLVED
                    )
                )
            )
        )
    database.dispose()
    assert "PO_CHANGED" in rules

    buyer = app_as(monkeypatch, sqlite_url, world.buyer, page="portal/ui/views/buyer/line_detail.py")
    buyer.session_state["line_detail.line"] = line_id
    buyer.run()
    assert not buyer.exception, [e.message for e in buyer.exception]
    supplier = app_as(monkeypatch, sqlite_url, world.acme_user, page="portal/ui/views/supplier/alerts.py")
    assert not supplier.exception, [e.message for e in supplier.exception]
    shown_to_supplier = supplier.dataframe(key="supplier_alerts.table").value
    buyer_text = texts(buyer)
    for rule in rules:
        name = vocabulary.rule_name(rule)
        assert f"**{name}**" in buyer_text or name in buyer_text, rule
        # One row per line: the worst alert names the row, the others are listed beside it.
        assert name in set(shown_to_supplier["what"]) | {
            n for also in shown_to_supplier["also"] for n in also.split(" · ")
        }, rule
        assert rule not in buyer_text  # never the code
        item = AlertItem(1, rule, "warning", "msg", "PO-1/1", "http://x/line_detail?line=1", "ACME")
        email = digest_email("Bea", [item], as_of=dt.date(2026, 3, 6), base_url="http://x")
        assert name in email.text and rule not in email.text
