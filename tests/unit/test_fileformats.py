"""Reading CSV/XLSX files and checking every cell: each bad input gets a clear, located message."""

from __future__ import annotations

import io
from collections.abc import Callable

import pandas as pd
import pytest

from portal.core.fileformats import CheckedTable, FileFormatError, TooManyRows, check_rows, read_table

POS_HEADER = "po_number,line,supplier_code,sku,quantity,order_date,need_by_date,promised_date,transit_days"
GOOD_POS_ROW = "PO-1,1,ACME,SKU-1,100,2026-01-05,2026-03-01,,"


def check(kind: str, csv_text: str, filename: str = "file.csv") -> CheckedTable:
    return check_rows(read_table(csv_text.encode("utf-8"), filename, kind), kind)


def test_a_clean_pos_file_has_typed_rows_and_no_errors() -> None:
    table = check("pos", f"{POS_HEADER}\n{GOOD_POS_ROW}\n")
    assert table.ok
    row = table.rows.iloc[0]
    assert row["quantity"] == 100
    assert row["need_by_date"] == pd.Timestamp("2026-03-01")
    assert pd.isna(row["promised_date"])


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ("PO-1,1,ACME,SKU-1,100,2026-01-05,2026-02-30,,", "need_by_date", "not a valid date"),
        ("PO-1,1,ACME,SKU-1,100,2026-01-05,03/01/2026,,", "need_by_date", "not a valid date"),
        ("PO-1,1,ACME,SKU-1,-5,2026-01-05,2026-03-01,,", "quantity", ">= 1"),
        ("PO-1,1,ACME,SKU-1,ten,2026-01-05,2026-03-01,,", "quantity", "whole number"),
        ("PO-1,1,ACME,SKU-1,12.5,2026-01-05,2026-03-01,,", "quantity", "whole number"),
        ("PO-1,1,,SKU-1,100,2026-01-05,2026-03-01,,", "supplier_code", "is required"),
        ("PO-1,0,ACME,SKU-1,100,2026-01-05,2026-03-01,,", "line", ">= 1"),
        ("PO-1,1,ACME,SKU-1,100,2026-04-05,2026-03-01,,", "need_by_date", "before the order date"),
        ("PO-1,1,ACME,SKU-1,100,2026-01-05,2026-03-01,,-2", "transit_days", ">= 0"),
        ("PO-1,1,ACME,SKU-1,100,2026-01-05,2206-03-01,,", "need_by_date", "plausible"),
    ],
)
def test_a_bad_cell_is_reported_with_row_column_value_and_reason(row: str, column: str, reason: str) -> None:
    table = check("pos", f"{POS_HEADER}\n{GOOD_POS_ROW.replace('PO-1', 'PO-0')}\n{row}\n")
    assert not table.ok
    [error] = table.errors
    assert error.row == 3  # header is row 1, the good row is row 2
    assert error.column == column
    assert reason in error.reason
    assert f"Row 3, column {column}" in str(error)


def test_every_bad_row_is_reported_not_only_the_first() -> None:
    rows = "\n".join(
        [
            "PO-1,1,ACME,SKU-1,x,2026-01-05,2026-03-01,,",
            GOOD_POS_ROW.replace("PO-1", "PO-2"),
            "PO-3,1,ACME,SKU-1,5,2026-01-05,nope,,",
        ]
    )
    table = check("pos", f"{POS_HEADER}\n{rows}\n")
    assert sorted((e.row, e.column) for e in table.errors) == [(2, "quantity"), (4, "need_by_date")]


def test_a_duplicate_key_inside_the_file_names_the_first_row() -> None:
    table = check("pos", f"{POS_HEADER}\n{GOOD_POS_ROW}\n{GOOD_POS_ROW}\n")
    [error] = table.errors
    assert error.row == 3
    assert "duplicates row 2" in error.reason


def test_a_missing_column_is_named_and_the_expected_columns_listed() -> None:
    header = POS_HEADER.replace(",need_by_date", "")
    with pytest.raises(FileFormatError, match="missing column\\(s\\): need_by_date"):
        check("pos", f"{header}\nPO-1,1,ACME,SKU-1,100,2026-01-05,,\n")


def test_a_misspelled_column_gets_a_suggestion() -> None:
    header = POS_HEADER.replace("need_by_date", "need_by_dat")
    with pytest.raises(FileFormatError, match="did you mean 'need_by_date'"):
        check("pos", f"{header}\n{GOOD_POS_ROW}\n")


def test_headers_are_matched_whatever_their_case_and_spacing() -> None:
    header = "PO Number;Line;Supplier Code;SKU;Quantity;Order Date;Need-by Date;Promised Date;Transit Days"
    table = check("pos", f"{header}\n{GOOD_POS_ROW.replace(',', ';')}\n")
    assert table.ok


def test_a_semicolon_separated_file_with_a_bom_is_read() -> None:
    data = ("\ufeff" + POS_HEADER.replace(",", ";") + "\n" + GOOD_POS_ROW.replace(",", ";") + "\n").encode()
    table = check_rows(read_table(data, "pos.csv", "pos"), "pos")
    assert table.ok
    assert table.rows.iloc[0]["po_number"] == "PO-1"


def test_a_windows_1252_file_is_read() -> None:
    data = "sku,description\nSKU-1,Caf\xe9 cups\n".encode("cp1252")
    table = check_rows(read_table(data, "items.csv", "items"), "items")
    assert table.rows.iloc[0]["description"] == "Café cups"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.csv", "empty"),
        (b"   \n\n", "x.csv", "empty"),
        (b"sku,description\n", "x.csv", "no rows"),
        (b"%PDF-1.4 binary\x00\x01", "x.pdf", "not a CSV or XLSX"),
        (b"\x00\x01\x02garbage", "x.csv", "binary"),
        (b"PK\x03\x04 not really", "x.csv", "Excel workbook or a zip"),
        (b"plain text", "x.xlsx", "not an Excel workbook"),
    ],
)
def test_unreadable_files_are_refused_with_a_clear_message(data: bytes, filename: str, message: str) -> None:
    with pytest.raises(FileFormatError, match=message):
        read_table(data, filename, "items")


def _xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return buffer.getvalue()


def test_an_excel_file_with_real_dates_and_numbers_is_read_like_csv() -> None:
    frame = pd.DataFrame(
        {
            "order_ref": ["SO-1"],
            "sku": ["SKU-1"],
            "quantity": [5.0],
            "order_date": [pd.Timestamp("2026-02-01")],
        }
    )
    table = check_rows(read_table(_xlsx({"Sheet1": frame}), "b.xlsx", "backorders"), "backorders")
    assert table.ok, table.errors
    assert table.rows.iloc[0]["quantity"] == 5
    assert table.rows.iloc[0]["order_date"] == pd.Timestamp("2026-02-01")


def test_an_excel_workbook_with_several_sheets_uses_the_sheet_named_after_the_kind() -> None:
    notes = pd.DataFrame({"anything": ["ignored"]})
    items = pd.DataFrame({"sku": ["SKU-9"], "description": ["Bolt"]})
    table = check_rows(read_table(_xlsx({"Notes": notes, "Items": items}), "b.xlsx", "items"), "items")
    assert table.ok
    assert table.rows.iloc[0]["sku"] == "SKU-9"


def test_a_huge_cell_is_refused_not_stored() -> None:
    table = check("items", f"sku,description\nSKU-1,{'x' * 5000}\n")
    assert [e.column for e in table.errors] == ["description"]
    assert "longer than" in table.errors[0].reason


def test_a_receipt_cannot_reject_more_than_it_received() -> None:
    table = check("receipts", "po_number,line,received_date,quantity,rejected_qty\nPO-1,1,2026-01-05,10,11\n")
    assert [e.column for e in table.errors] == ["rejected_qty"]


def test_a_supplier_email_list_and_country_are_checked() -> None:
    table = check("suppliers", "code,name,country,email\nA,Acme,Germany,a@x.com;bad\n")
    assert sorted(e.column for e in table.errors) == ["country", "email"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "\\x09=1+1"),  # control characters are shown escaped: no cell starts with them
        ("\r=1+1", "\\x0d=1+1"),
        ("SKU-1", "SKU-1"),
    ],
)
def test_the_problems_csv_neutralizes_formulas_in_the_values_of_the_file(value: str, shown: str) -> None:
    from portal.core.fileformats import RowError
    from portal.queries.exports import problems_csv

    errors = [
        RowError(3, "sku", value, "no item with this sku"),
        RowError(2, "quantity", "ten", "must be a whole number"),
    ]
    text = problems_csv(errors).decode("utf-8")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert list(back["row"]) == ["2", "3"]
    assert back.loc[1, "value"] == shown
    assert back.loc[0, "value"] == "ten"


def _items_csv(rows: int) -> bytes:
    return ("sku,description\n" + "".join(f"SKU-{n},Item {n}\n" for n in range(rows))).encode()


def _items_xlsx(rows: int) -> bytes:
    frame = pd.DataFrame({"sku": [f"SKU-{n}" for n in range(rows)], "description": "Item"})
    return _xlsx({"Notes": pd.DataFrame({"read me": ["items are on the next sheet"]}), "items": frame})


@pytest.mark.parametrize(("make", "name"), [(_items_csv, "items.csv"), (_items_xlsx, "items.xlsx")])
def test_a_file_over_the_row_limit_is_refused_with_the_limit_in_words(
    make: Callable[[int], bytes], name: str
) -> None:
    assert len(read_table(make(25), name, "items", max_rows=25)) == 25
    with pytest.raises(TooManyRows, match="more than 25 rows; split it into files of at most 25 rows"):
        read_table(make(26), name, "items", max_rows=25)
    assert len(read_table(make(26), name, "items")) == 26  # no limit: the command line


@pytest.fixture
def cells(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every workbook cell the reader converts, in the order it reads them."""
    import portal.core.filereading as filereading

    seen: list[object] = []
    real = filereading._excel_cell

    def counted(value: object) -> str:
        seen.append(value)
        return real(value)

    monkeypatch.setattr(filereading, "_excel_cell", counted)
    return seen


def test_a_huge_workbook_is_read_only_up_to_the_limit(cells: list[object]) -> None:
    with pytest.raises(TooManyRows):
        read_table(_items_xlsx(5000), "items.xlsx", "items", max_rows=10)
    # The items sheet (named after the kind, so read first): the header and 11 data rows (one past
    # the limit), 2 cells each; not 5,000 rows.
    assert len(cells) == (1 + 11) * 2


def test_an_excel_sheet_is_read_as_before_blank_rows_and_empty_columns_dropped() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append([None, None, None])
    sheet.append(["sku", "description", None])
    sheet.append([None, None, None])
    sheet.append(["SKU-1", 12.0, None])
    buffer = io.BytesIO()
    book.save(buffer)
    frame = read_table(buffer.getvalue(), "items.xlsx", "items")
    assert frame.to_dict("records") == [{"sku": "SKU-1", "description": "12"}]


def test_a_workbook_too_big_for_the_limit_that_hides_its_size_is_refused_unread(cells: list[object]) -> None:
    # openpyxl's write-only mode, like a crafted file, writes no <dimension>: openpyxl would then read
    # the whole sheet before its first row. A sheet bigger than the limit allows is refused unread.
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("items")
    sheet.append(["sku", "description"])
    for n in range(10_000):
        sheet.append([f"SKU-{n}", "An item with a description long enough"])
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(TooManyRows, match="more than 100 rows"):
        read_table(buffer.getvalue(), "items.xlsx", "items", max_rows=100)
    assert cells == []
    assert len(read_table(buffer.getvalue(), "items.xlsx", "items")) == 10_000
