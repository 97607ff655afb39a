"""Reads about suppliers and users: the manager's supplier list, the admin's user and supplier lists."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import case, func, select

from db.engine import Database
from db.models import LineForecast, PoLine, Supplier, SupplierContact, User
from portal.core.domain import OPEN_LINE_STATUSES, LineStatus, Role
from portal.services.access import STAFF, Actor, service

SUPPLIER_OVERVIEW_COLUMNS = [
    "supplier_id",
    "code",
    "name",
    "country",
    "working_weekdays",
    "transit_days",
    "capacity_per_day",
    "contacts",
    "lines",
    "open_lines",
    "late_lines",
    "received_lines",
    "cancelled_lines",
]


@service(*STAFF, writes=False)
def supplier_overview(db: Database, actor: Actor) -> pd.DataFrame:
    """Every supplier with its calendar, contacts and line counts (open, late, received)."""
    is_open = PoLine.status.in_(OPEN_LINE_STATUSES)
    counts = (
        select(
            PoLine.supplier_id,
            func.count(PoLine.id).label("lines"),
            func.sum(case((is_open, 1), else_=0)).label("open"),
            func.sum(case((is_open & (LineForecast.days_late_p50 > 0), 1), else_=0)).label("late"),
            func.sum(case((PoLine.status == LineStatus.RECEIVED, 1), else_=0)).label("received"),
            func.sum(case((PoLine.status == LineStatus.CANCELLED, 1), else_=0)).label("cancelled"),
        )
        .outerjoin(LineForecast, LineForecast.po_line_id == PoLine.id)
        .group_by(PoLine.supplier_id)
        .subquery()
    )
    stmt = (
        select(
            Supplier.id,
            Supplier.code,
            Supplier.name,
            Supplier.country,
            Supplier.working_weekdays,
            Supplier.transit_days,
            Supplier.capacity_per_day,
            func.coalesce(counts.c.lines, 0),
            func.coalesce(counts.c.open, 0),
            func.coalesce(counts.c.late, 0),
            func.coalesce(counts.c.received, 0),
            func.coalesce(counts.c.cancelled, 0),
        )
        .outerjoin(counts, counts.c.supplier_id == Supplier.id)
        .order_by(Supplier.code)
    )
    with db.read() as session:
        rows = session.execute(stmt).all()
        contacts = pd.DataFrame(
            session.execute(select(SupplierContact.supplier_id, SupplierContact.email)).all(),
            columns=["supplier_id", "email"],
        )
    cols = [c for c in SUPPLIER_OVERVIEW_COLUMNS if c != "contacts"]
    frame = pd.DataFrame(rows, columns=cols)
    joined = (
        contacts.groupby("supplier_id")["email"].agg(", ".join) if len(contacts) else pd.Series(dtype=object)
    )
    frame.insert(7, "contacts", joined.reindex(frame["supplier_id"]).to_numpy() if len(frame) else [])
    frame["capacity_per_day"] = frame["capacity_per_day"].astype("Int64")
    return frame


@service(Role.ADMIN, writes=False)
def list_users(db: Database, actor: Actor) -> pd.DataFrame:
    """Every login with its role, supplier, state and last login."""
    stmt = (
        select(
            User.id,
            User.username,
            User.display_name,
            User.role,
            Supplier.code,
            User.active,
            User.locked_until,
            User.last_login_at,
            User.email,
        )
        .outerjoin(Supplier, Supplier.id == User.supplier_id)
        .order_by(User.role, User.username)
    )
    with db.read() as session:
        frame = pd.DataFrame(
            session.execute(stmt).all(),
            columns=[
                "user_id",
                "username",
                "display_name",
                "role",
                "supplier_code",
                "active",
                "locked_until",
                "last_login_at",
                "email",
            ],
        )
    frame["role"] = frame["role"].map(lambda v: getattr(v, "value", v))
    return frame


@service(*STAFF, writes=False)
def supplier_codes(db: Database, actor: Actor) -> pd.DataFrame:
    """(supplier_id, code, name) of every supplier, for pickers."""
    with db.read() as session:
        return pd.DataFrame(
            session.execute(select(Supplier.id, Supplier.code, Supplier.name).order_by(Supplier.code)).all(),
            columns=["supplier_id", "code", "name"],
        )
