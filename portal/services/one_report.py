"""One line's output of one day (the form's post): checked and written in plain Python, then the line
recomputed alone (:func:`portal.services.planning.one_line.recompute_posted`).

The checks and their words are those of the reports table (:func:`portal.services.imports.check_reports`
and :func:`portal.services.production.post_reports`): a cancelled line, a day after the supplier's
own today, a day it does not work, a day already reported (a correction, posted only when
confirmed). The writes are those of :func:`portal.services.imports.write_reports` (the report, the
line's production summary, the supplier's daily total, the line in production) and the same audit
event, without building a table for one row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError

from db.engine import Database, core_connection
from db.frames import enum_value
from db.models import PoLine, ProductionReport, utcnow
from portal.core.calendar import WorkCalendar
from portal.core.domain import ConflictError, LineStatus, ValidationError
from portal.core.fileformats import RowError, TooManyRows
from portal.core.inputs import DailyReport, LineRef, Problem, ScheduleRevision, future_reason, is_missing
from portal.core.settings import Settings
from portal.core.summaries import LineSummary
from portal.core.timezones import supplier_today
from portal.i18n import N_, _, format_number, message_date
from portal.services import audit
from portal.services.access import Actor, require_line_access
from portal.services.daily_outputs import add_daily_totals_at_commit
from portal.services.imports import ImportResult
from portal.services.imports.reports import NOT_A_WORKING_DAY, report_row
from portal.services.planning import lock_line_to_post
from portal.services.planning.line_state import LineState, read_line_state
from portal.services.planning.one_line import Posted, recompute_posted
from portal.services.summaries import refresh_lines

#: How fields are named to people (the file columns keep the reports/schedules format's names).
FIELD_LABELS: dict[str, str] = {
    f.name: f.label for f in (*LineRef.FIELDS, *DailyReport.FIELDS, *ScheduleRevision.FIELDS)
}
PREVIEW_COLUMNS = [
    "row",
    "line",
    "date",
    "good_qty",
    "rejected_qty",
    "note",
    "posted_good_qty",
    "posted_rejected_qty",
    "check",
]
SAME_MOMENT = N_(
    "Someone else posted output for the same line and day at the same moment: reload the page "
    "and check the posted values before posting again."
)


class CorrectionNeeded(ConflictError):
    """The day is already reported: posting again is a correction, which the user must confirm."""

    def __init__(self, message: str, corrections: list[str]):
        super().__init__(message)
        #: "PO-1/1 on 2026-03-06 (100 good, 0 rejected)" for each day already reported.
        self.corrections = corrections


def describe(error: RowError) -> str:
    """A row error as a sentence for a form or grid row: 'Good quantity (-5) must be a whole number >= 0.'"""
    label = FIELD_LABELS.get(error.column, error.column.replace("_", " ").capitalize())
    return str(Problem(error.column, label, error.value, error.reason))


def correction_needed(shown: list[str]) -> CorrectionNeeded:
    """The refusal of days already reported, naming each (what is on record for it)."""
    return CorrectionNeeded(
        _("Already reported: {days}. Confirm to correct (the old values stay in the history).").format(
            days="; ".join(shown)
        ),
        shown,
    )


def on_record(label: str, day: dt.date, good: int, rejected: int) -> str:
    """ "PO-1/1 on 2026-03-06 (100 good, 0 rejected)": a day already reported, in the reader's language
    ("PO-1/1 am 06.03.2026 (100 gut, 0 Ausschuss)"). English keeps the ISO date, as English tables do
    and as the API's clients read it."""
    return _("{line} on {day} ({good} good, {rejected} rejected)").format(
        line=label,
        day=message_date(day),
        good=format_number(int(good)),
        rejected=format_number(int(rejected)),
    )


@dataclass(frozen=True)
class PreviousReport:
    """The day's current report that a post replaces."""

    id: int
    revision: int
    good_qty: int
    rejected_qty: int
    note: str | None


def post_one_report(
    db: Database,
    actor: Actor,
    line_id: int,
    report: DailyReport,
    *,
    confirm: bool,
    today: dt.date | None,
    now: dt.datetime | None,
) -> ImportResult:
    """Check, write, audit and recompute one report of one line, in one transaction."""
    result = ImportResult(kind="reports", rows=1)
    day = report.date
    good = int(report.good_qty)
    rejected = int(report.rejected_qty or 0)
    note = None if report.note is None else str(report.note)
    try:
        with db.write() as session:
            # First the planning lock (a running sweep commits, then this recomputes), then the
            # line's row and its item's (one statement when no sweep runs): two posts of one line
            # and day queue, the second sees the first; two of one item queue for its promises.
            item_locked = lock_line_to_post(session, line_id)
            # Then, in one statement, what the recompute reads of the line, the settings, the
            # supplier's calendar and the day's current report.
            state = read_line_state(session, line_id, day=day)
            require_line_access(actor, state.row.supplier_id if state is not None else None, line_id)
            assert state is not None
            line = state.row
            label = state.label
            settings, calendar = state.settings, state.calendar
            errors = _check(line, calendar, label, day, today, now)
            if errors:
                session.rollback()
                raise ValidationError("\n".join(describe(e) for e in sorted(errors, key=lambda e: e.column)))
            if actor.user_id is not None and settings.upload_row_limit("reports") < 1:
                raise TooManyRows(settings.upload_row_limit("reports"))
            previous = None if state.on_record is None else PreviousReport(*state.on_record)
            if previous is not None and not confirm:
                raise correction_needed([on_record(label, day, previous.good_qty, previous.rejected_qty)])
            summary = _write(session, actor, state, settings, line_id, day, good, rejected, note, previous)
            opened = state.status == LineStatus.OPEN.value
            after = LineStatus.IN_PRODUCTION.value if opened else state.status
            audit_report(session, actor, line_id, day, good, rejected, note, previous)
            # As of the day posted when a supplier's own today is ahead of the server's date.
            recompute_posted(
                session,
                line_ids=[line_id],
                as_of=max(today or dt.date.today(), day),
                posted=Posted(state, after, summary, item_locked),
            )
            session.commit()
    except IntegrityError:
        # The unique index on current reports: someone posted the same line and day at the same moment.
        raise ConflictError(_(SAME_MOMENT)) from None
    result.line_ids = {line_id}
    result.created = 1
    result.corrected = int(previous is not None)
    result.preview = _preview(label, day, good, rejected, note, previous)
    return result


#: The preview's one row, with its columns' types: a post fills a copy (building a frame costs ~1 ms).
_PREVIEW = pd.DataFrame(
    {
        "row": [1],
        "line": [""],
        "date": [pd.Timestamp(dt.date(2000, 1, 1))],
        "good_qty": [0],
        "rejected_qty": [0],
        "note": pd.Series([None], dtype=object),
        "posted_good_qty": pd.array([None], dtype="Int64"),
        "posted_rejected_qty": pd.array([None], dtype="Int64"),
        "check": ["posted"],
    },
    columns=PREVIEW_COLUMNS,
)
_PREVIEW_AT = {name: i for i, name in enumerate(PREVIEW_COLUMNS)}


def _preview(
    label: str, day: dt.date, good: int, rejected: int, note: str | None, previous: PreviousReport | None
) -> pd.DataFrame:
    """The post's one row as the reports table's preview shows it (cells set by position: half the
    time of setting them by label)."""
    preview = _PREVIEW.copy()
    at = _PREVIEW_AT
    preview.iat[0, at["line"]] = label
    preview.iat[0, at["date"]] = pd.Timestamp(day)
    preview.iat[0, at["good_qty"]] = good
    preview.iat[0, at["rejected_qty"]] = rejected
    preview.iat[0, at["note"]] = note
    if previous is not None:
        preview.iat[0, at["posted_good_qty"]] = previous.good_qty
        preview.iat[0, at["posted_rejected_qty"]] = previous.rejected_qty
        preview.iat[0, at["check"]] = "corrected"
    return preview


def _check(
    line: Any,
    calendar: WorkCalendar,
    label: str,
    day: dt.date,
    today: dt.date | None,
    now: dt.datetime | None,
) -> list[RowError]:
    """The reports table's database checks of one row (its errors, worded alike)."""
    errors: list[RowError] = []
    if enum_value(line.status) == LineStatus.CANCELLED.value:
        errors.append(RowError(1, "line", label, "is cancelled"))
    limit = today if today is not None else supplier_today(line.timezone, now)
    if day > limit:
        errors.append(RowError(1, "date", f"{day:%Y-%m-%d}", future_reason(limit)))
    elif not calendar.is_working_day(day):
        errors.append(RowError(1, "date", f"{day:%Y-%m-%d}", NOT_A_WORKING_DAY))
    return errors


def audit_report(
    session: Any,
    actor: Actor,
    line_id: int,
    day: dt.date,
    good: int,
    rejected: int,
    note: object,
    previous: PreviousReport | None,
) -> None:
    """The report's audit event: posted, or corrected with the values it replaced (the form's post
    and the reports table's post record the same)."""
    before = None
    if previous is not None:
        before = {
            "date": day,
            "revision": previous.revision,
            "good_qty": previous.good_qty,
            "rejected_qty": previous.rejected_qty,
            "note": None if is_missing(previous.note) else previous.note,
        }
    audit.record(
        session,
        actor,
        "report.corrected" if before else "report.posted",
        "production_report",
        f"{line_id}/{day.isoformat()}",
        before=before,
        after={
            "date": day,
            "revision": (previous.revision if previous else 0) + 1,
            "good_qty": good,
            "rejected_qty": rejected,
            "note": None if is_missing(note) else note,
        },
        po_line_id=line_id,
        at_once=True,
    )


#: A post's statements, built once (one built per post costs its construction and cache key).
_RETIRE_REPORT = (
    update(ProductionReport).where(ProductionReport.id == bindparam("report_id")).values(is_current=False)
)
_INSERT_REPORT = insert(ProductionReport)
_START_LINE = (
    update(PoLine)
    .where(PoLine.id == bindparam("line_id"), PoLine.status == LineStatus.OPEN)
    .values(status=LineStatus.IN_PRODUCTION, updated_at=bindparam("now"))
)


def _write(
    session: Any,
    actor: Actor,
    state: LineState,
    settings: Settings,
    line_id: int,
    day: dt.date,
    good: int,
    rejected: int,
    note: str | None,
    previous: PreviousReport | None,
) -> LineSummary | None:
    """The report as its day's current one, the line's summary, the supplier's daily total, the line
    in production: what write_reports writes for one row. Returns the line's summary after it."""
    connection = core_connection(session)
    if previous is not None:
        connection.execute(_RETIRE_REPORT, {"report_id": previous.id})
    connection.execute(
        _INSERT_REPORT,
        report_row(
            actor, line_id, day, (previous.revision if previous else 0) + 1, good, rejected, note, utcnow()
        ),
    )
    fresh = refresh_lines(
        session,
        {line_id: [(day, good, rejected, previous is not None)]},
        settings.forecast_ewm_span,
        known={line_id: (int(state.row.quantity), state.summary)},
    )
    change = good - (previous.good_qty if previous else 0)
    supplier_id = int(state.row.supplier_id)
    # Written just before the commit: the supplier day's row stays locked for the commit only.
    add_daily_totals_at_commit(
        session, [{"supplier_id": supplier_id, "report_date": day, "good_qty": change}]
    )
    if enum_value(state.row.status) == LineStatus.OPEN.value:
        connection.execute(_START_LINE, {"line_id": line_id, "now": utcnow()})
    return fresh.get(line_id)
