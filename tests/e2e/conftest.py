"""Browser tests: a real portal (streamlit run) on a fresh demo database, driven by headless Chromium.

Serving the portal, waiting for its runs (``idle``) and logging in (``login``) are
:mod:`bench.live_portal`'s, shared with the browser bench.

Each test module gets its own database and server, so modules can write without disturbing
each other. Chromium comes from Debian (/usr/bin/chromium); Playwright never downloads one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Page

from bench.live_portal import ROOT, free_port, serve
from bench.live_portal import idle as idle  # the tests' import of these stays `tests.e2e.conftest`
from bench.live_portal import login as login
from tests.conftest import require_or_skip

if TYPE_CHECKING:
    from playwright.sync_api import Page

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


class PortalServer:
    """A running portal: its base URL, the database URL behind it and its output."""

    def __init__(self, base_url: str, database_url: str, log: Path):
        self.base_url = base_url
        self.database_url = database_url
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
    log = workdir / "streamlit.log"
    with serve(database_url, free_port(), log, timeout=60) as base_url:
        yield PortalServer(base_url, database_url, log)


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


def go(page: Page, menu: str) -> None:
    """Open the page of a menu entry and wait for its heading (the page's title is its menu name)."""
    page.get_by_role("link", name=menu, exact=True).first.click()
    page.get_by_role("heading", name=menu).first.wait_for()


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
