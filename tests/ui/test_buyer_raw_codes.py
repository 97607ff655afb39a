"""No raw codes on the buyer's pages: statuses, severities, rules, field names, audit events and
weekmasks read as words (portal.core.vocabulary) in every text, metric and shown table column."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from portal.core import vocabulary
from tests.apptest import shown, texts
from tests.builders import BuyerWorld, buyer_world
from tests.ui.test_buyer_pages import open_page, tick

pytestmark = pytest.mark.world(build=buyer_world)

#: Codes that must never be shown as they are stored.
RAW = [
    re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),  # snake_case: in_production, estimated_end_date
    re.compile(r"\b[A-Z]+(?:_[A-Z0-9]+)+\b"),  # rule codes: PROJECTED_LATE
    re.compile(r"\b(?:alert|user|session|report|schedule|line|setting)\.[a-z_]+\b"),  # alert.resolved
    re.compile(r"\b[01]{7}\b"),  # weekmasks: 1111100
    re.compile(r"\b(?:None|nan|NaN|NaT)\b|<NA>"),
]
#: A table cell that is exactly a stored value (a status or severity) was not put into words.
STORED_VALUES = {*vocabulary.STATUSES, *vocabulary.SEVERITIES, "promise_slipped", "not_computed"}


def shown_tables(at: AppTest) -> list[str]:
    """The headers, help texts and cells of every table column a person can see (the shown columns
    and the configured ones the column menu offers)."""
    parts: list[str] = []
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        frame: pd.DataFrame = table.value
        # Without a column order every column of the frame is shown, under its own name unless configured.
        order = list(table.proto.column_order) or [str(c) for c in frame.columns]
        columns = [*order, *(c for c in config if c not in order)]
        for column in columns:
            spec = config.get(column) or {}
            if spec.get("hidden"):
                continue
            parts += [str(spec.get("label") or column), str(spec.get("help", ""))]
            if column in frame.columns:
                for cell in frame[column]:
                    if isinstance(cell, str):
                        assert cell not in STORED_VALUES, f"raw value {cell!r} in column {column!r}"
                    if isinstance(cell, np.ndarray):
                        cell = cell.tolist()
                    if cell is None or (not isinstance(cell, (list, tuple)) and pd.isna(cell)):
                        # An empty cell shows the table's placeholder: without one, the word "None".
                        assert table.proto.HasField("placeholder"), (
                            f"an empty cell of {column!r} reads 'None'"
                        )
                        continue
                    parts.append(str(cell))
    return parts


#: Widgets whose label (and options, where they have them) a person reads.
WIDGETS = (
    "button",
    "checkbox",
    "toggle",
    "radio",
    "selectbox",
    "multiselect",
    "select_slider",
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "tabs",
    "expander",
)


def widget_texts(at: AppTest) -> list[str]:
    """The labels, help texts and offered options of the page's widgets, tabs and expanders."""
    parts: list[str] = []
    for kind in WIDGETS:
        for widget in getattr(at, kind):
            parts += [shown(str(getattr(widget, "label", "") or "")), str(getattr(widget, "help", "") or "")]
            parts += [shown(str(o)) for o in getattr(widget, "options", None) or []]
    for group in at.get("button_group"):
        parts += [str(o.content) for o in getattr(group.proto, "options", [])]
    return parts


def page_text(at: AppTest) -> str:
    parts = [texts(at)]
    parts += [f"{m.label}\n{m.value}\n{m.proto.help}" for m in at.metric]
    parts += [str(t.value) for t in at.text]
    parts += shown_tables(at)
    parts += widget_texts(at)
    return "\n".join(parts)


def assert_no_raw_codes(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    text = page_text(at)
    found = sorted({m.group(0) for pattern in RAW for m in pattern.finditer(text)})
    assert found == [], f"raw codes on screen: {found}"


@pytest.mark.parametrize("page", ["alert_inbox", "backorders", "late_lines", "open_lines"])
def test_a_buyer_page_shows_no_raw_codes(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld, page: str
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.buyer, page)
    assert_no_raw_codes(at)
    # With a row ticked: the detail below the table (the inbox's alerts, a backorder's supply).
    table = {"alert_inbox": "alert_inbox.table", "backorders": "backorders.table"}.get(page)
    if table is not None:
        assert_no_raw_codes(tick(at, table, [0]))


def test_a_snoozed_problem_reads_snoozed_until_its_date(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.buyer, "alert_inbox")
    tick(at, "alert_inbox.table", [0])
    at.button(key="alert_inbox.snooze").click().run()
    at.radio(key="alert_inbox.show").set_value("Including snoozed").run()
    states = set(at.dataframe[0].value["state"])
    assert any(str(s).startswith("Snoozed until ") for s in states), states
    assert_no_raw_codes(at)


def test_the_open_lines_show_a_line_in_production_in_words(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.buyer, "open_lines")
    statuses = set(at.dataframe[0].value["status"])
    assert vocabulary.status_name("in_production") in statuses
    assert_no_raw_codes(at)
