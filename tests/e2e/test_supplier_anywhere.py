"""In real headless Chromium: suppliers far away, on a phone, from a reminder's link.

The demo's second supplier user (Mei Chen, PEARL-CN) works in Asia/Shanghai: Daily output offers
its local date as today. Typed values survive a browser refresh (the server-side draft). At 400x800
with a phone's User-Agent the page shows one card per line and posts without sideways scrolling.
A posting link posts today's output without a password; a revoked or expired link is refused.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, select

from db.engine import open_database
from db.models import OutputDraft, PoLine, ProductionReport, Supplier, User
from portal.core.timezones import supplier_today
from portal.queries.lines import recent_working_days
from portal.services.access import Actor
from portal.services.posting_links import create_posting_link, open_posting_link, revoke_posting_link
from tests.e2e.conftest import ROOT, PortalServer, idle, login, screenshot, wait_until

pytestmark = pytest.mark.browser

SHANGHAI_USER, SHANGHAI_PASSWORD = "supplier2", "supplier2-demo-2"
USER, PASSWORD = "supplier", "supplier-demo-1"
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def open_page(page: Page, base_url: str, path: str, title: str) -> None:
    page.goto(f"{base_url}/{path}")
    page.get_by_role("heading", name=title).first.wait_for()
    idle(page)


def supplier_zone(database_url: str, code: str) -> str:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        zone = conn.execute(select(Supplier.timezone).where(Supplier.code == code)).scalar_one()
    engine.dispose()
    return str(zone)


def test_a_supplier_in_shanghai_sees_its_own_local_date_as_today(
    portal_server: PortalServer, page: Page
) -> None:
    assert supplier_zone(portal_server.database_url, "PEARL-CN") == "Asia/Shanghai"
    login(page, portal_server.base_url, SHANGHAI_USER, SHANGHAI_PASSWORD)
    before = supplier_today("Asia/Shanghai")
    open_page(page, portal_server.base_url, "daily_output", "Daily output")
    after = supplier_today("Asia/Shanghai")
    shown = page.get_by_role("combobox", name="Day").first.input_value()
    # The newest day offered is Shanghai's today whenever that is a working day (Monday to Saturday
    # at PEARL-CN), else its last working day; never a day after it. Before and after the page
    # opened, so a test run across Shanghai's midnight still passes.
    if before.weekday() < 6:
        assert shown in {f"{d:%a, %b} {d.day}, {d.year} (today)" for d in (before, after)}
    else:
        assert "(today)" not in shown


def card(page: Page, label: str) -> Locator:
    """The card of line ``label`` wherever it stands: the nearest block around its bold label that
    holds inputs. ``.first``: during a rerun the previous run's copy may still be on screen."""
    return page.locator(f"xpath=//strong[normalize-space(.)='{label}']/ancestor::div[.//input][1]").first


def good_units(page: Page, label: str) -> Locator:
    return card(page, label).get_by_role("spinbutton", name="Good units")


def show_cards(page: Page) -> None:
    """Switch Daily output to one card per line and wait for the cards' inputs.

    In a freshly loaded page the inputs' code is fetched on first use (Streamlit loads its widgets
    lazily): on a busy machine they come seconds after the cards' texts, so this waits as long as
    any action does. A click a rerun swallowed is made again; a selected toggle is never clicked
    (a second click would deselect it)."""
    toggle = page.get_by_role("radio", name="Cards").first
    for _attempt in range(3):
        if not toggle.is_checked():
            toggle.click()
        try:
            page.get_by_role("spinbutton", name="Good units").first.wait_for(timeout=20_000)
        except PlaywrightTimeout:
            continue
        idle(page)
        return
    raise AssertionError("the cards never showed their inputs")


def first_card(page: Page) -> str:
    """The label (PO/line) of the first card on the page."""
    good = page.get_by_role("spinbutton", name="Good units").first
    good.wait_for()
    idle(page)
    return good.locator("xpath=ancestor::div[.//strong][1]//strong").first.inner_text().strip()


def drafted(database_url: str, username: str, label: str) -> int | None:
    """The good units ``username``'s server-side draft holds for line ``label`` (None: nothing)."""
    po_number, line = label.rsplit("/", 1)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            line_id = conn.execute(
                select(PoLine.id).where(PoLine.po_number == po_number, PoLine.line == int(line))
            ).scalar_one()
            drafts = (
                conn.execute(
                    select(OutputDraft.values)
                    .join(User, User.id == OutputDraft.user_id)
                    .where(User.username == username)
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    typed = [(d or {}).get(str(line_id), {}).get("good_qty") for d in drafts]
    return next((int(v) for v in typed if v is not None), None)


def type_good_units(page: Page, database_url: str, label: str, value: int) -> None:
    """Type ``value`` as line ``label``'s good units until the server keeps it as USER's draft.

    Streamlit shows its idle state just before a run starts as well as after it ends: keys typed
    while a run redraws the cards can be lost, so a lost value is typed again (a rerun, tolerated).
    """
    for _attempt in range(3):
        good = good_units(page, label)
        good.fill(str(value))
        good.press("Tab")
        idle(page)
        try:
            wait_until(lambda: drafted(database_url, USER, label) == value, f"a draft holding {value}", 20)
            return
        except AssertionError:
            continue
    raise AssertionError(f"typing {value} for {label} was never kept as a draft")


def posted_today(database_url: str, label: str) -> int | None:
    """The good units of line ``label``'s newest current report (None: none)."""
    po_number, line = label.rsplit("/", 1)
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(
                select(ProductionReport.good_qty)
                .join(PoLine, PoLine.id == ProductionReport.po_line_id)
                .where(PoLine.po_number == po_number, PoLine.line == int(line), ProductionReport.is_current)
                .order_by(ProductionReport.id.desc())
                .limit(1)
            ).scalar()
    finally:
        engine.dispose()


def on_record(page: Page, label: str) -> bool:
    """Whether line ``label``'s card says it has output on record for the day (a post corrects it)."""
    caption = card(page, label).get_by_text(re.compile("On record:")).first
    return "On record: nothing yet" not in caption.inner_text()


def confirm_correction(page: Page) -> None:
    """Tick the box that confirms correcting a day on record, once the run that shows it is drawn,
    and see it ticked (the tick the post then sends)."""
    tick = page.get_by_role("checkbox", name=re.compile("^Correct")).first
    tick.check(force=True)  # the input sits under its styled box
    idle(page)
    expect(page.get_by_role("checkbox", name=re.compile("^Correct")).first).to_be_checked()


def test_typed_values_survive_a_browser_refresh(portal_server: PortalServer, page: Page) -> None:
    url = portal_server.database_url
    login(page, portal_server.base_url, USER, PASSWORD)
    open_page(page, portal_server.base_url, "daily_output", "Daily output")
    show_cards(page)
    label = first_card(page)
    # The draft is written by the run the typing starts: reload only once the server holds it.
    for _attempt in range(3):
        type_good_units(page, url, label, 4321)
        expect(page.get_by_role("button", name="Post 1 line").first).to_be_visible()
        idle(page)
        # A run still queued from before the typing may redraw the cards once more (a rerun,
        # tolerated): reload only once the draft still holds the value after the page went idle.
        if drafted(url, USER, label) == 4321:
            break
    else:
        raise AssertionError("the draft never kept 4321 once the page was idle")

    page.reload()
    page.get_by_role("heading", name="Daily output").first.wait_for()
    idle(page)
    show_cards(page)
    # The card of the line typed in, wherever it stands now, shows the value.
    expect(good_units(page, label)).to_have_value("4321", timeout=45_000)
    expect(page.get_by_role("button", name="Post 1 line").first).to_be_visible(timeout=45_000)


def test_on_a_phone_a_supplier_posts_a_days_output_without_sideways_scrolling(
    portal_server: PortalServer, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 400, "height": 800}, user_agent=PHONE_UA)
    page = context.new_page()
    page.set_default_timeout(45_000)
    try:
        login(page, portal_server.base_url, USER, PASSWORD)
        open_page(page, portal_server.base_url, "daily_output", "Daily output")
        # Cards by default on a phone: no wide grid.
        page.get_by_role("spinbutton", name="Good units").first.wait_for()
        idle(page)
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        label = first_card(page)
        type_good_units(page, portal_server.database_url, label, 7)
        # An earlier test's draft may hold another line too: the button counts what is typed.
        post = page.get_by_role("button", name=re.compile(r"^Post \d+ lines?$")).first
        post.wait_for()
        idle(page)
        # The README's phone view: the title, the day, the layout toggle and the first card as typed.
        for text in ("Daily output", "Good units"):
            expect(page.get_by_text(text).first).to_be_visible()
        expect(post).to_be_visible()
        expect(good_units(page, label)).to_have_value("7")
        page.screenshot(path=str(ROOT / "docs" / "img" / "supplier-phone.png"))
        if on_record(page, label):  # an earlier test may have posted this line today: a correction
            confirm_correction(page)
        post.scroll_into_view_if_needed()
        post.click()
        # "Posted 1 report for ..." or, a correction, "Posted 1 report, 1 of them a correction for ...".
        page.get_by_text(re.compile(r"Posted \d+ reports?(, \d+ of them .+)? for ")).first.wait_for()
        idle(page)
        assert posted_today(portal_server.database_url, label) == 7  # what was typed, not an older draft
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        screenshot(page, "supplier-phone-posted", shows=["Daily output", "Posted"])
    finally:
        context.close()


def _reports_by_link(database_url: str) -> int:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = len(
            conn.execute(
                select(ProductionReport.id).where(ProductionReport.created_by_name.like("%posting link #%"))
            ).all()
        )
    engine.dispose()
    return count


def test_a_posting_link_posts_without_a_password_and_a_revoked_or_expired_one_is_refused(
    portal_server: PortalServer, browser: Browser
) -> None:
    db = open_database(portal_server.database_url)
    with db.read() as session:
        acme = session.scalars(select(Supplier.id).where(Supplier.code == "ACME-DE")).one()
    admin = Actor.system("e2e")
    link_id, secret = create_posting_link(db, admin, int(acme))
    context = browser.new_context(viewport={"width": 400, "height": 800}, user_agent=PHONE_UA)
    page = context.new_page()
    page.set_default_timeout(45_000)
    try:
        before = _reports_by_link(portal_server.database_url)
        grant = open_posting_link(db, secret)
        day_off = recent_working_days(db, grant.actor, grant.today, count=1)[0] != grant.today
        open_page(page, portal_server.base_url, f"post_output?link={secret}", "Post today's output")
        assert page.get_by_role("button", name="Log out").count() == 0  # no login, no menu
        if day_off:  # ACME-DE's own date is a Saturday, a Sunday or a holiday: nothing to post today
            page.get_by_text("Today is not one of your working days").first.wait_for()
            assert page.get_by_role("spinbutton", name="Good units").count() == 0
        else:
            label = first_card(page)
            good_units(page, label).fill("5")
            good_units(page, label).press("Tab")
            post = page.get_by_role("button", name="Post 1 line").first
            post.wait_for()  # drawn by the run the typing started
            if on_record(page, label):  # the other tests post this supplier's lines: a correction
                confirm_correction(page)
            idle(page)
            post.click()
            page.get_by_text(re.compile(r"Posted 1 report for")).first.wait_for()
        assert page.evaluate(NO_SIDEWAYS_SCROLL)
        assert _reports_by_link(portal_server.database_url) == before + (0 if day_off else 1)

        revoke_posting_link(db, admin, link_id)
        open_page(page, portal_server.base_url, f"post_output?link={secret}", "Post today's output")
        page.get_by_text("revoked by an administrator").first.wait_for()
        assert page.get_by_role("spinbutton", name="Good units").count() == 0

        _old_id, old = create_posting_link(
            db, admin, int(acme), now=dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)
        )
        open_page(page, portal_server.base_url, f"post_output?link={old}", "Post today's output")
        page.get_by_text(re.compile("This posting link expired on")).first.wait_for()

        open_page(page, portal_server.base_url, f"post_output?link={secret[:-2]}xx", "Post today's output")
        page.get_by_text("This posting link is not valid").first.wait_for()
        assert _reports_by_link(portal_server.database_url) == before + (0 if day_off else 1)
    finally:
        context.close()
