"""A portal driven by a browser: serve one (`streamlit run`), wait for its runs, log in.

One way to do these for the browser bench (:mod:`bench.browser`) and the browser tests
(``tests/e2e/conftest.py``).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[1]
#: Streamlit's own state when no script runs.
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def idle(page: Page) -> None:
    """Wait until Streamlit runs no script (the app's own notRunning state).

    While a run is under way the previous run's elements stay on screen beside the new ones, so
    a text can show twice: act on ``.first`` of a locator, after this wait where it matters.
    """
    page.locator(IDLE).wait_for(state="attached")


def open_page(page: Page, url: str, *, attempts: int = 2) -> None:
    """Navigate to ``url`` and return once the browser has its answer (the caller then waits for
    the element it needs).

    Waits for the navigation's commit, not its "load" event: a page opened while another
    navigation is still in flight (the logout's redirect, say) or on a saturated machine can
    wait long for every script and font. A navigation that never commits is tried again.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for attempt in range(1, attempts + 1):
        try:
            page.goto(url, wait_until="commit")
            return
        except PlaywrightTimeout:
            if attempt == attempts:
                raise


def login(
    page: Page, base_url: str, username: str, password: str, *, attempts: int = 2, cookie_wait: float = 30
) -> None:
    """Log in through the login form and wait for the first page.

    Types only once the login page's first run is over (keys typed during a run can be lost). The
    password is checked by argon2 in a niced thread (portal.services.auth): on a busy machine it
    waits for a free core, so the session cookie is awaited ``cookie_wait`` seconds; when it does not
    come, the login is tried again (``attempts`` in all): a rerun on a loaded machine may swallow
    the first click.
    """
    for attempt in range(1, attempts + 1):
        open_page(page, base_url)
        page.get_by_role("textbox", name="Username").first.wait_for()
        idle(page)
        page.get_by_role("textbox", name="Username").first.fill(username)
        page.get_by_role("textbox", name="Password").first.fill(password)
        page.get_by_role("button", name="Log in").first.click()
        # The login sends the browser through /portal-auth/start (which sets the session cookie) and
        # back: "Log out" may show before that round trip, and a click then would be lost in it.
        deadline = time.monotonic() + cookie_wait
        while not any(c["name"] == "portal_session" for c in page.context.cookies()):
            if time.monotonic() > deadline:
                break
            page.wait_for_timeout(100)  # a poll interval (the page navigates meanwhile), not a wait for time
        else:
            break
        if attempt == attempts:
            shown = page.locator("[data-testid='stAlert']").all_inner_texts()
            raise AssertionError(
                f"the login of {username} never set its session cookie; the page shows {shown}"
            )
    page.wait_for_url(lambda url: "/portal-auth/" not in url)
    page.get_by_role("button", name="Log out").first.wait_for()
    idle(page)


@contextmanager
def serve(database_url: str, port: int, log: Path | None = None, *, timeout: float = 120) -> Iterator[str]:
    """`streamlit run` on ``database_url`` (its output to ``log``); yields its base URL once it
    answers its health check, stops it at the end."""
    import requests

    output = log.open("wb") if log is not None else None
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
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)},
        stdout=output if output is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if requests.get(f"{base}/_stcore/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                said = log.read_text(errors="replace")[-2000:] if log is not None else ""
                raise RuntimeError(f"the portal on {database_url} did not start: {said}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        if output is not None:
            output.close()
