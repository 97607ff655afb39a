"""Notifications: the message log (failures, "Retry now"), SMTP and link settings, webhooks, a test e-mail."""

import streamlit as st

from portal.core.notifications import NOTIFY_SPECS
from portal.services.notifications import (
    add_webhook,
    get_notify_settings,
    list_webhooks,
    notification_counts,
    notification_log,
    retry_notifications,
    send_test_email,
    set_webhook_active,
    update_notify_settings,
)
from portal.services.posting_links import list_posting_links, revoke_posting_link
from portal.ui.context import actor, call, read
from portal.ui.text import plain

LAST = "admin_notify.last_result"

actor()
st.title("Notifications")
if LAST in st.session_state:
    kind, text = st.session_state.pop(LAST)
    (st.success if kind == "success" else st.error)(plain(text))

counts = read(notification_counts)
for column, (status, label) in zip(
    st.columns(4),
    [("pending", "Waiting"), ("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed")],
    strict=True,
):
    column.metric(label, counts[status])
if counts["failed"]:
    st.warning(
        f"{counts['failed']} message(s) failed. Fix the cause (settings, address, webhook), then retry them."
    )

log_tab, settings_tab, hooks_tab, links_tab = st.tabs(
    ["Message log", "E-mail settings", "Webhooks", "Posting links"]
)

with log_tab:
    if not read(get_notify_settings).email_enabled:
        # Otherwise "pending" rows look like a stuck queue: nothing is sent while e-mail is off.
        st.info(
            "E-mail is off: e-mails are planned here but not sent until an SMTP host and a from address "
            "are set (E-mail settings tab, or PORTAL_SMTP_*).",
            icon=":material/mail_lock:",
        )
    show = st.selectbox(
        "Show", ["all", "failed", "pending", "sending", "sent"], key="admin_notify.status_filter"
    )
    log = read(notification_log, None if show == "all" else show)
    st.dataframe(
        log,
        hide_index=True,
        width="stretch",
        column_config={
            "id": "#",
            "created_at": st.column_config.DatetimeColumn("Planned (UTC)", format="YYYY-MM-DD HH:mm"),
            "kind": "Kind",
            "channel": "Channel",
            "recipient": "Recipient",
            "subject": "Subject",
            "status": "Status",
            "attempts": "Attempts",
            "next_attempt_at": st.column_config.DatetimeColumn(
                "Next attempt (UTC)", format="YYYY-MM-DD HH:mm"
            ),
            "sent_at": st.column_config.DatetimeColumn("Sent (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_error": st.column_config.TextColumn("Last error", width="large"),
        },
    )
    retryable = log[log["status"].isin(["failed", "pending"])]
    if retryable.empty:
        st.caption("Nothing to retry.")
    else:
        labels = {
            int(r.id): f"#{r.id} {r.kind} to {r.recipient} ({r.status})"
            for r in retryable.itertuples(index=False)
        }
        chosen = st.multiselect(
            "Messages to send again now", list(labels), format_func=labels.get, key="admin_notify.retry_ids"
        )
        if st.button("Retry now", key="admin_notify.retry", disabled=not chosen, type="primary"):
            report = call(retry_notifications, chosen)
            if report is not None:
                ok = report.failed == 0 and report.retrying == 0
                st.session_state[LAST] = ("success" if ok else "error", report.summary())
                st.rerun()

with settings_tab:
    view = read(get_notify_settings)
    for problem in view.problems:
        st.warning(f"Ignored: {plain(problem)}")
    if not view.email_enabled:
        st.info("E-mail is off until an SMTP host and a from address are set (here or in PORTAL_SMTP_*).")
    values = view.values

    def _help(key: str) -> str:
        spec = NOTIFY_SPECS[key]
        return f"{spec.help} Now from: {view.sources[key]}. Environment variable: {spec.env}."

    with st.form("admin_notify.settings"):
        st.subheader("Mail server")
        host = st.text_input(
            NOTIFY_SPECS["smtp.host"].label, value=values["smtp.host"], help=_help("smtp.host")
        )
        port = st.number_input(
            NOTIFY_SPECS["smtp.port"].label,
            min_value=1,
            max_value=65535,
            step=1,
            value=int(values["smtp.port"]),
            help=_help("smtp.port"),
        )
        choices = list(NOTIFY_SPECS["smtp.security"].choices)
        security = st.selectbox(
            NOTIFY_SPECS["smtp.security"].label,
            choices,
            index=choices.index(values["smtp.security"]),
            help=_help("smtp.security"),
        )
        user = st.text_input(
            NOTIFY_SPECS["smtp.user"].label, value=values["smtp.user"], help=_help("smtp.user")
        )
        # The stored password is never sent back to the browser: the field starts empty.
        password = st.text_input(
            NOTIFY_SPECS["smtp.password"].label,
            value="",
            type="password",
            placeholder="(unchanged: a password is set)" if view.password_set else "(no password set)",
            help=_help("smtp.password") + " Leave empty to keep the current one.",
            autocomplete="new-password",
        )
        clear_password = st.checkbox(
            "Remove the password saved here",
            value=False,
            disabled=view.sources["smtp.password"] != "settings page",
            key="admin_notify.clear_password",
        )
        sender = st.text_input(
            NOTIFY_SPECS["smtp.from"].label, value=values["smtp.from"], help=_help("smtp.from")
        )
        st.subheader("Links and retries")
        base_url = st.text_input(
            NOTIFY_SPECS["notify.base_url"].label,
            value=values["notify.base_url"],
            help=_help("notify.base_url"),
        )
        numbers = {
            key: st.number_input(
                NOTIFY_SPECS[key].label,
                min_value=NOTIFY_SPECS[key].minimum,
                max_value=NOTIFY_SPECS[key].maximum,
                step=1,
                value=int(values[key]),
                help=_help(key),
            )
            for key in ("notify.max_attempts", "notify.backoff_seconds", "notify.timeout_seconds")
        }
        saved = st.form_submit_button("Save settings", type="primary")
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
            st.info("Nothing changed.")
        elif call(update_notify_settings, changes) is not None:
            st.session_state[LAST] = ("success", "Notification settings saved.")
            st.rerun()

    st.subheader("Send a test e-mail")
    with st.form("admin_notify.test_email"):
        to = st.text_input("To", placeholder="you@example.com")
        send = st.form_submit_button("Send a test e-mail")
    if send:
        outcome = call(send_test_email, to)
        if outcome is not None:
            if outcome.sent:
                st.success(f"Test e-mail sent to {plain(to.strip())}.")
            else:
                st.error(f"The test e-mail was not sent: {plain(outcome.error)}")

with hooks_tab:
    st.caption(
        "Each team webhook receives every critical alert once, as Slack-compatible JSON"
        " (Slack, Mattermost and Teams workflows accept it)."
    )
    hooks = read(list_webhooks)
    st.dataframe(
        hooks,
        hide_index=True,
        width="stretch",
        column_config={
            "id": "#",
            "team": "Team",
            "url": "URL (masked)",
            "active": st.column_config.CheckboxColumn("Active"),
            "created_at": st.column_config.DatetimeColumn("Added (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )
    add_col, toggle_col = st.columns(2)
    with add_col, st.form("admin_notify.add_webhook", clear_on_submit=True):
        st.subheader("Add a webhook")
        team = st.text_input("Team")
        url = st.text_input("Webhook URL", type="password", help="Kept secret: shown masked once saved.")
        if st.form_submit_button("Add webhook") and call(add_webhook, team, url) is not None:
            st.session_state[LAST] = ("success", f"Webhook for {team.strip()} added.")
            st.rerun()
    with toggle_col:
        if not hooks.empty:
            st.subheader("Enable or disable")
            names = {
                int(r.id): f"{r.team} ({'active' if r.active else 'disabled'})" for r in hooks.itertuples()
            }
            hook_id = st.selectbox("Webhook", list(names), format_func=names.get, key="admin_notify.hook")
            active = bool(hooks.set_index("id").loc[hook_id, "active"])
            if st.button("Disable" if active else "Enable", key="admin_notify.toggle_hook"):
                call(set_webhook_active, hook_id, not active)
                st.session_state[LAST] = ("success", f"Webhook {'disabled' if active else 'enabled'}.")
                st.rerun()

with links_tab:
    st.caption(
        "Each supplier reminder carries a link that posts that supplier's output of its own today, without a "
        "password, for 24 hours. Revoke a link that was forwarded or leaked: it stops working at once."
    )
    links = read(list_posting_links)
    st.dataframe(
        links,
        hide_index=True,
        width="stretch",
        key="admin_notify.links",
        column_config={
            "id": "#",
            "supplier": "Supplier",
            "email": "Sent to",
            "created_at": st.column_config.DatetimeColumn("Made (UTC)", format="YYYY-MM-DD HH:mm"),
            "expires_at": st.column_config.DatetimeColumn("Expires (UTC)", format="YYYY-MM-DD HH:mm"),
            "revoked_at": st.column_config.DatetimeColumn("Revoked (UTC)", format="YYYY-MM-DD HH:mm"),
            "used_at": st.column_config.DatetimeColumn("Last used (UTC)", format="YYYY-MM-DD HH:mm"),
            "uses": "Posts",
        },
    )
    live = links[links["revoked_at"].isna()] if len(links) else links
    if len(live):
        names = {int(r.id): f"#{r.id} {r.supplier} to {r.email or '—'}" for r in live.itertuples()}
        link_id = st.selectbox("Link", list(names), format_func=names.get, key="admin_notify.link")
        if st.button("Revoke", key="admin_notify.revoke_link", icon=":material/link_off:"):
            call(revoke_posting_link, link_id)
            st.session_state[LAST] = ("success", f"Posting link #{link_id} revoked.")
            st.rerun()
