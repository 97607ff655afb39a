"""Log in: one form, one generic message for every failure."""

import streamlit as st

from portal.core.domain import AuthenticationError
from portal.services.auth import authenticate
from portal.ui.context import ACTOR_KEY, get_db

left, middle, right = st.columns([1, 1.2, 1])
with middle:
    st.title("Supplier Portal")
    st.caption("Production plans, daily output, forecasts and promise dates, shared by suppliers and buyers.")
    with st.form("login.form"):
        username = st.text_input("Username", key="login.username", autocomplete="username")
        password = st.text_input(
            "Password", type="password", key="login.password", autocomplete="current-password"
        )
        submitted = st.form_submit_button("Log in", type="primary", use_container_width=True)
    if submitted:
        try:
            st.session_state[ACTOR_KEY] = authenticate(get_db(), username, password)
        except AuthenticationError as exc:
            st.error(str(exc))
        else:
            st.rerun()
