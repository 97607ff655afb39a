"""Speed as people feel it: `python -m bench.browser [--url URL | --scale L | --database URL] [--runs N]`.

In headless Chromium (Debian's /usr/bin/chromium through Playwright) against a portal: a running one
(``--url``, e.g. the demo world: `python -m portal demo load`, then `streamlit run streamlit_app.py`),
or one this script starts (``--scale L``: on bench/data/scale-L.db, built by `python -m bench --scale L`;
``--database URL``: on any database) on a free port, stopped at the end. ``--url`` with ``--scale`` or
``--database`` names the database behind a running portal (for the staff users below).

Supplier pages (``--pages supplier``, the default with ``--url``; user ``supplier`` of the demo world):

* **cold render** of each page (My lines, Daily output, Schedules, My scorecard): a fresh browser
  context logs in, then `page.goto(<page>)` until Streamlit's app is idle again
  (`[data-testid="stApp"][data-test-script-state="notRunning"]`) with the page's title shown. "Cold":
  a new browser session; the server's cached reads of the user are renewed by the post of the
  run before, as in production after a post;
* **a post's confirmation**: in Daily output's card layout, type one line's good units and click
  Post; the time from the click to the "Posted … report" message. When something else shows instead
  (an error, a refusal), that is printed: it is what the user saw.

Staff pages (``--pages staff``, the default with ``--scale`` / ``--database``): the buyer's alert inbox
and late lines, the manager's ranking, **cold** (a user whose reads the server has not cached: each
run logs in as a new bench user, ``bench-buyer-<run>``/``bench-manager-<run>``, created in the
database with `python -m portal user add`) and **warm** (the same user, a new browser session, the
page's reads cached by the cold visit). With ``--url`` the staff users are given (``--buyer``,
``--manager``): only the first run is then cold for certain.

Before timing, every page is opened once by a warm-up user, so the server process has imported and
compiled it: cold means the user's data, not the server's first start.

Each user logs in once; its later sessions are new browser contexts carrying that login's session
cookie (as a browser does after a restart). A login checks the password with argon2 in a niced
thread (portal.services.auth), which on a loaded machine waits minutes for a core: logging in again
for every measured page made a run look stalled before its first figure (15+ logins at a load
average of 20-28). Each login prints a line, so a slow one shows as such.

Prints p50 and max over N runs per measure, in milliseconds, and the load average. Figures are
measurements of this machine at this moment; nothing asserts them.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from playwright.sync_api import Browser, Page

from bench import live_portal
from bench.live_portal import IDLE, ROOT, free_port, serve

DATA = ROOT / "bench" / "data"
SUPPLIER_PAGES = {
    "My lines": "",
    "Daily output": "daily_output",
    "Schedules": "schedule",
    "My scorecard": "scorecard",
}
#: role -> {page title: URL path}; a role's home page has the empty path.
STAFF_PAGES = {
    "buyer": {"Alert inbox": "", "Late and at-risk lines": "late_lines"},
    "manager": {"Supplier ranking": ""},
}
DEMO_LOGINS = {
    "supplier": ("supplier", "supplier-demo-1"),
    "buyer": ("buyer", "buyer-demo-3"),
    "manager": ("manager", "manager-demo-4"),
}
BENCH_PASSWORD = "bench-browser-Pass-2026"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]
TIMEOUT_MS = 120_000
LOGIN_TIMEOUT_S = 600
POSTED = re.compile(r"Posted \d+ reports?")


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _idle(page: Page, title: str) -> None:
    page.get_by_role("heading", name=title).first.wait_for()
    page.locator(IDLE).wait_for()


#: (portal URL, username) -> the session cookie of that user's one login.
_LOGGED_IN: dict[tuple[str, str], list[Any]] = {}


@contextmanager
def _session(browser: Browser, base: str, user: str, password: str) -> Iterator[Page]:
    """A fresh browser context (no cache of its own) logged in as ``user``: by the login page the
    first time, then with that login's session cookie."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        saved = _LOGGED_IN.get((base, user))
        if saved:
            context.add_cookies(saved)
        else:
            started = time.perf_counter()
            print(f"  logging in as {user} (load average {_load()})", flush=True)
            # The first page a server draws imports the whole app, and argon2 checks the password in a
            # niced thread: on a loaded machine either may take minutes. The login is not timed: wait.
            page.set_default_timeout(LOGIN_TIMEOUT_S * 1000)
            live_portal.login(page, base, user, password, attempts=1, cookie_wait=LOGIN_TIMEOUT_S)
            page.set_default_timeout(TIMEOUT_MS)
            print(f"  {user} logged in after {time.perf_counter() - started:.1f} s", flush=True)
            _LOGGED_IN[(base, user)] = [c for c in context.cookies() if c["name"] == "portal_session"]
        yield page
    finally:
        context.close()


def _open(browser: Browser, base: str, login: tuple[str, str], title: str, path: str) -> float:
    """Milliseconds from `goto` to the page idle with its title, in a new session of ``login``."""
    with _session(browser, base, *login) as page:
        start = time.perf_counter()
        page.goto(f"{base}/{path}")
        _idle(page, title)
        return (time.perf_counter() - start) * 1000


def _post(browser: Browser, base: str, login: tuple[str, str]) -> tuple[float, str | None]:
    """(ms from the click on Post to what it shows, None when the confirmation shows, else what shows)."""
    with _session(browser, base, *login) as page:
        page.goto(f"{base}/daily_output")
        _idle(page, "Daily output")
        page.get_by_role("radio", name="Cards").or_(page.get_by_role("button", name="Cards")).first.click()
        good = page.get_by_role("spinbutton", name="Good units").first
        good.wait_for()
        # Streamlit reports idle until the new run starts: wait for the cards, then for the run's end,
        # or the value typed next may be replaced by that run's.
        page.locator(IDLE).wait_for()
        good.fill("1")
        good.press("Tab")
        post = page.get_by_role("button", name=re.compile(r"Post \d+ lines?$")).first
        post.wait_for()
        # The correction tick is drawn after the button in the same run: wait for the run to end.
        page.locator(IDLE).wait_for()
        # A line already on record (an earlier run) is a correction: tick it, as a person would.
        tick = page.get_by_role("checkbox", name=re.compile("^Correct"))
        if tick.count():
            tick.first.check(force=True)
            page.get_by_role("checkbox", name=re.compile("^Correct"), checked=True).first.wait_for()
            page.locator(IDLE).wait_for()
        start = time.perf_counter()
        post.click()
        outcome = (
            page.get_by_text(POSTED)
            .or_(page.locator("[data-testid='stAlertContentError']"))
            .or_(page.locator("[data-testid='stException']"))
            .first
        )
        outcome.wait_for()
        elapsed = (time.perf_counter() - start) * 1000
        text = outcome.inner_text()
        return elapsed, None if POSTED.search(text) else " ".join(text.split())[:300]


def _warm_up(browser: Browser, base: str, logins: dict[str, tuple[str, str]], pages: dict) -> None:
    """Open every page once (not timed): the server imports and compiles it."""
    for role, titles in pages.items():
        for title, path in titles.items():
            _open(browser, base, logins[role], title, path)


def measure_supplier(
    base: str, login: tuple[str, str], runs: int
) -> tuple[dict[str, list[float]], list[str]]:
    """Milliseconds per run: each supplier page's cold render, and a post's confirmation; and what
    the user saw instead of a confirmation, if anything."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {name: [] for name in [*SUPPLIER_PAGES, "post confirmation"]}
    refused: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        _warm_up(browser, base, {"supplier": login}, {"supplier": SUPPLIER_PAGES})
        for _ in range(runs):
            for title, path in SUPPLIER_PAGES.items():
                times[title].append(_open(browser, base, login, title, path))
            elapsed, shown = _post(browser, base, login)
            if shown is None:
                times["post confirmation"].append(elapsed)
            else:
                refused.append(f"after {elapsed:.0f} ms: {shown}")
        browser.close()
    return times, refused


def measure_staff(
    base: str, logins: dict[str, list[tuple[str, str]]], warm_up: dict[str, tuple[str, str]], runs: int
) -> dict[str, list[float]]:
    """Milliseconds per run: each staff page cold (a user with no cached reads) and warm (again)."""
    from playwright.sync_api import sync_playwright

    times: dict[str, list[float]] = {}
    for pages in STAFF_PAGES.values():
        for title in pages:
            times[f"{title}, cold"] = []
            times[f"{title}, warm"] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        _warm_up(browser, base, warm_up, STAFF_PAGES)
        for run in range(runs):
            for role, pages in STAFF_PAGES.items():
                login = logins[role][run % len(logins[role])]
                for title, path in pages.items():
                    times[f"{title}, cold"].append(_open(browser, base, login, title, path))
                    times[f"{title}, warm"].append(_open(browser, base, login, title, path))
        browser.close()
    return times


# --------------------------------------------------------------------------- a server of our own


def _portal(database_url: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        input=stdin,
        capture_output=True,
        text=True,
    )


def bench_users(database_url: str, runs: int) -> dict[str, list[tuple[str, str]]]:
    """One buyer and one manager per run (created when missing): each run's cold visit is that
    user's first, so the server has cached none of its reads."""
    out: dict[str, list[tuple[str, str]]] = {}
    for role in STAFF_PAGES:
        out[role] = []
        for run in range(1, runs + 1):
            name = f"bench-{role}-{run}"
            done = _portal(
                database_url, "user", "add", name, "--role", role, "--password-stdin", stdin=BENCH_PASSWORD
            )
            if done.returncode != 0 and "taken" not in done.stdout + done.stderr:
                raise SystemExit(f"could not create {name}: {done.stdout}{done.stderr}")
            out[role].append((name, BENCH_PASSWORD))
    return out


# --------------------------------------------------------------------------- the table


def _table(times: dict[str, list[float]], heading: str) -> None:
    print(f"{'measure':<34} {'p50 ms':>8} {'max ms':>8}   ({heading})")
    for name, values in times.items():
        if values:
            print(f"{name:<34} {statistics.median(values):>8.0f} {max(values):>8.0f}")
        else:
            print(f"{name:<34} {'—':>8} {'—':>8}")


def _login_arg(value: str) -> tuple[str, str]:
    user, sep, password = value.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError("USER:PASSWORD")
    return user, password


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="a running portal (default http://127.0.0.1:8501)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scale", choices=["S", "M", "L"], help="serve bench/data/scale-<S>.db")
    where.add_argument("--database", help="serve this database URL (with --url: the one behind it)")
    parser.add_argument("--port", type=int, default=0, help="port of the server started here (default: free)")
    parser.add_argument("--pages", choices=["supplier", "staff", "all"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--supplier", type=_login_arg, default=DEMO_LOGINS["supplier"], metavar="USER:PASSWORD"
    )
    parser.add_argument("--buyer", type=_login_arg, default=DEMO_LOGINS["buyer"], metavar="USER:PASSWORD")
    parser.add_argument("--manager", type=_login_arg, default=DEMO_LOGINS["manager"], metavar="USER:PASSWORD")
    args = parser.parse_args(argv)

    database = args.database
    if args.scale:
        path = DATA / f"scale-{args.scale}.db"
        if not path.exists():
            raise SystemExit(f"{path} is missing: build it with `python -m bench --scale {args.scale}`")
        database = f"sqlite:///{path}"
    chosen = args.pages or ("staff" if database else "supplier")
    staff = chosen in ("staff", "all")
    supplier = chosen in ("supplier", "all")
    warm_up = {"buyer": args.buyer, "manager": args.manager}
    staff_logins = {"buyer": [args.buyer], "manager": [args.manager]}
    if database and staff:
        staff_logins = bench_users(database, args.runs)

    @contextmanager
    def portal() -> Iterator[str]:
        if database and not args.url:
            port = args.port or free_port()
            log = DATA / f"browser-{port}.log" if DATA.exists() else None
            with serve(database, port, log) as base:
                yield base
        else:
            yield (args.url or "http://127.0.0.1:8501").rstrip("/")

    with portal() as base:
        where_label = f"scale {args.scale}" if args.scale else (database or base)
        if supplier:
            print(f"supplier pages, {where_label}, load average before: {_load()}", flush=True)
            times, refused = measure_supplier(base, args.supplier, args.runs)
            _table(times, f"runs: {args.runs}, user {args.supplier[0]}, load average after: {_load()}")
            for shown in refused:
                print(f"  a post showed no confirmation, {shown}")
        if staff:
            print(f"staff pages, {where_label}, load average before: {_load()}", flush=True)
            times = measure_staff(base, staff_logins, warm_up, args.runs)
            users = ", ".join(login[0] for logins in staff_logins.values() for login in logins)
            _table(times, f"runs: {args.runs}, users {users}, load average after: {_load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
