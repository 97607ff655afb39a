"""My account: who I am, changing my own password, which e-mails the portal sends me, my API tokens."""

from dataclasses import replace

import streamlit as st

from portal.core.domain import Role
from portal.core.notifications import USER_KINDS
from portal.i18n import LANGUAGES, N_, _
from portal.queries.notifications import follow_choices, my_notifications
from portal.services.api_tokens import create_api_token, my_api_tokens, revoke_api_token
from portal.services.auth import change_own_password
from portal.services.notifications import set_followed_suppliers, set_my_notification_preferences
from portal.services.users import set_user_language
from portal.ui.app import ROLE_NAMES, current_session_cookie
from portal.ui.context import ACTOR_KEY, actor, call, read
from portal.ui.text import plain
from portal.ui.widgets import datetime_format, label_from

#: The token states my_api_tokens reports, as shown.
TOKEN_STATES = {"active": N_("active"), "expired": N_("expired"), "revoked": N_("revoked")}

me = actor()
st.title(_("My account"))
st.write(
    _("**{name}** · username {username} · role {role}").format(
        name=plain(me.name), username=plain(me.username), role=_(ROLE_NAMES[me.role])
    )
)

st.subheader(_("Language"))
language_choices: list[str | None] = [None, *LANGUAGES]
picked = st.selectbox(
    _("Language of the portal"),
    language_choices,
    index=language_choices.index(me.language if me.language in LANGUAGES else None),
    # Each language in its own words, so a user who cannot read the current one still finds theirs.
    format_func=lambda code: LANGUAGES[code] if code else _("The browser's language"),
    help=_("The portal's pages, messages and e-mails to you use this language."),
    key="account.language",
)
if picked != me.language and call(set_user_language, picked) is not None:
    # The session's actor carries the language: the next run (at once) uses it.
    st.session_state[ACTOR_KEY] = replace(me, language=picked)
    st.rerun()

st.subheader(_("Change my password"))
with st.form("account.password", clear_on_submit=True):
    current = st.text_input(_("Current password"), type="password", autocomplete="current-password")
    new = st.text_input(
        _("New password (at least 10 characters)"), type="password", autocomplete="new-password"
    )
    repeat = st.text_input(_("Repeat the new password"), type="password", autocomplete="new-password")
    submitted = st.form_submit_button(_("Change password"), type="primary")
if submitted:
    if new != repeat:
        st.error(_("The new passwords differ."))
    else:
        # This browser stays logged in; every other session of this user ends.
        call(
            change_own_password,
            current,
            new,
            keep_session=current_session_cookie(),
            success=_("Password changed; your other sessions are logged out."),
        )

st.subheader(_("E-mail notifications"))
mine = read(my_notifications)
if not mine.kinds:
    st.caption(_("The portal sends no e-mail notifications to your role."))
else:
    if mine.email:
        st.caption(_("E-mails go to {email}.").format(email=plain(mine.email)))
    else:
        st.warning(_("There is no e-mail address on your account: ask an admin to add one."))
    suppliers, followed = read(follow_choices) if me.role is Role.BUYER else ([], [])
    with st.form("account.notify"):
        choices = {
            kind: st.checkbox(
                _(USER_KINDS[kind][1]),
                value=enabled,
                help=_(USER_KINDS[kind][2]),
                key=f"account.notify.{kind}",
            )
            for kind, enabled in mine.kinds.items()
        }
        if me.role is Role.BUYER:
            labels = dict(suppliers)
            follows = st.multiselect(
                _("Suppliers I follow (none: all suppliers)"),
                list(labels),
                default=followed,
                format_func=label_from(labels),
                help=_("Your digest covers the alerts of these suppliers, and every backorder alert."),
                key="account.notify.follows",
            )
        saved = st.form_submit_button(_("Save notification choices"))
    if saved:
        ok = call(set_my_notification_preferences, choices) is not None
        if ok and me.role is Role.BUYER:
            ok = call(set_followed_suppliers, follows) is not None
        if ok:
            st.toast(_("Notification choices saved."), icon=":material/check_circle:")

st.subheader(_("API tokens"))
st.caption(
    _(
        "A token lets your company's systems use the portal's API (`/api/v1`, documented at `/api/v1/docs`) "
        "as you, with your rights. Anyone holding it can act as you: keep it like a password, and revoke it "
        "when it is no longer needed."
    )
)
with st.form("account.token", clear_on_submit=True):
    token_name = st.text_input(_("What is it for?"), placeholder=_("ERP nightly upload"), max_chars=80)
    token_days = st.number_input(_("Expires after (days)"), min_value=1, max_value=730, value=90, step=1)
    make_token = st.form_submit_button(_("Create token"))
if make_token:
    made = call(create_api_token, token_name, expires_days=int(token_days), success=_("Token created."))
    if made is not None:
        st.success(
            _("Copy this token now: it is shown this once, and the portal keeps only a fingerprint of it.")
        )
        st.code(made.secret, language=None)
tokens = read(my_api_tokens)
if tokens.empty:
    st.caption(_("You have no API tokens."))
else:
    st.dataframe(
        tokens.drop(columns=["token_id"]).assign(
            state=tokens["state"].map(
                lambda state: _(TOKEN_STATES[state]) if state in TOKEN_STATES else state
            )
        ),
        hide_index=True,
        placeholder="–",
        column_config={
            "name": _("Name"),
            "prefix": _("Starts with"),
            "created_at": st.column_config.DatetimeColumn(_("Created (UTC)"), format=datetime_format()),
            "created_by": _("Created by"),
            "expires_at": st.column_config.DatetimeColumn(_("Expires (UTC)"), format=datetime_format()),
            "last_used_at": st.column_config.DatetimeColumn(_("Last used (UTC)"), format=datetime_format()),
            "state": _("State"),
        },
    )
    active = tokens[tokens["state"] == "active"]
    if not active.empty:
        labels = {int(r.token_id): f"{r.name} ({r.prefix}…)" for r in active.itertuples()}
        with st.form("account.revoke"):
            chosen = st.selectbox(_("Token to revoke"), list(labels), format_func=label_from(labels))
            if st.form_submit_button(_("Revoke token")):
                revoked = call(
                    revoke_api_token, chosen, success=_("Token revoked: it stops working at once.")
                )
                if revoked is not None:
                    st.rerun()
