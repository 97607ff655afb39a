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
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page

from tests.conftest import require_or_skip

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


def login(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the login form and wait for the first page.

    Waits for Streamlit's own notRunning state before typing (a run still under way can redraw the
    form and drop what was typed) and, when the session cookie does not come, tries once more: a
    rerun on a loaded machine may swallow the first click.
    """
    for attempt in (1, 2):
        page.goto(base_url)
        page.locator(IDLE).wait_for()
        page.get_by_role("textbox", name="Username").fill(username)
        page.get_by_role("textbox", name="Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        # The login sends the browser through /portal-auth/start (which sets the session cookie) and
        # back: "Log out" may show before that round trip, and a click then would be lost in it.
        deadline = time.monotonic() + 30
        while not any(c["name"] == "portal_session" for c in page.context.cookies()):
            if time.monotonic() > deadline:
                break
            page.wait_for_timeout(100)
        else:
            break
        if attempt == 2:
            raise AssertionError("the login never set its session cookie")
    page.wait_for_url(lambda url: "/portal-auth/" not in url)
    page.get_by_role("button", name="Log out").wait_for()


def grid_texts(page: Page, index: int = 0) -> list[str]:
    """The cell texts of a st.dataframe grid (drawn on a canvas; read from its accessible table)."""
    grid = page.locator("[data-testid='stDataFrame']").nth(index)
    grid.locator("table[role='grid']").wait_for(state="attached")
    return [t.strip() for t in grid.locator("table[role='grid'] td").all_text_contents()]


def screenshot(page: Page, name: str) -> Path:
    """Save a 1280x800 screenshot under screenshots/ (looked at by people, not asserted)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
