"""AppTest of the supplier workspace: my lines, schedules, daily output and alerts, as ACME's planner.

The pages work on the real "today": the days offered for posting are the supplier's last working
days up to today, so the tests post for the first of them, whatever the date the suite runs on.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest
import streamlit as st
import time_machine
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from db.engine import Database
from db.models import AlertComment, PoLine, ProductionSchedule
from portal.core.domain import LineStatus
from portal.queries.lines import my_today, recent_working_days
from portal.services.access import Actor
from portal.services.drafts import output_draft
from portal.services.planning import sweep
from portal.services.production import post_report
from portal.services.settings import update_settings
from tests.apptest import app_as, shown, texts
from tests.builders import TODAY, SmallWorld, load, revise
from tests.integration.db_state import reports_of

PAGES = "portal/ui/views/supplier"


def open_page(monkeypatch: pytest.MonkeyPatch, url: str, world: SmallWorld, name: str) -> AppTest:
    at = app_as(monkeypatch, url, world.acme_user, page=f"{PAGES}/{name}.py")
    assert not at.exception, [e.message for e in at.exception]
    return at


def last_working_day(db: Database, world: SmallWorld) -> dt.date:
    """ACME's last working day up to its own today: ACME sits in Berlin, so from 23:00 UTC (22:00 in
    summer) its today is the server's tomorrow, and the page offers that day."""
    return recent_working_days(db, world.acme_user, my_today(db, world.acme_user), count=1)[0]


def grid_over_a_posted_day(
    monkeypatch: pytest.MonkeyPatch, url: str, db: Database, world: SmallWorld, *, rejected: int = 0
) -> AppTest:
    """Daily output's grid on the last working day, when PO-1/1 already has 100 good units (and
    ``rejected``) on record that day."""
    day = last_working_day(db, world)
    post_report(
        db, world.acme_user, world.line_ids["PO-1/1"], report_date=day, good_qty=100, rejected_qty=rejected
    )
    return open_page(monkeypatch, url, world, "daily_output")


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with ``column`` (plain st.dataframe tables carry no key)."""
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column} column")


def revisions(db: Database, line_id: int) -> list[int]:
    with db.read() as session:
        return list(
            session.scalars(
                select(ProductionSchedule.revision)
                .where(ProductionSchedule.po_line_id == line_id)
                .order_by(ProductionSchedule.revision)
            )
        )


# --------------------------------------------------------------------------- my lines


def test_my_lines_shows_my_estimate_beside_the_forecast_and_the_alerts(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world, "my_lines")
    table = at.dataframe[0].value.set_index("line")
    assert sorted(table.index) == ["PO-1/1", "PO-1/2"]
    assert str(table.loc["PO-1/1", "estimated_end_date"].date()) == "2026-03-13"
    assert str(table.loc["PO-1/1", "arrival_p50"].date()) == "2026-03-16"
    assert {"arrival_p90", "late", "open_alerts"} <= set(table.columns)
    assert table.loc["PO-1/1", "late"] == "4 days early"


def test_my_lines_filters_by_item(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world, "my_lines")
    with sqlite_db.read() as session:
        steel_bolt = session.scalar(select(PoLine.item_id).where(PoLine.id == world.line_ids["PO-1/2"]))
    at.multiselect(key="my_lines.items").select(steel_bolt).run()
    assert list(at.dataframe[0].value["line"]) == ["PO-1/2"]


def test_my_lines_reminds_me_of_lines_with_no_update_for_three_working_days(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    sweep(sqlite_db, world.buyer, as_of=TODAY + dt.timedelta(days=6))  # Thursday 12 March: 4 days quiet
    at = open_page(monkeypatch, sqlite_url, world, "my_lines")
    [banner] = [shown(w.value) for w in at.warning]
    assert "1 line has had no output posted for 3 working days or more" in banner
    assert "PO-1/1" in banner


def test_selecting_a_line_takes_me_to_its_schedule(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world, "my_lines")
    assert "Select a line (tick its box) to revise its schedule or post its output." in texts(at)
    table = at.dataframe[0].value
    row = list(table["line"]).index("PO-1/2")
    # The table is keyed by the lines it shows, so a selection never lands on another row.
    at.session_state[f"my_lines.table.{hash(tuple(table['line_id']))}"] = {
        "selection": {"rows": [row], "columns": []}
    }
    at.run()
    at.button(key="my_lines.to_schedule").click().run()
    assert at.title[0].value == "Schedules"
    assert at.selectbox(key="schedule.line").value == world.line_ids["PO-1/2"]


# --------------------------------------------------------------------------- schedules


def schedule_page(monkeypatch: pytest.MonkeyPatch, url: str, world: SmallWorld, line: str) -> AppTest:
    at = open_page(monkeypatch, url, world, "schedule")
    at.selectbox(key="schedule.line").select(world.line_ids[line]).run()
    return at


def test_the_schedule_page_saves_a_revision_with_its_reason_and_lists_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    at = schedule_page(monkeypatch, sqlite_url, world, "PO-1/1")
    assert at.date_input(key=f"schedule.end.{line}").value == dt.date(2026, 3, 13)
    at.date_input(key=f"schedule.end.{line}").set_value(dt.date(2026, 3, 20))
    at.text_input(key=f"schedule.reason.{line}").input("Resin arrived late")
    at.button(key=f"schedule.save.{line}").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "Revision 2 of the schedule of PO-1/1 saved" in texts(at)
    assert revisions(sqlite_db, line) == [1, 2]
    history = at.dataframe[0].value
    assert list(history["end_change"]) == ["2026-03-13 → 2026-03-20", "2026-03-13"]
    assert history["reason"].iloc[0] == "Resin arrived late"
    # In German the old and new end dates read as the table's date columns do.
    german = app_as(
        monkeypatch, sqlite_url, replace(world.acme_user, language="de"), page=f"{PAGES}/schedule.py"
    )
    german.selectbox(key="schedule.line").select(line).run()
    assert list(german.dataframe[0].value["end_change"]) == ["13.03.2026 → 20.03.2026", "13.03.2026"]


def test_the_burnups_date_labels_read_away_from_the_nearer_edge(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = schedule_page(monkeypatch, sqlite_url, world, "PO-1/1")
    [chart] = at.get("vega_lite_chart")
    layers = json.loads(chart.proto.spec)["layer"]
    days = sorted(str(v["date"])[:10] for layer in layers for v in layer["data"]["values"] if v.get("date"))
    middle = pd.Timestamp(days[0]) + (pd.Timestamp(days[-1]) - pd.Timestamp(days[0])) / 2
    labels = [layer for layer in layers if layer["mark"]["type"] == "text"]
    assert labels, "the need-by date and the supplier's estimate are labelled"
    for label in labels:
        [marker] = label["data"]["values"]
        right_half = pd.Timestamp(marker["date"]) > middle
        # In the right half a label ends at its line (a phone's chart would cut it off on the right).
        assert (label["mark"]["align"], label["mark"]["dx"] < 0) == (
            ("right", True) if right_half else ("left", False)
        ), marker["label"]
    assert any(pd.Timestamp(layer["data"]["values"][0]["date"]) > middle for layer in labels)


def test_a_later_end_date_without_a_reason_is_refused_on_the_page(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    at = schedule_page(monkeypatch, sqlite_url, world, "PO-1/1")
    at.date_input(key=f"schedule.end.{line}").set_value(dt.date(2026, 3, 20))
    at.run()
    assert "Reason (required: the end date moves later than Mar 13, 2026)" in [t.label for t in at.text_input]
    at.button(key=f"schedule.save.{line}").click().run()
    assert any("Reason is required" in e.value for e in at.error)
    assert revisions(sqlite_db, line) == [1]


def test_the_schedule_form_names_fields_in_words_without_the_file_checker(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    """The form builds a ScheduleRevision: no text cells, no check_rows, and 'Estimated end date' in words."""
    from portal.core import fileformats

    def no_file_checker(*args: object, **kwargs: object) -> None:
        raise AssertionError("the schedule form went through the file checker")

    monkeypatch.setattr(fileformats, "check_rows", no_file_checker)
    line = world.line_ids["PO-1/1"]
    at = schedule_page(monkeypatch, sqlite_url, world, "PO-1/1")
    at.date_input(key=f"schedule.end.{line}").set_value(dt.date(2026, 2, 27))
    at.button(key=f"schedule.save.{line}").click().run()
    # The page escapes Markdown in messages: compare the text without its backslashes.
    shown = [e.value.replace("\\", "") for e in at.error]
    assert shown == ["Estimated end date (2026-02-27) is before the start date."]
    assert revisions(sqlite_db, line) == [1]


def test_a_conflicting_save_names_who_keeps_my_input_and_saves_after_a_reload(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    at = schedule_page(monkeypatch, sqlite_url, world, "PO-1/1")
    # Meanwhile, the buyer saves revision 2.
    revise(sqlite_db, world.buyer, line, end=dt.date(2026, 3, 12))
    at.date_input(key=f"schedule.end.{line}").set_value(dt.date(2026, 3, 11))
    at.button(key=f"schedule.save.{line}").click().run()
    [error] = [e.value for e in at.error]
    assert "changed by buyer at" in error and "reload" in error
    assert (
        "Saved now: start Mar 2, 2026, 100 a day, end Mar 12, 2026. "
        "Your input: start Mar 2, 2026, 100 a day, end Mar 11, 2026."
    ) in texts(at)
    assert at.date_input(key=f"schedule.end.{line}").value == dt.date(2026, 3, 11)
    assert revisions(sqlite_db, line) == [1, 2]
    at.button(key=f"schedule.reload.{line}").click().run()
    assert at.date_input(key=f"schedule.end.{line}").value == dt.date(2026, 3, 11)
    assert at.button(key=f"schedule.save.{line}").label == "Save revision 3"
    at.button(key=f"schedule.save.{line}").click().run()
    assert not at.error, [e.value for e in at.error]
    assert revisions(sqlite_db, line) == [1, 2, 3]


def test_the_schedule_form_shows_the_implied_end_date_as_i_type(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/2"]
    at = schedule_page(monkeypatch, sqlite_url, world, "PO-1/2")
    assert "Post the first schedule" in texts(at)
    at.number_input(key=f"schedule.output.{line}").set_value(300).run()
    start = at.date_input(key=f"schedule.start.{line}").value
    assert isinstance(start, dt.date)
    # 300 units at 300 a day: one working day, the start day itself.
    assert f"Implied end date {start:%b} {start.day}, {start.year}" in texts(at)
    at.button(key=f"schedule.use_implied.{line}").click().run()
    assert at.date_input(key=f"schedule.end.{line}").value == start


def test_the_schedule_warning_reads_as_words_with_dates_as_elsewhere(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/2"]
    at = schedule_page(monkeypatch, sqlite_url, world, "PO-1/2")
    start = at.date_input(key=f"schedule.start.{line}").value
    assert isinstance(start, dt.date)
    # 300 units at 100 a day take three working days: an end on the start day is too early.
    at.number_input(key=f"schedule.output.{line}").set_value(100).run()
    at.date_input(key=f"schedule.end.{line}").set_value(start).run()
    [warning] = [w.value for w in at.warning]
    day = f"{start:%b} {start.day}, {start.year}"
    assert warning.startswith(f"Your estimated end date {day} is too early for this plan: implied end date ")
    assert f"300 units at 100 a day take 3 working days from {day} on your working days" in warning
    assert "(s)" not in warning and start.isoformat() not in warning


# --------------------------------------------------------------------------- daily output


def edit_grid(at: AppTest, rows: dict[int, dict[str, object]]) -> None:
    """Type into the grid as a browser would: the data editor's edit state, before the next run."""
    at.session_state["daily_output.grid.0"] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}


def test_the_grid_lists_my_lines_in_production_and_posts_what_i_type(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    day = last_working_day(sqlite_db, world)
    at = open_page(monkeypatch, sqlite_url, world, "daily_output")
    grid = at.data_editor[0].value
    assert list(grid["line"]) == ["PO-1/1"]
    edit_grid(at, {0: {"good_qty": 120, "rejected_qty": 3}})
    at.run()
    assert at.button(key="daily_output.post").label == "Post 1 line"
    at.button(key="daily_output.post").click().run()
    assert not at.error, [e.value for e in at.error]
    assert reports_of(sqlite_db, world.line_ids["PO-1/1"], day) == [(1, 120, True)]
    assert f"Posted 1 report for {day:%a, %b} {day.day}, {day.year}." in texts(at)
    changes = table_with(at, "arrival_p50_before")
    assert list(changes["line"]) == ["PO-1/1"] and changes["produced"].iloc[0] == 620


@pytest.mark.parametrize(
    ("utc", "berlin_day"),
    [
        (dt.datetime(2026, 12, 2, 23, 30, tzinfo=dt.UTC), dt.date(2026, 12, 3)),  # Thursday 00:30 in Berlin
        (dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC), dt.date(2026, 12, 3)),
    ],
    ids=["late evening UTC", "midday UTC"],
)
def test_the_grid_posts_for_the_suppliers_own_date_whatever_the_servers_date(
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    sqlite_db: Database,
    world: SmallWorld,
    utc: dt.datetime,
    berlin_day: dt.date,
) -> None:
    """At 23:30 UTC the server is still on Wednesday; ACME (Berlin) is on Thursday: its post lands there."""
    with time_machine.travel(utc, tick=True):
        at = open_page(monkeypatch, sqlite_url, world, "daily_output")
        edit_grid(at, {0: {"good_qty": 21}})
        at.run()
        at.button(key="daily_output.post").click().run()
    assert not at.error, [e.value for e in at.error]
    assert reports_of(sqlite_db, world.line_ids["PO-1/1"], berlin_day) == [(1, 21, True)]
    assert reports_of(sqlite_db, world.line_ids["PO-1/1"], berlin_day - dt.timedelta(days=1)) == []


def test_the_server_checks_every_grid_row_again_and_shows_the_problem_per_line(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    day = last_working_day(sqlite_db, world)
    at = open_page(monkeypatch, sqlite_url, world, "daily_output")
    edit_grid(at, {0: {"good_qty": -5}})
    at.run()
    at.button(key="daily_output.post").click().run()
    assert "Nothing was posted: 1 line needs a fix." in [e.value for e in at.error]
    problems = table_with(at, "check")
    assert list(zip(problems["line"], problems["check"], strict=True)) == [
        ("PO-1/1", "Good quantity (-5) must be a whole number >= 0.")
    ]
    assert reports_of(sqlite_db, world.line_ids["PO-1/1"], day) == []


def test_correcting_a_day_on_record_in_the_grid_needs_a_tick_and_keeps_the_old_value(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line, day = world.line_ids["PO-1/1"], last_working_day(sqlite_db, world)
    at = grid_over_a_posted_day(monkeypatch, sqlite_url, sqlite_db, world)
    assert at.data_editor[0].value["on_record"].iloc[0] == 100
    edit_grid(at, {0: {"good_qty": 90}})
    at.run()
    at.button(key="daily_output.post").click().run()
    assert any(
        "PO-1/1 is already on record for this day. Tick the box above to correct it" in shown(e.value)
        for e in at.error
    ), [e.value for e in at.error]
    assert reports_of(sqlite_db, line, day) == [(1, 100, True)]
    at.checkbox(key="daily_output.confirm.0").check().run()
    at.button(key="daily_output.post").click().run()
    assert not at.error, [e.value for e in at.error]
    assert reports_of(sqlite_db, line, day) == [(1, 100, False), (2, 90, True)]


def test_typed_but_unposted_values_come_back_in_a_new_session_and_go_once_posted(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    day = last_working_day(sqlite_db, world)
    at = open_page(monkeypatch, sqlite_url, world, "daily_output")
    edit_grid(at, {0: {"good_qty": 77, "note": "night shift"}})
    at.run()
    assert output_draft(sqlite_db, world.acme_user, day) == {
        world.line_ids["PO-1/1"]: {"good_qty": 77, "note": "night shift"}
    }

    # A refresh, another page and back, or a new login: a new session finds the typed values.
    again = open_page(monkeypatch, sqlite_url, world, "daily_output")
    grid = again.data_editor[0].value
    assert (grid["good_qty"].iloc[0], grid["note"].iloc[0]) == (77, "night shift")
    assert again.button(key="daily_output.post").label == "Post 1 line"
    again.button(key="daily_output.post").click().run()
    assert not again.error, [e.value for e in again.error]
    assert reports_of(sqlite_db, world.line_ids["PO-1/1"], day) == [(1, 77, True)]
    assert output_draft(sqlite_db, world.acme_user, day) == {}


def test_typing_what_is_on_record_is_no_correction_and_rejected_units_on_record_show(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = grid_over_a_posted_day(monkeypatch, sqlite_url, sqlite_db, world, rejected=4)
    grid = at.data_editor[0].value
    assert (grid["on_record"].iloc[0], grid["rejected_on_record"].iloc[0]) == (100, 4)
    edit_grid(at, {0: {"good_qty": 100, "rejected_qty": 4}})
    at.run()
    assert at.button(key="daily_output.post").disabled
    assert not [c for c in at.checkbox if c.key and c.key.startswith("daily_output.confirm")]


def test_the_correction_tick_appears_below_the_grid_so_the_rows_do_not_move(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = grid_over_a_posted_day(monkeypatch, sqlite_url, sqlite_db, world)
    edit_grid(at, {0: {"good_qty": 90}})
    at.run()
    flat = _walk(at.main)
    grid_at = next(i for i, e in enumerate(flat) if e is at.data_editor[0] or e == at.data_editor[0])
    tick_at = next(i for i, e in enumerate(flat) if getattr(e, "key", None) == "daily_output.confirm.0")
    assert grid_at < tick_at


def test_on_the_cards_the_correction_box_comes_before_the_post_button(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    day = last_working_day(sqlite_db, world)
    post_report(sqlite_db, world.acme_user, line, report_date=day, good_qty=100, rejected_qty=0)
    at = cards_page(monkeypatch, sqlite_url, world)
    at.number_input(key=f"daily_output.cards.0.good.{line}").set_value(90).run()
    flat = _walk(at.main)
    tick_at = next(i for i, e in enumerate(flat) if getattr(e, "key", None) == "daily_output.confirm.0")
    post_at = next(i for i, e in enumerate(flat) if getattr(e, "key", None) == "daily_output.post")
    # On a phone the box was under the button: pressed first, then told to tick "the box above".
    assert tick_at < post_at
    at.checkbox(key="daily_output.confirm.0").check().run()
    at.button(key="daily_output.post").click().run()
    assert not at.error, [e.value for e in at.error]
    assert reports_of(sqlite_db, line, day)[-1][:2] == (2, 90)


def _walk(node: Any) -> list[Any]:
    """Every element under ``node``, in the order the page shows them."""
    out = []
    for child in getattr(node, "children", {}).values():
        out.append(child)
        out.extend(_walk(child))
    return out


def test_in_the_card_layout_a_supplier_posts_a_line_from_its_card(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/1"]
    day = last_working_day(sqlite_db, world)
    at = app_as(monkeypatch, sqlite_url, world.acme_user)
    at.session_state["daily_output.layout"] = "Cards"
    at.switch_page(f"{PAGES}/daily_output.py").run()
    assert not at.data_editor  # cards instead of the wide grid
    at.number_input(key=f"daily_output.cards.0.good.{line}").set_value(33).run()
    at.number_input(key=f"daily_output.cards.0.rejected.{line}").set_value(2).run()
    at.button(key="daily_output.post").click().run()
    assert not at.error, [e.value for e in at.error]
    assert reports_of(sqlite_db, line, day) == [(1, 33, True)]


SECOND_LINE = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\nPO-1,2,2026-03-02,50,2026-03-09,\n"
)
#: A line of ACME that starts production once typing has begun: before PO-1 by number and need-by.
EARLIER_LINE_PO = (
    "po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n"
    "PO-0,1,ACME,SKU-2,90,2026-02-01,2026-03-10\n"
)
EARLIER_LINE_SCHEDULE = (
    "po_number,line,start_date,daily_output,estimated_end_date,reason\nPO-0,1,2026-03-02,30,2026-03-06,\n"
)


def typed_in_cards(at: AppTest) -> dict[int, float | None]:
    """line id -> good units its card shows (each card's good-units input is keyed by its line)."""
    return {int(str(n.key).rsplit(".", 1)[1]): n.value for n in at.number_input if ".good." in str(n.key)}


def typed_in_table(at: AppTest) -> dict[str, object]:
    """line label -> good units its row of the grid shows."""
    grid = at.data_editor[0].value
    return {
        str(line): (None if pd.isna(good) else int(good))
        for line, good in zip(grid["line"], grid["good_qty"], strict=True)
    }


def cards_page(monkeypatch: pytest.MonkeyPatch, url: str, world: SmallWorld) -> AppTest:
    at = app_as(monkeypatch, url, world.acme_user)
    at.session_state["daily_output.layout"] = "Cards"
    at.switch_page(f"{PAGES}/daily_output.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_typed_values_stay_with_their_line_when_the_layout_changes(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    assert load(sqlite_db, Actor.system("test"), "schedules", SECOND_LINE).ok
    first, second = world.line_ids["PO-1/1"], world.line_ids["PO-1/2"]
    day = last_working_day(sqlite_db, world)
    at = cards_page(monkeypatch, sqlite_url, world)
    at.number_input(key=f"daily_output.cards.0.good.{second}").set_value(40).run()

    # The wide grid shows what was typed in the cards, on the same line, and keeps it as the draft.
    at.segmented_control(key="daily_output.layout").set_value("Table").run()
    assert typed_in_table(at) == {"PO-1/1": None, "PO-1/2": 40}
    assert output_draft(sqlite_db, world.acme_user, day) == {second: {"good_qty": 40}}
    row = list(at.data_editor[0].value["line"]).index("PO-1/1")
    at.session_state["daily_output.grid.0"] = {
        "edited_rows": {row: {"good_qty": 7}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()

    # And back: each card shows its own line's value.
    at.segmented_control(key="daily_output.layout").set_value("Cards").run()
    assert typed_in_cards(at) == {first: 7, second: 40}
    assert output_draft(sqlite_db, world.acme_user, day) == {first: {"good_qty": 7}, second: {"good_qty": 40}}
    assert at.button(key="daily_output.post").label == "Post 2 lines"


@pytest.mark.parametrize("layout", ["Cards", "Table"])
def test_typed_values_stay_with_their_line_when_a_line_starts_before_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld, layout: str
) -> None:
    line = world.line_ids["PO-1/1"]
    day = last_working_day(sqlite_db, world)
    at = cards_page(monkeypatch, sqlite_url, world)
    if layout == "Cards":
        at.number_input(key=f"daily_output.cards.0.good.{line}").set_value(55).run()
    else:
        at.segmented_control(key="daily_output.layout").set_value("Table").run()
        edit_grid(at, {0: {"good_qty": 55}})
        at.run()
    # Meanwhile a buyer starts a line that comes first on the page (earlier PO, earlier need-by).
    system = Actor.system("test")
    assert load(sqlite_db, system, "pos", EARLIER_LINE_PO).ok
    assert load(sqlite_db, system, "schedules", EARLIER_LINE_SCHEDULE).ok
    st.cache_data.clear()
    at.run()
    earlier = line_of(sqlite_db, "PO-0", 1)
    if layout == "Cards":
        assert typed_in_cards(at) == {earlier: None, line: 55}
    else:
        assert typed_in_table(at) == {"PO-0/1": None, "PO-1/1": 55}
    assert output_draft(sqlite_db, world.acme_user, day) == {line: {"good_qty": 55}}
    at.run()  # and a rerun changes nothing
    assert output_draft(sqlite_db, world.acme_user, day) == {line: {"good_qty": 55}}


def line_of(db: Database, po_number: str, line: int) -> int:
    with db.read() as session:
        return int(
            session.scalars(select(PoLine.id).where(PoLine.po_number == po_number, PoLine.line == line)).one()
        )


def test_the_cards_keep_their_order_when_a_line_is_posted(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    assert load(sqlite_db, Actor.system("test"), "schedules", SECOND_LINE).ok  # needed a week after PO-1/1
    first, second = world.line_ids["PO-1/1"], world.line_ids["PO-1/2"]
    at = cards_page(monkeypatch, sqlite_url, world)
    assert list(typed_in_cards(at)) == [first, second]  # earliest need-by first
    at.number_input(key=f"daily_output.cards.0.good.{first}").set_value(40).run()
    at.button(key="daily_output.post").click().run()
    assert not at.error, [e.value for e in at.error]
    # Posted, the first card stays first: nothing on record moves a card under the thumb.
    assert list(typed_in_cards(at)) == [first, second]
    at.run()
    assert list(typed_in_cards(at)) == [first, second]


def test_one_line_and_day_in_the_form_starts_production(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/2"]
    day = last_working_day(sqlite_db, world)
    at = open_page(monkeypatch, sqlite_url, world, "daily_output")
    at.session_state["daily_output.tab"] = "One line"
    at.run()
    at.selectbox(key="daily_output.one_line").select(line).run()
    at.number_input(key="daily_output.one_good.0").set_value(12)
    at.button(key="daily_output.one_post").click().run()
    assert not at.error, [e.value for e in at.error]
    assert reports_of(sqlite_db, line, day) == [(1, 12, True)]
    with sqlite_db.read() as session:
        assert session.get_one(PoLine, line).status is LineStatus.IN_PRODUCTION
    # The same tab stays open, with an empty form for the next line.
    assert at.session_state["daily_output.tab"] == "One line"
    assert at.number_input(key="daily_output.one_good.1").value is None


def test_a_day_on_record_names_who_posted_it_in_words(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    line = world.line_ids["PO-1/2"]
    day = last_working_day(sqlite_db, world)
    # Posted by the data import (the CLI's account "cli"), not by a person.
    load(
        sqlite_db,
        Actor.system("cli"),
        "reports",
        f"po_number,line,date,good_qty\nPO-1,2,{day},30\n",
        today=day,
    )
    at = open_page(monkeypatch, sqlite_url, world, "daily_output")
    at.session_state["daily_output.tab"] = "One line"
    at.run()
    at.selectbox(key="daily_output.one_line").select(line).run()
    [notice] = [i.value for i in at.info if "Already posted" in i.value]
    assert "30 good, 0 rejected, by Data import." in notice, notice


def test_an_uploaded_file_is_previewed_row_by_row_and_posted_all_or_nothing(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    day = last_working_day(sqlite_db, world)
    at = open_page(monkeypatch, sqlite_url, world, "daily_output")
    at.session_state["daily_output.tab"] = "Upload a file"
    at.run()
    bad = f"po_number,line,date,good_qty\nPO-1,1,{day},50\nPO-2,1,{day},5\n"
    at.file_uploader(key="daily_output.file.0").upload("reports.csv", bad.encode(), "text/csv").run()
    preview = table_with(at, "posted_good_qty")
    assert list(preview["check"]) == ["ok", "Line (PO-2/1) is not one of your lines."]
    assert any("Nothing was posted" in shown(e.value) for e in at.error)
    good = f"po_number,line,date,good_qty,rejected_qty\nPO-1,1,{day},50,1\nPO-1,2,{day},xx,\n"
    at.file_uploader(key="daily_output.file.0").set_value(("reports.csv", good.encode(), "text/csv")).run()
    preview = table_with(at, "posted_good_qty")
    assert list(preview["check"]) == ["ok", "Good quantity (xx) must be a whole number."]
    assert any("Nothing was posted" in e.value for e in at.error)
    fixed = good.replace(",xx,", ",7,")
    at.file_uploader(key="daily_output.file.0").set_value(("reports.csv", fixed.encode(), "text/csv")).run()
    at.button(key="daily_output.upload_post").click().run()
    assert not at.error, [e.value for e in at.error]
    assert reports_of(sqlite_db, world.line_ids["PO-1/1"], day) == [(1, 50, True)]
    assert reports_of(sqlite_db, world.line_ids["PO-1/2"], day) == [(1, 7, True)]


# --------------------------------------------------------------------------- alerts


def test_the_alerts_page_shows_my_buyers_comment_and_sends_my_reply(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    from portal.services.alerts import comment_on_alert

    line = world.line_ids["PO-1/1"]
    revise(sqlite_db, world.acme_user, line, end=dt.date(2026, 3, 18), reason="Resin late")
    with sqlite_db.read() as session:
        from db.models import Alert

        alert_id = session.scalar(select(Alert.id).where(Alert.rule == "DATE_SLIPPED"))
        assert alert_id is not None
    comment_on_alert(sqlite_db, world.buyer, alert_id, "Can you **add** a shift? <b>urgent</b>")
    at = open_page(monkeypatch, sqlite_url, world, "alerts")
    table = at.dataframe(key="supplier_alerts.table").value
    # One row per line: the slipped date is the line's headline or one of its other alerts.
    row = next(i for i, ids in enumerate(table["alert_ids"]) if alert_id in ids)
    assert "End date moved later" in f"{table['what'].iloc[row]} · {table['also'].iloc[row]}"
    at.session_state["supplier_alerts.table"] = {"selection": {"rows": [row], "columns": []}}
    at.run()
    # The buyer's words are shown as plain text, markup and all.
    assert "Can you **add** a shift? <b>urgent</b>" in [t.value for t in at.text]
    at.text_area(key=f"supplier_alerts.reply_body.{alert_id}").input("Yes, a second shift from Monday.")
    at.button(key=f"FormSubmitter:supplier_alerts.reply.{alert_id}-Send reply").click().run()
    assert not at.error, [e.value for e in at.error]
    with sqlite_db.read() as session:
        replies = session.execute(
            select(AlertComment.author_name, AlertComment.body).where(AlertComment.alert_id == alert_id)
        ).all()
    assert [tuple(r) for r in replies][-1] == ("acme", "Yes, a second shift from Monday.")
    assert "Yes, a second shift from Monday." in [t.value for t in at.text]


def test_an_uploaded_file_over_the_row_limit_is_refused_before_it_is_checked(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    update_settings(sqlite_db, world.admin, {"upload_rows_reports": 10})
    day = last_working_day(sqlite_db, world)
    at = open_page(monkeypatch, sqlite_url, world, "daily_output")
    at.session_state["daily_output.tab"] = "Upload a file"
    at.run()
    rows = "".join(f"PO-1,{n},{day},5\n" for n in range(1, 12))
    at.file_uploader(key="daily_output.file.0").upload(
        "reports.csv", f"po_number,line,date,good_qty\n{rows}".encode(), "text/csv"
    ).run()
    assert not at.exception
    assert any("more than 10 rows; split it" in shown(e.value) for e in at.error)
    assert not [b for b in at.button if b.key == "daily_output.upload_post"]
