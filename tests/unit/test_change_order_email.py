"""The supplier's purchase-order change e-mail: every value in the reader's language, no column names."""

from __future__ import annotations

import datetime as dt

from portal.core.change_order_email import ChangedLine, FieldChange, po_change_email
from portal.i18n import language

LINE = ChangedLine(
    alert_id=7,
    label="PO-1/1",
    changed_by="Bea Buyer",
    changed_at=dt.datetime(2026, 3, 12, 9, 30),
    changes=(
        FieldChange("quantity", "1000", "1400"),
        FieldChange("need_by_date", "2026-03-20", "2026-03-16"),
        FieldChange("promised_date", "", "2026-03-18"),
        FieldChange("transit_days", "5", "3"),
    ),
)


def test_only_an_earlier_need_by_or_a_larger_quantity_asks_more_of_the_supplier() -> None:
    assert [c.asks_more for c in LINE.changes] == [True, True, False, False]
    assert not FieldChange("need_by_date", "2026-03-20", "2026-03-25").asks_more
    assert not FieldChange("quantity", "1000", "900").asks_more
    assert not FieldChange("quantity", "", "900").asks_more


def test_the_e_mail_names_fields_and_values_as_people_read_them() -> None:
    mail = po_change_email("ACME <GmbH>", [LINE], base_url="https://portal.example.com")
    assert mail.subject == "Purchase-order change on PO-1/1"
    assert "Hello ACME <GmbH>," in mail.text
    assert "PO-1/1 · Changed by Bea Buyer on Mar 12, 2026" in mail.text
    assert "- Promised date: – → Mar 18, 2026\n" in mail.text
    assert "- Transit days: 5 → 3\n" in mail.text
    assert "ACME &lt;GmbH&gt;" in mail.html and "ACME <GmbH>" not in mail.html
    for raw in ("need_by_date", "promised_date", "transit_days", "2026-03-20"):
        assert raw not in mail.text and raw not in mail.html


def test_dates_and_numbers_follow_the_readers_language() -> None:
    with language("de"):
        mail = po_change_email("ACME", [LINE], base_url="https://portal.example.com")
    assert "1.000 → 1.400" in mail.text
    assert "20.03.2026 → 16.03.2026" in mail.text


def test_several_lines_are_counted_in_the_subject() -> None:
    other = ChangedLine(8, "PO-1/2", "Bea Buyer", LINE.changed_at, (FieldChange("quantity", "300", "350"),))
    mail = po_change_email("ACME", [other, LINE], base_url="https://portal.example.com")
    assert mail.subject == "Purchase-order changes on 2 lines"
    assert mail.text.index("PO-1/1") < mail.text.index("PO-1/2")
