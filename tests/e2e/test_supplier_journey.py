"""In real headless Chromium: the demo supplier's day, and two people editing one schedule.

The journey: find a line still to post today, revise its schedule with a reason, post its output
in the grid, and see the forecast and the burn-up change. Then a second browser context saves the
same schedule first, and the first one gets the conflict message, keeps its input, and saves
after a reload. Each supplier page is photographed at 1280x800 under screenshots/.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, FloatRect, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Executable, create_engine, func, select

from db.models import LineForecast, PoLine, ProductionReport, ProductionSchedule
from tests.e2e.conftest import PortalServer, go, grid_texts, idle, login, next_frame, screenshot, wait_until

pytestmark = pytest.mark.browser

USER, PASSWORD = "supplier", "supplier-demo-1"
DEMO_NAME = "Jonas Weber (ACME-DE)"
#: The daily grid's columns and their configured widths (daily_output.py): where to double-click.
GRID_COLUMNS = {
    "line": 95,
    "item": 130,
    "plan": 65,
    "on_record": 75,
    "rejected_on_record": 75,
    "good_qty": 85,
    "rejected_qty": 75,
    "note": 120,
    "remaining": 80,
}
ROW_HEIGHT = 35


def db_value(database_url: str, stmt: Executable) -> Any:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        value = conn.execute(stmt).scalar()
    engine.dispose()
    return value


def line_id_of(database_url: str, label: str) -> int:
    po_number, line = label.rsplit("/", 1)
    return int(
        db_value(
            database_url, select(PoLine.id).where(PoLine.po_number == po_number, PoLine.line == int(line))
        )
    )


def pick_line(page: Page, label: str) -> None:
    """Choose a line in the page's line picker by typing its label."""
    box = page.get_by_role("combobox", name="Line", exact=True).first
    box.click()
    page.keyboard.type(label)
    page.keyboard.press("Enter")
    shown = (
        "[...document.querySelectorAll('input[aria-label=\"Line\"]')].some(e => e.value.startsWith(label))"
    )
    page.wait_for_function(f"label => {shown}", arg=label)
    idle(page)  # the rerun for the chosen line fills the form: until it ends the fields may be empty
    # The form of the line shown before may still be on screen beside the chosen line's for a moment
    # (its widgets have other keys): typing then goes to either. Wait until only one form is left.
    starts = page.locator("[data-testid='stDateInput']").filter(has_text="Start date")
    wait_until(lambda: starts.count() <= 1, "down to one schedule form")


def date_field(page: Page, label: str) -> Locator:
    return page.locator("[data-testid='stDateInput']").filter(has_text=label).locator("input")


def fact(page: Page, label: str) -> Locator:
    """The value under a label in the line summary (e.g. 'Produced' -> '2,463 of 4,500'), as a locator."""
    cell = page.locator("[data-testid='stColumn']").filter(has=page.get_by_text(label, exact=True)).last
    return cell.locator("strong")


def produced(page: Page) -> int:
    return int(fact(page, "Produced").inner_text().split(" of ")[0].replace(",", ""))


def chart_image(page: Page) -> bytes:
    idle(page)
    chart = page.locator("[data-testid='stVegaLiteChart']").last
    chart.scroll_into_view_if_needed()
    return chart.screenshot()


def grid_rows(page: Page) -> list[list[str]]:
    """The daily grid's rows as cell texts (the grid is the data editor in the first tab)."""
    cells = grid_texts_of(page)
    width = len(GRID_COLUMNS)
    return [cells[i : i + width] for i in range(0, len(cells), width)]


def grid_texts_of(page: Page) -> list[str]:
    editor = page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").first
    editor.locator("table[role='grid']").wait_for(state="attached")
    return [t.strip() for t in editor.locator("table[role='grid'] td").all_text_contents()]


SELECTED_CELL_JS = """() => {
    const cells = document.querySelectorAll("[role='tabpanel'] table[role='grid'] td[aria-selected='true']");
    if (cells.length !== 1) return null;
    return [Number(cells[0].parentElement.getAttribute('aria-rowindex')) - 2,
            Number(cells[0].getAttribute('aria-colindex')) - 1];
}"""


def move_selection(page: Page, target: tuple[int, int]) -> None:
    """Move the grid's selected cell to ``target`` (row, column from 0) one arrow key at a time.

    Where the selection is comes from the grid's accessible table, which follows the canvas a
    moment later: after each key, wait until it shows the selection moved before pressing the
    next one. A key lost while the grid redraws (nothing moves within 3 s) is pressed again.
    """
    page.wait_for_function(f"() => ({SELECTED_CELL_JS})() !== null", timeout=5_000)
    at = tuple(page.evaluate(SELECTED_CELL_JS))
    for _ in range(30):
        if at == target:
            return
        if at[0] != target[0]:
            page.keyboard.press("ArrowDown" if target[0] > at[0] else "ArrowUp")
        else:
            page.keyboard.press("ArrowRight" if target[1] > at[1] else "ArrowLeft")
        try:
            page.wait_for_function(
                f"was => {{ const now = ({SELECTED_CELL_JS})();"
                " return now !== null && (now[0] !== was[0] || now[1] !== was[1]); }",
                arg=list(at),
                timeout=3_000,
            )
        except PlaywrightTimeout:
            continue  # the key was lost: press it again
        at = tuple(page.evaluate(SELECTED_CELL_JS))
    raise PlaywrightTimeout(f"the selection did not reach the cell {target}")


def type_in_grid(page: Page, row: int, column: str, value: str, *, then: str) -> None:
    """Type ``value`` into a cell of the data editor (drawn on a canvas) as a user at the keyboard
    does: click a cell, move with the arrow keys to the wanted one (checked in the grid's accessible
    table, so a rerun that shifted the grid cannot send the value elsewhere), type, press Enter,
    and wait for the button named ``then``. A keystroke lost to a redraw is tried again."""
    editor = page.get_by_role("tabpanel").locator("[data-testid='stDataFrame']").first
    target = (row, list(GRID_COLUMNS).index(column))
    done = page.get_by_role("button", name=then).first
    attempts = 8
    for attempt in range(attempts):
        idle(page)
        if done.is_visible():  # a slow rerun may have shown the previous attempt's edit meanwhile
            return
        editor.scroll_into_view_if_needed()
        box = steady_box(page, editor)
        try:
            # Any cell of the first, read-only column: selecting it edits nothing.
            page.mouse.click(box["x"] + 20, box["y"] + ROW_HEIGHT * 1.5)
            move_selection(page, target)
            # The first key opens the cell's editor (an input over the canvas) holding that key.
            page.keyboard.type(value[0])
            page.wait_for_function(
                "['INPUT', 'TEXTAREA'].includes(document.activeElement?.tagName)", timeout=5_000
            )
            page.keyboard.type(value[1:])
            # Enter commits what the editor holds: only once it holds every character typed.
            page.wait_for_function("v => document.activeElement?.value === v", arg=value, timeout=5_000)
            # The input shows the text before the grid's own state has it: in a starved browser an
            # Enter pressed at once commits the old, empty value and nothing is sent. Once the
            # browser has drawn the typed value, the grid's state holds it.
            next_frame(page)
            page.keyboard.press("Enter")
            # An edit typed while the grid was being redrawn is dropped: then the button never comes.
            done.wait_for(timeout=15_000)
            return
        except PlaywrightTimeout:
            # What the grid showed, for whoever debugs (nothing to assert: the attempt failed).
            screenshot(page, f"supplier-grid-attempt-{attempt}", shows=())
            page.keyboard.press("Escape")
            if attempt == attempts - 1:
                raise


def steady_box(page: Page, locator: Locator) -> FloatRect:
    """The element's box once it stops moving (a scroll or a rerun may still be laying the page out)."""
    previous = None
    for _ in range(50):
        box = locator.bounding_box()
        if box is not None and box == previous:
            return box
        previous = box
        page.wait_for_timeout(100)  # a poll interval: the box must hold still this long
    raise AssertionError("the element kept moving")


def test_a_supplier_revises_a_schedule_posts_output_and_sees_the_forecast_change(
    portal_server: PortalServer, browser: Browser
) -> None:
    url = portal_server.database_url
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(45_000)
    login(page, portal_server.base_url, USER, PASSWORD)
    page.get_by_role("heading", name="My lines").first.wait_for()
    page.get_by_text("Post today's output").first.wait_for()
    page.locator("[data-testid='stDataFrame'] table[role='grid'] td").first.wait_for(state="attached")
    screenshot(page, "supplier-workspace-my-lines", shows=["My lines", "Post today's output", "Log out"])

    # The grid keeps one order (earliest need-by first): take its first line still to post today.
    go(page, "Daily output")
    rows = grid_rows(page)
    still_to_post = [i for i, row in enumerate(rows) if row[3] == ""]
    assert still_to_post, "every line of the demo supplier is on record today: nothing to post"
    row = still_to_post[0]
    label = rows[row][0]
    line_id = line_id_of(url, label)

    # Revise its schedule: the end date two weeks later, with the reason.
    go(page, "Schedules")
    pick_line(page, label)
    # The line's end date on record, and its form showing it: the form of the line shown before can
    # linger alone for a moment after the pick, and a date read from it was another line's (typed
    # there, the revision moved that line's end, or this line's by the wrong days).
    end = db_value(
        url,
        select(ProductionSchedule.estimated_end_date)
        .where(ProductionSchedule.po_line_id == line_id)
        .order_by(ProductionSchedule.revision.desc())
        .limit(1),
    )
    ends = date_field(page, "Estimated end date")
    wait_until(
        lambda: ends.evaluate_all("es => es.map(e => e.value)") == [end.isoformat()], "this line's form"
    )
    revisions_before = db_value(
        url, select(func.count(ProductionSchedule.id)).where(ProductionSchedule.po_line_id == line_id)
    )
    date_field(page, "Estimated end date").fill((end + dt.timedelta(days=14)).isoformat())
    date_field(page, "Estimated end date").press("Enter")
    page.get_by_text("Reason (required when the end date moves later)").first.wait_for()
    idle(page)  # the rerun that shows the reason field may still be drawing a second copy of it
    page.get_by_role("textbox", name="Reason").first.fill("Dye lot rejected by quality control")
    page.get_by_role("textbox", name="Reason").first.press("Enter")
    page.get_by_role("button", name="Save revision").first.click()
    page.get_by_text(f"Revision {revisions_before + 1} of the schedule of {label} saved").first.wait_for()
    history = page.locator("[data-testid='stDataFrame']").first
    history.locator("td", has_text="Dye lot rejected by quality control").wait_for(state="attached")
    later = end + dt.timedelta(days=14)
    shown_end = f"{later:%b} {later.day}, {later.year}"  # English dates as the page writes them
    expect(fact(page, "My end date")).to_have_text(shown_end)
    screenshot(
        page,
        "supplier-workspace-schedule",
        shows=[f"of the schedule of {label} saved", "My end date", shown_end],
    )

    # Post its output of the day in the grid; the chart below shows the same line.
    go(page, "Daily output")
    page.get_by_text("Forecast and burn-up").first.wait_for()
    assert grid_rows(page)[row][0] == label
    # Typing reruns only the grid's fragment: the summary and chart below still show the line as before.
    type_in_grid(page, row, "good_qty", "123", then="Post 1 line")
    produced_before = produced(page)
    chart_before = chart_image(page)
    page.get_by_role("button", name="Post 1 line").first.click()
    page.get_by_text("Posted 1 report for", exact=False).first.wait_for()
    idle(page)

    changes = grid_texts(page, 0)
    assert changes[0] == label and len(changes) == 5  # line, arrival p50 before and now, produced, remaining
    # Elements of the previous run stay on screen until the new run replaces them: wait for the change.
    expect(fact(page, "Produced")).not_to_have_text(re.compile(rf"^{produced_before:,} of "), timeout=45_000)
    produced_after = produced(page)
    assert produced_after > produced_before
    stored = db_value(url, select(LineForecast.produced).where(LineForecast.po_line_id == line_id))
    assert stored == produced_after
    posted = db_value(
        url,
        select(ProductionReport.good_qty).where(
            ProductionReport.po_line_id == line_id,
            ProductionReport.is_current,
            ProductionReport.good_qty == 123,
        ),
    )
    assert posted == 123
    assert chart_image(page) != chart_before
    page.mouse.move(340, 400)
    page.mouse.wheel(0, -2000)
    screenshot(
        page, "supplier-workspace-daily-output", shows=["Daily output", "Forecast and burn-up", "Produced"]
    )
    context.close()


def test_a_second_editor_saving_first_gets_the_first_a_conflict_and_nothing_is_lost(
    portal_server: PortalServer, browser: Browser
) -> None:
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(2)]
    first, second = (c.new_page() for c in contexts)
    for page in (first, second):
        page.set_default_timeout(45_000)
        login(page, portal_server.base_url, USER, PASSWORD)
        go(page, "Schedules")
    label = first.get_by_role("combobox", name="Line", exact=True).first.input_value().split(" · ")[0]
    pick_line(second, label)

    # The second person saves first: a higher planned daily output.
    output = second.get_by_role("spinbutton", name="Planned daily output (good units)").first
    expect(output).not_to_have_value("")
    output.fill(str(int(output.input_value()) + 5))
    output.press("Enter")
    second.get_by_role("button", name="Save revision").first.click()
    second.get_by_text("of the schedule of").first.wait_for()

    # The first, still on the revision it opened, moves the end date one day earlier and saves.
    end = dt.date.fromisoformat(date_field(first, "Estimated end date").input_value())
    mine = (end - dt.timedelta(days=1)).isoformat()
    date_field(first, "Estimated end date").fill(mine)
    date_field(first, "Estimated end date").press("Enter")
    first.get_by_role("button", name="Save revision").first.click()
    message = first.get_by_text(f"was changed by {DEMO_NAME} at").first
    message.wait_for()
    assert "reload it, then save again" in message.inner_text()
    assert date_field(first, "Estimated end date").input_value() == mine
    screenshot(
        first,
        "supplier-workspace-schedule-conflict",
        shows=[f"was changed by {DEMO_NAME} at", "reload it, then save again", "Reload the latest schedule"],
    )

    first.get_by_role("button", name="Reload the latest schedule").first.click()
    first.get_by_role("button", name="Save revision").first.wait_for()
    assert date_field(first, "Estimated end date").input_value() == mine
    first.get_by_role("button", name="Save revision").first.click()
    first.get_by_text(f"of the schedule of {label} saved").first.wait_for()
    for context in contexts:
        context.close()


def test_the_alerts_page_shows_the_thread_and_sends_a_reply(portal_server: PortalServer, page: Page) -> None:
    login(page, portal_server.base_url, USER, PASSWORD)
    go(page, "Alerts and messages")
    page.get_by_text(re.compile(r"alerts? on \d+ lines?")).first.wait_for()
    page.get_by_role("textbox", name="Your reply").first.fill(
        "Second shift from Monday: back on plan by Friday."
    )
    page.get_by_role("button", name="Send reply").first.click()
    page.get_by_text("Second shift from Monday: back on plan by Friday.").first.wait_for()
    screenshot(
        page,
        "supplier-workspace-alerts",
        shows=["Alerts and messages", "Second shift from Monday: back on plan by Friday."],
    )


def test_the_alerts_table_fits_a_1280_px_window_without_a_sideways_scroll(
    portal_server: PortalServer, page: Page
) -> None:
    login(page, portal_server.base_url, USER, PASSWORD)
    go(page, "Alerts and messages")
    page.get_by_text(re.compile(r"alerts? on \d+ lines?")).first.wait_for()
    idle(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.locator("table[role='grid']").wait_for(state="attached")
    # The grid scrolls sideways when its columns are wider than it: every column, "Status" the last,
    # must be in view without that scroll.
    scroller = grid.locator(".dvn-scroller").first
    scroll_width, client_width = scroller.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll_width <= client_width, f"the columns are {scroll_width} px wide in {client_width} px"
    headers = [h.strip() for h in grid.locator("table[role='grid'] th").all_text_contents()]
    assert headers[-1] == "Status" and "Also" in headers and "Details" not in headers
    # The alert's own text is in the selected line's detail below the table.
    expect(page.locator("[data-testid='stText']").first).to_be_visible()
