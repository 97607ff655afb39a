"""AppTest of the login page and each role's first page, on a small world."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from db.engine import Database
from tests.apptest import app_as, shown, texts
from tests.builders import SmallWorld


def test_login_page_logs_a_buyer_in(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url)
    at.text_input(key="login.username").input("buyer")
    at.text_input(key="login.password").input("buyer-password-1")
    at.button[0].click().run()
    assert not at.exception
    assert at.title[0].value == "Alert inbox"


@pytest.mark.parametrize("username", ["buyer", "nobody"])
def test_a_failed_login_shows_one_generic_message(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld, username: str
) -> None:
    at = app_as(monkeypatch, sqlite_url)
    at.text_input(key="login.username").input(username)
    at.text_input(key="login.password").input("wrong-password-x")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [
        "Invalid username or password, or the account is locked. Try again later."
    ]


def test_supplier_home_shows_its_own_lines_only(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.acme_user)
    assert at.title[0].value == "My lines"
    table = at.dataframe[0].value
    assert sorted(table["line"]) == ["PO-1/1", "PO-1/2"]
    assert "PO-2/1" not in set(table["line"])


def test_buyer_open_lines_show_every_open_line_with_its_supplier(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.buyer, page="portal/ui/views/buyer/open_lines.py")
    assert at.title[0].value == "Open lines"
    table = at.dataframe[0].value
    assert sorted(zip(table["line"], table["supplier_code"], strict=True)) == [
        ("PO-1/1", "ACME"),
        ("PO-1/2", "ACME"),
        ("PO-2/1", "BOLT"),
    ]


def test_manager_home_shows_suppliers_with_line_counts(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.manager)
    assert at.title[0].value == "Supplier ranking"
    table = at.dataframe[0].value.set_index("supplier")
    # Open / late / received lines of each supplier.
    open_lines = table["line_counts"].str.split(" / ").str[0].astype(int)
    assert open_lines["ACME · Acme Plastics"] == 2
    assert open_lines["BOLT · Bolt Works"] == 1


def test_the_ranking_counts_sit_in_a_grid_not_in_columns(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.manager)
    assert [m.label for m in at.metric][:2] == ["Suppliers", "Scored"]
    assert not [column for column in at.columns if column.metric]  # five rows of counts on a phone


def test_admin_home_lists_users_and_suppliers(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.admin)
    assert at.title[0].value == "Users and suppliers"
    users = at.dataframe[0].value
    assert {"admin", "buyer", "manager", "acme", "bolt"} <= set(users["username"])
    suppliers = at.dataframe[1].value
    assert sorted(suppliers["code"]) == ["ACME", "BOLT"]
    # A buyer has no supplier and nobody is locked: those cells are empty, and read "–", not "None".
    assert users["supplier_code"].isna().any() and users["locked_until"].isna().all()
    assert at.dataframe[0].proto.placeholder == "–"


def test_admin_creates_a_supplier_user_bound_to_its_supplier(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    from tests.builders import actor_of

    at = app_as(monkeypatch, sqlite_url, world.admin)
    form = at.get("form")[0] if at.get("form") else None
    assert form is not None
    at.text_input[0].input("newplanner")
    at.text_input[1].input("New Planner")
    at.selectbox[0].select("supplier")
    at.selectbox[1].select("BOLT")
    at.text_input[3].input("a-long-password-1")
    at.button(key="FormSubmitter:admin.create_user-Create user").click().run()
    assert not at.error, [e.value for e in at.error]
    created = actor_of(sqlite_db, "newplanner")
    assert created.supplier_id == world.bolt_id


def test_logout_returns_to_the_login_page(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.buyer)
    at.button(key="auth.logout").click().run()
    assert "Supplier Portal" in texts(at)
    assert at.text_input(key="login.username") is not None


def create_user_in_form(at: AppTest, username: str, role: str, password: str, *, name: str = "") -> None:
    """Fill the admin's new-user form (the display name only when given) and press Create user."""
    at.text_input(key="admin.new.username").input(username)
    if name:
        at.text_input(key="admin.new.name").input(name)
    at.selectbox(key="admin.new.role").select(role)
    at.text_input(key="admin.new.password").input(password)
    at.button(key="FormSubmitter:admin.create_user-Create user").click().run()


def test_a_refused_user_form_keeps_what_was_typed_and_lists_every_problem(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.admin)
    create_user_in_form(at, "Bad Name!", "supplier", "short", name="Someone")
    [error] = [shown(e.value) for e in at.error]
    assert "Username: 2-80 characters" in error
    assert "must belong to a supplier" in error
    assert "at least 10 characters" in error
    assert at.text_input(key="admin.new.username").value == "Bad Name!"
    assert at.text_input(key="admin.new.name").value == "Someone"


def test_a_new_user_is_in_the_table_at_once(
    monkeypatch: pytest.MonkeyPatch, sqlite_url: str, sqlite_db: Database, world: SmallWorld
) -> None:
    at = app_as(monkeypatch, sqlite_url, world.admin)
    create_user_in_form(at, "newbuyer", "buyer", "a-long-password-1")
    assert not at.error, [e.value for e in at.error]
    assert "newbuyer" in set(at.dataframe[0].value["username"])
    assert at.text_input(key="admin.new.username").value == ""
