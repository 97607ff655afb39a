"""Browser tests: a real portal (streamlit run) on a fresh demo database, driven by headless Chromium.

Each test module gets its own database and server, so modules can write without disturbing
each other. Chromium comes from Debian (/usr/bin/chromium); Playwright never downloads one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.conftest import require_or_skip

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = ROOT / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PortalServer:
    """A running portal: its base URL and the database URL behind it."""

    def __init__(self, base_url: str, database_url: str, process: subprocess.Popen[bytes], log: Path):
        self.base_url = base_url
        self.database_url = database_url
        self.process = process
        self.log = log


@pytest.fixture(scope="module")
def portal_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PortalServer]:
    """The portal with the demo world, served on a free port for this test module."""
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        require_or_skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    workdir = tmp_path_factory.mktemp("portal")
    database_url = f"sqlite:///{workdir / 'portal.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [sys.executable, "-m", "portal", "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = _free_port()
    log = workdir / "streamlit.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base_url}/_stcore/health", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail(f"the portal did not start: {log.read_text()[-2000:]}")
    try:
        yield PortalServer(base_url, database_url, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium through Playwright."""
    if not Path(CHROMIUM).exists():
        require_or_skip(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context and page at 1280x800 (the size screenshots are looked at)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(45_000)
    yield page
    context.close()


IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def idle(page: Page) -> None:
    """Wait until Streamlit runs no script (the app's own notRunning state).

    While a run is under way the previous run's elements stay on screen beside the new ones, so
    a text can show twice: act on ``.first`` of a locator, after this wait where it matters.
    """
    page.locator(IDLE).wait_for(state="attached")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll ``condition`` (state the page cannot be asked to wait for, e.g. its cookies) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {timeout:.0f} s")
        time.sleep(0.05)


def next_frame(page: Page) -> None:
    """Wait until the browser has drawn two more frames (what a typed key changed is on screen)."""
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def login(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the login form and wait for the first page.

    Waits for Streamlit's own notRunning state before typing (a run still under way can redraw the
    form and drop what was typed) and, when the session cookie does not come, tries once more: a
    rerun on a loaded machine may swallow the first click.
    """
    for attempt in (1, 2):
        page.goto(base_url)
        idle(page)
        page.get_by_role("textbox", name="Username").first.fill(username)
        page.get_by_role("textbox", name="Password").first.fill(password)
        page.get_by_role("button", name="Log in").first.click()
        # The login sends the browser through /portal-auth/start (which sets the session cookie) and
        # back: "Log out" may show before that round trip, and a click then would be lost in it.
        deadline = time.monotonic() + 30
        while not any(c["name"] == "portal_session" for c in page.context.cookies()):
            if time.monotonic() > deadline:
                break
            page.wait_for_timeout(100)  # a poll interval (the page navigates meanwhile), not a wait for time
        else:
            break
        if attempt == 2:
            raise AssertionError("the login never set its session cookie")
    page.wait_for_url(lambda url: "/portal-auth/" not in url)
    page.get_by_role("button", name="Log out").first.wait_for()


def line_labels(database_url: str, supplier_code: str, *, statuses: Sequence[str] = ()) -> set[str]:
    """The labels ('PO-1/1') of a supplier's lines (of ``statuses``, else all), from the portal's database."""
    from sqlalchemy import create_engine, select

    from db.models import PoLine, Supplier

    stmt = (
        select(PoLine.po_number, PoLine.line)
        .join(Supplier, Supplier.id == PoLine.supplier_id)
        .where(Supplier.code == supplier_code)
    )
    if statuses:
        stmt = stmt.where(PoLine.status.in_(list(statuses)))
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {f"{po}/{line}" for po, line in conn.execute(stmt)}
    finally:
        engine.dispose()


def grid_texts(page: Page, index: int = 0) -> list[str]:
    """The cell texts of a st.dataframe grid (drawn on a canvas; read from its accessible table)."""
    grid = page.locator("[data-testid='stDataFrame']").nth(index)
    grid.locator("table[role='grid']").wait_for(state="attached")
    return [t.strip() for t in grid.locator("table[role='grid'] td").all_text_contents()]


def screenshot(page: Page, name: str, *, shows: Sequence[str]) -> Path:
    """Save a 1280x800 screenshot under screenshots/, once the run is over and the texts it is
    meant to document (``shows``: headings, labels, messages; not a grid's cells) are visible."""
    from playwright.sync_api import expect

    idle(page)
    for text in shows:
        # Visible ones only: a grid's accessible table holds its texts too, hidden.
        expect(page.get_by_text(text, exact=False).filter(visible=True).first).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # Finished CSS transitions (a tab's underline still sliding), not a pause before the shot.
    page.screenshot(path=str(path), animations="disabled")
    return path
