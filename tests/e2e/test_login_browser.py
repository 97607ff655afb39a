"""In real headless Chromium: the demo supplier logs in and sees its own lines, not another's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import create_engine, select

from db.models import PoLine, Supplier
from tests.e2e.conftest import PortalServer, grid_texts, login, screenshot

pytestmark = pytest.mark.browser


def _line_labels(database_url: str, supplier_code: str) -> set[str]:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(PoLine.po_number, PoLine.line)
            .join(Supplier, Supplier.id == PoLine.supplier_id)
            .where(Supplier.code == supplier_code, PoLine.status.in_(["open", "in_production", "shipped"]))
        ).all()
    engine.dispose()
    return {f"{po}/{line}" for po, line in rows}


def test_demo_supplier_sees_its_lines_and_not_another_suppliers(
    portal_server: PortalServer, page: Page
) -> None:
    login(page, portal_server.base_url, "supplier", "supplier-demo-1")
    page.get_by_role("heading", name="My lines").wait_for()
    cells = grid_texts(page)
    own = _line_labels(portal_server.database_url, "ACME-DE")
    other = _line_labels(portal_server.database_url, "PEARL-CN")
    # The grid is virtualized: the first rows are rendered; every one shown must be ours.
    shown = {cell for cell in cells if cell.startswith("PO-")}
    assert shown, cells[:50]
    assert shown <= own
    assert not shown & other
    screenshot(page, "supplier-my-lines")


def test_a_wrong_password_gets_the_generic_message(portal_server: PortalServer, page: Page) -> None:
    page.goto(portal_server.base_url)
    page.get_by_role("textbox", name="Username").fill("supplier")
    page.get_by_role("textbox", name="Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    page.get_by_text("Invalid username or password").wait_for()
    screenshot(page, "login-failed")
