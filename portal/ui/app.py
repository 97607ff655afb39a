"""The app's entry point: who is logged in decides which pages exist (st.navigation, built per role)."""

from __future__ import annotations

import streamlit as st

from portal.core.domain import Role
from portal.ui.context import ACTOR_KEY, current_actor

VIEWS = "portal/ui/views"


def _page(path: str, title: str, icon: str, *, default: bool = False) -> st.Page:
    return st.Page(f"{VIEWS}/{path}", title=title, icon=icon, default=default)


def pages_for(role: Role) -> dict[str, list[st.Page]]:
    """The menu of a role: its first page is its home."""
    account = [_page("account.py", "My account", ":material/person:")]
    if role is Role.SUPPLIER:
        return {
            "Production": [
                _page("supplier/my_lines.py", "My lines", ":material/factory:", default=True),
            ],
            "Account": account,
        }
    if role is Role.BUYER:
        return {
            "Purchasing": [
                _page("buyer/open_lines.py", "Open lines", ":material/list_alt:", default=True),
            ],
            "Account": account,
        }
    if role is Role.MANAGER:
        return {
            "Suppliers": [
                _page("manager/suppliers.py", "Suppliers", ":material/storefront:", default=True),
            ],
            "Account": account,
        }
    return {
        "Administration": [
            _page("admin/users.py", "Users and suppliers", ":material/group:", default=True),
        ],
        "Account": account,
    }


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
