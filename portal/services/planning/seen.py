"""When a live alert was last seen, without a sweep writing it into every live alert.

A sweep used to set ``last_seen`` (and ``as_of``) of every live alert whose condition still held:
146,000 rows per sweep at scale L, most of a steady sweep's database work. Now each pass of a sweep
(everything, one shard, or one chunk of a sweep in chunks) is recorded once in ``sweep_runs``
(:func:`record_run`), and an alert's shown ``last_seen`` (:func:`last_seen_column`) is:

* its stored value if it is closed (resolved: its values were written when it closed, see
  :func:`close_values`), of an event rule (no sweep reconciles those), or written after every
  pass that covered it (a post's recompute, a sweep that inserted or rewrote it);
* else the moment of the latest pass that covered its subject: that pass found its condition
  still holding (a pass resolves the live alerts whose condition cleared), which is exactly the
  moment the sweep wrote into it before. ``as_of`` the same way (:func:`as_of_column`): the day
  the alert was last evaluated as of.

Only the latest full pass and, per shard, its latest pass after that can be an alert's latest
covering pass, so the columns are a CASE over a handful of passes, and :func:`record_run` deletes
the passes that can no longer be one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Date, DateTime, and_, case, delete, func, literal, select
from sqlalchemy.orm import Session

from db.models import Alert, SweepRun
from portal.core.domain import EVENT_RULES, AlertStatus
from portal.services.planning.shard import Shard, shard_alerts


@dataclass(frozen=True)
class Pass:
    """A recorded sweep pass: its moment, its day, and the shard it covered (None: everything)."""

    seen_at: dt.datetime
    as_of: dt.date
    shard: Shard | None


def record_run(session: Session, seen_at: dt.datetime, as_of: dt.date, shard: Shard | None) -> None:
    """Record one pass of a sweep: every live alert of its scope still holding was seen at ``seen_at``.

    And forget the passes no reader can need any more (:func:`latest_passes` reads only the latest
    full pass and each shard's latest pass after it): a full pass drops every earlier pass, a shard's
    pass its own earlier passes. Passes are recorded in the order of their moments (a full sweep
    waits for running shards and they for it; one shard's passes queue on its lock), so the table
    keeps a handful of rows instead of one per sweep, every few minutes, for ever."""
    session.add(
        SweepRun(
            seen_at=seen_at,
            as_of=as_of,
            shard_k=None if shard is None else shard.k,
            shard_n=None if shard is None else shard.n,
        )
    )
    session.flush()
    older = delete(SweepRun).where(SweepRun.seen_at < seen_at)
    if shard is not None:
        older = older.where(SweepRun.shard_n == shard.n, SweepRun.shard_k == shard.k)
    session.execute(older.execution_options(synchronize_session=False))


def latest_passes(session: Session | Connection) -> list[Pass]:
    """The passes that can be a live alert's latest covering one, newest first: the latest full
    pass, and each shard's latest pass after it."""
    full = session.execute(
        select(SweepRun.seen_at, SweepRun.as_of)
        .where(SweepRun.shard_n.is_(None))
        .order_by(SweepRun.seen_at.desc())
        .limit(1)
    ).first()
    passes = [] if full is None else [Pass(full.seen_at, full.as_of, None)]
    latest = (
        select(SweepRun.shard_k, SweepRun.shard_n, func.max(SweepRun.seen_at).label("seen_at"))
        .where(SweepRun.shard_n.is_not(None))
        .group_by(SweepRun.shard_k, SweepRun.shard_n)
    )
    if full is not None:
        latest = latest.where(SweepRun.seen_at > full.seen_at)
    last = latest.subquery()
    rows = session.execute(
        select(SweepRun.seen_at, SweepRun.as_of, SweepRun.shard_k, SweepRun.shard_n).join(
            last,
            and_(
                SweepRun.shard_k == last.c.shard_k,
                SweepRun.shard_n == last.c.shard_n,
                SweepRun.seen_at == last.c.seen_at,
            ),
        )
    ).all()
    passes += [Pass(r.seen_at, r.as_of, Shard(int(r.shard_k), int(r.shard_n))) for r in rows]
    return sorted(passes, key=lambda p: p.seen_at, reverse=True)


def _seen_by(one: Pass) -> Any:
    """The SQL condition: ``one`` saw this alert after its stored ``last_seen``, live."""
    stamp = literal(one.seen_at, DateTime)
    conditions = [
        Alert.status != AlertStatus.RESOLVED,
        Alert.rule.not_in([r.value for r in EVENT_RULES]),
        Alert.last_seen < stamp,
    ]
    if one.shard is not None:
        conditions.append(shard_alerts(one.shard))
    return and_(*conditions)


def last_seen_column(passes: list[Pass]) -> Any:
    """An alert's ``last_seen`` as it is shown: its own, or its latest covering pass's moment."""
    if not passes:
        return Alert.last_seen
    return case(*((_seen_by(p), literal(p.seen_at, DateTime)) for p in passes), else_=Alert.last_seen)


def as_of_column(passes: list[Pass]) -> Any:
    """An alert's ``as_of`` as it is shown: its own, or its latest covering pass's day."""
    if not passes:
        return Alert.as_of
    return case(*((_seen_by(p), literal(p.as_of, Date)) for p in passes), else_=Alert.as_of)


def seen_columns(session: Session | Connection) -> tuple[Any, Any]:
    """``last_seen`` and ``as_of`` as shown, labelled so, for a select of alerts."""
    passes = latest_passes(session)
    return last_seen_column(passes).label("last_seen"), as_of_column(passes).label("as_of")


def close_values(session: Session | Connection) -> dict[str, Any]:
    """The values an UPDATE that closes live alerts sets with it: their shown ``last_seen`` and
    ``as_of`` written in, so they stay what they were once no pass covers a closed alert."""
    passes = latest_passes(session)
    return {"last_seen": last_seen_column(passes), "as_of": as_of_column(passes)}
