"""A supplier's writes: production schedule revisions and daily output reports.

Each service takes typed values (:mod:`portal.core.inputs`: a :class:`ScheduleRevision`, a
:class:`DailyReport`) that checked their own fields when they were built, by a form, the grid,
the API or the file reader. The service then loads the line, runs the checks that need the
database (the line is one of yours and not cancelled, the day is a working day and not in the
future, a reason when the end date moves later, days already reported), writes, audits and
recomputes the lines touched, in one transaction, so the forecast and alerts the buyer sees
change at once. One line's report (the form) is checked and written without a table by
:mod:`portal.services.one_report`; a post of a few lines recomputes each alone
(:mod:`portal.services.planning.one_line`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import PoLine, ProductionReport, ProductionSchedule, utcnow
from portal.core.domain import ConflictError, LineStatus, Role, ValidationError
from portal.core.fileformats import FORMATS, CheckedTable, RowError, line_keys, typed_table
from portal.core.inputs import (
    DailyReport,
    InvalidInput,
    LineRef,
    Problem,
    ScheduleRevision,
    build_rows,
    is_missing,
)
from portal.core.schedule_fit import ImpliedEnd, fit_warning, implied_end_date
from portal.i18n import _, format_utc
from portal.services import audit
from portal.services.access import Actor, require_line_access, service
from portal.services.calendars import load_calendars
from portal.services.imports import (
    ImportResult,
    check_reports,
    check_row_limit,
    reported_before,
    write_reports,
)
from portal.services.one_report import (
    PREVIEW_COLUMNS,
    SAME_MOMENT,
    CorrectionNeeded,
    PreviousReport,
    audit_report,
    correction_needed,
    describe,
    on_record,
    post_one_report,
)
from portal.services.planning import recompute_affected, share_planning_lock
from portal.services.planning.one_line import recompute_posted

REPORT_COLUMNS: tuple[str, ...] = tuple(FORMATS["reports"].names)


class ScheduleConflict(ConflictError):
    """Someone saved a schedule revision after the one the form was based on."""

    def __init__(self, message: str, submitted: Mapping[str, Any], current_revision: int | None):
        super().__init__(message)
        #: The refused input, so the page can give it back to the user.
        self.submitted = dict(submitted)
        self.current_revision = current_revision


@dataclass(frozen=True)
class ScheduleResult:
    """The revision a schedule change created, and a warning when its end date does not fit the plan."""

    line_id: int
    label: str
    revision: int
    implied_end_date: dt.date | None
    warning: str | None = None


def _describe_all(errors: Sequence[RowError]) -> str:
    return "\n".join(describe(e) for e in sorted(errors, key=lambda e: (e.row, e.column)))


# --------------------------------------------------------------------------- schedules


def _lock_line(session: Session, actor: Actor, line_id: int) -> PoLine:
    # FOR UPDATE on PostgreSQL: a second save of the same line waits here, then sees the first one's
    # revision. SQLite ignores it: db.write() sessions already hold the write lock from BEGIN.
    line = session.scalars(select(PoLine).where(PoLine.id == line_id).with_for_update(key_share=True)).first()
    require_line_access(actor, line.supplier_id if line is not None else None, line_id)
    assert line is not None
    return line


def _latest_schedule(session: Session, line_id: int) -> ProductionSchedule | None:
    return session.scalars(
        select(ProductionSchedule)
        .where(ProductionSchedule.po_line_id == line_id)
        .order_by(ProductionSchedule.revision.desc())
        .limit(1)
    ).first()


def _schedule_values(schedule: ProductionSchedule) -> dict[str, Any]:
    return {
        "revision": schedule.revision,
        "start_date": schedule.start_date,
        "daily_output": schedule.daily_output,
        "estimated_end_date": schedule.estimated_end_date,
        "reason": schedule.reason,
    }


def _conflict(
    label: str, latest: ProductionSchedule | None, submitted: Mapping[str, Any]
) -> ScheduleConflict:
    if latest is None:
        message = _("The schedule of {line} changed since you opened it: reload it, then save again.").format(
            line=label
        )
        return ScheduleConflict(message, submitted, None)
    message = _(
        "The schedule of {line} was changed by {name} at {when} (now revision {revision}): "
        "reload it, then save again."
    ).format(
        line=label, name=latest.created_by_name, when=format_utc(latest.created_at), revision=latest.revision
    )
    return ScheduleConflict(message, submitted, latest.revision)


def _produced(session: Session, line_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(ProductionReport.good_qty), 0)).where(
                ProductionReport.po_line_id == line_id, ProductionReport.is_current
            )
        )
        or 0
    )


def _cancelled(line: PoLine) -> list[Problem]:
    if line.status != LineStatus.CANCELLED:
        return []
    return [Problem("line", LineRef.field("line").label, line.label, _("is cancelled"))]


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def revise_schedule(
    db: Database,
    actor: Actor,
    line_id: int,
    plan: ScheduleRevision | None = None,
    *,
    start_date: object = None,
    daily_output: object = None,
    estimated_end_date: object = None,
    reason: object = None,
    expected_revision: int | None,
    today: dt.date | None = None,
) -> ScheduleResult:
    """Save ``plan`` as the next revision of a line's schedule, unless someone saved one after
    ``expected_revision`` (the revision the form was based on; None: the user saw no schedule).

    Without ``plan``, the keyword fields build one (:meth:`ScheduleRevision.build`).
    """
    if plan is None:
        plan = ScheduleRevision.build(
            start_date=start_date,
            daily_output=daily_output,
            estimated_end_date=estimated_end_date,
            reason=reason,
        )
    today = today or dt.date.today()
    submitted = plan.values()
    try:
        with db.write() as session:
            # First, before any row is locked: a running sweep commits, then this recomputes.
            share_planning_lock(session)
            line = _lock_line(session, actor, line_id)
            label = line.label
            latest = _latest_schedule(session, line_id)
            if (latest.revision if latest is not None else None) != expected_revision:
                raise _conflict(label, latest, submitted)
            problems = _cancelled(line) + plan.check_against(
                order_date=line.order_date,
                current_end=latest.estimated_end_date if latest is not None else None,
            )
            if problems:
                raise InvalidInput(problems)
            revision = (latest.revision if latest is not None else 0) + 1
            session.add(
                ProductionSchedule(
                    po_line_id=line_id,
                    revision=revision,
                    **submitted,
                    created_by_id=actor.user_id,
                    created_by_name=actor.name,
                    created_at=utcnow(),
                )
            )
            session.flush()
            calendar = load_calendars(session, [line.supplier_id]).get(line.supplier_id)
            implied = implied_end_date(
                calendar,
                start_date=plan.start_date,
                daily_output=plan.daily_output,
                quantity=line.quantity,
                produced=_produced(session, line_id),
                today=today,
            )
            warning = fit_warning(plan.estimated_end_date, implied, plan.daily_output)
            audit.record(
                session,
                actor,
                "schedule.revised" if latest is not None else "schedule.created",
                "production_schedule",
                f"{line_id}/{revision}",
                before=_schedule_values(latest) if latest is not None else None,
                after={**submitted, "revision": revision},
                po_line_id=line_id,
            )
            recompute_affected(session, line_ids=[line_id], as_of=today)
            session.commit()
    except IntegrityError:
        # The unique (po_line_id, revision) constraint: a concurrent save got the revision first.
        with db.read() as session:
            latest = _latest_schedule(session, line_id)
            saved = session.get(PoLine, line_id)
            label = saved.label if saved is not None else str(line_id)
        if latest is None or latest.revision == expected_revision:
            raise
        raise _conflict(label, latest, submitted) from None
    return ScheduleResult(
        line_id=line_id,
        label=label,
        revision=revision,
        implied_end_date=implied.end_date if implied else None,
        warning=warning,
    )


# --------------------------------------------------------------------------- reports


def report_table(
    rows: CheckedTable | pd.DataFrame | Sequence[Mapping[str, Any]], report_date: dt.date | None = None
) -> CheckedTable:
    """Rows of daily output as a checked reports table: a file's table as it is; the grid's or the
    API's values (po_number, line, [date], good_qty, [rejected_qty], [note]) each checked by
    :class:`DailyReport`'s rules, a missing date being ``report_date``."""
    if isinstance(rows, CheckedTable):
        # A copy: the database checks add their errors to the table they are given.
        return CheckedTable(rows.kind, rows.rows.copy(), list(rows.errors))
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else [dict(r) for r in rows]
    if not records:
        raise ValidationError(_("Enter the output of at least one line."))
    if report_date is not None:
        for record in records:
            if is_missing(record.get("date")):
                record["date"] = report_date
    typed, problems = build_rows(DailyReport, records)
    return typed_table("reports", typed, problems)


def _lock_lines(session: Session, lines: pd.DataFrame) -> None:
    """Lock the rows' lines in id order: two posts for the same line and day queue, and the second
    sees the first's report (a correction) instead of failing on the unique index."""
    known = sorted({int(i) for i in lines["id"].dropna()})
    if known:
        session.execute(
            select(PoLine.id).where(PoLine.id.in_(known)).order_by(PoLine.id).with_for_update(key_share=True)
        ).all()


def _refuse_unconfirmed(rows: pd.DataFrame, labels: pd.Series, previous: pd.DataFrame) -> None:
    """CorrectionNeeded naming every day already reported (what is on record for it)."""
    corrections = previous["id"].notna()
    if not corrections.any():
        return
    raise correction_needed(
        [
            on_record(
                labels[i], rows.at[i, "date"], previous.at[i, "good_qty"], previous.at[i, "rejected_qty"]
            )
            for i in rows.index[corrections.to_numpy()]
        ]
    )


def _audit_reports(
    session: Session, actor: Actor, rows: pd.DataFrame, lines: pd.DataFrame, previous: pd.DataFrame
) -> None:
    """One audit event per report: posted, or corrected with the values it replaced."""
    for i in rows.index:
        replaced = None
        if pd.notna(previous.at[i, "id"]):
            replaced = PreviousReport(
                int(previous.at[i, "id"]),
                int(previous.at[i, "revision"]),
                int(previous.at[i, "good_qty"]),
                int(previous.at[i, "rejected_qty"]),
                previous.at[i, "note"],
            )
        rejected = rows.at[i, "rejected_qty"]
        audit_report(
            session,
            actor,
            int(lines.at[i, "id"]),
            rows.at[i, "date"].date(),
            int(rows.at[i, "good_qty"]),
            0 if pd.isna(rejected) else int(rejected),
            rows.at[i, "note"],
            replaced,
        )


def _post(
    db: Database,
    actor: Actor,
    table: CheckedTable,
    *,
    confirm: bool,
    today: dt.date | None,
    dry_run: bool,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Check the rows against the database; write all of them (corrections only when confirmed), or none."""
    result = ImportResult(kind="reports", rows=len(table.rows))
    rows = table.rows
    try:
        with db.write() as session:
            check_row_limit(session, actor, "reports", len(rows))
            if not dry_run:
                # First, before any row is locked: a running sweep commits, then this recomputes.
                share_planning_lock(session)
            # Load and check: another supplier's line is a row error, worded as for a line that does not
            # exist; today None: no date after the supplier's own today (its local date at now).
            lines = check_reports(session, actor, table, today, now=now)
            _lock_lines(session, lines)
            previous = reported_before(session, lines, rows)
            labels = line_keys(rows)
            result.errors = table.sorted_errors()
            result.preview = _preview(rows, labels, previous, result.errors)
            if result.errors or dry_run:
                session.rollback()
                if not result.errors:
                    result.corrected = int(previous["id"].notna().sum())
                    result.created = len(rows)
                return result
            if not confirm:
                _refuse_unconfirmed(rows, labels, previous)
            # Write, audit, recompute, commit.
            write_reports(session, actor, table, lines, result, previous)
            _audit_reports(session, actor, rows, lines, previous)
            # As of the latest day posted when a supplier's own today is ahead of the server's date,
            # so the new report counts in the forecast at once.
            latest = max([today or dt.date.today(), *(d.date() for d in rows["date"].dropna())])
            recompute_posted(session, line_ids=result.line_ids, as_of=latest)
            session.commit()
    except IntegrityError:
        # The unique index on current reports: someone posted the same line and day at the same moment.
        raise ConflictError(_(SAME_MOMENT)) from None
    result.preview["check"] = np.where(result.preview["posted_good_qty"].notna(), "corrected", "posted")
    return result


def _preview(
    rows: pd.DataFrame, labels: pd.Series, previous: pd.DataFrame, errors: list[RowError]
) -> pd.DataFrame:
    """One row per input row: what it says, what was posted before for that day, and its check."""
    problems: dict[int, list[str]] = {}
    for error in errors:
        problems.setdefault(error.row, []).append(describe(error))
    posted_good = pd.to_numeric(previous["good_qty"], errors="coerce")
    posted_rejected = pd.to_numeric(previous["rejected_qty"], errors="coerce")
    checks = []
    for i in rows.index:
        row_no = int(rows.at[i, "_row"])
        if row_no in problems:
            checks.append(" ".join(problems[row_no]))
        elif pd.notna(posted_good.loc[i]):
            checks.append("correction of a day already reported")
        else:
            checks.append("ok")
    return pd.DataFrame(
        {
            "row": rows["_row"].astype(int).to_numpy(),
            "line": labels.to_numpy(),
            "date": rows["date"].to_numpy(),
            "good_qty": rows["good_qty"].to_numpy(),
            "rejected_qty": rows["rejected_qty"].to_numpy(),
            "note": rows["note"].to_numpy(),
            "posted_good_qty": posted_good.round().astype("Int64").array,
            "posted_rejected_qty": posted_rejected.round().astype("Int64").array,
            "check": checks,
        },
        columns=PREVIEW_COLUMNS,
    )


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def post_reports(
    db: Database,
    actor: Actor,
    rows: CheckedTable | pd.DataFrame | Sequence[Mapping[str, Any]],
    *,
    report_date: dt.date | None = None,
    confirm_corrections: bool = False,
    today: dt.date | None = None,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Post the output of many lines (grid, uploaded file): all rows or none, corrections if confirmed."""
    # rows: a checked reports file, or values with its columns (see report_table). Bad rows come back in
    # errors and in preview's check column, and nothing is written. Days already reported raise
    # CorrectionNeeded unless confirm_corrections; dry_run checks only. No date may be after the
    # supplier's own today (its local date at now), or after today when pinned.
    return _post(
        db,
        actor,
        report_table(rows, report_date),
        confirm=confirm_corrections,
        today=today,
        dry_run=dry_run,
        now=now,
    )


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN)
def post_report(
    db: Database,
    actor: Actor,
    line_id: int,
    report: DailyReport | None = None,
    *,
    report_date: object = None,
    good_qty: object = None,
    rejected_qty: object = 0,
    note: object = None,
    confirm_correction: bool = False,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Post one line's output of one day; a day already reported is corrected only when confirmed.

    Without ``report``, the keyword fields build one (:meth:`DailyReport.build`).
    """
    if report is None:
        report = DailyReport.build(date=report_date, good_qty=good_qty, rejected_qty=rejected_qty, note=note)
    # Checked, written and recomputed in plain Python (no table for one row): the same checks, words
    # and writes as post_reports.
    return post_one_report(db, actor, line_id, report, confirm=confirm_correction, today=today, now=now)


__all__ = [
    "CorrectionNeeded",
    "ImpliedEnd",
    "ScheduleConflict",
    "ScheduleResult",
    "describe",
    "fit_warning",
    "implied_end_date",
    "post_report",
    "post_reports",
    "report_table",
    "revise_schedule",
]
