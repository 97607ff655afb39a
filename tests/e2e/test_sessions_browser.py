"""Sessions in a real browser: a refresh keeps the login, the cookie is HttpOnly and SameSite,
logout ends it on the server (a copied cookie is worthless), and an e-mail link survives login."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import Browser, Page

from portal.services.sessions import COOKIE_NAME
from tests.e2e.conftest import PortalServer, idle, login, screenshot, wait_until

pytestmark = pytest.mark.browser


def test_a_refresh_keeps_the_user_logged_in_with_an_httponly_cookie(
    portal_server: PortalServer, page: Page
) -> None:
    login(page, portal_server.base_url, "buyer", "buyer-demo-3")
    page.get_by_role("heading", name="Alert inbox").first.wait_for()
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE_NAME)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    page.reload()
    page.get_by_role("heading", name="Alert inbox").first.wait_for()
    page.get_by_role("button", name="Log out").first.wait_for()


def test_logout_ends_the_session_and_a_copied_cookie_is_refused(
    portal_server: PortalServer, browser: Browser, page: Page
) -> None:
    login(page, portal_server.base_url, "supplier", "supplier-demo-1")
    copied = next(c for c in page.context.cookies() if c["name"] == COOKIE_NAME)
    page.get_by_role("button", name="Log out").first.click()
    page.get_by_role("button", name="Log in").first.wait_for()
    wait_until(lambda: COOKIE_NAME not in {c["name"] for c in page.context.cookies()}, "logged out")
    thief = browser.new_context(viewport={"width": 1280, "height": 800})
    # A cookie read back from a context is one a context accepts; Playwright types the two apart.
    thief.add_cookies([copied])  # type: ignore[list-item]
    stolen = thief.new_page()
    stolen.goto(portal_server.base_url)
    stolen.get_by_role("button", name="Log in").first.wait_for()
    idle(stolen)
    assert stolen.get_by_role("button", name="Log out").count() == 0
    thief.close()


def test_a_forged_cookie_gets_the_login_page(portal_server: PortalServer, browser: Browser) -> None:
    context = browser.new_context()
    context.add_cookies([{"name": COOKIE_NAME, "value": "forged.token", "url": portal_server.base_url}])
    forged = context.new_page()
    forged.goto(portal_server.base_url)
    forged.get_by_role("button", name="Log in").first.wait_for()
    context.close()


def test_a_link_from_an_email_opens_after_login(portal_server: PortalServer, page: Page) -> None:
    page.goto(f"{portal_server.base_url}/backorders")
    page.get_by_role("button", name="Log in").first.wait_for()
    idle(page)
    assert page.get_by_text("Page not found").count() == 0
    screenshot(page, "login", shows=["Username", "Password", "Log in"])
    page.get_by_role("textbox", name="Username").first.fill("buyer")
    page.get_by_role("textbox", name="Password").first.fill("buyer-demo-3")
    page.get_by_role("button", name="Log in").first.click()
    page.get_by_role("heading", name="Backorders").first.wait_for()
    assert page.url.rstrip("/").endswith("/backorders")


def test_the_cookie_route_refuses_bad_tickets_and_foreign_redirects(portal_server: PortalServer) -> None:
    response = requests.get(
        f"{portal_server.base_url}/portal-auth/start",
        params={"ticket": "bogus", "next": "//evil.example/x"},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert COOKIE_NAME not in response.cookies


def _other_site(portal_server: PortalServer) -> str:
    """The same server under another name: to the browser, localhost and 127.0.0.1 are two sites."""
    return portal_server.base_url.replace("127.0.0.1", "localhost")


def test_a_login_link_from_another_site_does_not_log_the_browser_in(
    portal_server: PortalServer, page: Page
) -> None:
    from db.engine import open_database
    from portal.services.sessions import begin_login
    from tests.builders import actor_of

    db = open_database(portal_server.database_url)
    ticket = begin_login(db, actor_of(db, "supplier"))  # someone's fresh, valid ticket
    db.dispose()
    page.goto(f"{_other_site(portal_server)}/_stcore/health")
    target = f"{portal_server.base_url}/portal-auth/start?ticket={ticket}"
    page.evaluate("url => { window.location.href = url; }", target)
    page.get_by_role("button", name="Log in").first.wait_for()
    assert COOKIE_NAME not in {c["name"] for c in page.context.cookies()}


def test_another_site_cannot_log_the_user_out(portal_server: PortalServer, page: Page) -> None:
    login(page, portal_server.base_url, "buyer", "buyer-demo-3")
    end = f"{portal_server.base_url}/portal-auth/end"
    page.goto(f"{_other_site(portal_server)}/_stcore/health")
    with page.expect_navigation():
        page.evaluate(
            "url => { const f = document.createElement('form'); f.method = 'post'; f.action = url;"
            " document.body.appendChild(f); f.submit(); }",
            end,
        )
    page.goto(f"{_other_site(portal_server)}/_stcore/health")
    with page.expect_navigation():
        page.evaluate("url => { window.location.href = url; }", end)  # a plain link
    page.goto(portal_server.base_url)
    page.get_by_role("button", name="Log out").first.wait_for()
    assert COOKIE_NAME in {c["name"] for c in page.context.cookies()}
