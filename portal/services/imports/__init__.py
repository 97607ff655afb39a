"""Importing files of every kind: check every row against the database, then write all rows or none.

The command line and the browser both call :func:`import_table`; the browser first calls
it with ``dry_run=True`` for its preview. Checks that need the database (unknown
supplier, item or line; a key that already exists; a report on a non-working day; a
line of another supplier) run on whole columns, after the per-cell checks of
:mod:`portal.core.fileformats`. One module per kind writes it:

- :mod:`.master_data`: suppliers, items, backorders;
- :mod:`.purchase_orders`: new lines and change orders;
- :mod:`.schedules`, :mod:`.reports`, :mod:`.receipts`: the supplier's plans and output, and receipts;
- :mod:`.lookups`: the lookups they share; :mod:`.result`: what an import did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from db.engine import Database
from portal.core.domain import PermissionDenied, Role
from portal.core.fileformats import FORMATS, CheckedTable, TooManyRows, check_rows, read_table
from portal.services import audit
from portal.services.access import Actor, service
from portal.services.imports.master_data import _write_backorders, _write_items, _write_suppliers
from portal.services.imports.purchase_orders import (
    CHANGE_FIELDS,
    ChangeOrder,
    _write_pos,
    apply_change_orders,
)
from portal.services.imports.receipts import _write_receipts, mark_received
from portal.services.imports.reports import (
    _write_reports,
    check_report_days,
    check_reports,
    mark_in_production,
    reported_before,
    write_reports,
)
from portal.services.imports.result import KIND_ROLES, ImportJob, ImportResult
from portal.services.imports.schedules import _write_schedules, check_schedules, write_schedules
from portal.services.settings import load_settings

__all__ = [
    "CHANGE_FIELDS",
    "KIND_ROLES",
    "ChangeOrder",
    "ImportResult",
    "apply_change_orders",
    "check_report_days",
    "check_reports",
    "check_row_limit",
    "check_schedules",
    "import_table",
    "mark_in_production",
    "mark_received",
    "read_upload",
    "reported_before",
    "write_reports",
    "write_schedules",
]

#: What writes one kind (a dry run only checks).
Writer = Callable[[ImportJob], None]


def read_upload(
    data: bytes,
    filename: str,
    kind: str,
    mapping: Mapping[str, str] | None = None,
    *,
    max_rows: int | None = None,
) -> CheckedTable:
    """Read and check the cells of an uploaded file (no database needed); ``max_rows``: see read_table."""
    if kind not in FORMATS:
        raise ValueError(f"Unknown kind '{kind}'")
    return check_rows(read_table(data, filename, kind, max_rows=max_rows), kind, mapping)


def check_row_limit(session: Session, actor: Actor, kind: str, rows: int) -> None:
    """Refuse a person's upload over the admin's row limit for ``kind`` (the command line has none)."""
    # Pages read files with the limit already (read_table's max_rows): this is the service's own check.
    if actor.user_id is None:
        return
    limit = load_settings(session).upload_row_limit(kind)
    if rows > limit:
        raise TooManyRows(limit)


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def import_table(
    db: Database,
    actor: Actor,
    table: CheckedTable,
    *,
    filename: str = "",
    today: dt.date | None = None,
    dry_run: bool = False,
    recompute: bool = True,
) -> ImportResult:
    """Check ``table`` against the database and write every row, or none when any row is bad."""
    kind = table.kind
    if actor.role not in KIND_ROLES[kind]:
        raise PermissionDenied(f"A {actor.role.value} user cannot import {kind}.")
    # Reports are checked against each supplier's own today (its local date) unless a day is pinned.
    report_today = today
    today = today or dt.date.today()
    with db.write() as session:
        check_row_limit(session, actor, kind, len(table.rows))
        if recompute and not dry_run and not table.errors:
            from portal.services.planning import share_planning_lock

            # First, before a writer updates a backorder a sweep also updates: taken later, this
            # import and a sweep holding the planning lock could wait for each other (a deadlock).
            share_planning_lock(session)
        result = ImportResult(kind=kind, rows=len(table.rows), filename=filename)
        day = report_today if kind == "reports" else today
        _WRITERS[kind](ImportJob(session, actor, table, result, day, dry_run or bool(table.errors)))
        result.errors = table.sorted_errors()
        if result.errors or dry_run:
            session.rollback()
            if kind != "pos":
                result.created = len(table.rows) if dry_run and not result.errors else 0
            elif result.errors:
                result.created = result.changed = 0
            return result
        audit.record(
            session,
            actor,
            "import",
            kind,
            after={
                "file": filename,
                "rows": result.rows,
                "created": result.created,
                "corrected": result.corrected,
                **({"changed": result.changed} if kind == "pos" else {}),
            },
        )
        if recompute and (result.line_ids or result.item_ids):
            from portal.services.planning import recompute_affected

            recompute_affected(session, line_ids=result.line_ids, item_ids=result.item_ids, as_of=today)
        session.commit()
    return result


_WRITERS: dict[str, Writer] = {
    "suppliers": _write_suppliers,
    "items": _write_items,
    "pos": _write_pos,
    "schedules": _write_schedules,
    "reports": _write_reports,
    "receipts": _write_receipts,
    "backorders": _write_backorders,
}
