"""In real headless Chromium on the demo world: a buyer works an alert, imports POs, exports promises,
and every buyer page is screenshot at 1280x800 (looked at by people, never asserted)."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pandas as pd
import pytest
from playwright.sync_api import FilePayload, Page
from sqlalchemy import func, select

from db.engine import Database, open_database
from db.models import Alert, AlertComment, Backorder, Item, PoLine, Supplier
from portal.core.domain import AlertStatus, BackorderStatus
from portal.queries.alerts import alert_problems
from tests.builders import actor_of
from tests.e2e.conftest import ROOT, PortalServer, grid_texts, login, screenshot

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
    page.get_by_role("heading", name="Alert inbox").wait_for()
    if menu:
        page.get_by_role("link", name=menu, exact=True).click()
        page.get_by_role("heading", name=menu).wait_for()


def tick_row(page: Page, row: int, grid: int = 0) -> None:
    """Tick row ``row`` (0 = first) of a selectable grid: the grid is a canvas, so click its tick box."""
    table = page.locator("[data-testid='stDataFrame']").nth(grid)
    table.locator("table[role='grid']").wait_for(state="attached")
    box = table.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + TICK_X, box["y"] + HEADER + ROW * row + ROW / 2)


def wait_not_running(page: Page) -> None:
    """Wait until Streamlit reports its script is not running (the app's own state attribute)."""
    page.locator("[data-testid='stApp'][data-test-script-state='notRunning']").wait_for(state="attached")


def test_a_buyer_acknowledges_and_comments_on_a_problem(
    portal_server: PortalServer, page: Page, db: Database
) -> None:
    open_as_buyer(page, portal_server)
    first = alert_problems(db, actor_of(db, "buyer"), limit=1).rows.iloc[0]
    ids = sorted(int(i) for i in first["alert_ids"])
    n = len(ids)
    tick_row(page, 0)
    page.get_by_text("1 problem selected").wait_for()
    screenshot(page, "buyer-alert-inbox-selected")
    page.get_by_role("button", name="Acknowledge").click()
    page.get_by_text(f"{n} alert{'s' if n != 1 else ''} of 1 problem acknowledged.").wait_for()
    with db.read() as session:
        acknowledged = list(session.scalars(select(Alert.id).where(Alert.status == AlertStatus.ACKNOWLEDGED)))
    assert sorted(acknowledged) == ids

    tick_row(page, 0)
    page.get_by_text("1 problem selected").wait_for()
    page.get_by_role("textbox", name="Comment").fill("Called the supplier: a second shift starts Monday.")
    page.get_by_role("button", name="Add comment").click()
    page.get_by_text(f"{n} alert{'s' if n != 1 else ''} of 1 problem commented on.").wait_for()
    with db.read() as session:
        comments = session.execute(select(AlertComment.alert_id, AlertComment.body)).all()
    assert sorted(tuple(c) for c in comments) == [
        (i, "Called the supplier: a second shift starts Monday.") for i in ids
    ]
    screenshot(page, "buyer-alert-inbox")


def test_a_buyer_resolves_a_problem_and_it_stays_closed_after_the_sweep(
    portal_server: PortalServer, page: Page, db: Database
) -> None:
    open_as_buyer(page, portal_server)
    wait_not_running(page)
    first = alert_problems(db, actor_of(db, "buyer"), limit=1).rows.iloc[0]
    subject = str(first["line"] if pd.notna(first["line"]) else first["order_ref"])
    assert subject in grid_texts(page)[:40]
    tick_row(page, 0)
    page.get_by_text("1 problem selected").wait_for()
    page.get_by_role("button", name="Resolve").click()
    page.get_by_text("of 1 problem resolved.").wait_for()
    wait_not_running(page)
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
    page.get_by_role("heading", name="Alert inbox").wait_for()
    wait_not_running(page)
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
    screenshot(page, "buyer-alert-inbox-after-resolve-and-sweep")


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
    page.get_by_text("nothing will be imported").wait_for()
    cells = grid_texts(page)
    assert cells[:4] == ["3", "quantity", "twelve", "must be a whole number"]
    assert page.get_by_role("button", name="Import").count() == 0
    assert _lines_of(db, "PO-E2E") == []
    screenshot(page, "buyer-imports-refused")

    fixed = _pos_file([good, f"PO-E2E,2,{supplier},{sku},12,2026-01-05,2027-06-30"])
    uploader.set_input_files(files=[FilePayload(name="pos-e2e-fixed.csv", mimeType="text/csv", buffer=fixed)])
    page.get_by_text("All 2 rows are valid").wait_for()
    screenshot(page, "buyer-imports-preview")
    page.get_by_role("button", name="Import 2 rows").click()
    page.get_by_text("2 new purchase-order line(s)").wait_for()
    assert _lines_of(db, "PO-E2E") == ["PO-E2E/1", "PO-E2E/2"]

    page.get_by_role("link", name="See the open lines").click()
    page.get_by_role("heading", name="Open lines").wait_for()
    page.get_by_role("textbox", name="Search PO, SKU or supplier").fill("PO-E2E")
    page.keyboard.press("Enter")
    page.get_by_text("2 rows").wait_for()
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
    page.get_by_text("Export promises for customer service").click()
    opened = {}
    for label, reader in (("Download CSV", pd.read_csv), ("Download Excel", pd.read_excel)):
        with page.expect_download() as download:
            page.get_by_role("button", name=label).click()
        data = download.value.path().read_bytes()
        opened[label] = reader(io.BytesIO(data), dtype=str, keep_default_na=False)
    for frame in opened.values():
        assert list(frame.columns) == [
            "order_ref",
            "customer",
            "sku",
            "quantity",
            "priority",
            "promise_date",
            "status",
            "communicated_date",
            "days_of_slip",
            "reason",
        ]
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
    page.get_by_text("1 backorder selected").wait_for()
    page.get_by_role("heading", name="Supply of").wait_for()
    screenshot(page, "buyer-backorders")


def test_every_buyer_page_at_1280x800(portal_server: PortalServer, page: Page) -> None:
    open_as_buyer(page, portal_server, "Late and at-risk lines")
    tick_row(page, 0)
    line_link = page.get_by_role("link", name=re.compile(r"^Open line PO-"))
    line_link.wait_for()
    screenshot(page, "buyer-late-lines")
    line_link.click()
    page.get_by_role("heading", name="Line PO-").wait_for()
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for()
    screenshot(page, "buyer-line-detail")
    page.get_by_role("tab", name="Schedule revisions").click()
    page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").first.wait_for()
    page.wait_for_timeout(400)  # let the tab underline finish moving before the screenshot
    screenshot(page, "buyer-line-detail-schedules")

    page.get_by_role("link", name="Open lines", exact=True).click()
    page.get_by_role("heading", name="Open lines").wait_for()
    grid_texts(page)
    screenshot(page, "buyer-open-lines")

    page.get_by_role("link", name="Supplier directory", exact=True).click()
    page.get_by_role("heading", name="Supplier directory").wait_for()
    tick_row(page, 0)
    page.get_by_text("Closures ahead").wait_for()
    screenshot(page, "buyer-suppliers")

    page.get_by_role("link", name="Imports", exact=True).click()
    page.get_by_role("heading", name="Imports").wait_for()
    screenshot(page, "buyer-imports")
