"""Log in: one form, one generic message for every failure; or the company account when configured."""

from urllib.parse import urlencode, urlsplit

import streamlit as st

from portal.core.domain import AuthenticationError, Role
from portal.i18n import _
from portal.services.auth import authenticate
from portal.services.sessions import begin_login
from portal.ui.app import REDIRECT_KEY, page_paths
from portal.ui.context import ACTOR_KEY, get_db
from portal.ui.server import login_script


def _requested_path(role: Role) -> str:
    """The page and query the user asked for (a link from an e-mail), if that role has the page."""
    url = urlsplit(st.context.url or "")
    page = url.path.rstrip("/").rsplit("/", 1)[-1]
    if page and page not in page_paths(role):
        return "/"
    query = urlencode(list(st.query_params.items()))
    return f"/{page}" + (f"?{query}" if query else "")


def _company_login_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


left, middle, right = st.columns([1, 1.2, 1])
with middle:
    st.title(_("Supplier Portal"))
    st.caption(
        _("Production plans, daily output, forecasts and promise dates, shared by suppliers and buyers.")
    )
    with st.form("login.form"):
        username = st.text_input(_("Username"), key="login.username", autocomplete="username")
        password = st.text_input(
            _("Password"), type="password", key="login.password", autocomplete="current-password"
        )
        submitted = st.form_submit_button(_("Log in"), type="primary", width="stretch")
    if submitted:
        try:
            actor = authenticate(get_db(), username, password, client_address=st.context.ip_address)
        except AuthenticationError:
            # One generic message for every failure (portal.core.domain.AuthenticationError's).
            st.error(_("Invalid username or password, or the account is locked. Try again later."))
        else:
            st.session_state[ACTOR_KEY] = actor
            # The browser fetches its session cookie (HttpOnly: only an HTTP response can set it),
            # so a refresh keeps it logged in; then it lands on the page it asked for.
            ticket = begin_login(get_db(), actor, st.context.headers.get("User-Agent"))
            st.session_state[REDIRECT_KEY] = login_script(ticket, _requested_path(actor.role))
            st.rerun()
    if _company_login_configured():
        st.divider()
        if st.button(_("Log in with your company account"), width="stretch", key="login.oidc"):
            st.login()
