"""The app's entry point: who is logged in decides which pages exist (st.navigation, built per role)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from portal.core.domain import Role
from portal.ui.context import ACTOR_KEY, current_actor

VIEWS = "portal/ui/views"
ROOT = Path(__file__).resolve().parents[2]


def _page(path: str, title: str, icon: str, *, default: bool = False) -> st.Page | None:
    # TODO(before release): drop the existence check once every page of the plan exists.
    if not (ROOT / VIEWS / path).exists():
        return None
    return st.Page(f"{VIEWS}/{path}", title=title, icon=icon, default=default)


def _menu(sections: dict[str, list[st.Page | None]]) -> dict[str, list[st.Page]]:
    return {name: [p for p in pages if p is not None] for name, pages in sections.items()}


def pages_for(role: Role) -> dict[str, list[st.Page]]:
    """The menu of a role: its first page is its home."""
    account = [_page("account.py", "My account", ":material/person:")]
    if role is Role.SUPPLIER:
        return _menu(
            {
                "Production": [
                    _page("supplier/my_lines.py", "My lines", ":material/factory:", default=True),
                    _page("supplier/daily_output.py", "Daily output", ":material/edit_note:"),
                    _page("supplier/schedule.py", "Schedules", ":material/event:"),
                    _page("supplier/alerts.py", "Alerts and messages", ":material/notifications:"),
                    _page("supplier/scorecard.py", "My scorecard", ":material/star:"),
                ],
                "Account": account,
            }
        )
    if role is Role.BUYER:
        return _menu(
            {
                "Purchasing": [
                    _page("buyer/alert_inbox.py", "Alert inbox", ":material/notifications:", default=True),
                    _page("buyer/late_lines.py", "Late and at-risk lines", ":material/running_with_errors:"),
                    _page("buyer/open_lines.py", "Open lines", ":material/list_alt:"),
                    _page("buyer/line_detail.py", "Line detail", ":material/timeline:"),
                    _page("buyer/backorders.py", "Backorders", ":material/shopping_cart:"),
                    _page("buyer/suppliers.py", "Supplier directory", ":material/storefront:"),
                    _page("buyer/imports.py", "Imports", ":material/upload_file:"),
                ],
                "Account": account,
            }
        )
    if role is Role.MANAGER:
        return _menu(
            {
                "Suppliers": [
                    _page("manager/ranking.py", "Supplier ranking", ":material/leaderboard:", default=True),
                    _page("manager/scorecard.py", "Scorecard", ":material/star:"),
                    _page("manager/compare.py", "Compare suppliers", ":material/compare_arrows:"),
                    _page("manager/suppliers.py", "Suppliers", ":material/storefront:"),
                ],
                "Account": account,
            }
        )
    return _menu(
        {
            "Administration": [
                _page("admin/users.py", "Users and suppliers", ":material/group:", default=True),
                _page("admin/settings.py", "Settings", ":material/tune:"),
                _page("admin/notifications.py", "Notifications", ":material/mail:"),
            ],
            "Account": account,
        }
    )


def _sidebar(actor_name: str, role: Role, supplier_note: str) -> None:
    with st.sidebar:
        st.markdown(f"**{actor_name}**")
        st.caption(f"{role.value.capitalize()}{supplier_note}")
        if st.button("Log out", icon=":material/logout:", key="auth.logout"):
            for key in list(st.session_state.keys()):
                del st.session_state[key]
            st.rerun()


def main() -> None:
    st.set_page_config(
        page_title="Supplier Portal", page_icon=":material/precision_manufacturing:", layout="wide"
    )
    actor = current_actor()
    if actor is None:
        st.navigation(
            [st.Page(f"{VIEWS}/login.py", title="Log in", icon=":material/login:")], position="hidden"
        ).run()
        return
    from portal.services.auth import current_user_still_valid
    from portal.ui.context import get_db

    if not current_user_still_valid(get_db(), actor):
        del st.session_state[ACTOR_KEY]
        st.rerun()
    supplier_note = f" · supplier #{actor.supplier_id}" if actor.supplier_id else ""
    _sidebar(actor.name, actor.role, supplier_note)
    st.navigation(pages_for(actor.role)).run()
