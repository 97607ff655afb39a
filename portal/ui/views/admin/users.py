"""An admin's home: the users (create, deactivate, reset password) and the suppliers."""

import streamlit as st

from portal.core import vocabulary
from portal.core.domain import Role
from portal.i18n import _
from portal.queries.directory import SUPPLIER_DATA_COLUMNS, list_users, supplier_overview
from portal.services.suppliers import set_supplier_timezone
from portal.services.users import create_user, reset_password, set_user_active
from portal.ui.context import actor, call, read
from portal.ui.widgets import datetime_format, label_from, show_table

me = actor()
st.title(_("Users and suppliers"))
ROLE_NAMES = {"supplier": _("Supplier"), "buyer": _("Buyer"), "manager": _("Manager"), "admin": _("Admin")}
users_tab, suppliers_tab = st.tabs([_("Users"), _("Suppliers")])

with users_tab:
    users = read(list_users)
    show_table(
        users[
            ["username", "display_name", "role", "supplier_code", "active", "locked_until", "last_login_at"]
        ].assign(role=users["role"].map(ROLE_NAMES).fillna(users["role"])),
        column_config={
            "username": _("Username"),
            "display_name": _("Name"),
            "role": _("Role"),
            "supplier_code": _("Supplier"),
            "active": st.column_config.CheckboxColumn(_("Active")),
            "locked_until": st.column_config.DatetimeColumn(
                _("Locked until (UTC)"), format=datetime_format()
            ),
            "last_login_at": st.column_config.DatetimeColumn(_("Last login (UTC)"), format=datetime_format()),
        },
    )
    suppliers = read(supplier_overview)
    create_col, manage_col = st.columns(2)
    # Not cleared on submit: a refused form keeps what was typed, with every problem listed at once.
    with create_col, st.form("admin.create_user"):
        st.subheader(_("Create a user"))
        username = st.text_input(_("Username"), key="admin.new.username")
        display_name = st.text_input(_("Name"), key="admin.new.name")
        email = st.text_input(_("E-mail (optional)"), key="admin.new.email")
        role = st.selectbox(
            _("Role"),
            [r.value for r in Role],
            format_func=lambda r: ROLE_NAMES.get(r, r),
            key="admin.new.role",
        )
        supplier = st.selectbox(
            _("Supplier (supplier users only)"),
            [None, *suppliers["code"].tolist()],
            format_func=lambda c: "—" if c is None else c,
            key="admin.new.supplier",
        )
        password = st.text_input(
            _("Initial password (at least 10 characters)"), type="password", key="admin.new.password"
        )
        if st.form_submit_button(_("Create user"), type="primary"):
            created = call(
                create_user,
                username,
                password,
                role,
                supplier_code=supplier,
                display_name=display_name or None,
                email=email or None,
                success=_("User {user} created.").format(user=username),
            )
            if created is not None:
                # Empty the form and rerun, so the table above lists the new user at once.
                for key in ("username", "name", "email", "password"):
                    st.session_state.pop(f"admin.new.{key}", None)
                st.rerun()
    with manage_col:
        st.subheader(_("Manage a user"))
        labels = dict(
            zip(
                users["user_id"],
                users["username"] + " (" + users["role"].map(ROLE_NAMES).fillna(users["role"]) + ")",
                strict=True,
            )
        )
        chosen = st.selectbox(_("User"), list(labels), format_func=label_from(labels), key="admin.user")
        if chosen is not None:
            row = users.set_index("user_id").loc[chosen]
            if row["active"]:
                if st.button(_("Deactivate"), key="admin.deactivate", disabled=chosen == me.user_id):
                    call(
                        set_user_active,
                        int(chosen),
                        False,
                        success=_("{user} deactivated.").format(user=row["username"]),
                    )
                    st.rerun()
            elif st.button(_("Reactivate"), key="admin.reactivate"):
                call(
                    set_user_active,
                    int(chosen),
                    True,
                    success=_("{user} reactivated.").format(user=row["username"]),
                )
                st.rerun()
            with st.form("admin.reset", clear_on_submit=True):
                new_password = st.text_input(_("New password"), type="password")
                if st.form_submit_button(_("Reset password")):
                    call(
                        reset_password,
                        int(chosen),
                        new_password,
                        success=_("Password reset; lockout lifted."),
                    )

with suppliers_tab:
    show_table(
        suppliers.assign(working_weekdays=suppliers["working_weekdays"].map(vocabulary.weekdays_text))[
            [*SUPPLIER_DATA_COLUMNS, "open_lines", "late_lines", "received_lines"]
        ],
        column_config={
            "code": _("Code"),
            "name": _("Name"),
            "country": _("Country"),
            "timezone": st.column_config.TextColumn(
                _("Time zone"), help=_("The supplier's today is its local date")
            ),
            "working_weekdays": st.column_config.TextColumn(
                _("Working days"), help=_("The weekdays the factory works")
            ),
            "transit_days": _("Transit days"),
            "capacity_per_day": _("Capacity/day"),
            "contacts": _("Contacts"),
            "open_lines": _("Open lines"),
            "late_lines": _("Late"),
            "received_lines": _("Received"),
        },
    )
    with st.form("admin.supplier_timezone"):
        st.markdown(
            _(
                "**A supplier's time zone**: its *today* (for posting, stale updates, reminders and "
                "responsiveness) is its local date there."
            )
        )
        left, right = st.columns(2)
        code = left.selectbox(_("Supplier"), suppliers["code"].tolist(), key="admin.timezone_supplier")
        zone = right.text_input(
            _("Time zone (IANA)"), placeholder=_("Asia/Shanghai"), key="admin.timezone", max_chars=64
        )
        if st.form_submit_button(_("Save time zone")) and code:
            supplier_id = int(suppliers.loc[suppliers["code"] == code, "supplier_id"].iloc[0])
            call(
                set_supplier_timezone,
                supplier_id,
                zone,
                success=_("Time zone of {supplier} saved.").format(supplier=code),
            )
