"""My account: who I am, and changing my own password."""

import streamlit as st

from portal.services.auth import change_own_password
from portal.ui.context import actor, call

me = actor()
st.title("My account")
st.write(f"**{me.name}** · username `{me.username}` · role {me.role.value}")
st.subheader("Change my password")
with st.form("account.password", clear_on_submit=True):
    current = st.text_input("Current password", type="password", autocomplete="current-password")
    new = st.text_input("New password (at least 10 characters)", type="password", autocomplete="new-password")
    repeat = st.text_input("Repeat the new password", type="password", autocomplete="new-password")
    submitted = st.form_submit_button("Change password", type="primary")
if submitted:
    if new != repeat:
        st.error("The new passwords differ.")
    else:
        call(change_own_password, current, new, success="Password changed.")
