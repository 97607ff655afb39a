"""In real headless Chromium: the demo supplier logs in and sees its own lines, not another's."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import PortalServer, grid_texts, idle, line_labels, login, screenshot

pytestmark = pytest.mark.browser


def _line_labels(database_url: str, supplier_code: str) -> set[str]:
    return line_labels(database_url, supplier_code, statuses=["open", "in_production", "shipped"])


def test_demo_supplier_sees_its_lines_and_not_another_suppliers(
    portal_server: PortalServer, page: Page
) -> None:
    login(page, portal_server.base_url, "supplier", "supplier-demo-1")
    page.get_by_role("heading", name="My lines").first.wait_for()
    cells = grid_texts(page)
    own = _line_labels(portal_server.database_url, "ACME-DE")
    other = _line_labels(portal_server.database_url, "PEARL-CN")
    # The grid is virtualized: the first rows are rendered; every one shown must be ours.
    shown = {cell for cell in cells if cell.startswith("PO-")}
    assert shown, cells[:50]
    assert shown <= own
    assert not shown & other
    screenshot(page, "supplier-my-lines", shows=["My lines", "Post today's output", "Log out"])


def test_a_wrong_password_gets_the_generic_message(portal_server: PortalServer, page: Page) -> None:
    page.goto(portal_server.base_url)
    idle(page)
    page.get_by_role("textbox", name="Username").first.fill("supplier")
    page.get_by_role("textbox", name="Password").first.fill("not-the-password")
    page.get_by_role("button", name="Log in").first.click()
    page.get_by_text("Invalid username or password").first.wait_for()
    screenshot(page, "login-failed", shows=["Invalid username or password", "Username", "Password"])
