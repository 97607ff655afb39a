"""Reads about suppliers and users: the supplier directory and profiles, the admin's lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, case, func, select

from db.engine import Database
from db.frames import enum_values
from db.models import LineForecast, PoLine, Supplier, SupplierClosure, SupplierContact, SupplierStats, User
from portal.core.calendar import public_holidays
from portal.core.domain import OPEN_LINE_STATUSES, LineStatus, NotFound, Role
from portal.queries.text_search import holds, typed_text
from portal.services.access import STAFF, Actor, service

#: A supplier's own data in the overview (its code, name, place, calendar, transit, capacity, contacts).
SUPPLIER_DATA_COLUMNS = [
    "code",
    "name",
    "country",
    "timezone",
    "working_weekdays",
    "transit_days",
    "capacity_per_day",
    "contacts",
]
SUPPLIER_OVERVIEW_COLUMNS = [
    "supplier_id",
    *SUPPLIER_DATA_COLUMNS,
    "lines",
    "open_lines",
    "late_lines",
    "received_lines",
    "cancelled_lines",
    "at_risk_lines",
    "buffer_days",
    "observed_capacity",
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
            func.sum(
                case(
                    (
                        is_open
                        & (LineForecast.days_late_p90 > 0)
                        & (func.coalesce(LineForecast.days_late_p50, 0) <= 0),
                        1,
                    ),
                    else_=0,
                )
            ).label("at_risk"),
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
            Supplier.timezone,
            Supplier.working_weekdays,
            Supplier.transit_days,
            Supplier.capacity_per_day,
            func.coalesce(counts.c.lines, 0),
            func.coalesce(counts.c.open, 0),
            func.coalesce(counts.c.late, 0),
            func.coalesce(counts.c.received, 0),
            func.coalesce(counts.c.cancelled, 0),
            func.coalesce(counts.c.at_risk, 0),
            SupplierStats.buffer_days,
            SupplierStats.observed_capacity_p90,
        )
        .outerjoin(counts, counts.c.supplier_id == Supplier.id)
        .outerjoin(SupplierStats, SupplierStats.supplier_id == Supplier.id)
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
    frame.insert(8, "contacts", joined.reindex(frame["supplier_id"]).to_numpy() if len(frame) else [])
    frame["capacity_per_day"] = frame["capacity_per_day"].astype("Int64")
    frame["buffer_days"] = frame["buffer_days"].astype("Int64")
    frame["observed_capacity"] = frame["observed_capacity"].astype("float64")
    return frame


@dataclass
class SupplierProfile:
    """One supplier as the directory shows it: contacts, calendar, capacity and history."""

    header: dict[str, Any]
    contacts: pd.DataFrame
    closures: pd.DataFrame
    public_holidays: list[dt.date]


@service(*STAFF, writes=False)
def supplier_profile(
    db: Database, actor: Actor, supplier_id: int, *, today: dt.date | None = None
) -> SupplierProfile:
    """A supplier's contacts, working calendar (closures and public holidays ahead) and learned statistics."""
    today = today or dt.date.today()
    with db.read() as session:
        supplier = session.get(Supplier, supplier_id)
        if supplier is None:
            raise NotFound(f"No supplier with id {supplier_id}.")
        stats = session.get(SupplierStats, supplier_id)
        header = {
            "supplier_id": supplier.id,
            "code": supplier.code,
            "name": supplier.name,
            "country": supplier.country,
            "working_weekdays": supplier.working_weekdays,
            "transit_days": supplier.transit_days,
            "capacity_per_day": supplier.capacity_per_day,
            "active": supplier.active,
            "buffer_days": stats.buffer_days if stats else None,
            "deliveries": stats.deliveries if stats else None,
            "median_lead_time_days": stats.median_lead_time_days if stats else None,
            "observed_capacity": stats.observed_capacity_p90 if stats else None,
        }
        contacts = pd.DataFrame(
            session.execute(
                select(SupplierContact.name, SupplierContact.email)
                .where(SupplierContact.supplier_id == supplier_id)
                .order_by(SupplierContact.id)
            ).all(),
            columns=["name", "email"],
        )
        closures = pd.DataFrame(
            session.execute(
                select(SupplierClosure.closure_date, SupplierClosure.reason)
                .where(SupplierClosure.supplier_id == supplier_id, SupplierClosure.closure_date >= today)
                .order_by(SupplierClosure.closure_date)
            ).all(),
            columns=["closure_date", "reason"],
        )
    closures["closure_date"] = pd.to_datetime(closures["closure_date"])
    horizon = today + dt.timedelta(days=365)
    holidays = [
        d for d in public_holidays(supplier.country, today.year, horizon.year) if today <= d <= horizon
    ]
    return SupplierProfile(header=header, contacts=contacts, closures=closures, public_holidays=holidays)


def weekday_names(weekmask: str) -> str:
    """'1111100' -> 'Mon-Fri'; '1111110' -> 'Mon-Sat'; otherwise the days listed."""
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    working = [d for d, flag in zip(days, weekmask, strict=False) if flag == "1"]
    if not working:
        return "none"
    first, last = days.index(working[0]), days.index(working[-1])
    if len(working) > 2 and working == days[first : last + 1]:
        return f"{working[0]}-{working[-1]}"
    return ", ".join(working)


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
    frame["role"] = enum_values(frame["role"])
    return frame


def supplier_search(search: str) -> ColumnElement[bool] | None:
    """The suppliers whose code or name holds ``search`` (any case; ``%`` and ``_`` as typed), as a
    condition on :class:`Supplier`; None when it is blank (every supplier). The one definition of
    "find a supplier": the ranking's search and the staff pages' supplier filter.

    Matched as every search box matches (:mod:`portal.queries.text_search`)."""
    pattern = typed_text(search)
    if pattern is None:
        return None
    return holds(Supplier.code, pattern) | holds(Supplier.name, pattern)


@dataclass(frozen=True)
class SupplierChoices:
    """Suppliers a picker offers (``suppliers``: supplier_id, code, name, by code): those asked to be
    kept and the first matches of a search; ``more``: more suppliers match than were returned."""

    suppliers: pd.DataFrame
    found: int
    more: bool


@service(*STAFF, writes=False)
def supplier_choices(
    db: Database, actor: Actor, search: str = "", *, limit: int, keep: tuple[int, ...] = ()
) -> SupplierChoices:
    """The first ``limit`` suppliers by code whose code or name holds ``search`` (blank: every
    supplier), with the suppliers ``keep`` (already picked; those that no longer exist left out):
    a picker's options that stay small whatever the number of suppliers. ``found`` counts the
    matches returned (at most ``limit``), ``more`` says whether others match too."""
    columns = ["supplier_id", "code", "name"]
    found = select(Supplier.id, Supplier.code, Supplier.name).order_by(Supplier.code).limit(limit + 1)
    condition = supplier_search(search)
    if condition is not None:
        found = found.where(condition)
    with db.read() as session:
        matches = session.execute(found).all()
        picked = select(Supplier.id, Supplier.code, Supplier.name).where(Supplier.id.in_(keep))
        kept = session.execute(picked).all() if keep else []
    frame = pd.DataFrame([*matches[:limit], *kept], columns=columns)
    frame = frame.drop_duplicates("supplier_id").sort_values("code", kind="stable").reset_index(drop=True)
    return SupplierChoices(frame, found=min(len(matches), limit), more=len(matches) > limit)


@service(*STAFF, writes=False)
def supplier_codes(db: Database, actor: Actor, codes: tuple[str, ...] | None = None) -> pd.DataFrame:
    """(supplier_id, code, name) of every supplier, or of those whose code is in ``codes`` (the API's
    ``?supplier=``: a few codes looked up by the index, not 10,000 suppliers read)."""
    stmt = select(Supplier.id, Supplier.code, Supplier.name).order_by(Supplier.code)
    if codes is not None:
        stmt = stmt.where(Supplier.code.in_(codes))
    with db.read() as session:
        return pd.DataFrame(session.execute(stmt).all(), columns=["supplier_id", "code", "name"])
