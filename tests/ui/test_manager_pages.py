"""AppTest of the scorecard pages: the manager's ranking, a scorecard with its drill-down, the comparison,
the admin settings, and a supplier's own scorecard."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from db.engine import Database
from db.models import AuditEvent
from portal.core.scorecard import METRICS
from portal.core.settings import SPECS
from portal.services.access import Actor
from portal.services.settings import load_settings
from portal.ui.context import ACTOR_KEY
from tests.apptest import APP, texts
from tests.builders import SmallWorld, load, received_world

RANKING = "portal/ui/views/manager/ranking.py"
SCORECARD = "portal/ui/views/manager/scorecard.py"
COMPARE = "portal/ui/views/manager/compare.py"
SETTINGS = "portal/ui/views/admin/settings.py"
MY_SCORECARD = "portal/ui/views/supplier/scorecard.py"
END = "2026-04"  # the pages default to the current month; tests pin the 12 months they look at


@pytest.fixture
def world(sqlite_db: Database) -> SmallWorld:
    return received_world(sqlite_db)


def open_page(
    monkeypatch: pytest.MonkeyPatch, url: str, actor: Actor, page: str | None = None, **state: Any
) -> AppTest:
    """The app as ``actor`` on ``page``, with session state set before the first run."""
    monkeypatch.setenv("DATABASE_URL", url)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state[ACTOR_KEY] = actor
    for key, value in state.items():
        at.session_state[key.replace("__", ".")] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def acme_scorecard(monkeypatch: pytest.MonkeyPatch, url: str, world: SmallWorld) -> AppTest:
    """The manager's scorecard page on ACME, for the twelve months up to :data:`END`."""
    return open_page(
        monkeypatch,
        url,
        world.manager,
        SCORECARD,
        scorecard__supplier=world.acme_id,
        scorecard__end_month=END,
    )


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def table_with(at: AppTest, column: str) -> pd.DataFrame:
    """The last table on the page that has ``column`` (tables without a selection carry no key)."""
    tables = [d.value for d in at.dataframe if column in d.value.columns]
    assert tables, f"no table with a {column} column"
    return tables[-1]


# ----------------------------------------------------------------------------- ranking


def test_the_managers_home_ranks_suppliers_and_keeps_their_line_counts(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.manager, ranking__end_month=END)
    assert at.title[0].value == "Supplier ranking"
    table = at.dataframe[0].value.set_index("supplier")
    assert sorted(table.index) == ["ACME · Acme Plastics", "BOLT · Bolt Works"]
    assert table.loc["BOLT · Bolt Works", "line_counts"].startswith("1 / ")
    assert {"score", "grade", "trend", "score_history", "lines", "otd", "otif"} <= set(table.columns)
    assert table.loc["ACME · Acme Plastics", "otd"] == pytest.approx(200 / 3)  # shown in percent
    assert metrics(at)["Suppliers"] == "2"
    assert "Not scored: ACME (not enough data (2 lines, 5 needed))" in texts(at)


def test_a_manager_stores_the_scores_and_the_ranking_then_reads_them(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.manager, ranking__end_month=END)
    assert "computed live" in texts(at)
    live = at.dataframe[0].value.set_index("supplier")
    next(b for b in at.button if b.label == "Recompute").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert "Up to date as of today: the totals stored" in texts(at)
    stored = at.dataframe[0].value.set_index("supplier")
    pd.testing.assert_frame_equal(stored.drop(columns="score_history"), live.drop(columns="score_history"))


def test_the_ranking_says_so_when_it_shows_stored_numbers_of_suppliers_changed_since(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    import streamlit as st

    from portal.queries import scorecards as queries
    from portal.services.scorecards import refresh_scorecards

    refresh_scorecards(sqlite_db, world.manager)
    receipt = "po_number,line,received_date,quantity,rejected_qty\nPO-2,1,2026-04-12,800,0\n"
    assert load(sqlite_db, world.admin, "receipts", receipt, today=dt.date(2026, 4, 15)).ok
    monkeypatch.setattr(queries, "LIVE_LINE_BUDGET", 0)  # BOLT's lines: more than the page may compute
    at = open_page(monkeypatch, sqlite_url, world.manager, ranking__end_month=END)
    assert (
        "1 supplier has had receipts, reports or schedules since and shows its numbers as of then"
        in texts(at)
    )
    # The manager's Recompute stores again only the supplier changed since (the scheduler's refresh).
    next(b for b in at.button if b.label == "Recompute").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert next(t.value for t in at.toast if "Scorecards stored" in t.value).startswith(
        "Scorecards stored: 1 supplier in"
    )
    assert "Up to date as of today: the totals stored" in texts(at)
    monkeypatch.undo()
    refresh_scorecards(sqlite_db, world.manager, changed_only=True)
    st.cache_data.clear()  # the page's reads are cached a minute; this refresh ran outside it
    at = open_page(monkeypatch, sqlite_url, world.manager, ranking__end_month=END)
    assert "Up to date as of today: the totals stored" in texts(at)


def test_selecting_a_supplier_in_the_ranking_opens_its_scorecard(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.manager, ranking__end_month=END)
    row = at.dataframe[0].value["supplier"].tolist().index("BOLT · Bolt Works")
    at.session_state["ranking.table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert at.title[0].value == "Scorecard"
    assert at.selectbox(key="scorecard.supplier").value == world.bolt_id


#: Suppliers without a line (not scored, tied on score and lines: their codes order them), so that the
#: ranking has more than one page of 50.
SPARES = "code,name,country,transit_days,capacity_per_day,email\n" + "".join(
    f"S{n:03d},Spare {n:02d},DE,3,,s{n}@spare.example\n" for n in range(1, 61)
)


@pytest.fixture
def many(sqlite_db: Database, world: SmallWorld) -> SmallWorld:
    """The small world with 60 more suppliers: 62, two pages of the ranking."""
    assert load(sqlite_db, world.admin, "suppliers", SPARES, today=dt.date(2026, 4, 15)).ok
    return world


def shown_suppliers(at: AppTest) -> list[str]:
    return at.dataframe[0].value["supplier"].str.split(" · ").str[0].tolist()


def test_the_ranking_shows_a_page_of_suppliers_and_the_next_page_the_next_ones(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.manager, ranking__end_month=END)
    first = shown_suppliers(at)
    assert len(first) == 50 and first[:3] == ["ACME", "BOLT", "S001"]  # ACME: 2 lines, BOLT: 1, spares: 0
    assert "62 rows · page 1 of 2" in texts(at)
    at.number_input(key="ranking.page").set_value(2).run()
    assert not at.exception, [e.message for e in at.exception]
    assert shown_suppliers(at) == [f"S{n:03d}" for n in range(49, 61)]
    # The counts above the table are the whole ranking's, on every page.
    assert metrics(at)["Suppliers"] == "62" and metrics(at)["Received lines"] == "2"


def test_a_page_number_past_the_end_of_the_ranking_shows_its_first_page(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.manager, ranking__end_month=END, ranking__page=5)
    assert shown_suppliers(at)[:3] == ["ACME", "BOLT", "S001"]
    assert "62 rows · page 1 of 2" in texts(at)


def test_a_search_finds_a_supplier_beyond_the_first_page_and_keeps_the_whole_rankings_counts(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, many.manager, ranking__end_month=END)
    assert "S060" not in shown_suppliers(at)
    at.text_input(key="ranking.search").set_value("spare 60").run()
    assert not at.exception, [e.message for e in at.exception]
    assert shown_suppliers(at) == ["S060"]
    assert metrics(at)["Suppliers"] == "62"
    at.text_input(key="ranking.search").set_value("nobody").run()
    assert "No supplier's code or name holds “nobody”." in texts(at)


def test_the_ranking_download_holds_every_supplier(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, many: SmallWorld
) -> None:
    from portal.ui import widgets

    made: dict[str, Callable[[], pd.DataFrame]] = {}

    def kept(make_frame: Callable[[], pd.DataFrame], name: str, *, key: str) -> None:
        made[name] = make_frame

    monkeypatch.setattr(widgets, "download_buttons", kept)
    at = open_page(monkeypatch, sqlite_url, many.manager, ranking__end_month=END)
    assert len(at.dataframe[0].value) == 50
    rows = made[f"supplier-ranking-{END}"]()
    assert len(rows) == 62 and rows["supplier_code"].tolist()[:3] == ["ACME", "BOLT", "S001"]


def test_the_suppliers_page_still_lists_each_suppliers_line_counts(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.manager, "portal/ui/views/manager/suppliers.py")
    assert at.title[0].value == "Suppliers"
    table = at.dataframe[0].value.set_index("code")
    assert table.loc["BOLT", "open_lines"] == 1
    assert table.loc["ACME", "lines"] == 2


# ----------------------------------------------------------------------------- scorecard


def test_the_scorecard_shows_every_number_with_what_it_is_computed_from(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = acme_scorecard(monkeypatch, sqlite_url, world)
    shown = metrics(at)
    assert shown["On-time delivery (OTD)"] == "66.7%"
    assert shown["On time in full (OTIF)"] == "50.0%"
    assert shown["Average days late"] == "3.0 days"
    assert shown["Score and grade"] == "—"
    helps = {m.label: m.help for m in at.metric}
    assert helps["On-time delivery (OTD)"].startswith("Receipts dated in the period")
    page = texts(at)
    assert "2 of 3 receipts on time" in page
    assert "1 of 2 lines due delivered in full on time" in page
    assert "not enough data (2 lines, 5 needed)" in page
    assert not any(t.value.startswith("Behind") for t in at.subheader)  # no lines until asked for


def trend_chart(at: AppTest) -> tuple[list[str], pd.DataFrame]:
    """The one trend chart on the page: the number each of its panels draws, and its data."""
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    proto = charts[0].proto
    panels = [panel["encoding"]["y"]["field"] for panel in json.loads(proto.spec)["vconcat"]]
    return panels, convert_arrow_bytes_to_pandas_df(proto.data.data)


def test_one_chart_draws_the_score_and_every_metric_month_by_month(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = acme_scorecard(monkeypatch, sqlite_url, world)
    panels, data = trend_chart(at)
    assert panels == ["score", *METRICS]
    months = data.set_index(["month_name", "series"])
    assert len(months) == 24  # 12 months, each on its own and as the rolling 12 ending it
    march = months.loc[("Mar 2026", "This month")]
    assert (march["otd"], march["otd_text"]) == (pytest.approx(2 / 3), "66.7%")
    assert march["otif"] == pytest.approx(0.5)
    assert march["avg_days_late_text"] == "3.0 days"
    assert march["lines"] == 2
    assert pd.isna(months.loc[("Apr 2026", "This month"), "otd"])  # no receipt in April: no point
    april = months.loc[("Apr 2026", "Rolling 12 months")]
    assert april["otd"] == pytest.approx(2 / 3)  # the rolling 12 ending April hold March's receipts
    # The same numbers as the monthly table under the chart.
    table = table_with(at, "otd").set_index("period")
    assert table.loc["2026-03", "otd"] == pytest.approx(march["otd"] * 100)


@pytest.mark.parametrize(
    ("number", "labels"),
    [
        ("otd", ["PO-1/1", "PO-1/2", "PO-1/2"]),
        ("otif", ["PO-1/1", "PO-1/2"]),
        ("avg_days_late", ["PO-1/2"]),
        ("lines", ["PO-1/1", "PO-1/2"]),
    ],
)
def test_each_number_drills_down_to_the_lines_behind_it(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld, number: str, labels: list[str]
) -> None:
    at = acme_scorecard(monkeypatch, sqlite_url, world)
    assert not [d for d in at.dataframe if "label" in d.value.columns]  # read only when opened
    at.button(key=f"scorecard.show.{number}").click().run()
    assert not at.exception
    rows = table_with(at, "label")
    assert sorted(rows["label"]) == labels
    assert at.button(key=f"scorecard.show.{number}").label == "Hide"
    at.button(key=f"scorecard.show.{number}").click().run()  # and closed again
    assert not [d for d in at.dataframe if "label" in d.value.columns]
    assert not any(t.value.startswith("Behind") for t in at.subheader)


def test_the_lines_behind_a_number_follow_the_month_shown(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = acme_scorecard(monkeypatch, sqlite_url, world)
    at.button(key="scorecard.show.otd").click().run()
    assert len(table_with(at, "label")) == 3
    at.selectbox(key="scorecard.period").select("2026-04").run()
    assert "Nothing counted in Apr 2026." in texts(at)
    at.selectbox(key="scorecard.period").select("2026-03").run()
    assert sorted(table_with(at, "label")["label"]) == ["PO-1/1", "PO-1/2", "PO-1/2"]


def test_the_score_drill_down_shows_how_each_metric_adds_up(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = acme_scorecard(monkeypatch, sqlite_url, world)
    at.button(key="scorecard.show.score").click().run()
    parts = table_with(at, "effective_weight").set_index("metric")
    assert parts.loc["On-time delivery (OTD)", "weight"] == 25
    assert parts["effective_weight"].sum() == pytest.approx(100.0)  # percent


def test_one_month_of_the_twelve_shows_that_months_numbers(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = acme_scorecard(monkeypatch, sqlite_url, world)
    at.selectbox(key="scorecard.period").select("2026-04").run()
    assert metrics(at)["On-time delivery (OTD)"] == "no data"
    at.selectbox(key="scorecard.period").select("2026-03").run()
    assert metrics(at)["On-time delivery (OTD)"] == "66.7%"


# ----------------------------------------------------------------------------- compare


def open_compare(
    monkeypatch: pytest.MonkeyPatch, url: str, world: SmallWorld, supplier_ids: list[int]
) -> AppTest:
    """The compare page as the manager, with these suppliers picked and the test data's last month."""
    return open_page(
        monkeypatch, url, world.manager, COMPARE, compare__suppliers=supplier_ids, compare__end_month=END
    )


def test_compare_shows_the_suppliers_side_by_side(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_compare(monkeypatch, sqlite_url, world, [world.acme_id, world.bolt_id])
    assert at.title[0].value == "Compare suppliers"
    table = table_with(at, "number").set_index("number")
    assert list(table.columns) == ["ACME", "BOLT"]
    assert table.loc["On-time delivery (OTD)", "ACME"] == "66.7%"
    assert table.loc["On-time delivery (OTD)", "BOLT"] == "no data"
    assert table.loc["On time in full (OTIF)", "ACME"] == "50.0% ★"
    assert len(at.get("vega_lite_chart")) == 1


def test_compare_names_the_months_in_the_managers_language(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_compare(monkeypatch, sqlite_url, world, [world.acme_id, world.bolt_id])
    # German from the next run on (AppTest formats the English page's pickers in its own thread).
    at.session_state[ACTOR_KEY] = replace(world.manager, language="de")
    at.run()
    assert at.title[0].value == "Lieferanten vergleichen"
    [chart] = at.get("vega_lite_chart")
    locale = json.loads(chart.proto.spec)["config"]["locale"]
    assert locale["time"]["shortMonths"][:3] == ["Jan.", "Feb.", "März"]  # the axis said "Mar 26"
    assert locale["number"]["decimal"] == ","
    # The picker of the chart's figure is a metric ("Kennzahl"), not a "number" (Chinese read "编号", an ID).
    assert [s.label for s in at.selectbox if s.key == "compare.metric"] == ["Kennzahl"]


def test_compare_asks_for_at_least_two_suppliers(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_compare(monkeypatch, sqlite_url, world, [world.acme_id])
    assert "Pick 2 to 4 suppliers to compare." in texts(at)


# ----------------------------------------------------------------------------- admin settings


def test_the_settings_page_shows_the_weights_sum_live_and_will_not_save_a_bad_sum(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.admin, SETTINGS)
    assert "The weights sum to 100." in texts(at)
    at.number_input(key="settings.weight_otd").set_value(30).run()
    assert "The weights sum to 105: they must sum to 100 to save." in texts(at)
    assert at.button(key="settings.save").disabled
    at.number_input(key="settings.weight_otif").set_value(20).run()
    assert "The weights sum to 100." in texts(at)
    assert not at.button(key="settings.save").disabled


def test_every_setting_group_is_on_the_page_with_its_bounds(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.admin, SETTINGS)
    groups = list(dict.fromkeys(spec.group for spec in SPECS.values()))
    assert [t.label for t in at.tabs] == groups
    assert {"Alerts", "Forecast", "Promises", "Scorecards", "Scorecard weights"} <= set(groups)
    tolerance = at.number_input(key="settings.on_time_tolerance_days")
    assert (tolerance.value, tolerance.min, tolerance.max) == (0, 0, 60)
    assert at.number_input(key="settings.buffer_quantile").value == pytest.approx(0.95)


def test_an_admin_saves_settings_and_the_change_is_audited(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.admin, SETTINGS)
    at.number_input(key="settings.on_time_tolerance_days").set_value(2).run()
    at.number_input(key="settings.safety_buffer_days").set_value(3).run()
    at.button(key="settings.save").click().run()
    assert not at.error, [e.value for e in at.error]
    assert "Saved 2 setting(s)" in texts(at)
    with sqlite_db.read() as session:
        saved = load_settings(session)
        changed = set(
            session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "setting.changed"))
        )
    assert (saved.on_time_tolerance_days, saved.safety_buffer_days) == (2, 3)
    assert changed == {"on_time_tolerance_days", "safety_buffer_days"}


def test_an_admin_runs_a_sweep_from_the_settings_page(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.admin, SETTINGS)
    at.button(key="settings.sweep").click().run()
    assert any(s.value.startswith("Sweep as of ") for s in at.success)


# ----------------------------------------------------------------------------- the supplier's own


def test_a_supplier_sees_its_own_scorecard_and_no_other(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.acme_user, MY_SCORECARD, my_scorecard__end_month=END)
    assert at.title[0].value == "My scorecard"
    assert "scorecard.supplier" not in [s.key for s in at.selectbox]
    assert metrics(at)["On-time delivery (OTD)"] == "66.7%"
    at.button(key="my_scorecard.show.lines").click().run()
    lines = table_with(at, "label")
    assert sorted(lines["label"]) == ["PO-1/1", "PO-1/2"]
    panels, _data = trend_chart(at)
    assert panels == ["score", *METRICS]


def test_a_supplier_with_no_history_sees_no_data_rather_than_zeros(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.bolt_user, MY_SCORECARD, my_scorecard__end_month=END)
    shown = metrics(at)
    assert shown["On-time delivery (OTD)"] == "no data"
    assert shown["Quality"] == "no data"
    assert shown["On time in full (OTIF)"] == "0.0%"  # its one line was due 10 April and nothing came
