"""AppTest of the alert inbox on a phone: the filters wait in a collapsed expander, so the first screen
shows alerts; a wide screen shows them as before."""

from __future__ import annotations

import pytest

from portal.ui import device
from tests.apptest import shown
from tests.builders import BuyerWorld, buyer_world
from tests.ui.test_buyer_pages import open_page

pytestmark = pytest.mark.world(build=buyer_world)


def test_on_a_phone_the_inbox_filters_wait_in_a_collapsed_expander_that_says_what_is_set(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    monkeypatch.setattr(device, "looks_like_a_phone", lambda: True)
    at = open_page(monkeypatch, sqlite_url, world.buyer, "alert_inbox")
    [filters] = [e for e in at.expander if e.label == "Filters"]
    assert filters.proto.expanded is False
    # Every filter is inside it, nothing above the table but the title.
    assert {w.key for w in filters.multiselect} >= {"alert_inbox.rules", "alert_inbox.severities"}
    assert [w.key for w in filters.text_input] == ["alert_inbox.text"]
    assert [w.key for w in filters.radio] == ["alert_inbox.show"]
    everything = len(at.dataframe[0].value)
    assert not any("filter" in shown(c.value) for c in at.caption)

    at.text_input(key="alert_inbox.text").input("SO-").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "1 filter set" in [shown(c.value) for c in at.caption]
    orders = at.dataframe[0].value
    assert 0 < len(orders) < everything and all(key.startswith("backorder:") for key in orders["subject_key"])


def test_on_a_wide_screen_the_inbox_filters_show_as_before(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: BuyerWorld
) -> None:
    at = open_page(monkeypatch, sqlite_url, world.buyer, "alert_inbox")
    assert not [e for e in at.expander if e.label == "Filters"]
    assert at.text_input(key="alert_inbox.text").label == "PO, SKU or order"
