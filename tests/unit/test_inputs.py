"""The value objects of portal.core.inputs: each rule once, with messages that name fields in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pandas as pd
import pytest

from portal.core.domain import ValidationError
from portal.core.fileformats import check_rows, typed_table
from portal.core.inputs import (
    BackorderInput,
    DailyReport,
    InvalidInput,
    ItemInput,
    LineRef,
    PoLineInput,
    ReceiptInput,
    ScheduleRevision,
    SupplierInput,
    build_rows,
)

MON = dt.date(2026, 3, 2)
FRI = dt.date(2026, 3, 13)


def refusal(build: Callable[..., object], **fields: object) -> str:
    with pytest.raises(InvalidInput) as refused:
        build(**fields)
    return str(refused.value)


def test_a_schedule_revision_built_from_form_values_holds_typed_values() -> None:
    plan = ScheduleRevision.build(start_date=MON, daily_output=100.0, estimated_end_date=FRI, reason="  ")
    assert plan == ScheduleRevision(MON, 100, FRI, None)
    assert isinstance(plan.daily_output, int)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"start_date": dt.date(2026, 3, 10), "estimated_end_date": dt.date(2026, 3, 9)},
            "Estimated end date (2026-03-09) is before the start date.",
        ),
        ({"daily_output": 0}, "Planned daily output (0) must be a whole number >= 1."),
        ({"daily_output": 2.5}, "Planned daily output (2.5) must be a whole number."),
        ({"daily_output": "３"}, "Planned daily output (３) must be written with the digits 0-9."),
        ({"estimated_end_date": None}, "Estimated end date is required."),
        ({"start_date": "2026-02-30"}, "Start date (2026-02-30) is not a valid date (YYYY-MM-DD)."),
        (
            {"start_date": dt.date(2206, 3, 2)},
            "Start date (2206-03-02) is not a plausible date (years 1990-2100).",
        ),
        ({"reason": "x" * 2001}, "Reason (" + "x" * 2001 + ") is longer than 2000 characters."),
        ({"reason": "late\x00"}, "Reason (late\\x00) contains a control character"),
    ],
)
def test_each_schedule_rule_refuses_naming_the_field_in_words(
    fields: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"start_date": MON, "daily_output": 100, "estimated_end_date": FRI}
    values.update(fields)
    text = refusal(ScheduleRevision.build, **values)
    assert message in text
    assert "estimated_end_date" not in text and "daily_output" not in text and "start_date" not in text


def test_every_refused_field_is_named_in_one_message() -> None:
    text = refusal(ScheduleRevision.build, start_date=None, daily_output=-1, estimated_end_date="soon")
    assert text.splitlines() == [
        "Start date is required.",
        "Planned daily output (-1) must be a whole number >= 1.",
        "Estimated end date (soon) is not a valid date (YYYY-MM-DD).",
    ]


def test_a_value_built_directly_obeys_the_same_rules() -> None:
    with pytest.raises(InvalidInput, match="Estimated end date"):
        ScheduleRevision(MON, 100, dt.date(2026, 2, 27))
    assert issubclass(InvalidInput, ValidationError)


def test_a_reason_is_required_when_the_end_date_moves_later_and_the_start_not_before_the_order() -> None:
    plan = ScheduleRevision(dt.date(2026, 1, 5), 100, dt.date(2026, 3, 20))
    problems = plan.check_against(order_date=dt.date(2026, 1, 10), current_end=FRI)
    assert [str(p) for p in problems] == [
        "Start date (2026-01-05) is before the line's order date.",
        "Reason is required when the estimated end date moves later than the current schedule.",
    ]
    with_reason = ScheduleRevision(dt.date(2026, 1, 12), 100, dt.date(2026, 3, 20), "Resin late")
    assert with_reason.check_against(order_date=dt.date(2026, 1, 10), current_end=FRI) == []
    earlier = ScheduleRevision(dt.date(2026, 1, 12), 100, dt.date(2026, 3, 12))
    assert earlier.check_against(order_date=None, current_end=FRI) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"good_qty": -5}, "Good quantity (-5) must be a whole number >= 0."),
        ({"good_qty": None}, "Good quantity is required."),
        ({"good_qty": 12.5}, "Good quantity (12.5) must be a whole number."),
        ({"good_qty": True}, "Good quantity (True) must be a whole number."),
        ({"good_qty": 2**31}, "Good quantity (2147483648) is too large"),
        ({"rejected_qty": -1}, "Rejected quantity (-1) must be a whole number >= 0."),
        ({"date": None}, "Date is required."),
        ({"note": "a\x1bb"}, "Note (a\\x1bb) contains a control character"),
    ],
)
def test_each_daily_report_rule_refuses_naming_the_field_in_words(
    fields: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"date": MON, "good_qty": 10}
    values.update(fields)
    assert message in refusal(DailyReport.build, **values)


def test_a_daily_report_takes_a_grid_s_floats_and_a_note_s_line_breaks() -> None:
    report = DailyReport.build(date=pd.Timestamp(MON), good_qty=120.0, rejected_qty=float("nan"), note="a\nb")
    assert report == DailyReport(MON, 120, 0, "a\nb")


def test_a_receipt_may_not_reject_more_than_it_received() -> None:
    assert "Rejected quantity (6) is more than the quantity received." in refusal(
        ReceiptInput.build, received_date=MON, quantity=5, rejected_qty=6
    )
    assert "Quantity received (0) must be a whole number >= 1." in refusal(
        ReceiptInput.build, received_date=MON, quantity=0
    )
    assert ReceiptInput.build(received_date="2026-03-02", quantity="5") == ReceiptInput(MON, 5, 0)


def test_a_po_line_checks_its_dates_and_status() -> None:
    good = {"po_number": "PO-1", "line": 1, "supplier_code": "ACME", "sku": "S", "quantity": 10}
    text = refusal(
        PoLineInput.build,
        **good,
        order_date=MON,
        need_by_date=dt.date(2026, 3, 1),
        promised_date=dt.date(2026, 2, 1),
        status="shipped",
    )
    assert text.splitlines() == [
        "Need-by date (2026-03-01) is before the order date.",
        "Promised date (2026-02-01) is before the order date.",
        "Status (shipped) must be open or cancelled (or empty).",
    ]
    assert PoLineInput.build(**good, need_by_date=FRI, status="Cancelled").status == "cancelled"
    assert "Line (0) must be a whole number >= 1." in refusal(LineRef.build, po_number="PO-1", line=0)


def test_a_file_row_breaks_the_same_rule_as_the_form_with_row_and_column() -> None:
    frame = pd.DataFrame(
        [["PO-1", "1", "2026-03-10", "100", "2026-03-09", ""]],
        columns=["po_number", "line", "start_date", "daily_output", "estimated_end_date", "reason"],
    )
    [error] = check_rows(frame, "schedules").errors
    assert (error.row, error.column, error.reason) == (2, "estimated_end_date", "is before the start date")
    assert str(error) == "Row 2, column estimated_end_date (value '2026-03-09'): is before the start date"


def test_grid_rows_become_a_typed_table_with_every_bad_row_and_no_text_round_trip() -> None:
    rows = [
        {"po_number": "PO-1", "line": 1.0, "date": MON, "good_qty": 120.0, "rejected_qty": None},
        {"po_number": "PO-1", "line": 2, "date": MON, "good_qty": -3},
        {"po_number": "PO-1", "line": 1, "date": MON, "good_qty": 5},
    ]
    typed, problems = build_rows(DailyReport, rows)
    assert [(row, p.field, p.reason) for row, p in problems] == [
        (3, "good_qty", "must be a whole number >= 0")
    ]
    table = typed_table("reports", typed, problems)
    assert table.rows["good_qty"].tolist()[0] == 120 and str(table.rows["good_qty"].dtype) == "Int64"
    assert table.rows["date"].dtype.kind == "M"
    # The third row repeats the first's line and day: refused as in a file.
    assert [(e.row, e.column) for e in table.sorted_errors()] == [(3, "good_qty"), (4, "po_number+line+date")]


def test_a_supplier_checks_its_country_time_zone_and_e_mails_in_words() -> None:
    text = refusal(
        SupplierInput.build,
        code="ACME",
        name="Acme",
        country="DEU",
        timezone="Mars/Base",
        email="a@b.de; nobody",
    )
    assert text.splitlines() == [
        "Country (DEU) must be a two-letter ISO country code (e.g. DE).",
        "E-mail (a@b.de; nobody) is not a valid e-mail address (separate several with ;).",
        "Time zone (Mars/Base) is not an IANA time zone (like Asia/Shanghai, Europe/Berlin or UTC).",
    ]
    supplier = SupplierInput.build(code="ACME", name="Acme", country="de", timezone="Europe/Berlin")
    assert (supplier.country, supplier.timezone, supplier.transit_days) == ("DE", "Europe/Berlin", None)


def test_an_item_and_a_backorder_check_their_numbers() -> None:
    assert "On hand (-1) must be a whole number >= 0." in refusal(
        ItemInput.build, sku="S", description="d", on_hand=-1
    )
    assert "Quantity (0) must be a whole number >= 1." in refusal(
        BackorderInput.build, order_ref="SO-1", sku="S", quantity=0, order_date=MON
    )
    assert (
        BackorderInput.build(order_ref="SO-1", sku="S", quantity=3, order_date=MON, priority=-2).priority
        == -2
    )


def test_every_file_format_has_its_value_object_s_fields_as_columns() -> None:
    from portal.core.fileformats import FORMATS
    from portal.core.inputs import INPUTS_BY_KIND

    for kind, value in INPUTS_BY_KIND.items():
        fields = [f.name for f in value.FIELDS]
        expected = ["po_number", "line", *fields] if value.ON_A_LINE else fields
        assert FORMATS[kind].names == expected
    assert FORMATS["reports"].key == ("po_number", "line", "date")
