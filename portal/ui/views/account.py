"""My account: who I am, changing my own password, which e-mails the portal sends me, my API tokens."""

import streamlit as st

from portal.core.domain import Role
from portal.core.notifications import USER_KINDS
from portal.services.api_tokens import create_api_token, my_api_tokens, revoke_api_token
from portal.services.auth import change_own_password
from portal.services.notifications import (
    follow_choices,
    my_notifications,
    set_followed_suppliers,
    set_my_notification_preferences,
)
from portal.ui.app import current_session_cookie
from portal.ui.context import actor, call, read
from portal.ui.text import plain

me = actor()
st.title("My account")
st.write(f"**{plain(me.name)}** · username {plain(me.username)} · role {me.role.value}")
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
        st.caption(f"E-mails go to {plain(mine.email)}.")
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

st.subheader("API tokens")
st.caption(
    "A token lets your company's systems use the portal's API (`/api/v1`, documented at `/api/v1/docs`) "
    "as you, with your rights. Anyone holding it can act as you: keep it like a password, and revoke it "
    "when it is no longer needed."
)
with st.form("account.token", clear_on_submit=True):
    token_name = st.text_input("What is it for?", placeholder="ERP nightly upload", max_chars=80)
    token_days = st.number_input("Expires after (days)", min_value=1, max_value=730, value=90, step=1)
    make_token = st.form_submit_button("Create token")
if make_token:
    made = call(create_api_token, token_name, expires_days=int(token_days), success="Token created.")
    if made is not None:
        st.success(
            "Copy this token now: it is shown this once, and the portal keeps only a fingerprint of it."
        )
        st.code(made.secret, language=None)
tokens = read(my_api_tokens)
if tokens.empty:
    st.caption("You have no API tokens.")
else:
    st.dataframe(
        tokens.drop(columns=["token_id"]),
        hide_index=True,
        column_config={
            "name": "Name",
            "prefix": "Starts with",
            "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="YYYY-MM-DD HH:mm"),
            "created_by": "Created by",
            "expires_at": st.column_config.DatetimeColumn("Expires (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_used_at": st.column_config.DatetimeColumn("Last used (UTC)", format="YYYY-MM-DD HH:mm"),
            "state": "State",
        },
    )
    active = tokens[tokens["state"] == "active"]
    if not active.empty:
        labels = {int(r.token_id): f"{r.name} ({r.prefix}…)" for r in active.itertuples()}
        with st.form("account.revoke"):
            chosen = st.selectbox("Token to revoke", list(labels), format_func=labels.get)
            if st.form_submit_button("Revoke token"):
                revoked = call(revoke_api_token, chosen, success="Token revoked: it stops working at once.")
                if revoked is not None:
                    st.rerun()
