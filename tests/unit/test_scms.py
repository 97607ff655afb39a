"""The SCMS delivery-history converter: hand-made snippets for each quirk, and the real file."""

from __future__ import annotations

import csv
import hashlib
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from portal.demo.scms import (
    ITEM_COLUMNS,
    PO_COLUMNS,
    RECEIPT_COLUMNS,
    SKIPPED_COLUMNS,
    SUPPLIER_COLUMNS,
    ScmsWorld,
    read_scms,
)

REAL_FILE = Path(__file__).parents[3] / "shared" / "data" / "scms_delivery_history.csv"

# A subset of the real header, in the real order, with the columns the converter reads.
HEADER = [
    "ID",
    "Project Code",
    "PO / SO #",
    "Country",
    "PO Sent to Vendor Date",
    "Scheduled Delivery Date",
    "Delivered to Client Date",
    "Vendor",
    "Item Description",
    "Line Item Quantity",
    "Manufacturing Site",
]
BASE_ROW = {
    "ID": "1",
    "Project Code": "100-CI-T01",
    "PO / SO #": "SCMS-4",
    "Country": "Côte d'Ivoire",
    "PO Sent to Vendor Date": "Date Not Captured",
    "Scheduled Delivery Date": "02-Jun-06",
    "Delivered to Client Date": "02-Jun-06",
    "Vendor": "Aurobindo Pharma Limited",
    "Item Description": "HIV 1/2, Determine Complete HIV Kit, 100 Tests",
    "Line Item Quantity": "19",
    "Manufacturing Site": "Aurobindo Unit III, India",
}


def scms_csv(*rows: dict[str, str]) -> io.BytesIO:
    """CSV bytes shaped like the real file (UTF-8 with BOM); each row overrides BASE_ROW."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=HEADER, lineterminator="\r\n")
    writer.writeheader()
    for i, row in enumerate(rows, start=1):
        writer.writerow({**BASE_ROW, "ID": str(i), **row})
    return io.BytesIO(text.getvalue().encode("utf-8-sig"))


def world(*rows: dict[str, str], **kwargs: bool) -> ScmsWorld:
    return read_scms(scms_csv(*rows), **kwargs)


def only_po(w: ScmsWorld) -> dict[str, object]:
    assert len(w.pos) == 1
    return w.pos.iloc[0].to_dict()


@pytest.mark.parametrize(
    "text",
    ["02-Jun-06", "2-jun-06", "02-JUN-2006", "2006-06-02", "6/2/06", "06/02/2006", " 02-Jun-06 "],
)
def test_every_date_layout_in_the_file_parses_to_iso(text: str) -> None:
    w = world({"Scheduled Delivery Date": text, "Delivered to Client Date": text})
    assert only_po(w)["need_by_date"] == "2006-06-02"
    assert w.receipts.iloc[0]["received_date"] == "2006-06-02"


def test_two_digit_years_follow_the_strptime_pivot() -> None:
    w = world({"Scheduled Delivery Date": "01-Jan-68", "Delivered to Client Date": "01-Jan-69"})
    assert only_po(w)["need_by_date"] == "2068-01-01"
    assert w.receipts.iloc[0]["received_date"] == "1969-01-01"


@pytest.mark.parametrize("text", ["Date Not Captured", "N/A - From RDC", "", "31-Feb-07"])
def test_date_not_captured_becomes_unknown_order_date(text: str) -> None:
    assert only_po(world({"PO Sent to Vendor Date": text}))["order_date"] is None


LATER_DUE = {"Scheduled Delivery Date": "02-Jun-15", "Delivered to Client Date": "02-Jun-15"}


def test_us_style_order_date_is_month_first() -> None:
    assert only_po(world({**LATER_DUE, "PO Sent to Vendor Date": "8/27/14"}))["order_date"] == "2014-08-27"
    assert only_po(world({**LATER_DUE, "PO Sent to Vendor Date": "12/14/10"}))["order_date"] == "2010-12-14"


def test_spreadsheet_mangled_iso_order_date_is_read_back_as_month_day_year() -> None:
    # "12/1/06" was stored as "2012-01-06"; the line was due 16-Feb-07.
    w = world({"PO Sent to Vendor Date": "2012-01-06", "Scheduled Delivery Date": "16-Feb-07"})
    assert only_po(w)["order_date"] == "2006-12-01"


def test_mangled_order_date_repair_can_be_turned_off() -> None:
    w = world({**LATER_DUE, "PO Sent to Vendor Date": "2012-01-06"}, repair_order_dates=False)
    assert only_po(w)["order_date"] == "2012-01-06"


def test_iso_order_date_that_cannot_be_mangled_is_taken_as_written() -> None:
    assert only_po(world({**LATER_DUE, "PO Sent to Vendor Date": "2014-03-05"}))["order_date"] == "2014-03-05"


def test_an_order_date_after_the_due_date_becomes_unknown() -> None:
    assert only_po(world({"PO Sent to Vendor Date": "8/27/14"}))["order_date"] is None


def test_iso_due_dates_are_never_reinterpreted() -> None:
    assert only_po(world({"Scheduled Delivery Date": "2012-01-06"}))["need_by_date"] == "2012-01-06"


def test_vendor_with_commas_and_parentheses_keeps_its_name_and_gets_a_clean_code() -> None:
    w = world(
        {"Vendor": "  SHANGHAI KEHUA BIOENGINEERING CO.,LTD.  (KHB) "},
        {"Vendor": "Orgenics, Ltd"},
    )
    suppliers = w.suppliers.set_index("code")["name"].to_dict()
    assert suppliers == {
        "SHANGHAI-KEHUA-BIOENGINEERING-CO-LTD-KHB": "SHANGHAI KEHUA BIOENGINEERING CO.,LTD.  (KHB)",
        "ORGENICS-LTD": "Orgenics, Ltd",
    }
    assert set(w.pos["supplier_code"]) == set(suppliers)


def test_non_ascii_vendor_name_is_kept_and_its_code_is_ascii() -> None:
    w = world({"Vendor": "Laboratoires Côte d'Azur"})
    supplier = w.suppliers.iloc[0]
    assert supplier["code"] == "LABORATOIRES-COTE-D-AZUR"
    assert supplier["name"] == "Laboratoires Côte d'Azur"


def test_long_vendor_name_code_is_at_most_40_chars_without_trailing_hyphen() -> None:
    w = world({"Vendor": "MERCK SHARP & DOHME IDEA GMBH (FORMALLY MERCK SHARP & DOHME B.V.)"})
    code = w.suppliers.iloc[0]["code"]
    assert code == "MERCK-SHARP-DOHME-IDEA-GMBH-FORMALLY-MER"
    assert len(code) <= 40


def test_vendor_names_with_the_same_slug_get_distinct_codes_whatever_the_row_order() -> None:
    rows = [{"Vendor": "Orgenics, Ltd"}, {"Vendor": "ORGENICS LTD"}, {"Vendor": "orgenics ltd."}]
    forward = world(*rows).suppliers.set_index("name")["code"]
    backward = world(*reversed(rows)).suppliers.set_index("name")["code"]
    assert forward.is_unique
    assert forward.str.len().max() <= 40
    assert "ORGENICS-LTD" in set(forward)
    assert forward.sort_index().equals(backward.sort_index())


def test_lines_are_numbered_within_each_po_in_id_order() -> None:
    w = world(
        {"ID": "30", "PO / SO #": "SO-1"},
        {"ID": "10", "PO / SO #": "SO-1"},
        {"ID": "5", "PO / SO #": " SO-2 "},
        {"ID": "20", "PO / SO #": "SO-1"},
    )
    lines = w.pos.assign(id=[5, 10, 20, 30])  # pos come out in ID order
    assert lines[["id", "po_number", "line"]].values.tolist() == [
        [5, "SO-2", 1],
        [10, "SO-1", 1],
        [20, "SO-1", 2],
        [30, "SO-1", 3],
    ]


def test_row_without_a_delivery_date_is_skipped_with_its_reason() -> None:
    w = world({}, {}, {"ID": "77", "Delivered to Client Date": "Date Not Captured"})
    reason = 'Delivered to Client Date is not a date: "Date Not Captured"'
    assert w.skipped.to_dict("records") == [{"source_row": 4, "id": "77", "reason": reason}]
    assert len(w.pos) == len(w.receipts) == 2


def test_skipped_row_lists_every_problem_it_has() -> None:
    w = world({"Line Item Quantity": "0", "Scheduled Delivery Date": "soon"})
    assert w.skipped.iloc[0]["reason"] == (
        'Line Item Quantity is not a positive whole number: "0"; '
        'Scheduled Delivery Date is not a date: "soon"'
    )
    assert w.pos.empty and w.suppliers.empty and w.items.empty


@pytest.mark.parametrize("quantity", ["0", "-5", "2.5", "many", ""])
def test_quantity_that_is_not_a_positive_whole_number_is_skipped(quantity: str) -> None:
    w = world({"Line Item Quantity": quantity})
    assert w.pos.empty
    assert w.skipped.iloc[0]["reason"].startswith("Line Item Quantity is not a positive whole number")


def test_skipped_row_does_not_use_up_a_line_number() -> None:
    w = world({"PO / SO #": "SO-1"}, {"PO / SO #": "SO-1", "Line Item Quantity": "0"}, {"PO / SO #": "SO-1"})
    assert w.pos["line"].tolist() == [1, 2]


def test_duplicate_id_keeps_the_first_row() -> None:
    w = world({"ID": "7"}, {"ID": "7"})
    assert len(w.pos) == 1
    assert w.skipped[["source_row", "reason"]].values.tolist() == [[3, "duplicate ID"]]


def test_each_line_has_one_receipt_of_its_full_quantity_and_no_rejects() -> None:
    w = world({"Line Item Quantity": "1000", "Delivered to Client Date": "14-Nov-06"})
    assert w.receipts.to_dict("records") == [
        {
            "po_number": "SCMS-4",
            "line": 1,
            "received_date": "2006-11-14",
            "quantity": 1000,
            "rejected_qty": 0,
        },
    ]


def test_items_are_one_per_description_with_a_hash_sku() -> None:
    w = world(
        {"Item Description": "HIV 1/2, Determine Complete HIV Kit, 100 Tests"},
        {"Item Description": " HIV 1/2, Determine  Complete HIV Kit, 100 Tests"},
        {"Item Description": "x" * 400},
    )
    assert len(w.items) == 2
    expected = "SCMS-" + hashlib.sha1(b"HIV 1/2, Determine Complete HIV Kit, 100 Tests").hexdigest()[:10]
    assert w.pos["sku"].tolist()[:2] == [expected, expected]
    assert w.items["description"].str.len().max() == 300
    assert w.items["on_hand"].tolist() == [0, 0]


@pytest.mark.parametrize(
    ("site", "country"),
    [
        ("Aurobindo Unit III, India", "IN"),
        ("Strides, Bangalore, India.", "IN"),
        ("Hetero Unit III Hyderabad IN", "IN"),
        ("Aspen-OSD, Port Elizabeth, SA", "ZA"),
        ("GSK Cape Town Factory (South Africa)", "ZA"),
        ("GSK Ware (UK)", "GB"),
        ("MSD Manati, Puerto Rico, (USA)", "US"),
        ("Roche Basel", None),
        ("Trinity Biotech, Plc", None),
    ],
)
def test_supplier_country_comes_from_the_end_of_its_manufacturing_site(
    site: str, country: str | None
) -> None:
    assert world({"Manufacturing Site": site}).suppliers.iloc[0]["country"] == country


def test_supplier_country_needs_a_majority_of_its_lines() -> None:
    sites = ["Cipla, Goa, India", "BMS Meymac, France", "Roche Basel"]
    assert world(*[{"Manufacturing Site": s} for s in sites]).suppliers.iloc[0]["country"] is None
    sites = ["Cipla, Goa, India", "Cipla, Goa, India", "BMS Meymac, France"]
    assert world(*[{"Manufacturing Site": s} for s in sites]).suppliers.iloc[0]["country"] == "IN"


def test_tables_have_the_import_columns_with_empty_optional_fields() -> None:
    w = world({})
    assert list(w.suppliers.columns) == SUPPLIER_COLUMNS
    assert list(w.items.columns) == ITEM_COLUMNS
    assert list(w.pos.columns) == PO_COLUMNS
    assert list(w.receipts.columns) == RECEIPT_COLUMNS
    assert list(w.skipped.columns) == SKIPPED_COLUMNS
    supplier = w.suppliers.iloc[0]
    assert [supplier[c] for c in ("transit_days", "capacity_per_day", "email")] == [None, None, None]
    line = only_po(w)
    assert [line["promised_date"], line["transit_days"]] == [None, None]
    assert isinstance(line["quantity"], int) and isinstance(line["line"], int)


def test_file_without_the_scms_columns_is_rejected() -> None:
    with pytest.raises(ValueError, match="missing columns"):
        read_scms(io.BytesIO(b"\xef\xbb\xbfa,b\n1,2\n"))


def test_converter_is_pure_pandas() -> None:
    code = "import sys, portal.demo.scms; print(sorted({'sqlalchemy', 'streamlit'} & set(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.skipif(not REAL_FILE.exists(), reason="SCMS data set not present")
def test_real_delivery_history_maps_every_line_and_keeps_its_on_time_share() -> None:
    w = read_scms(REAL_FILE)
    assert len(w.suppliers) == 73
    assert len(w.pos) + len(w.skipped) == 10_324
    assert not w.pos.duplicated(["po_number", "line"]).any()
    assert w.suppliers["code"].is_unique and w.suppliers["code"].str.len().max() <= 40
    assert set(w.pos["supplier_code"]) <= set(w.suppliers["code"])
    assert set(w.pos["sku"]) <= set(w.items["sku"])
    lines = w.pos.merge(w.receipts, on=["po_number", "line"], validate="one_to_one")
    on_time = (pd.to_datetime(lines["received_date"]) <= pd.to_datetime(lines["need_by_date"])).mean()
    assert on_time == pytest.approx(0.885, abs=0.001)
    # The repaired order dates all fall inside the data set's 2006-2015 span.
    assert lines["order_date"].dropna().between("2006-01-01", "2015-12-31").all()
