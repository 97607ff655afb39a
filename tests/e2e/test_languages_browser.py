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
