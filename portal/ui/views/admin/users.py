"""An admin's home: the users (create, deactivate, reset password) and the suppliers."""

import streamlit as st

from portal.core import vocabulary
from portal.core.domain import Role
from portal.queries.directory import list_users, supplier_overview
from portal.services.suppliers import set_supplier_timezone
from portal.services.users import create_user, reset_password, set_user_active
from portal.ui.context import actor, call, read

me = actor()
st.title("Users and suppliers")
users_tab, suppliers_tab = st.tabs(["Users", "Suppliers"])

with users_tab:
    users = read(list_users)
    st.dataframe(
        users[
            ["username", "display_name", "role", "supplier_code", "active", "locked_until", "last_login_at"]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "username": "Username",
            "display_name": "Name",
            "role": "Role",
            "supplier_code": "Supplier",
            "active": st.column_config.CheckboxColumn("Active"),
            "locked_until": st.column_config.DatetimeColumn("Locked until (UTC)", format="YYYY-MM-DD HH:mm"),
            "last_login_at": st.column_config.DatetimeColumn("Last login (UTC)", format="YYYY-MM-DD HH:mm"),
        },
    )
    suppliers = read(supplier_overview)
    create_col, manage_col = st.columns(2)
    # Not cleared on submit: a refused form keeps what was typed, with every problem listed at once.
    with create_col, st.form("admin.create_user"):
        st.subheader("Create a user")
        username = st.text_input("Username", key="admin.new.username")
        display_name = st.text_input("Name", key="admin.new.name")
        email = st.text_input("E-mail (optional)", key="admin.new.email")
        role = st.selectbox(
            "Role", [r.value for r in Role], format_func=lambda r: r.capitalize(), key="admin.new.role"
        )
        supplier = st.selectbox(
            "Supplier (supplier users only)",
            [None, *suppliers["code"].tolist()],
            format_func=lambda c: "—" if c is None else c,
            key="admin.new.supplier",
        )
        password = st.text_input(
            "Initial password (at least 10 characters)", type="password", key="admin.new.password"
        )
        if st.form_submit_button("Create user", type="primary"):
            created = call(
                create_user,
                username,
                password,
                role,
                supplier_code=supplier,
                display_name=display_name or None,
                email=email or None,
                success=f"User {username} created.",
            )
            if created is not None:
                # Empty the form and rerun, so the table above lists the new user at once.
                for key in ("username", "name", "email", "password"):
                    st.session_state.pop(f"admin.new.{key}", None)
                st.rerun()
    with manage_col:
        st.subheader("Manage a user")
        labels = dict(zip(users["user_id"], users["username"] + " (" + users["role"] + ")", strict=True))
        chosen = st.selectbox("User", list(labels), format_func=labels.get, key="admin.user")
        if chosen is not None:
            row = users.set_index("user_id").loc[chosen]
            if row["active"]:
                if st.button("Deactivate", key="admin.deactivate", disabled=chosen == me.user_id):
                    call(set_user_active, int(chosen), False, success=f"{row['username']} deactivated.")
                    st.rerun()
            elif st.button("Reactivate", key="admin.reactivate"):
                call(set_user_active, int(chosen), True, success=f"{row['username']} reactivated.")
                st.rerun()
            with st.form("admin.reset", clear_on_submit=True):
                new_password = st.text_input("New password", type="password")
                if st.form_submit_button("Reset password"):
                    call(reset_password, int(chosen), new_password, success="Password reset; lockout lifted.")

with suppliers_tab:
    st.dataframe(
        suppliers.assign(working_weekdays=suppliers["working_weekdays"].map(vocabulary.weekdays_text))[
            [
                "code",
                "name",
                "country",
                "timezone",
                "working_weekdays",
                "transit_days",
                "capacity_per_day",
                "contacts",
                "open_lines",
                "late_lines",
                "received_lines",
            ]
        ],
        hide_index=True,
        width="stretch",
        column_config={
            "code": "Code",
            "name": "Name",
            "country": "Country",
            "timezone": st.column_config.TextColumn(
                "Time zone", help="The supplier's today is its local date"
            ),
            "working_weekdays": st.column_config.TextColumn(
                "Working days", help="The weekdays the factory works"
            ),
            "transit_days": "Transit days",
            "capacity_per_day": "Capacity/day",
            "contacts": "Contacts",
            "open_lines": "Open lines",
            "late_lines": "Late",
            "received_lines": "Received",
        },
    )
    with st.form("admin.supplier_timezone"):
        st.markdown(
            "**A supplier's time zone**: its *today* (for posting, stale updates, reminders and "
            "responsiveness) is its local date there."
        )
        left, right = st.columns(2)
        code = left.selectbox("Supplier", suppliers["code"].tolist(), key="admin.timezone_supplier")
        zone = right.text_input(
            "Time zone (IANA)", placeholder="Asia/Shanghai", key="admin.timezone", max_chars=64
        )
        if st.form_submit_button("Save time zone") and code:
            supplier_id = int(suppliers.loc[suppliers["code"] == code, "supplier_id"].iloc[0])
            call(set_supplier_timezone, supplier_id, zone, success=f"Time zone of {code} saved.")
