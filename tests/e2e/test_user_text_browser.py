"""In a real browser, a PO number, supplier name and item imported with Markdown in them show as
typed: no request to the image's URL, no link, no icon, no LaTeX."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from sqlalchemy import select

from db.engine import open_database
from db.models import PoLine
from portal.services.access import Actor
from tests.builders import load
from tests.e2e.conftest import PortalServer, idle, login, screenshot

pytestmark = pytest.mark.browser

TRAP = "127.0.0.1:9"  # nothing listens there: any request to it is the Markdown at work
PO = f"![x](http://{TRAP}/x.png) **b** :red[x] $x$"
NAME = f"[link](http://{TRAP}/) :material/warning: :smile: www.example.com"
ITEM = f"<img src=http://{TRAP}/i.png> ~~box~~ :blue-badge[new] $$y$$"


@pytest.fixture(scope="module")
def hostile_line(portal_server: PortalServer) -> int:
    db = open_database(portal_server.database_url)
    system = Actor.system("test")
    for kind, text in (
        ("suppliers", f"code,name,country,transit_days\nEVIL,{NAME},DE,3\n"),
        ("items", f"sku,description,on_hand\nEVIL-1,{ITEM},0\n"),
        (
            "pos",
            f"po_number,line,supplier_code,sku,quantity,order_date,need_by_date\n{PO},1,EVIL,EVIL-1,10,2026-02-01,2026-04-01\n",
        ),
    ):
        result = load(db, system, kind, text)
        assert result.ok, result.errors
    with db.read() as session:
        line_id = session.scalar(select(PoLine.id).where(PoLine.po_number == PO))
    db.dispose()
    assert line_id is not None
    return int(line_id)


def test_markdown_in_imported_text_is_shown_as_typed_and_fetches_nothing(
    portal_server: PortalServer, page: Page, hostile_line: int
) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, portal_server.base_url, "buyer", "buyer-demo-3")
    page.goto(f"{portal_server.base_url}/line_detail?line={hostile_line}")
    heading = page.get_by_role("heading", level=1).filter(has_text="Line ").first
    heading.wait_for()
    idle(page)
    # Whatever the page would fetch (an image the text names) has been asked for by now.
    page.wait_for_load_state("networkidle")

    def shown(text: str) -> str:
        return " ".join(text.replace("\u2060", "").split())

    assert shown(heading.inner_text()) == f"Line {PO}/1"
    caption = page.locator("[data-testid='stCaptionContainer']").filter(has_text="EVIL").first
    assert shown(caption.inner_text()).startswith(f"EVIL · {NAME} — EVIL-1 {ITEM} — ")
    main = page.locator("[data-testid='stMain']")
    assert main.locator(f"img[src*='{TRAP}'], a[href*='{TRAP}'], a[href*='example.com']").count() == 0
    assert main.locator(".katex").count() == 0  # no LaTeX typeset
    assert main.get_by_role("img", name="warning icon").count() == 0  # no :material/warning: icon
    assert not [url for url in requested if TRAP in url]
    # What the assertions above read (the texts carry invisible word joiners, so they are not
    # matched here again): the heading and the caption as typed.
    screenshot(page, "user-text-as-typed", shows=["Line ", "EVIL"])
