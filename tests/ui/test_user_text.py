"""Imported and typed text shows on the pages as typed: a PO number, supplier name, item or user
name written as Markdown never becomes an image, a link, coloured text, an icon or LaTeX."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import Database
from portal.core.domain import Role
from portal.services.access import Actor
from portal.services.users import create_user
from portal.ui.text import plain
from tests.apptest import MARKDOWN_ELEMENTS, app_as
from tests.builders import SMALL_WORLD_FILES, actor_of, load_files
from tests.ui.test_buyer_pages import tick

PO = "![x](http://127.0.0.1:9/x.png) **b** :red[x] $x$"
NAME = "![n](http://127.0.0.1:9/n.png) [link](http://127.0.0.1:9/) :material/warning: :smile: $y$ **Co**"
ITEM = "<img src=http://127.0.0.1:9/i.png> www.example.com ~~box~~ :blue-badge[new]"
ORDER = "[SO](http://127.0.0.1:9/so) :red[!]"
PERSON = "**Eve** ![e](http://127.0.0.1:9/e.png)"

#: The hostile values' Markdown, live (not escaped): it would fetch, link, style or typeset.
LIVE_MARKDOWN = [
    re.compile(r"(?<!\\)\]\((?!\\)"),  # the "](" of a link or image
    re.compile(r"(?<!\\)!(?<!\\)\["),  # an image's "!["
    # directives, badges, icons (the hostile name's own: the pages' severity icons are theirs to show)
    re.compile(r"(?<!\\):(?:red\[[x!]|blue-badge|material/warning: :smile|smile)"),
    re.compile(r"(?<!\\)\$[xy](?<!\\)\$"),  # inline LaTeX
    re.compile(r"(?<!\\)\*\*(?:b|Co|Eve)(?<!\\)\*\*"),  # emphasis
    re.compile(r"(?<!\\)~~box"),
    re.compile(r"(?<!\\)<img"),
    re.compile(r"(?i)(?<!\\)https?:(?!\u2060)|www(?!\u2060)"),  # a bare address would become a link
]


@pytest.fixture
def hostile(sqlite_db: Database) -> tuple[Actor, Actor, int]:
    """The small world with Markdown in its PO number, supplier name, item, order and user names."""
    system = Actor.system("test")
    swaps = {"PO-1,": f"{PO},", "Acme Plastics": NAME, "Storage box": ITEM, "SO-1,": f"{ORDER},"}
    files = []
    for kind, text in SMALL_WORLD_FILES:
        for old, new in swaps.items():
            text = text.replace(old, new)
        files.append((kind, text))
    load_files(sqlite_db, system, files)
    create_user(sqlite_db, system, "buyer", "buyer-password-1", Role.BUYER, display_name=PERSON)
    create_user(sqlite_db, system, "acme", "acme-password-1", Role.SUPPLIER, supplier_code="ACME")
    with sqlite_db.read() as session:
        from sqlalchemy import select

        from db.models import PoLine

        line_id = session.scalars(select(PoLine.id).where(PoLine.po_number == PO, PoLine.line == 1)).one()
    return actor_of(sqlite_db, "buyer"), actor_of(sqlite_db, "acme"), line_id


def markdown_texts(at: AppTest) -> list[str]:
    """The Markdown source of every element that renders Markdown, metric labels and values included."""
    parts: list[str] = []
    for kind in MARKDOWN_ELEMENTS:
        parts.extend(str(e.value) for e in getattr(at, kind))
    for metric in at.metric:
        parts.extend([str(metric.label), str(metric.value)])
    for sidebar_md in at.sidebar.markdown:
        parts.append(str(sidebar_md.value))
    return parts


def assert_only_escaped(at: AppTest, *values: str) -> None:
    assert not at.exception, [e.value for e in at.exception]
    texts = markdown_texts(at)
    joined = "\n".join(texts)
    for value in values:
        assert plain(value) in joined, value
        assert value not in joined, value
    for text in texts:
        for pattern in LIVE_MARKDOWN:
            assert not pattern.search(text), (pattern.pattern, text)


def test_the_line_detail_shows_a_markdown_po_number_supplier_and_item_as_text(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, hostile: tuple[Actor, Actor, int]
) -> None:
    buyer, _, line_id = hostile
    at = app_as(monkeypatch, sqlite_url, buyer)
    at.switch_page("portal/ui/views/buyer/line_detail.py")
    at.query_params["line"] = str(line_id)
    at.run()
    assert at.title[0].value == f"Line {plain(PO + '/1')}"
    assert_only_escaped(at, PO, NAME, ITEM, PERSON)


def test_the_supplier_directory_shows_a_markdown_supplier_name_as_text(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, hostile: tuple[Actor, Actor, int]
) -> None:
    buyer, _, _ = hostile
    at = app_as(monkeypatch, sqlite_url, buyer, page="portal/ui/views/buyer/suppliers.py")
    tick(at, "suppliers.table", [0])
    assert at.subheader[0].value == f"ACME · {plain(NAME)}"
    assert_only_escaped(at, NAME)


def test_a_backorder_with_a_markdown_reference_is_shown_as_text(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, hostile: tuple[Actor, Actor, int]
) -> None:
    buyer, _, _ = hostile
    at = app_as(monkeypatch, sqlite_url, buyer, page="portal/ui/views/buyer/backorders.py")
    refs = list(at.dataframe[0].value["order_ref"])
    tick(at, "backorders.table", [refs.index(ORDER)])
    assert_only_escaped(at, ORDER)


def test_the_supplier_schedule_page_shows_a_markdown_po_number_as_text(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, hostile: tuple[Actor, Actor, int]
) -> None:
    _, acme, line_id = hostile
    at = app_as(monkeypatch, sqlite_url, acme, page="portal/ui/views/supplier/schedule.py")
    at.selectbox(key="schedule.line").set_value(line_id).run()
    assert_only_escaped(at, PO)
