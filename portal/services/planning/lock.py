"""The planning lock: on PostgreSQL a sweep and the write services that recompute keep apart with one
advisory lock held to the end of the transaction, shared by writes and exclusive by a sweep."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.engine import core_connection
from db.models import Item, PoLine
from portal.core.batching import id_chunks
from portal.core.domain import ConflictError
from portal.i18n import _
from portal.services.locks import LOCK_NOT_AVAILABLE, advisory_key
from portal.services.planning.shard import Shard

#: The advisory lock a sweep holds exclusive and the writes that recompute hold shared.
PLANNING_LOCK = "planning"
#: How long a write waits for a running sweep (scale L sweeps in about 15 s) before giving up.
PLANNING_LOCK_WAIT_SECONDS = 120.0

_PLANNING_KEY = advisory_key(PLANNING_LOCK)
#: Built once: every post runs them (through the session's connection, not the ORM's execute: its
#: per-statement work was a tenth of a post's CPU for these few statements).
_TRY_SHARED = text("SELECT pg_try_advisory_xact_lock_shared(:k)")
_LOCK_ITEMS = (
    select(Item.id)
    .where(Item.id.in_(bindparam("item_ids", expanding=True)))
    .order_by(Item.id)
    .with_for_update(key_share=True)
)
#: A post's line and its item, locked in one statement (both tables' rows: no ``OF``).
_LOCK_LINE_AND_ITEM = (
    select(PoLine.item_id)
    .join(Item, Item.id == PoLine.item_id)
    .where(PoLine.id == bindparam("line_id"))
    .with_for_update(key_share=True)
)
#: The same, only once the planning lock is held shared: its try is a condition of the statement, so
#: when a sweep runs or waits no row reaches the locking (PostgreSQL locks the rows that pass the
#: conditions, last) and the post holds nothing while it waits.
_SHARE_PLANNING_LOCK_LINE_AND_ITEM = _LOCK_LINE_AND_ITEM.where(
    func.pg_try_advisory_xact_lock_shared(bindparam("k"))
)


def share_planning_lock(session: Session, wait: float | None = None) -> None:
    """On PostgreSQL, wait for a running sweep to commit, then keep sweeps out until this transaction ends.

    A write service that recomputes calls it as its transaction's first statement, before it
    holds any row a sweep writes (see :func:`exclusive_planning_lock`); :func:`recompute_affected`
    calls it again, which costs nothing once held. Writes share it, so they never wait for each
    other here. After ``wait`` seconds (default :data:`PLANNING_LOCK_WAIT_SECONDS`) behind a sweep
    it raises a ConflictError, and the write is rolled back. SQLite needs nothing: a write
    transaction holds the database's write lock from its BEGIN IMMEDIATE.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    wait = PLANNING_LOCK_WAIT_SECONDS if wait is None else wait
    key = _PLANNING_KEY
    if core_connection(session).scalar(_TRY_SHARED, {"k": key}):
        return  # no sweep running or waiting: one round trip
    previous = session.scalar(text("SELECT current_setting('lock_timeout')"))
    # At least 1 ms: a lock_timeout of 0 would mean "wait forever".
    session.execute(
        text("SELECT set_config('lock_timeout', :t, true)"), {"t": f"{max(1, int(wait * 1000))}ms"}
    )
    try:
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": key})
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise ConflictError(
                _(
                    "The planning sweep has been recomputing every forecast for over {seconds} s: "
                    "nothing was saved; try again in a minute."
                ).format(seconds=f"{wait:g}")
            ) from None
        raise
    session.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": previous})


def exclusive_planning_lock(session: Session) -> None:
    """On PostgreSQL, wait until no write recomputes, and keep them waiting until the sweep commits.

    Why: a sweep deletes and re-inserts every forecast, every allocation, and reconciles every
    alert, while a post deletes and re-inserts those of its own line and item. Interleaved, one
    of them failed on the forecast primary key or the live-alert index, or both wrote a
    backorder's allocations twice. Taken before the sweep reads anything, in the transaction it
    writes in, this lock orders the two: a post either committed before the sweep read (the sweep
    sees its report) or waits and recomputes its lines after the sweep committed (its newer result
    wins). Both succeed and the stored results are those of the final data.

    Why not lock every item as a recompute does: that writes a row lock into every item row on
    each sweep (slow at scale), and a write that updated a backorder or an item before locking
    its items would deadlock with it. Why not upserts with a version per line: forecasts could
    be made to converge that way, but a backorder's promise and allocations and the alerts
    reconcile depend on other lines and on the live alerts read, and only a lock keeps those
    consistent.

    No deadlock: the writes take the shared lock first, holding no row a sweep writes; a sweep
    takes this lock first, holding nothing (the job lock of :mod:`portal.services.locks` is
    taken before it, never after). A sweep waits only for the writes already recomputing; new
    ones queue behind it, so a stream of posts never starves it.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(PLANNING_LOCK)})


def lock_line_to_post(session: Session, line_id: int) -> bool:
    """On PostgreSQL, what a post of one line holds before it reads the line: the planning lock shared
    (:func:`share_planning_lock`), then the line's row and its item's row (what :func:`lock_scope`
    would lock later for its recompute). Returns whether the item is locked (False on SQLite, where
    the write transaction holds the database).

    When no sweep runs or waits, one statement: the planning lock's try and both rows' locks, taken
    in that order (the try is the statement's condition). Otherwise, with nothing locked, as before:
    wait for the sweep (or give up, :func:`share_planning_lock`), then lock the two rows. A line that
    does not exist takes the second way too and locks nothing; its reader finds no line.

    The item is held from the post's start rather than from its recompute: two posts of lines of
    one item queue for the whole post instead of for its second half (docs/performance.md,
    2026-12-05: measured with 16 writers at scale L).
    """
    if session.get_bind().dialect.name != "postgresql":
        return False
    connection = core_connection(session)
    found = connection.execute(_SHARE_PLANNING_LOCK_LINE_AND_ITEM, {"k": _PLANNING_KEY, "line_id": line_id})
    if found.first() is None:
        share_planning_lock(session)
        connection.execute(_LOCK_LINE_AND_ITEM, {"line_id": line_id}).all()
    return True


def lock_scope(session: Session, line_ids: Collection[int], item_ids: Collection[int]) -> None:
    """On PostgreSQL, serialize recomputes that share an item (SQLite has one writer anyway).

    Two recomputes of the same item would otherwise both insert the same new backorder alert
    and one would fail on the live-alert unique index. Line alerts need no lock here: a line's
    writes already hold its row. Supplier alerts (capacity) are the sweep's alone, so recomputes
    of different lines of one supplier run side by side. Locks are taken in id order, so two
    transactions never wait on each other in a cycle.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(int(i) for i in line_ids)
    items: set[int] = {int(i) for i in item_ids}
    for chunk in id_chunks(ids):
        items.update(int(i) for i in session.scalars(select(PoLine.item_id).where(PoLine.id.in_(chunk))))
    if items:
        core_connection(session).execute(_LOCK_ITEMS, {"item_ids": sorted(items)}).all()


def shard_planning_lock(session: Session, shard: Shard) -> None:
    """On PostgreSQL, what a shard of the sweep holds: shards run side by side, never two runs of one
    shard, never beside a full sweep, and never beside a post that recomputes one of its items.

    * the planning lock shared, as a write takes it: a full sweep waits for every shard (and a
      shard for a full sweep), while shards and posts share it;
    * the shard's own advisory lock exclusive: a second run of the same shard waits;
    * its items' rows, as :func:`lock_scope` takes them for a post (in id order): a post of one of
      its items waits for the shard to commit, or the shard for the post; posts of other shards'
      items run on.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    share_planning_lock(session)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(shard.key)})
    session.execute(
        select(Item.id).where(shard.owns(Item.id)).order_by(Item.id).with_for_update(key_share=True)
    ).all()
