"""Loading the demo world or the real SCMS history through the same import service as any file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import PoLine, ProductionReport, ProductionSchedule, Supplier, SupplierClosure, User
from portal.core.batching import chunked
from portal.core.domain import LineStatus, PortalError, Role
from portal.core.fileformats import check_rows, describe_errors
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.imports import import_table
from portal.services.planning import sweep
from portal.services.scorecards import refresh_scorecards
from portal.services.users import create_user_unchecked

if TYPE_CHECKING:  # the world generator is imported when it is needed: it is large
    from portal.demo.world import DemoUser

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def as_text_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A typed frame as the text cells a CSV would hold (ISO dates, whole numbers, '' for missing)."""

    def cell(value: object) -> str:
        if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
            return ""
        if isinstance(value, pd.Timestamp | dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if pd.isna(value):
            return ""
        return str(value)

    return frame.astype(object).map(cell)


def import_frame(
    db: Database, actor: Actor, kind: str, frame: pd.DataFrame, today: dt.date, source: str
) -> int:
    """Import a typed frame as if it were a file; refuses (PortalError) on any bad row."""
    if frame.empty:
        return 0
    table = check_rows(as_text_cells(frame), kind)
    result = import_table(db, actor, table, filename=source, today=today, recompute=False)
    if not result.ok:
        raise PortalError(f"{source} ({kind}) was refused:\n{describe_errors(result.errors, limit=20)}")
    return result.created


def create_demo_user(
    session: Session, actor: Actor, user: DemoUser, supplier_code: str | None, display_name: str | None = None
) -> None:
    """A demo login (its known password is not checked); a supplier user bound to ``supplier_code``."""
    create_user_unchecked(
        session,
        actor,
        user.username,
        user.password,
        Role(user.role),
        supplier_code=supplier_code,
        display_name=display_name or user.display_name,
        email=user.email,
    )


def database_is_empty(db: Database) -> bool:
    """True when there are no suppliers and no users yet."""
    with db.read() as session:
        return not session.scalar(select(func.count(Supplier.id))) and not session.scalar(
            select(func.count(User.id))
        )


@service(Role.ADMIN)
def load_demo_world(
    db: Database, actor: Actor, *, seed: int = 7, today: dt.date | None = None, progress: Progress = _quiet
) -> str:
    """Generate the demo world for ``seed`` and load it; returns a one-paragraph summary."""
    from portal.demo.world import generate_world

    today = today or dt.date.today()
    world = generate_world(seed=seed, today=today)
    source = f"demo(seed={seed})"
    counts: dict[str, int] = {}
    progress("Loading suppliers and items...")
    counts["suppliers"] = import_frame(db, actor, "suppliers", world.suppliers, today, source)
    _set_calendars(db, actor, world.working_weekdays, world.closures)
    counts["items"] = import_frame(db, actor, "items", world.items, today, source)
    progress("Loading PO lines and schedules...")
    counts["pos"] = import_frame(db, actor, "pos", world.pos, today, source)
    counts["schedules"] = sum(
        import_frame(db, actor, "schedules", frame, today, source) for frame in world.schedule_revisions
    )
    progress("Loading daily reports, receipts and backorders...")
    counts["reports"] = import_frame(db, actor, "reports", world.reports, today, source)
    counts["receipts"] = import_frame(db, actor, "receipts", world.receipts, today, source)
    counts["backorders"] = import_frame(db, actor, "backorders", world.backorders, today, source)
    _set_statuses(db, world.cancelled, LineStatus.CANCELLED)
    _set_statuses(db, world.shipped, LineStatus.SHIPPED)
    _backdate(db, seed, today)
    progress("Creating demo users...")
    with db.write() as session:
        for user in world.users:
            create_demo_user(session, actor, user, user.supplier_code)
        session.commit()
    progress("Computing forecasts, promises and alerts...")
    # Yesterday's nightly sweep first, as a portal that has been running would have had: a line
    # first forecast late is alerted only once a later day's forecast confirms it.
    sweep(db, actor, today - dt.timedelta(days=1))
    result = sweep(db, actor, today)
    progress("Computing supplier scorecards...")
    refresh_scorecards(db, actor, today=today)
    return (
        f"Demo world loaded (seed {seed}, as of {today}): "
        + ", ".join(f"{n} {KIND_WORDS.get(k, k)}" for k, n in counts.items())
        + f". {result.summary()}"
    )


#: How the counts of the load's summary are named to people (the file kinds are "pos", "reports", ...).
KIND_WORDS = {"pos": "PO lines", "reports": "daily reports", "schedules": "schedule revisions"}


def _set_calendars(db: Database, actor: Actor, weekmasks: dict[str, str], closures: pd.DataFrame) -> None:
    with db.write() as session:
        ids = dict(session.execute(select(Supplier.code, Supplier.id)).all())
        for code, mask in weekmasks.items():
            session.execute(update(Supplier).where(Supplier.id == ids[code]).values(working_weekdays=mask))
        for row in closures.itertuples(index=False):
            session.add(
                SupplierClosure(
                    supplier_id=ids[row.supplier_code],
                    closure_date=pd.Timestamp(row.closure_date).date(),
                    reason=row.reason,
                )
            )
        audit.record(
            session,
            actor,
            "demo.calendars",
            "supplier",
            after={"suppliers": len(weekmasks), "closures": len(closures)},
        )
        session.commit()


def _set_statuses(db: Database, keys: list[tuple[str, int]], status: LineStatus) -> None:
    if not keys:
        return
    with db.write() as session:
        for po_number, line in keys:
            session.execute(
                update(PoLine).where(PoLine.po_number == po_number, PoLine.line == line).values(status=status)
            )
        session.commit()


def _backdate(db: Database, seed: int, today: dt.date) -> None:
    """Give demo reports and schedule revisions believable posting times.

    Imports stamp rows with the time of the import; a real history was posted day by day.
    Most reports are posted the evening of their day, some the next morning, a few days late,
    which is what the responsiveness metric measures.
    """
    rng = np.random.default_rng(seed + 1)
    with db.write() as session:
        reports = session.execute(select(ProductionReport.id, ProductionReport.report_date)).all()
        lags = rng.choice([0, 0, 0, 0, 0, 0, 1, 1, 2, 4], size=len(reports))
        hours = rng.integers(15, 20, size=len(reports))
        updates: list[dict[str, Any]] = [
            {"id": rid, "created_at": dt.datetime.combine(day, dt.time(int(h))) + dt.timedelta(days=int(lag))}
            for (rid, day), lag, h in zip(reports, lags, hours, strict=True)
        ]
        now = dt.datetime.combine(today, dt.time(9))
        for u in updates:
            u["created_at"] = min(u["created_at"], now)
        for batch in chunked(updates):
            session.execute(update(ProductionReport), batch)
        schedules = session.execute(
            select(ProductionSchedule.id, ProductionSchedule.revision, ProductionSchedule.start_date)
        ).all()
        sched_updates = [
            {
                "id": sid,
                "created_at": min(
                    now, dt.datetime.combine(start, dt.time(10)) + dt.timedelta(days=7 * (rev - 1) - 10)
                ),
            }
            for sid, rev, start in schedules
        ]
        for batch in chunked(sched_updates):
            session.execute(update(ProductionSchedule), batch)
        session.commit()


@service(Role.ADMIN)
def load_scms(db: Database, actor: Actor, path: Path, *, progress: Progress = _quiet) -> str:
    """Load the real SCMS delivery history (suppliers, items, lines, receipts) and demo staff logins."""
    from portal.demo.scms import read_scms

    progress(f"Reading {path}...")
    world = read_scms(path)
    today = dt.date.today()
    source = f"scms:{Path(path).name}"
    counts = {
        "suppliers": import_frame(db, actor, "suppliers", world.suppliers, today, source),
        "items": import_frame(db, actor, "items", world.items, today, source),
    }
    progress("Loading PO lines and receipts...")
    counts["pos"] = import_frame(db, actor, "pos", world.pos, today, source)
    counts["receipts"] = import_frame(db, actor, "receipts", world.receipts, today, source)
    _ensure_staff_users(db, actor, supplier_code=_busiest_supplier(db))
    progress("Learning supplier statistics...")
    result = sweep(db, actor, today)
    skipped = f", {len(world.skipped)} source rows skipped" if len(world.skipped) else ""
    return (
        "SCMS history loaded: "
        + ", ".join(f"{n} {KIND_WORDS.get(k, k)}" for k, n in counts.items())
        + skipped
        + ". "
        + (result.summary())
    )


def _busiest_supplier(db: Database) -> str | None:
    with db.read() as session:
        return session.scalar(
            select(Supplier.code)
            .join(PoLine, PoLine.supplier_id == Supplier.id)
            .group_by(Supplier.code)
            .order_by(func.count(PoLine.id).desc())
            .limit(1)
        )


def _ensure_staff_users(db: Database, actor: Actor, supplier_code: str | None) -> None:
    """The demo world's staff logins, and its supplier login bound to ``supplier_code``."""
    from portal.demo.world import DEMO_USERS

    with db.write() as session:
        existing = set(session.scalars(select(User.username)))
        for user in DEMO_USERS:
            if user.username in existing or user.username == "supplier2":
                continue
            if user.role == Role.SUPPLIER.value:
                if not supplier_code:
                    continue
                create_demo_user(session, actor, user, supplier_code, f"Supplier planner ({supplier_code})")
            else:
                create_demo_user(session, actor, user, None)
        session.commit()


def demo_credentials() -> list[tuple[str, str, str]]:
    """(username, password, role) of every demo login (demo data only: never in production)."""
    from portal.demo.world import DEMO_USERS

    return [(u.username, u.password, u.role) for u in DEMO_USERS]


def print_logins(db: Database, out: Callable[[str], None] = print) -> None:
    """Print the demo logins that exist in this database."""
    with db.read() as session:
        existing = set(session.scalars(select(User.username).where(User.active)))
    rows = [c for c in demo_credentials() if c[0] in existing]
    if not rows:
        return
    out("Demo logins (demo data only):")
    for username, password, role in rows:
        out(f"  {role:<9} {username:<12} password: {password}")
