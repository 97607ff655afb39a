"""Reads about alerts: the inbox with filters (alert by alert, or one problem per subject), and comments."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import (
    CTE,
    ColumnElement,
    CompoundSelect,
    Select,
    case,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from db.engine import Database
from db.frames import enum_value, enum_values
from db.joins import with_alert_subjects
from db.models import (
    Alert,
    AlertComment,
    Backorder,
    InboxProblem,
    Item,
    PoLine,
    Supplier,
    User,
    severity_rank,
)
from portal.core import problems as problem_rules
from portal.core import vocabulary
from portal.core.domain import AlertStatus, Severity
from portal.queries.text_search import holds, typed_text
from portal.services.access import ALL_ROLES, Actor, service
from portal.services.planning.problems import customer_impact, problems_usable, subject_sums
from portal.services.planning.seen import seen_columns

INBOX_COLUMNS = [
    "alert_id",
    "rule",
    "severity",
    "status",
    "supplier_code",
    "line",
    "po_line_id",
    "order_ref",
    "sku",
    "message",
    #: The message's template and values, to show it in the reader's language
    #: (portal.core.alert_text.alert_message); NULL on alerts written before they were kept.
    "message_args",
    "days_late",
    "first_seen",
    "last_seen",
    "snoozed_until",
    "comments",
    "is_new",
]
#: What the details query reads, in order (INBOX_COLUMNS less is_new, plus the problem's columns).
_DETAIL_COLUMNS = [*INBOX_COLUMNS[:-1], "subject_key", "reopen_reason", "reopen_args", "customer", "priority"]

SEVERITY_ORDER = severity_rank(Alert.severity)


@dataclass(frozen=True)
class AlertFilter:
    """What the inbox can be narrowed to; all optional."""

    supplier_ids: tuple[int, ...] = ()
    rules: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    item_ids: tuple[int, ...] = ()
    min_age_days: int | None = None
    statuses: tuple[str, ...] = ("open", "acknowledged")
    include_snoozed: bool = False
    po_line_id: int | None = None
    #: Part of a PO number, SKU or backorder order_ref.
    text: str = ""


def _seen_at(session: Session, actor: Actor) -> dt.datetime | None:
    if actor.user_id is None:
        return None
    return session.scalar(select(User.previous_visit_at).where(User.id == actor.user_id))


def _inbox_ids(actor: Actor, filters: AlertFilter, today: dt.date) -> Select[*tuple[Any, ...]]:
    """The ids of the inbox alerts the actor may see under ``filters`` (unordered).

    Lean on purpose: counting and sorting 100,000 alerts must not drag their joins along;
    the page's details are read afterwards for its ids only.
    """
    stmt = select(Alert.id)
    if filters.item_ids or filters.text.strip():
        stmt = stmt.outerjoin(PoLine, PoLine.id == Alert.po_line_id)
    if actor.is_supplier:
        stmt = stmt.where(Alert.supplier_id == actor.supplier_id, Alert.backorder_id.is_(None))
    if filters.statuses:
        stmt = stmt.where(Alert.status.in_([AlertStatus(s) for s in filters.statuses]))
    if not filters.include_snoozed:
        stmt = stmt.where((Alert.snoozed_until.is_(None)) | (Alert.snoozed_until <= today))
    if filters.supplier_ids:
        stmt = stmt.where(Alert.supplier_id.in_(filters.supplier_ids))
    if filters.rules:
        stmt = stmt.where(Alert.rule.in_(filters.rules))
    if filters.severities:
        stmt = stmt.where(Alert.severity.in_([Severity(s) for s in filters.severities]))
    if filters.item_ids:
        stmt = stmt.where(func.coalesce(Alert.item_id, PoLine.item_id).in_(filters.item_ids))
    if filters.min_age_days is not None:
        cutoff = dt.datetime.combine(today - dt.timedelta(days=filters.min_age_days), dt.time.max)
        stmt = stmt.where(Alert.first_seen <= cutoff)
    if filters.po_line_id is not None:
        stmt = stmt.where(Alert.po_line_id == filters.po_line_id)
    if (pattern := typed_text(filters.text)) is not None:
        skus = select(Item.id).where(holds(Item.sku, pattern))
        refs = select(Backorder.id).where(holds(Backorder.order_ref, pattern))
        stmt = stmt.where(
            holds(PoLine.po_number, pattern)
            | func.coalesce(Alert.item_id, PoLine.item_id).in_(skus)
            | Alert.backorder_id.in_(refs)
        )
    return stmt


def _details(session: Session, ids: list[int]) -> Select[*tuple[Any, ...]]:
    """Everything the inbox shows about these alerts (``last_seen`` as shown: see planning.seen)."""
    last_seen, _ = seen_columns(session)
    comments = (
        select(AlertComment.alert_id, func.count(AlertComment.id).label("n"))
        .where(AlertComment.alert_id.in_(ids))
        .group_by(AlertComment.alert_id)
        .subquery()
    )
    label = case((PoLine.id.is_not(None), PoLine.label), else_=None)
    return (
        with_alert_subjects(
            select(
                Alert.id,
                Alert.rule,
                Alert.severity,
                Alert.status,
                Supplier.code,
                label,
                Alert.po_line_id,
                Backorder.order_ref,
                Item.sku,
                Alert.message,
                Alert.message_args,
                Alert.days_late,
                Alert.first_seen,
                last_seen,
                Alert.snoozed_until,
                func.coalesce(comments.c.n, 0),
                Alert.subject_key,
                Alert.reopen_reason,
                Alert.reopen_args,
                Backorder.customer,
                Backorder.priority,
            )
        )
        .outerjoin(Item, Item.id == func.coalesce(Alert.item_id, PoLine.item_id))
        .outerjoin(comments, comments.c.alert_id == Alert.id)
        .where(Alert.id.in_(ids))
    )


@service(*ALL_ROLES, writes=False)
def alert_inbox(
    db: Database,
    actor: Actor,
    filters: AlertFilter = AlertFilter(),
    *,
    today: dt.date | None = None,
    limit: int = 500,
    offset: int = 0,
    since: dt.datetime | None = None,
) -> tuple[pd.DataFrame, int, int]:
    """Alerts, worst first then latest; returns (page, total, new since ``since`` or my last visit)."""
    today = today or dt.date.today()
    stmt = _inbox_ids(actor, filters, today)
    ordered = stmt.order_by(
        SEVERITY_ORDER.desc(),
        func.coalesce(Alert.days_late, -100_000).desc(),
        Alert.first_seen.desc(),
        Alert.id,
    )
    with db.read() as session:
        seen = since if since is not None else _seen_at(session, actor)
        ids = [int(i) for i in session.scalars(ordered.limit(limit).offset(offset))]
        total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
        new = total
        if seen is not None:
            new = int(
                session.scalar(
                    select(func.count()).select_from(stmt.where(Alert.first_seen > seen).subquery())
                )
                or 0
            )
        rows = session.execute(_details(session, ids)).all() if ids else []
    frame = pd.DataFrame([(*r[: len(INBOX_COLUMNS) - 1], False) for r in rows], columns=INBOX_COLUMNS)
    frame = frame.set_index("alert_id").reindex(ids).reset_index() if ids else frame
    for col in ("severity", "status"):
        frame[col] = enum_values(frame[col])
    frame["is_new"] = frame["first_seen"].map(lambda t: seen is None or t > seen) if len(frame) else []
    frame["days_late"] = frame["days_late"].astype("Int64")
    frame["po_line_id"] = frame["po_line_id"].astype("Int64")
    frame["comments"] = frame["comments"].astype("int64")
    return frame, total, new


@dataclass(frozen=True)
class ProblemPage:
    """A page of the inbox as problems (one row per line, backorder or supplier), impact first."""

    rows: pd.DataFrame
    #: Problems matching the filters, and how many of them have an alert new since the visit before.
    total: int
    new: int
    #: Alerts inside those problems, and the problems by their headline's severity.
    alerts: int
    by_severity: dict[str, int]


def _frame(rows: Any, columns: list[str]) -> pd.DataFrame:
    """Rows read as a frame; plain tuples, as pandas probes each SQLAlchemy row (~5 s per million)."""
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)


@service(*ALL_ROLES, writes=False)
def alert_problems(
    db: Database,
    actor: Actor,
    filters: AlertFilter = AlertFilter(),
    *,
    today: dt.date | None = None,
    limit: int = 50,
    offset: int = 0,
    since: dt.datetime | None = None,
    kept: bool = True,
) -> ProblemPage:
    """The inbox as problems: one row per subject, its worst alert as headline, customer impact first.

    Info-level alerts stay out (they live on the line page). Each row carries ``alert_ids`` (every
    alert of the problem under the filters), so an action on the row acts on the whole problem.
    The default inbox of a buyer or manager is ordered and counted from the problems the writes keep
    (:mod:`portal.services.planning.problems`) when they hold for ``today``; any filter, a supplier
    user, or ``kept=False`` groups the live alerts (the same rows: tests compare the two).
    """
    today = today or dt.date.today()
    inbox = _inbox_ids(actor, filters, today).where(Alert.severity != Severity.INFO)
    # One row per subject, summed, ordered and paged in SQL: ordering every problem needs its
    # headline severity (the worst), days late (the most), first seen (the oldest) and the orders
    # waiting, no alert itself; only the page shown comes back (a million problems at scale XL).
    with db.read() as session:
        seen = since if since is not None else _seen_at(session, actor)
        # New: a problem with an alert first seen after the visit before (all when never visited).
        unfiltered = dataclasses.replace(filters, text=filters.text.strip()) == AlertFilter()
        kept_rows = kept and unfiltered and not actor.is_supplier and problems_usable(session, today)
        if kept_rows:
            per_subject = _kept_problems(seen)
        else:
            grouped = subject_sums()
            newest = grouped.pop("newest_seen")
            # New: a problem with an alert first seen after the visit before (all when never visited).
            grouped["new"] = case((newest > seen, 1), else_=0) if seen is not None else literal(1)
            per_subject = (
                inbox.with_only_columns(
                    Alert.subject_key.label("subject_key"), *(v.label(k) for k, v in grouped.items())
                )
                .group_by(Alert.subject_key)
                .cte("per_subject")
            )
        # Grouped live, the counts ride along the page as window sums (one scan of the alerts for
        # both); kept, the page reads the top rows and the counts are a second, narrow scan (at
        # scale XL 0.17 + 0.14 s, where window sums over 724,000 rows took 1.65 s).
        window = not kept_rows
        page = _frame(
            session.execute(_ordered_page(session, per_subject, actor, limit, offset, window=window)),
            columns=[*_PER_SUBJECT, *_IMPACT_COLUMNS, *(_SUMS if window else [])],
        )
        if window and len(page):  # the sums came with the page (window sums over every problem)
            sums = page.iloc[0][_SUMS].fillna(0).astype("int64").tolist()
        else:  # kept rows, past the last page, or no problem at all
            sums = session.execute(select(*_sums(per_subject, window=False))).one()
        keys = [str(k) for k in page["subject_key"]]
        ids = [int(i) for i in session.scalars(inbox.where(Alert.subject_key.in_(keys)))] if keys else []
        rows = session.execute(_details(session, ids)).all() if ids else []
    detail = _frame(rows, _DETAIL_COLUMNS)
    # A kept row whose alerts a write of this very moment closed has no alert left to show.
    page = page[page["subject_key"].isin(set(detail["subject_key"]))].reset_index(drop=True)
    impact = page.set_index("subject_key")[_IMPACT_COLUMNS].astype(
        {"customers": "float64", "waiting_orders": "int64", "impact": "float64"}
    )
    for col in ("severity", "status"):
        detail[col] = enum_values(detail[col])
    frame = problem_rules.group_problems(detail.astype({"days_late": "Float64"}), impact=impact)
    frame = frame.set_index("subject_key").reindex(page["subject_key"]).reset_index()
    frame["is_new"] = page["new"].astype("int64").to_numpy() > 0
    frame["po_line_id"] = frame["po_line_id"].astype("Int64")
    total, new, alerts, critical, warning = (int(n or 0) for n in sums)
    return ProblemPage(
        rows=frame,
        total=total,
        new=new,
        alerts=alerts,
        by_severity={Severity.CRITICAL.value: critical, Severity.WARNING.value: warning},
    )


#: What a problem is ordered and counted by, one row per subject (live, or kept: :func:`_kept_problems`).
_PER_SUBJECT = ["subject_key", "rank", "days_late", "first_seen", "new", "alerts"]
#: The customer impact of a problem, as :func:`portal.core.problems.customer_impact` names it.
_IMPACT_COLUMNS = ["customers", "waiting_orders", "impact"]
#: What the page's header counts over every problem under the filters (:func:`_sums`).
_SUMS = ["problems", "new_problems", "problem_alerts", "critical", "warning"]


def _kept_problems(seen: dt.datetime | None) -> CTE:
    """The problems as the writes keep them (:mod:`portal.services.planning.problems`): what the
    default inbox of a buyer or manager reads instead of grouping every live alert."""
    new = case((InboxProblem.newest_seen > seen, 1), else_=0) if seen is not None else literal(1)
    return (
        select(
            InboxProblem.subject_key,
            InboxProblem.rank,
            InboxProblem.days_late,
            InboxProblem.first_seen,
            new.label("new"),
            InboxProblem.alerts,
            InboxProblem.customers,
            InboxProblem.waiting_orders,
            InboxProblem.impact,
        )
        .where(InboxProblem.alerts > 0)
        .cte("per_subject")
    )


def _sums(per_subject: CTE, *, window: bool) -> list[Any]:
    """The :data:`_SUMS` of ``per_subject``: as window sums beside each row of a page (one scan of the
    alerts for the page and its counts), or as one row of plain sums."""

    def total(value: Any) -> Any:
        summed = func.sum(value)
        return summed.over() if window else summed

    rank = per_subject.c.rank
    return [
        total(literal(1)).label("problems"),
        total(per_subject.c.new).label("new_problems"),
        total(per_subject.c.alerts).label("problem_alerts"),
        *(
            total(case((rank == s.rank, 1), else_=0)).label(s.value)
            for s in (Severity.CRITICAL, Severity.WARNING)
        ),
    ]


def _ordered_page(
    session: Session, per_subject: CTE, actor: Actor, limit: int, offset: int, *, window: bool = True
) -> Select[*tuple[Any, ...]]:
    """The ``per_subject`` rows of one page with their customer impact, in
    :func:`portal.core.problems.order_problems`' order: impact, severity, days late (most first),
    first seen (oldest first), then the subject's key (compared byte by byte, as Python does);
    ``window``: with the :data:`_SUMS` over every row beside each."""
    key = per_subject.c.subject_key
    customers: ColumnElement[Any]
    waiting: ColumnElement[Any]
    impact: ColumnElement[Any]
    stmt = select(*(per_subject.c[name] for name in _PER_SUBJECT))
    if actor.is_supplier:  # no orders wait for a supplier user
        customers, waiting, impact = literal(0.0), literal(0), literal(0.0)
    elif "impact" in per_subject.c:  # kept with the problem (portal.services.planning.problems)
        customers, waiting, impact = (per_subject.c[name] for name in _IMPACT_COLUMNS)
    else:
        sums = customer_impact(session.get_bind().dialect.name, per_subject).subquery()
        customers, waiting, impact = (func.coalesce(c, 0) for c in list(sums.c)[1:])
        stmt = stmt.outerjoin(sums, sums.c.subject_key == key)
    in_bytes = key.collate("C") if session.get_bind().dialect.name == "postgresql" else key
    return (
        stmt.add_columns(customers, waiting, impact, *(_sums(per_subject, window=True) if window else []))
        .order_by(
            impact.desc(),
            per_subject.c.rank.desc(),
            per_subject.c.days_late.desc(),
            per_subject.c.first_seen,
            in_bytes,
        )
        .limit(limit)
        .offset(offset)
    )


@service(*ALL_ROLES, writes=False)
def alert_severity_counts(
    db: Database, actor: Actor, filters: AlertFilter = AlertFilter(), *, today: dt.date | None = None
) -> dict[str, int]:
    """How many inbox alerts of each severity match ``filters`` (critical, warning, info)."""
    stmt = _inbox_ids(actor, filters, today or dt.date.today())
    grouped = stmt.with_only_columns(Alert.severity, func.count()).group_by(Alert.severity)
    counts = {s.value: 0 for s in (Severity.CRITICAL, Severity.WARNING, Severity.INFO)}
    with db.read() as session:
        for value, n in session.execute(grouped):
            counts[enum_value(value)] = int(n)
    return counts


#: An alert still live, as the partial index ``uq_alerts_live_rule_subject`` states it: literally, so that
#: SQLite's planner (which cannot prove a bound parameter equal to the index's predicate) uses the index.
_LIVE = text("alerts.status <> 'resolved'")


@service(*ALL_ROLES, writes=False)
def alert_rule_names(db: Database, actor: Actor) -> list[str]:
    """The rules that have live alerts the actor may see, for the inbox's rule filter.

    Staff: one probe of the live alerts' index on (rule, subject) per rule the portal knows
    (:data:`portal.core.vocabulary.RULES`): a dozen index lookups, whatever the number of alerts (a
    ``DISTINCT`` over them read every live alert: 0.6 s at scale L on SQLite). A supplier user's own
    alerts are few: read through its supplier's index.
    """
    stmt: Select[str] | CompoundSelect[str]
    if actor.is_supplier:
        stmt = (
            select(Alert.rule)
            .where(_LIVE, Alert.supplier_id == actor.supplier_id, Alert.backorder_id.is_(None))
            .distinct()
            .order_by(Alert.rule)
        )
    else:
        # Ordered as the index, so that the planner walks it (PostgreSQL otherwise scans the table
        # for a common rule, expecting one soon: 35 ms a rule at scale L).
        probes = [
            select(Alert.rule)
            .where(Alert.rule == rule, _LIVE)
            .order_by(Alert.rule, Alert.subject_key)
            .limit(1)
            .subquery()
            for rule in sorted(vocabulary.RULES)
        ]
        stmt = union_all(*(select(probe.c.rule) for probe in probes))
    with db.read() as session:
        return sorted(str(rule) for rule in session.scalars(stmt))


@service(*ALL_ROLES, writes=False)
def alert_comments(db: Database, actor: Actor, alert_id: int) -> pd.DataFrame:
    """The comments of one alert, oldest first (a supplier only for its own line alerts)."""
    from portal.services.alerts import check_alert_visible

    with db.read() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            from portal.core.domain import NotFound

            raise NotFound(f"No alert with id {alert_id}.")
        check_alert_visible(actor, alert)
        rows = session.execute(
            select(AlertComment.author_name, AlertComment.body, AlertComment.created_at)
            .where(AlertComment.alert_id == alert_id)
            .order_by(AlertComment.created_at, AlertComment.id)
        ).all()
    return pd.DataFrame(rows, columns=["author", "body", "created_at"])
