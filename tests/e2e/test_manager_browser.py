"""In real headless Chromium on the demo world: a manager opens the ranking, a supplier's scorecard, and the
lines behind a number; the comparison, the admin settings and a supplier's own scorecard render."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from db.models import PoLine, Receipt, Supplier
from tests.e2e.conftest import PortalServer, go, grid_texts, idle, line_labels, login, screenshot

pytestmark = pytest.mark.browser

ROW_HEIGHT = 35  # st.dataframe's default row (and header) height in pixels


def _codes(database_url: str) -> set[str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        codes = set(conn.execute(select(Supplier.code)).scalars())
    engine.dispose()
    return codes


def _codes_with_receipts_this_year(database_url: str) -> set[str]:
    """Suppliers with a receipt in the scorecard's default window: the 12 months ending this month."""
    today = dt.date.today()
    month = today.year * 12 + today.month - 1 - 11
    first = dt.date(month // 12, month % 12 + 1, 1)
    engine = create_engine(database_url)
    with engine.connect() as conn:
        codes = set(
            conn.execute(
                select(Supplier.code)
                .join(PoLine, PoLine.supplier_id == Supplier.id)
                .join(Receipt, Receipt.po_line_id == PoLine.id)
                .where(Receipt.received_date >= first, Receipt.received_date <= today)
            ).scalars()
        )
    engine.dispose()
    return codes


def _select_row(page: Page, row: int, index: int = 0) -> None:
    """Tick the selection box of a row of a st.dataframe (drawn on a canvas: clicked by position),
    once the run before it is over (a click on a grid being redrawn is lost)."""
    idle(page)
    grid = page.locator("[data-testid='stDataFrame']").nth(index)
    grid.locator("table[role='grid']").wait_for(state="attached")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)


def test_a_manager_goes_from_the_ranking_to_a_scorecard_to_the_lines_behind_a_number(
    portal_server: PortalServer, page: Page
) -> None:
    login(page, portal_server.base_url, "manager", "manager-demo-4")
    page.get_by_role("heading", name="Supplier ranking").first.wait_for()
    suppliers = [cell for cell in grid_texts(page) if " · " in cell]
    ranked = [s.split(" · ")[0] for s in suppliers]
    assert set(ranked) == _codes(portal_server.database_url)
    screenshot(page, "manager-ranking", shows=["Supplier ranking", "Select a supplier to open its scorecard"])

    # A supplier (not the first row: the selection must change the page) whose on-time delivery has
    # receipts behind it: the demo world is dated from today, so which ones have changes with the date.
    received = _codes_with_receipts_this_year(portal_server.database_url)
    row = next(i for i, code in enumerate(ranked) if i >= 1 and code in received)
    target = ranked[row]
    _select_row(page, row)
    page.get_by_role("heading", name="Scorecard").first.wait_for()
    page.locator(".st-key-scorecard-show-otd").wait_for()
    chosen = page.get_by_role("combobox", name="Supplier").first.input_value()
    assert chosen.startswith(f"{target} · ")
    screenshot(page, "manager-scorecard", shows=["Scorecard", "Supplier", "Month by month"])

    # A button with help is drawn twice (the button and its tooltip anchor): click the visible one.
    page.locator(".st-key-scorecard-show-otd button").filter(visible=True).first.click()
    heading = page.get_by_role("heading", name=re.compile("Behind “On-time delivery \\(OTD\\)”")).first
    heading.wait_for()
    heading.scroll_into_view_if_needed()
    # The caption says "x of n receipts on time": the table lists those n receipts, all of this supplier's.
    basis = page.get_by_text(re.compile(r"^\d+ of [\d,]+ receipts? on time, rolling")).first.inner_text()
    match = re.match(r"\d+ of ([\d,]+) receipt", basis)
    assert match is not None, basis
    receipts = int(match.group(1).replace(",", ""))
    listed = f"{receipts:,} row{'s' if receipts != 1 else ''}."  # the caption under the table
    page.get_by_text(listed, exact=True).first.wait_for()
    shown = {cell for cell in grid_texts(page, 0) if re.fullmatch(r"PO-\d+/\d+", cell)}
    assert shown
    assert shown <= line_labels(portal_server.database_url, target)
    screenshot(
        page,
        "manager-scorecard-drilldown",
        shows=["Behind “On-time delivery (OTD)”", listed],
    )


def test_a_manager_compares_suppliers_side_by_side(portal_server: PortalServer, page: Page) -> None:
    login(page, portal_server.base_url, "manager", "manager-demo-4")
    go(page, "Compare suppliers")
    cells = grid_texts(page)
    assert "Score and grade" in cells
    assert "On time in full (OTIF)" in cells
    screenshot(page, "manager-compare", shows=["Compare suppliers", "Rolling 12 months", "Month by month"])


def test_an_admin_sees_the_settings_with_the_weights_sum(portal_server: PortalServer, page: Page) -> None:
    login(page, portal_server.base_url, "admin", "admin-demo-5")
    go(page, "Settings")
    page.get_by_role("tab", name="Scorecard weights").first.click()
    page.get_by_text("The weights sum to 100.").first.wait_for()
    screenshot(page, "admin-settings", shows=["Settings", "Scorecard weights", "The weights sum to 100."])


def test_a_supplier_sees_its_own_scorecard(portal_server: PortalServer, page: Page) -> None:
    login(page, portal_server.base_url, "supplier", "supplier-demo-1")
    go(page, "My scorecard")
    page.get_by_role("heading", name="Month by month").first.wait_for()
    # The lines behind a number are read when asked for: none is open at first.
    assert not page.get_by_role("heading", name=re.compile("Behind")).count()
    idle(page)
    page.locator(".st-key-my_scorecard-show-lines button").filter(visible=True).first.click()
    page.get_by_role("heading", name=re.compile("Behind “Lines”")).first.wait_for()
    shown = {cell for cell in grid_texts(page, 0) if re.fullmatch(r"PO-\d+/\d+", cell)}
    assert shown
    assert shown <= line_labels(portal_server.database_url, "ACME-DE")
    screenshot(page, "supplier-scorecard", shows=["My scorecard", "Behind “Lines”"])
