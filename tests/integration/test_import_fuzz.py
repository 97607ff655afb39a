"""Abuse cases for the importers: random bytes, wrong encodings, huge and formula cells, big files,
odd workbooks. Each gets a clear error or a correct import: never a crash, never a partial write."""

from __future__ import annotations

import io
import string
from collections.abc import Callable

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from db.base import Base
from db.engine import Database
from db.models import Item, PoLine
from portal.core.domain import PortalError
from portal.core.fileformats import FORMATS, FileFormatError
from portal.services.access import Actor
from portal.services.imports import import_table, read_upload
from tests.builders import ITEMS_CSV, SUPPLIERS_CSV, load

SYSTEM = Actor.system("fuzz")
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
#: The purchase-order file's columns but its optional status (every fuzzed line is new).
POS_HEADER = [c for c in FORMATS["pos"].names if c != "status"]


def count(db: Database, model: type[Base]) -> int:
    with db.read() as session:
        return int(session.scalars(select(func.count()).select_from(model)).one())


def try_import(db: Database, data: bytes, filename: str, kind: str) -> tuple[str, int]:
    """('refused' | 'errors' | 'ok', rows written) — anything else is a crash the test reports."""
    try:
        table = read_upload(data, filename, kind)
    except FileFormatError as exc:
        assert str(exc)  # a message a person can read
        return "refused", 0
    result = import_table(db, SYSTEM, table, filename=filename, recompute=False)
    if not result.ok:
        assert all(e.row >= 2 and e.reason for e in result.errors)
        return "errors", 0
    return "ok", result.created


@pytest.fixture
def base(sqlite_db: Database) -> Database:
    load(sqlite_db, SYSTEM, "suppliers", SUPPLIERS_CSV, recompute=False)
    load(sqlite_db, SYSTEM, "items", ITEMS_CSV, recompute=False)
    return sqlite_db


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(["f.csv", "f.xlsx", "f.txt", "f", "f.pdf"]))
def test_random_bytes_are_refused_or_imported_never_a_crash(base: Database, data: bytes, name: str) -> None:
    before = count(base, Item)
    _outcome, written = try_import(base, data, name, "items")
    assert count(base, Item) == before + written


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "ACME",
            "BOLT",
            "SKU-1",
            "SKU-2",
            "NOPE",
            "2026-03-01",
            "2026-02-30",
            "01/03/2026",
            "-5",
            "0",
            "12",
            "12.0",
            "1e3",
            "=1+1",
            "@SUM(A1)",
            "+33",
            "",
            " ",
            "\t=cmd",
        ]
    ),
    st.integers(min_value=-10, max_value=10_000).map(str),
)


@FUZZ
@given(
    rows=st.lists(st.lists(cell, min_size=9, max_size=9), min_size=1, max_size=8),
    sep=st.sampled_from([",", ";"]),
    bom=st.booleans(),
)
def test_every_pos_file_is_written_whole_or_not_at_all(
    base: Database, rows: list[list[str]], sep: str, bom: bool
) -> None:
    frame = pd.DataFrame(rows, columns=POS_HEADER)
    text = frame.to_csv(index=False, sep=sep)
    data = (("\ufeff" if bom else "") + text).encode("utf-8")
    before = count(base, PoLine)
    _outcome, written = try_import(base, data, "pos.csv", "pos")
    after = count(base, PoLine)
    assert after in (before, before + len(rows))
    assert after == before + written


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_file_in_a_wide_encoding_is_refused_with_a_message(base: Database, encoding: str) -> None:
    data = ITEMS_CSV.replace("SKU-1", "SKU-9").encode(encoding)
    assert try_import(base, data, "items.csv", "items") == ("refused", 0)


def test_a_latin1_file_is_imported_with_its_accents(base: Database) -> None:
    data = "sku,description\nSKU-Z,Crème brûlée dish\n".encode("latin-1")
    assert try_import(base, data, "items.csv", "items") == ("ok", 1)


def test_a_huge_cell_is_refused_and_nothing_written(base: Database) -> None:
    data = f"sku,description\nSKU-A,ok\nSKU-B,{'x' * 100_000}\n".encode()
    assert try_import(base, data, "items.csv", "items") == ("errors", 0)
    assert count(base, Item) == 2


def test_formula_cells_are_stored_as_plain_text(base: Database) -> None:
    data = b'sku,description\nSKU-F,"=HYPERLINK(""http://evil"",""click"")"\n'
    assert try_import(base, data, "items.csv", "items") == ("ok", 1)
    with base.read() as session:
        assert (
            session.scalars(select(Item.description).where(Item.sku == "SKU-F"))
            .one()
            .startswith("=HYPERLINK")
        )


def test_a_100000_row_file_imports_completely(base: Database) -> None:
    skus = [f"BULK-{i:06d}" for i in range(100_000)]
    data = pd.DataFrame({"sku": skus, "description": "bulk item", "on_hand": 1}).to_csv(index=False).encode()
    assert try_import(base, data, "items.csv", "items") == ("ok", 100_000)
    assert count(base, Item) == 100_002


def test_a_100000_row_file_with_one_bad_row_writes_nothing(base: Database) -> None:
    frame = pd.DataFrame(
        {"sku": [f"BULK-{i:06d}" for i in range(100_000)], "description": "bulk", "on_hand": 1}
    )
    frame.loc[77_777, "on_hand"] = -1
    table = read_upload(frame.to_csv(index=False).encode(), "items.csv", "items")
    result = import_table(base, SYSTEM, table, recompute=False)
    assert [(e.row, e.column) for e in result.errors] == [(77_779, "on_hand")]
    assert count(base, Item) == 2


def _workbook(build: Callable[[Workbook], None]) -> bytes:
    book = Workbook()
    build(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_workbook_with_merged_cells_reports_the_empty_cells(base: Database) -> None:
    def build(book: Workbook) -> None:
        sheet = book.active
        sheet.append(["sku", "description"])
        sheet.append(["SKU-M1", "merged description"])
        sheet.append(["SKU-M2", None])
        sheet.merge_cells("B2:B3")

    outcome, _ = try_import(base, _workbook(build), "items.xlsx", "items")
    assert outcome == "errors"
    assert count(base, Item) == 2


def test_a_workbook_with_several_sheets_takes_the_kinds_sheet(base: Database) -> None:
    def build(book: Workbook) -> None:
        book.active.title = "Read me"
        book.active.append(["This workbook holds items on the next sheet"])
        items = book.create_sheet("items")
        items.append(["sku", "description"])
        items.append(["SKU-W", "from the items sheet"])

    assert try_import(base, _workbook(build), "items.xlsx", "items") == ("ok", 1)


def test_an_empty_workbook_is_refused(base: Database) -> None:
    assert try_import(base, _workbook(lambda book: None), "items.xlsx", "items") == ("refused", 0)


@FUZZ
@given(text=st.text(alphabet=string.printable + "éü€\x00", max_size=300))
def test_random_text_as_csv_never_crashes(base: Database, text: str) -> None:
    before = count(base, Item)
    try:
        _outcome, written = try_import(base, text.encode("utf-8"), "items.csv", "items")
    except PortalError as exc:  # any refusal must be a portal error with a message
        assert str(exc)
        written = 0
    assert count(base, Item) == before + written
