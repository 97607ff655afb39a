"""In real headless Chromium on the demo world: the buyer imports a change order, and the supplier
sees the change on its line and an alert to reply to."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import FilePayload, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from db.engine import Database, open_database
from db.models import Item, PoLine, Receipt, Supplier
from portal.core.domain import LineStatus
from portal.i18n import format_date
from tests.e2e.conftest import PortalServer, go, login, screenshot, wait_until

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def db(portal_server: PortalServer) -> Iterator[Database]:
    database = open_database(portal_server.database_url)
    yield database
    database.dispose()


def test_the_buyer_changes_a_line_and_the_supplier_sees_it(
    portal_server: PortalServer, page: Page, db: Database
) -> None:
    # An open line of the demo supplier user's supplier, with nothing received yet.
    with db.read() as session:
        line = session.execute(
            select(PoLine.id, PoLine.po_number, PoLine.line, Supplier.code, Item.sku, PoLine.quantity)
            .add_columns(PoLine.order_date, PoLine.need_by_date)
            .join(Supplier, Supplier.id == PoLine.supplier_id)
            .join(Item, Item.id == PoLine.item_id)
            .where(
                PoLine.status == LineStatus.IN_PRODUCTION,
                Supplier.id.in_(select(Supplier.id).order_by(Supplier.code).limit(1)),
                PoLine.id.not_in(select(Receipt.po_line_id)),
            )
            .order_by(PoLine.need_by_date.desc())
            .limit(1)
        ).one()
    line_id, po, number, code, sku, quantity, order_date, need_by = line
    earlier = max(need_by - dt.timedelta(days=5), order_date or need_by)
    csv = (
        "po_number,line,supplier_code,sku,quantity,need_by_date\n"
        f"{po},{number},{code},{sku},{quantity + 100},{earlier.isoformat()}\n"
    ).encode()

    login(page, portal_server.base_url, "buyer", "buyer-demo-3")
    page.get_by_role("heading", name="Alert inbox").first.wait_for()
    go(page, "Imports")
    uploader = page.locator("[data-testid='stFileUploader'] input[type='file']")
    uploader.set_input_files(files=[FilePayload(name="erp-changes.csv", mimeType="text/csv", buffer=csv)])
    page.get_by_text("The row is valid.").first.wait_for()
    page.get_by_role("button", name="Import 1 row", exact=True).first.click()
    # With e-mail off (the demo) a change order still queues its e-mails, for when e-mail is set up.
    page.get_by_text(
        re.compile(r"0 new purchase-order lines, 1 changed( \(\d+ change e-mails? to suppliers queued\))?\.")
    ).first.wait_for()
    with db.read() as session:
        changed = session.get(PoLine, line_id)
        assert changed is not None
        assert (changed.quantity, changed.need_by_date) == (quantity + 100, earlier)
    page.get_by_role("button", name="Log out").first.click()
    # The logout ends with the login form and no session cookie: a page opened before that is the
    # buyer's still (and has no login form to type into).
    page.get_by_role("button", name="Log in").first.wait_for()
    wait_until(lambda: "portal_session" not in {c["name"] for c in page.context.cookies()}, "logged out")

    login(page, portal_server.base_url, "supplier", "supplier-demo-1")
    page.goto(f"{portal_server.base_url}/line_detail?line={line_id}")
    page.get_by_role("heading", name=f"Line {po}/{number}").first.wait_for()
    page.get_by_role("tab", name="Order changes (2)").first.click()
    grid = page.get_by_role("tabpanel").locator("[data-testid='stDataFrame'] table[role='grid']").first
    grid.wait_for(state="attached")
    cells = [t.strip() for t in grid.locator("td").all_text_contents()]
    # Values in words, as the reader's language writes them (English here): "1,234", "Mar 16, 2026".
    assert "Quantity" in cells and f"{quantity + 100:,}" in cells
    assert "Need-by date" in cells and format_date(earlier) in cells
    assert page.get_by_role("tab", name="Audit trail").count() == 0
    screenshot(page, "supplier-line-detail-order-changes", shows=[f"Line {po}/{number}", "Order changes (2)"])

    go(page, "Alerts and messages")
    # The alerts table is a canvas grid: its cells are read from its accessible (hidden) table.
    # The grid draws only the rows in view, worst first: scroll it until the change's alert is drawn.
    page.locator("[data-testid='stDataFrame'] table[role='grid']").first.wait_for(state="attached")
    cell = page.locator("[data-testid='stDataFrame'] table[role='grid'] td", has_text="Order changed")
    page.locator("[data-testid='stDataFrame']").first.hover()
    for _ in range(60):
        try:
            cell.first.wait_for(state="attached", timeout=1_000)
            break
        except PlaywrightTimeoutError:
            page.mouse.wheel(0, 150)
    cell.first.wait_for(state="attached")
    screenshot(page, "supplier-alerts-order-changed", shows=["Alerts and messages", "Your reply"])
