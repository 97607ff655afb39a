"""Notifications: the message log (failures, "Retry now"), SMTP and link settings, webhooks, a test e-mail."""

import streamlit as st

from portal.core.notifications import NOTIFY_SPECS, channel_name, kind_name
from portal.i18n import _, format_number, ngettext, pgettext
from portal.queries.notifications import (
    get_notify_settings,
    list_webhooks,
    notification_counts,
    notification_log,
)
from portal.services.notifications import (
    add_webhook,
    retry_notifications,
    send_test_email,
    set_webhook_active,
    update_notify_settings,
)
from portal.services.posting_links import list_posting_links, revoke_posting_link
from portal.ui.context import actor, call, read
from portal.ui.text import plain
from portal.ui.widgets import datetime_format, label_from, show_table

LAST = "admin_notify.last_result"

actor()
st.title(_("Notifications"))
if LAST in st.session_state:
    kind, text = st.session_state.pop(LAST)
    (st.success if kind == "success" else st.error)(plain(text))

counts = read(notification_counts)
for column, (status, label) in zip(
    st.columns(4),
    [
        ("pending", pgettext("notification", "Waiting")),
        ("sending", pgettext("notification", "Sending")),
        ("sent", pgettext("notification", "Sent")),
        ("failed", pgettext("notification", "Failed")),
    ],
    strict=True,
):
    column.metric(label, counts[status])
if counts["failed"]:
    st.warning(
        ngettext(
            "{n} message failed. Fix the cause (settings, address, webhook), then retry it.",
            "{n} messages failed. Fix the cause (settings, address, webhook), then retry them.",
            counts["failed"],
        ).format(n=format_number(counts["failed"]))
    )

log_tab, settings_tab, hooks_tab, links_tab = st.tabs(
    [_("Message log"), _("E-mail settings"), _("Webhooks"), _("Posting links")]
)

with log_tab:
    if not read(get_notify_settings).email_enabled:
        # Otherwise "pending" rows look like a stuck queue: nothing is sent while e-mail is off.
        st.info(
            _(
                "E-mail is off: e-mails are planned here but not sent until an SMTP host and a from address "
                "are set (E-mail settings tab, or PORTAL_SMTP_*)."
            ),
            icon=":material/mail_lock:",
        )
    shown_as = {
        "all": _("All"),
        "failed": pgettext("notification", "Failed"),
        "pending": pgettext("notification", "Waiting"),
        "sending": pgettext("notification", "Sending"),
        "sent": pgettext("notification", "Sent"),
    }
    show = st.selectbox(
        _("Show"), list(shown_as), format_func=label_from(shown_as), key="admin_notify.status_filter"
    )
    log = read(notification_log, None if show == "all" else show)
    if log.empty:
        # Rather than an empty grid saying "empty" in English, whatever the reader's language.
        st.caption(_("No messages to show."))
    else:
        # Kinds, channels and statuses in words, as the filter above names them.
        show_table(
            log.assign(
                kind=log["kind"].map(kind_name),
                channel=log["channel"].map(channel_name),
                status=log["status"].map(lambda status: shown_as.get(status, status)),
            ),
            column_config={
                "id": "#",
                "created_at": st.column_config.DatetimeColumn(_("Planned (UTC)"), format=datetime_format()),
                "kind": _("Kind"),
                "channel": _("Channel"),
                "recipient": _("Recipient"),
                "subject": _("Subject"),
                "status": _("Status"),
                "attempts": _("Attempts"),
                "next_attempt_at": st.column_config.DatetimeColumn(
                    _("Next attempt (UTC)"), format=datetime_format()
                ),
                "sent_at": st.column_config.DatetimeColumn(_("Sent (UTC)"), format=datetime_format()),
                "last_error": st.column_config.TextColumn(_("Last error"), width="large"),
            },
        )
    retryable = log[log["status"].isin(["failed", "pending"])]
    if retryable.empty:
        st.caption(_("Nothing to retry."))
    else:
        labels = {
            int(r.id): _("#{id} {kind} to {recipient} ({status})").format(
                id=r.id,
                kind=kind_name(r.kind),
                recipient=r.recipient,
                status=shown_as.get(r.status, r.status),
            )
            for r in retryable.itertuples(index=False)
        }
        chosen = st.multiselect(
            _("Messages to send again now"),
            list(labels),
            format_func=label_from(labels),
            key="admin_notify.retry_ids",
        )
        if st.button(_("Retry now"), key="admin_notify.retry", disabled=not chosen, type="primary"):
            report = call(retry_notifications, chosen)
            if report is not None:
                ok = report.failed == 0 and report.retrying == 0
                st.session_state[LAST] = ("success" if ok else "error", report.summary())
                st.rerun()

with settings_tab:
    view = read(get_notify_settings)
    for problem in view.problems:
        st.warning(_("Ignored: {problem}").format(problem=plain(problem)))
    if not view.email_enabled:
        st.info(_("E-mail is off until an SMTP host and a from address are set (here or in PORTAL_SMTP_*)."))
    values = view.values

    def _help(key: str) -> str:
        spec = NOTIFY_SPECS[key]
        return _("{help} Now from: {source}. Environment variable: {variable}.").format(
            help=_(spec.help), source=_(view.sources[key]), variable=spec.env
        )

    with st.form("admin_notify.settings"):
        st.subheader(_("Mail server"))
        host = st.text_input(
            _(NOTIFY_SPECS["smtp.host"].label), value=values["smtp.host"], help=_help("smtp.host")
        )
        port = st.number_input(
            _(NOTIFY_SPECS["smtp.port"].label),
            min_value=1,
            max_value=65535,
            step=1,
            value=int(values["smtp.port"]),
            help=_help("smtp.port"),
        )
        choices = list(NOTIFY_SPECS["smtp.security"].choices)
        security = st.selectbox(
            _(NOTIFY_SPECS["smtp.security"].label),
            choices,
            index=choices.index(values["smtp.security"]),
            help=_help("smtp.security"),
        )
        user = st.text_input(
            _(NOTIFY_SPECS["smtp.user"].label), value=values["smtp.user"], help=_help("smtp.user")
        )
        # The stored password is never sent back to the browser: the field starts empty.
        password = st.text_input(
            _(NOTIFY_SPECS["smtp.password"].label),
            value="",
            type="password",
            placeholder=_("(unchanged: a password is set)") if view.password_set else _("(no password set)"),
            help=_help("smtp.password") + _(" Leave empty to keep the current one."),
            autocomplete="new-password",
        )
        clear_password = st.checkbox(
            _("Remove the password saved here"),
            value=False,
            disabled=view.sources["smtp.password"] != "settings page",
            key="admin_notify.clear_password",
        )
        sender = st.text_input(
            _(NOTIFY_SPECS["smtp.from"].label), value=values["smtp.from"], help=_help("smtp.from")
        )
        st.subheader(_("Links and retries"))
        base_url = st.text_input(
            _(NOTIFY_SPECS["notify.base_url"].label),
            value=values["notify.base_url"],
            help=_help("notify.base_url"),
        )
        numbers = {
            key: st.number_input(
                _(NOTIFY_SPECS[key].label),
                min_value=NOTIFY_SPECS[key].minimum,
                max_value=NOTIFY_SPECS[key].maximum,
                step=1,
                value=int(values[key]),
                help=_help(key),
            )
            for key in ("notify.max_attempts", "notify.backoff_seconds", "notify.timeout_seconds")
        }
        saved = st.form_submit_button(_("Save settings"), type="primary")
    if saved:
        entered = {
            "smtp.host": host.strip(),
            "smtp.port": int(port),
            "smtp.security": security,
            "smtp.user": user.strip(),
            "smtp.from": sender.strip(),
            "notify.base_url": base_url.strip().rstrip("/"),
            **{key: int(value) for key, value in numbers.items()},
        }
        # Only what the admin changed becomes an override: the rest keeps following the environment.
        changes: dict[str, object] = {k: v for k, v in entered.items() if v != values[k]}
        if password:
            changes["smtp.password"] = password
        elif clear_password:
            changes["smtp.password"] = None
        if not changes:
            st.info(_("Nothing changed."))
        elif call(update_notify_settings, changes) is not None:
            st.session_state[LAST] = ("success", _("Notification settings saved."))
            st.rerun()

    st.subheader(_("Send a test e-mail"))
    with st.form("admin_notify.test_email"):
        to = st.text_input(pgettext("e-mail recipient", "To"), placeholder=_("you@example.com"))
        send = st.form_submit_button(_("Send a test e-mail"))
    if send:
        outcome = call(send_test_email, to)
        if outcome is not None:
            if outcome.sent:
                st.success(_("Test e-mail sent to {address}.").format(address=plain(to.strip())))
            else:
                st.error(_("The test e-mail was not sent: {error}").format(error=plain(outcome.error)))

with hooks_tab:
    st.caption(
        _(
            "Each team webhook receives every critical alert once, as Slack-compatible JSON"
            " (Slack, Mattermost and Teams workflows accept it)."
        )
    )
    hooks = read(list_webhooks)
    show_table(
        hooks,
        column_config={
            "id": "#",
            "team": _("Team"),
            "url": _("URL (masked)"),
            "active": st.column_config.CheckboxColumn(_("Active")),
            "created_at": st.column_config.DatetimeColumn(_("Added (UTC)"), format=datetime_format()),
        },
    )
    add_col, toggle_col = st.columns(2)
    with add_col, st.form("admin_notify.add_webhook", clear_on_submit=True):
        st.subheader(_("Add a webhook"))
        team = st.text_input(_("Team"))
        url = st.text_input(
            _("Webhook URL"), type="password", help=_("Kept secret: shown masked once saved.")
        )
        if st.form_submit_button(_("Add webhook")) and call(add_webhook, team, url) is not None:
            st.session_state[LAST] = ("success", _("Webhook for {team} added.").format(team=team.strip()))
            st.rerun()
    with toggle_col:
        if not hooks.empty:
            st.subheader(_("Enable or disable"))
            names = {
                int(r.id): (_("{team} (active)") if r.active else _("{team} (disabled)")).format(team=r.team)
                for r in hooks.itertuples()
            }
            hook_id = st.selectbox(
                _("Webhook"), list(names), format_func=label_from(names), key="admin_notify.hook"
            )
            active = bool(hooks.set_index("id").loc[hook_id, "active"])
            if st.button(_("Disable") if active else _("Enable"), key="admin_notify.toggle_hook"):
                call(set_webhook_active, hook_id, not active)
                st.session_state[LAST] = (
                    "success",
                    _("Webhook disabled.") if active else _("Webhook enabled."),
                )
                st.rerun()

with links_tab:
    st.caption(
        _(
            "Each supplier reminder carries a link that posts that supplier's output of its own "
            "today, without a "
            "password, for 24 hours. Revoke a link that was forwarded or leaked: it stops working at once."
        )
    )
    links = read(list_posting_links)
    show_table(
        links,
        key="admin_notify.links",
        column_config={
            "id": "#",
            "supplier": _("Supplier"),
            "email": _("Sent to"),
            "created_at": st.column_config.DatetimeColumn(_("Made (UTC)"), format=datetime_format()),
            "expires_at": st.column_config.DatetimeColumn(_("Expires (UTC)"), format=datetime_format()),
            "revoked_at": st.column_config.DatetimeColumn(_("Revoked (UTC)"), format=datetime_format()),
            "used_at": st.column_config.DatetimeColumn(_("Last used (UTC)"), format=datetime_format()),
            "uses": _("Posts"),
        },
    )
    live = links[links["revoked_at"].isna()] if len(links) else links
    if len(live):
        names = {
            int(r.id): _("#{id} {supplier} to {address}").format(
                id=r.id, supplier=r.supplier, address=r.email or "—"
            )
            for r in live.itertuples()
        }
        link_id = st.selectbox(_("Link"), list(names), format_func=label_from(names), key="admin_notify.link")
        if st.button(_("Revoke"), key="admin_notify.revoke_link", icon=":material/link_off:"):
            call(revoke_posting_link, link_id)
            st.session_state[LAST] = ("success", _("Posting link #{id} revoked.").format(id=link_id))
            st.rerun()
