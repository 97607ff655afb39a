"""Speed as a supplier feels it: `python -m bench.browser [--url URL] [--runs N] [--user U --password P]`.

In headless Chromium (Debian's /usr/bin/chromium through Playwright) against a running portal on the
demo world (`python -m portal demo load`, then `streamlit run streamlit_app.py`):

* **cold render** of each supplier page (My lines, Daily output, Schedules, My scorecard): a fresh
  browser context logs in, then `page.goto(<page>)` until Streamlit's app is idle again
  (`[data-testid="stApp"][data-test-script-state="notRunning"]`) with the page's title shown. "Cold":
  a new browser session (no cached reads of its own; Streamlit's server caches are shared by user
  and cleared after each post, as in production);
* **a post's confirmation**: in Daily output's card layout, type one line's good units and click
  Post; the time from the click to the "Posted … report" message.

Prints p50 and max over N runs per measure, in milliseconds. Figures are measurements of this machine
at this moment; nothing asserts them.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from playwright.sync_api import Page

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
PAGES = {
    "My lines": "",
    "Daily output": "daily_output",
    "Schedules": "schedule",
    "My scorecard": "scorecard",
}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def _login(page: Page, base: str, user: str, password: str) -> None:
    page.goto(base)
    page.get_by_role("textbox", name="Username").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    deadline = time.monotonic() + 60
    while not any(c["name"] == "portal_session" for c in page.context.cookies()):
        if time.monotonic() > deadline:
            raise RuntimeError("the login never set its session cookie")
        page.wait_for_timeout(50)
    page.wait_for_url(lambda url: "/portal-auth/" not in url)
    page.locator(IDLE).wait_for()


def _idle(page: Page, title: str) -> None:
    page.get_by_role("heading", name=title).first.wait_for()
    page.locator(IDLE).wait_for()


def measure(base: str, user: str, password: str, runs: int) -> dict[str, list[float]]:
    """Milliseconds per run: each page's cold render, and a post's confirmation."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {name: [] for name in [*PAGES, "post confirmation"]}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for _ in range(runs):
            for name, path in PAGES.items():
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.set_default_timeout(60_000)
                _login(page, base, user, password)
                start = time.perf_counter()
                page.goto(f"{base}/{path}")
                _idle(page, name)
                times[name].append((time.perf_counter() - start) * 1000)
                context.close()
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.set_default_timeout(60_000)
            _login(page, base, user, password)
            page.goto(f"{base}/daily_output")
            _idle(page, "Daily output")
            page.get_by_role("radio", name="Cards").or_(
                page.get_by_role("button", name="Cards")
            ).first.click()
            page.locator(IDLE).wait_for()
            good = page.get_by_role("spinbutton", name="Good units").first
            good.fill("1")
            good.press("Tab")
            page.locator(IDLE).wait_for()
            post = page.get_by_role("button", name=re.compile(r"Post \d+ lines?$"))
            post.wait_for()
            # A line already on record (an earlier run) is a correction: tick it, as a person would.
            tick = page.get_by_role("checkbox", name=re.compile("^Correct"))
            if tick.count():
                tick.first.check(force=True)
                page.locator(IDLE).wait_for()
            start = time.perf_counter()
            post.click()
            page.get_by_text(re.compile(r"Posted \d+ reports?")).first.wait_for()
            times["post confirmation"].append((time.perf_counter() - start) * 1000)
            context.close()
        browser.close()
    return times


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--user", default="supplier")
    parser.add_argument("--password", default="supplier-demo-1")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    times = measure(args.url.rstrip("/"), args.user, args.password, args.runs)
    print(f"{'measure':<22} {'p50 ms':>8} {'max ms':>8}   (runs: {args.runs}, user {args.user})")
    for name, values in times.items():
        print(f"{name:<22} {statistics.median(values):>8.0f} {max(values):>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
