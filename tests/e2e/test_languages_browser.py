"""In real headless Chromium: the login page follows the browser's language, and a supplier who picks
another language on My account sees the portal in it at once, and again after a refresh."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import PortalServer, login

pytestmark = pytest.mark.browser

USER, PASSWORD = "supplier", "supplier-demo-1"
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def test_the_login_page_follows_the_browsers_accept_language(
    portal_server: PortalServer, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    try:
        page = context.new_page()
        page.set_default_timeout(45_000)
        page.goto(portal_server.base_url)
        page.get_by_role("heading", name="Lieferantenportal").first.wait_for()
        page.get_by_role("button", name="Anmelden").first.wait_for()
        page.get_by_role("textbox", name="Benutzername").first.wait_for()
    finally:
        context.close()


def test_a_supplier_switches_to_german_on_my_account_and_stays_in_german(
    portal_server: PortalServer, page: Page
) -> None:
    login(page, portal_server.base_url, USER, PASSWORD)
    page.goto(f"{portal_server.base_url}/account")
    page.get_by_role("heading", name="My account").first.wait_for()
    page.locator(IDLE).wait_for()
    page.get_by_role("combobox", name="Language of the portal").first.click()
    page.get_by_role("option", name="Deutsch").first.click()
    page.get_by_role("heading", name="Mein Konto").first.wait_for()
    nav = page.get_by_test_id("stSidebarNav")
    assert nav.get_by_text("Tagesproduktion").count() == 1
    # A refresh restores the login from its cookie: the language comes with the user.
    page.reload()
    page.get_by_role("heading", name="Mein Konto").first.wait_for()
    page.get_by_role("button", name="Abmelden").first.wait_for()


def test_a_long_german_page_title_stays_on_one_line_on_a_phone(
    portal_server: PortalServer, browser: Browser
) -> None:
    """ "Lieferantenrangliste" at Streamlit's 2.75rem broke mid-word on a 390 px phone: titles are
    smaller there (portal.ui.app.PHONE_STYLE)."""
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="de-DE")
    try:
        page = context.new_page()
        page.set_default_timeout(45_000)
        page.goto(portal_server.base_url)
        page.get_by_role("textbox", name="Benutzername").first.fill("manager")
        page.get_by_role("textbox", name="Passwort").first.fill("manager-demo-4")
        page.get_by_role("button", name="Anmelden").first.click()
        title = page.get_by_role("heading", name="Lieferantenrangliste").first
        title.wait_for()
        page.locator(IDLE).wait_for()
        font_px, lines = title.evaluate(
            """h => {
                const walker = document.createTreeWalker(h, NodeFilter.SHOW_TEXT);
                const tops = new Set();
                while (walker.nextNode()) {
                    const range = document.createRange();
                    range.selectNodeContents(walker.currentNode);
                    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.top));
                }
                return [parseFloat(getComputedStyle(h).fontSize), tops.size];
            }"""
        )
        assert font_px < 32  # 1.75rem, not 2.75rem
        assert lines == 1
    finally:
        context.close()
