"""In real headless Chromium on the demo world: a buyer works an alert, imports POs, exports promises,
and every buyer page is screenshot at 1280x800 (each shot asserts the texts it is meant to show)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pandas as pd
import pytest
from playwright.sync_api import FilePayload, Page, expect
from sqlalchemy import func, select

from db.engine import Database, open_database
from db.models import Alert, AlertComment, Backorder, Item, PoLine, Supplier
from portal.core.domain import AlertStatus, BackorderStatus
from portal.queries.alerts import alert_problems
from portal.queries.exports import EXPORT_COLUMNS
from tests.builders import actor_of
from tests.e2e.conftest import ROOT, PortalServer, go, grid_texts, idle, login, screenshot

pytestmark = pytest.mark.browser

#: The demo grid's geometry (st.dataframe default row and header height, the row-tick column).
ROW, HEADER, TICK_X = 35, 35, 17


@pytest.fixture(scope="module")
def db(portal_server: PortalServer) -> Iterator[Database]:
    database = open_database(portal_server.database_url)
    yield database
    database.dispose()


def open_as_buyer(page: Page, portal_server: PortalServer, menu: str | None = None) -> None:
    login(page, portal_server.base_url, "buyer", "buyer-demo-3")
    page.get_by_role("heading", name="Alert inbox").first.wait_for()
    if menu:
        go(page, menu)


def tick_row(page: Page, row: int, grid: int = 0) -> None:
    """Tick row ``row`` (0 = first) of a selectable grid: the grid is a canvas, so click its tick box.

    After the run before it ends: a click on a grid still being redrawn is lost, and the previous
    run's texts ("1 problem selected") would still be on screen to wait for.
    """
    idle(page)
    table = page.locator("[data-testid='stDataFrame']").nth(grid)
    table.locator("table[role='grid']").wait_for(state="attached")
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + TICK_X, box["y"] + HEADER + ROW * row + ROW / 2)


def test_a_buyer_acknowledges_and_comments_on_a_problem(
    portal_server: PortalServer, page: Page, db: Database
) -> None:
    open_as_buyer(page, portal_server)
    first = alert_problems(db, actor_of(db, "buyer"), limit=1).rows.iloc[0]
    ids = sorted(int(i) for i in first["alert_ids"])
    n = len(ids)
    tick_row(page, 0)
    page.get_by_text("1 problem selected").first.wait_for()
    screenshot(page, "buyer-alert-inbox-selected", shows=["Alert inbox", "1 problem selected", "Acknowledge"])
    idle(page)
    page.get_by_role("button", name="Acknowledge").first.click()
    page.get_by_text(f"{n} alert{'s' if n != 1 else ''} of 1 problem acknowledged.").first.wait_for()
    with db.read() as session:
        acknowledged = list(session.scalars(select(Alert.id).where(Alert.status == AlertStatus.ACKNOWLEDGED)))
    assert sorted(acknowledged) == ids

    tick_row(page, 0)
    page.get_by_text("1 problem selected").first.wait_for()
    idle(page)  # the comment box belongs to the run the tick started: type once it is over
    page.get_by_role("textbox", name="Comment").first.fill(
        "Called the supplier: a second shift starts Monday."
    )
    page.get_by_role("button", name="Add comment").first.click()
    page.get_by_text(f"{n} alert{'s' if n != 1 else ''} of 1 problem commented on.").first.wait_for()
    with db.read() as session:
        comments = session.execute(select(AlertComment.alert_id, AlertComment.body)).all()
    assert sorted(tuple(c) for c in comments) == [
        (i, "Called the supplier: a second shift starts Monday.") for i in ids
    ]
    screenshot(
        page,
        "buyer-alert-inbox",
        shows=["Alert inbox", f"{n} alert{'s' if n != 1 else ''} of 1 problem commented on."],
    )


def test_a_buyer_resolves_a_problem_and_it_stays_closed_after_the_sweep(
    portal_server: PortalServer, page: Page, db: Database
) -> None:
    open_as_buyer(page, portal_server)
    idle(page)
    first = alert_problems(db, actor_of(db, "buyer"), limit=1).rows.iloc[0]
    subject = str(first["line"] if pd.notna(first["line"]) else first["order_ref"])
    assert subject in grid_texts(page)[:40]
    tick_row(page, 0)
    page.get_by_text("1 problem selected").first.wait_for()
    idle(page)  # the button belongs to the run the tick started: click once it is over
    page.get_by_role("button", name="Resolve").first.click()
    page.get_by_text("of 1 problem resolved.").first.wait_for()
    idle(page)
    # The sweep the scheduler runs, from the command line: the condition still holds.
    env = {**os.environ, "DATABASE_URL": portal_server.database_url, "PYTHONPATH": str(ROOT)}
    swept = subprocess.run(
        [sys.executable, "-m", "portal", "sweep"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert swept.returncode == 0, swept.stderr
    page.reload()
    page.get_by_role("heading", name="Alert inbox").first.wait_for()
    idle(page)
    assert subject not in grid_texts(page)
    with db.read() as session:
        live = session.scalars(
            select(Alert.id).where(
                Alert.subject_key == first["subject_key"],
                Alert.status != AlertStatus.RESOLVED,
                Alert.severity != "info",  # info stays on the line page, never in the inbox
            )
        ).all()
    assert live == []
    screenshot(
        page, "buyer-alert-inbox-after-resolve-and-sweep", shows=["Alert inbox", "Problems", "Critical"]
    )


def _pos_file(rows: list[str]) -> bytes:
    header = "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
    return (header + "\n".join(rows) + "\n").encode()


def _lines_of(db: Database, po_number: str) -> list[str]:
    with db.read() as session:
        rows = session.execute(select(PoLine.line).where(PoLine.po_number == po_number).order_by(PoLine.line))
        return [f"{po_number}/{line}" for (line,) in rows]


def test_a_po_file_with_a_bad_row_is_refused_then_the_fixed_file_is_imported(
    portal_server: PortalServer, page: Page, db: Database
) -> None:
    with db.read() as session:
        supplier = session.scalar(select(Supplier.code).order_by(Supplier.code).limit(1))
        sku = session.scalar(select(Item.sku).order_by(Item.sku).limit(1))
    good = f"PO-E2E,1,{supplier},{sku},120,2026-01-05,2027-06-30"
    open_as_buyer(page, portal_server, "Imports")
    uploader = page.locator("[data-testid='stFileUploader'] input[type='file']")
    bad = _pos_file([good, f"PO-E2E,2,{supplier},{sku},twelve,2026-01-05,2027-06-30"])
    uploader.set_input_files(files=[FilePayload(name="pos-e2e.csv", mimeType="text/csv", buffer=bad)])
    page.get_by_text("nothing will be imported").first.wait_for()
    cells = grid_texts(page)
    assert cells[:4] == ["3", "quantity", "must be a whole number", "twelve"]  # the problem before the value
    assert page.get_by_role("button", name="Import").count() == 0
    assert _lines_of(db, "PO-E2E") == []
    screenshot(page, "buyer-imports-refused", shows=["Imports", "nothing will be imported", "pos-e2e.csv"])

    fixed = _pos_file([good, f"PO-E2E,2,{supplier},{sku},12,2026-01-05,2027-06-30"])
    uploader.set_input_files(files=[FilePayload(name="pos-e2e-fixed.csv", mimeType="text/csv", buffer=fixed)])
    page.get_by_text("All 2 rows are valid").first.wait_for()
    screenshot(page, "buyer-imports-preview", shows=["All 2 rows are valid", "Import 2 rows"])
    page.get_by_role("button", name="Import 2 rows").first.click()
    page.get_by_text("2 new purchase-order lines").first.wait_for()
    assert _lines_of(db, "PO-E2E") == ["PO-E2E/1", "PO-E2E/2"]

    page.get_by_role("link", name="See the open lines").first.click()
    page.get_by_role("heading", name="Open lines").first.wait_for()
    page.get_by_role("textbox", name="Search PO, SKU or supplier").first.fill("PO-E2E")
    page.keyboard.press("Enter")
    page.get_by_text("2 rows").first.wait_for()
    assert {c for c in grid_texts(page) if c.startswith("PO-E2E")} == {"PO-E2E/1", "PO-E2E/2"}


def test_the_promises_export_opens_with_pandas_with_every_waiting_backorder(
    portal_server: PortalServer, page: Page, db: Database
) -> None:
    with db.read() as session:
        waiting = set(
            session.scalars(select(Backorder.order_ref).where(Backorder.status == BackorderStatus.WAITING))
        )
        unpromisable = session.scalar(
            select(func.count()).where(
                Backorder.status == BackorderStatus.WAITING, Backorder.promise_date.is_(None)
            )
        )
    assert waiting and unpromisable
    open_as_buyer(page, portal_server, "Backorders")
    page.get_by_text("Export promises for customer service").first.click()
    opened = {}
    for label, reader in (("Download CSV", pd.read_csv), ("Download Excel", pd.read_excel)):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).first.click()
        data = download.value.path().read_bytes()
        opened[label] = reader(io.BytesIO(data), dtype=str, keep_default_na=False)
    for frame in opened.values():
        assert list(frame.columns) == EXPORT_COLUMNS["promises"]
        assert set(frame["order_ref"]) == waiting and len(frame) == len(waiting)
        assert (frame["status"] == "unpromisable").sum() == unpromisable
        assert (frame.loc[frame["status"] == "unpromisable", "promise_date"] == "").all()
        assert (
            frame.loc[frame["status"] == "unpromisable", "reason"].str.startswith("no open supply for ").all()
        )
        slipped = frame[frame["status"] == "slipped"]
        assert (slipped["days_of_slip"] != "").all() and (
            slipped["promise_date"] > slipped["communicated_date"]
        ).all()
    tick_row(page, 0)
    page.get_by_text("1 backorder selected").first.wait_for()
    page.get_by_role("heading", name="Supply of").first.wait_for()
    screenshot(page, "buyer-backorders", shows=["Backorders", "1 backorder selected", "Supply of"])


def test_every_buyer_page_at_1280x800(portal_server: PortalServer, page: Page) -> None:
    open_as_buyer(page, portal_server, "Late and at-risk lines")
    tick_row(page, 0)
    line_link = page.get_by_role("link", name=re.compile(r"^Open line PO-")).first
    line_link.wait_for()
    screenshot(page, "buyer-late-lines", shows=["Late and at-risk lines", "Open line PO-"])
    line_link.click()
    page.get_by_role("heading", name="Line PO-").first.wait_for()
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for()
    screenshot(page, "buyer-line-detail", shows=["Line PO-", "Schedule revisions"])
    page.get_by_role("tab", name="Schedule revisions").first.click()
    page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").first.wait_for()
    expect(page.get_by_role("tab", name="Schedule revisions").first).to_have_attribute(
        "aria-selected", "true"
    )
    screenshot(page, "buyer-line-detail-schedules", shows=["Line PO-", "Schedule revisions"])

    go(page, "Open lines")
    assert any(cell.startswith("PO-") for cell in grid_texts(page))
    screenshot(page, "buyer-open-lines", shows=["Open lines", "Search PO, SKU or supplier"])

    go(page, "Supplier directory")
    tick_row(page, 0)
    page.get_by_text("Closures ahead").first.wait_for()
    screenshot(page, "buyer-suppliers", shows=["Supplier directory", "Closures ahead"])

    go(page, "Imports")
    screenshot(page, "buyer-imports", shows=["Imports", "What are you importing?", "Empty template for"])
