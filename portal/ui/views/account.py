"""My account: who I am, changing my own password, and which e-mails the portal sends me."""

import streamlit as st

from portal.core.domain import Role
from portal.core.notifications import USER_KINDS
from portal.services.auth import change_own_password
from portal.services.notifications import (
    follow_choices,
    my_notifications,
    set_followed_suppliers,
    set_my_notification_preferences,
)
from portal.ui.app import current_session_cookie
from portal.ui.context import actor, call, read

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
        # This browser stays logged in; every other session of this user ends.
        call(
            change_own_password,
            current,
            new,
            keep_session=current_session_cookie(),
            success="Password changed; your other sessions are logged out.",
        )

st.subheader("E-mail notifications")
mine = read(my_notifications)
if not mine.kinds:
    st.caption("The portal sends no e-mail notifications to your role.")
else:
    if mine.email:
        st.caption(f"E-mails go to {mine.email}.")
    else:
        st.warning("There is no e-mail address on your account: ask an admin to add one.")
    suppliers, followed = read(follow_choices) if me.role is Role.BUYER else ([], [])
    with st.form("account.notify"):
        choices = {
            kind: st.checkbox(
                USER_KINDS[kind][1], value=enabled, help=USER_KINDS[kind][2], key=f"account.notify.{kind}"
            )
            for kind, enabled in mine.kinds.items()
        }
        if me.role is Role.BUYER:
            labels = dict(suppliers)
            follows = st.multiselect(
                "Suppliers I follow (none: all suppliers)",
                list(labels),
                default=followed,
                format_func=labels.get,
                help="Your digest covers the alerts of these suppliers, and every backorder alert.",
                key="account.notify.follows",
            )
        saved = st.form_submit_button("Save notification choices")
    if saved:
        ok = call(set_my_notification_preferences, choices) is not None
        if ok and me.role is Role.BUYER:
            ok = call(set_followed_suppliers, follows) is not None
        if ok:
            st.toast("Notification choices saved.", icon=":material/check_circle:")
