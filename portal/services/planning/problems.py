"""The inbox's problems kept with the alerts (:class:`db.models.InboxProblem`).

The buyer's inbox shows one problem per subject (a line, a backorder, a supplier), ordered by the
customers waiting on it. Grouping every live alert and weighing every subject's waiting orders on
each view costs seconds at scale XL (1.4 million alerts into 724,000 problems: 4.3 s of a 5.3 s
view), so every write that changes a subject's alerts, or the orders waiting on it, keeps that
subject's row in the same transaction:

* the day's first sweep over everything (in one pass or in ``--chunks``) computes every row again
  and writes those that differ (:func:`rebuild_problems`), and marks the rows complete for that
  day (:data:`COMPLETE`); a later sweep of the same day keeps only the subjects it wrote
  (:func:`keep_problems_after_sweep`); a ``--shard`` sweep and the pipeline's recomputes keep the
  subjects they reconciled and the lines of their items (:func:`refresh_problems`);
* a post's lean recompute keeps its line's and, when its item's promises moved, the item's;
* an action on alerts (acknowledge, snooze, resolve, ...) keeps the subjects of its alerts.

A row counts the subject's open and acknowledged alerts above info that are not snoozed on the day
it was built for; the inbox uses the rows only for a reader whose today lies within every row's
``visible_from`` .. ``snooze_ends`` (a snooze ending since means the row no longer says what the
alerts say: the inbox groups them live instead, as it does under any filter).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Executable,
    Integer,
    Select,
    String,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.engine import core_connection
from db.models import Alert, Backorder, BackorderAllocation, InboxProblem, PoLine, Setting, severity_rank
from portal.core.batching import chunked, id_chunks
from portal.core.domain import AlertStatus, BackorderStatus, Severity

#: The settings row a sweep over everything writes once it has rebuilt every row, holding the day
#: they were built for (ISO): until then (a database migrated to 0022 and not swept since) the inbox
#: groups the alerts live.
COMPLETE = "derived.inbox_problems_complete"
#: The statuses an inbox problem counts (the inbox's default filter).
LIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)

SEVERITY_ORDER = severity_rank(Alert.severity)


def positive(value: Any) -> Any:
    """``value`` where above 0, else 0 (SQL, either database)."""
    return case((value > 0, value), else_=0)


def _days_after(dialect: str, later: Any, earlier: Any) -> Any:
    """Whole days from ``earlier`` to ``later`` (two DATE columns) in SQL; NULL when either is."""
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def customer_impact(dialect: str, subjects: CTE, line_ids: Any | None = None) -> Select[tuple[Any, ...]]:
    """subject_key, customers, waiting_orders, impact of the ``subjects`` that orders wait on, in SQL.

    What :func:`portal.core.problems.customer_impact` computes in pandas: the waiting backorders
    allocated to a line (each once) and each waiting backorder on itself, weighted 1 + priority
    (below 0 counts 0), times 1 + the larger of the subject's days late and the order's slip (the
    days its promise is past the date told to its customer; 0 when not told or not later). The
    subject's id is read from its key, so each join is an index lookup per subject.

    ``line_ids``: the ids of the line subjects, when the caller knows them (a bound list). Said
    again beside the join on the key, they let PostgreSQL look the allocations up by their index
    whatever it guesses of the subjects: guessing a hundred subjects where there were 17, it read
    every allocation (a post whose item's promises moved: 10 ms at scale M, more the larger).
    """
    key = subjects.c.subject_key
    line_id = case((key.like("line:%"), cast(func.substr(key, 6), Integer)))
    backorder_id = case((key.like("backorder:%"), cast(func.substr(key, 11), Integer)))
    days = positive(func.coalesce(subjects.c.days_late, 0))
    weight = 1 + positive(func.coalesce(Backorder.priority, 0))
    slip = positive(
        func.coalesce(_days_after(dialect, Backorder.promise_date, Backorder.communicated_date), 0)
    )
    columns = (
        key.label("subject_key"),
        Backorder.id.label("backorder_id"),
        weight.label("weight"),
        (weight * (1 + case((days > slip, days), else_=slip))).label("customer_days"),
    )
    waiting = Backorder.status == BackorderStatus.WAITING
    on_lines = (
        select(*columns)
        .select_from(subjects)
        .join(BackorderAllocation, BackorderAllocation.po_line_id == line_id)
        .join(Backorder, Backorder.id == BackorderAllocation.backorder_id)
        .where(waiting)
        .distinct()  # a backorder allocated twice to one line waits on it once
    )
    if line_ids is not None:
        on_lines = on_lines.where(BackorderAllocation.po_line_id.in_(line_ids))
    on_themselves = (
        select(*columns).select_from(subjects).join(Backorder, Backorder.id == backorder_id).where(waiting)
    )
    rows = union_all(on_lines, on_themselves).subquery()
    return select(
        rows.c.subject_key,
        func.sum(rows.c.weight).label("customers"),
        func.count().label("waiting_orders"),
        func.sum(rows.c.customer_days).label("impact"),
    ).group_by(rows.c.subject_key)


def subject_sums(shown: ColumnElement[bool] | None = None) -> dict[str, ColumnElement[Any]]:
    """What a problem is ordered and counted by, over its subject's alerts grouped (``shown`` only):
    rank (the worst severity's), days_late (the most, not below 0), first_seen (the oldest),
    newest_seen, and how many alerts."""

    def of_shown(value: Any) -> Any:
        return value if shown is None else case((shown, value))  # NULL when not shown: not counted

    return {
        "rank": func.coalesce(func.max(of_shown(SEVERITY_ORDER)), 0),
        "days_late": positive(func.coalesce(func.max(of_shown(Alert.days_late)), 0)),
        "first_seen": func.min(of_shown(Alert.first_seen)),
        "newest_seen": func.max(of_shown(Alert.first_seen)),
        "alerts": func.count(of_shown(Alert.id)),
    }


def _rows(
    dialect: str, built_for: Any, keys: Any | None, line_ids: Any | None = None
) -> Select[tuple[Any, ...]]:
    """The rows of the subjects ``keys`` (None: every subject with a live alert above info), as of
    ``built_for`` (values or bound parameters); ``line_ids``: the ids of the lines among ``keys``."""
    shown = Alert.snoozed_until.is_(None) | (Alert.snoozed_until <= built_for)
    grouped = select(
        Alert.subject_key.label("subject_key"),
        *(v.label(k) for k, v in subject_sums(shown).items()),
        func.max(case((Alert.snoozed_until <= built_for, Alert.snoozed_until))).label("visible_from"),
        func.min(case((Alert.snoozed_until > built_for, Alert.snoozed_until))).label("snooze_ends"),
    ).where(Alert.status.in_(LIVE), Alert.severity != Severity.INFO)
    if keys is not None:
        grouped = grouped.where(Alert.subject_key.in_(keys))
    per_subject = grouped.group_by(Alert.subject_key).cte("per_subject")
    impact = customer_impact(dialect, per_subject, line_ids).subquery()
    return select(
        per_subject.c.subject_key,
        per_subject.c.rank,
        per_subject.c.days_late,
        per_subject.c.first_seen,
        per_subject.c.newest_seen,
        per_subject.c.alerts,
        func.coalesce(impact.c.customers, 0.0),
        func.coalesce(impact.c.waiting_orders, 0),
        func.coalesce(impact.c.impact, 0.0),
        per_subject.c.visible_from,
        per_subject.c.snooze_ends,
    ).outerjoin(impact, impact.c.subject_key == per_subject.c.subject_key)


_COLUMNS = [
    "subject_key",
    "rank",
    "days_late",
    "first_seen",
    "newest_seen",
    "alerts",
    "customers",
    "waiting_orders",
    "impact",
    "visible_from",
    "snooze_ends",
]


def rebuild_problems(session: Session, built_for: dt.date) -> None:
    """Every row again, from the live alerts, and mark the rows complete (the sweep's last step).

    Only what changed is written, as the sweep writes everything else: the rows of subjects with no
    live alert left go, and a row is inserted or updated only where its values differ (at scale XL
    a sweep that rewrote all 724,000 rows spent 20 s of its 90 s on it)."""
    session.flush()
    dialect = session.get_bind().dialect.name
    live = exists().where(
        Alert.subject_key == InboxProblem.subject_key, Alert.status.in_(LIVE), Alert.severity != Severity.INFO
    )
    session.execute(delete(InboxProblem).where(~live))
    upsert = (pg_insert if dialect == "postgresql" else sqlite_insert)(InboxProblem)
    # WHERE true: SQLite reads an upsert's ON CONFLICT after a join's ON otherwise.
    stmt = upsert.from_select(_COLUMNS, _rows(dialect, built_for, None).where(true()))
    table = InboxProblem.__table__
    changed = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in _COLUMNS[1:]))
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[InboxProblem.subject_key],
            set_={c: stmt.excluded[c] for c in _COLUMNS[1:]},
            where=changed,
        )
    )
    built = session.get(Setting, COMPLETE)
    if built is None:
        session.add(Setting(key=COMPLETE, value=built_for.isoformat()))
    else:
        built.value = built_for.isoformat()
    session.flush()


def keep_problems_after_sweep(session: Session, built_for: dt.date, changed: set[str] | None) -> str:
    """A sweep over everything keeps the rows: rebuilt, the first time it runs for ``built_for``
    (a new day moves days late and ends snoozes everywhere) or when ``changed`` is not known;
    otherwise only the subjects it wrote alerts or promises for, and those whose snooze began or
    ended since their row was built (a sweep every few minutes writes few). Returns "rebuilt" or
    "refreshed".

    Every other write keeps its own subjects' rows, so the rows built for the day stay true between
    sweeps; the day's first sweep also repairs any row that went wrong."""
    built = session.get(Setting, COMPLETE)
    if changed is None or built is None or built.value != built_for.isoformat():
        rebuild_problems(session, built_for)
        return "rebuilt"
    session.flush()
    snoozes = select(InboxProblem.subject_key).where(
        (InboxProblem.snooze_ends <= built_for) | (InboxProblem.visible_from > built_for)
    )
    refresh_problems(session, built_for, changed | set(session.scalars(snoozes)))
    return "refreshed"


@functools.cache
def _keeping(dialect: str) -> tuple[Executable, Executable]:
    """The two statements that keep the rows of some subjects (bound ``keys`` and ``built_for``), built
    once per database kind: a post runs them, and building them each time cost more than running them.

    On PostgreSQL a write that refreshes a subject another transaction refreshed since this one
    deleted its row (two actions on one subject's alerts) takes the newer values instead of failing
    on the key: its own read of the alerts is the later one."""
    keys: Any = bindparam("keys", expanding=True)
    drop = delete(InboxProblem).where(InboxProblem.subject_key.in_(keys))
    rows = _rows(dialect, bindparam("built_for", type_=Date), keys, bindparam("line_ids", expanding=True))
    if dialect != "postgresql":
        return drop, insert(InboxProblem).from_select(_COLUMNS, rows)
    add = pg_insert(InboxProblem).from_select(_COLUMNS, rows)
    return drop, add.on_conflict_do_update(
        index_elements=[InboxProblem.subject_key], set_={c: add.excluded[c] for c in _COLUMNS[1:]}
    )


def refresh_problems(session: Session, built_for: dt.date, keys: Iterable[str]) -> None:
    """The rows of the subjects ``keys`` again, from their live alerts (a subject with none loses its row)."""
    wanted = sorted(set(keys))
    if not wanted:
        return
    session.flush()
    drop, add = _keeping(session.get_bind().dialect.name)
    conn = core_connection(session)
    for chunk in chunked(wanted):
        conn.execute(drop, {"keys": chunk})
        line_ids = [int(k[5:]) for k in chunk if k.startswith("line:")]
        conn.execute(add, {"keys": chunk, "built_for": built_for, "line_ids": line_ids})


_SUBJECTS_OF_ITEMS = union_all(
    select(literal("line:") + cast(PoLine.id, String)).where(
        PoLine.item_id.in_(bindparam("items", expanding=True))
    ),
    select(literal("backorder:") + cast(Backorder.id, String)).where(
        Backorder.item_id.in_(bindparam("items", expanding=True))
    ),
)


def subjects_of_items(session: Session, item_ids: Collection[int]) -> list[str]:
    """The subject keys of every line and backorder of these items: what their promises weigh."""
    conn = core_connection(session)
    return [
        str(k)
        for chunk in id_chunks(item_ids)
        for k in conn.execute(_SUBJECTS_OF_ITEMS, {"items": chunk}).scalars()
    ]


def problems_usable(session: Session, today: dt.date) -> bool:
    """Whether the rows say what the live alerts say for a reader on ``today``: every row built
    (a sweep over everything since the table came) and no snooze began or ended between a row's
    day and ``today``."""
    if session.get(Setting, COMPLETE) is None:
        return False
    latest_shown, first_end = session.execute(
        select(func.max(InboxProblem.visible_from), func.min(InboxProblem.snooze_ends))
    ).one()
    return (latest_shown is None or latest_shown <= today) and (first_end is None or first_end > today)
