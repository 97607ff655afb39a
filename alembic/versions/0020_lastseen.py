"""Sweep runs recorded once (``sweep_runs``) instead of ``last_seen`` written into every live alert.

A sweep set ``last_seen`` (and ``as_of``) of every live alert whose condition still held: at scale L
about 146,000 rows per sweep, most of a steady sweep's database work on PostgreSQL. Each pass of a
sweep (everything, or one shard) is now one row here; an alert's ``last_seen`` is its stored value,
or the latest pass after it that covered it while it was live (portal.services.planning.seen).
Nothing to convert: every stored ``last_seen`` is what it was, and no pass is recorded yet.

Create Date: 2026-12-03 08:10:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from alembic import op

revision: str = "0020_lastseen"
down_revision: str | None = "0019_fillfactor"


def upgrade() -> None:
    op.create_table(
        "sweep_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("shard_k", sa.Integer(), nullable=True),
        sa.Column("shard_n", sa.Integer(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_sweep_runs_shard_seen_at", "sweep_runs", ["shard_n", "shard_k", "seen_at"])


# The tables the downgrade reads and writes, as they are at this revision (a migration imports no
# application code: this is portal.services.planning.seen's materialize_all as it was here, frozen).
_RUNS = sa.table(
    "sweep_runs",
    sa.column("seen_at", sa.DateTime()),
    sa.column("as_of", sa.Date()),
    sa.column("shard_k", sa.Integer()),
    sa.column("shard_n", sa.Integer()),
)
_ALERTS = sa.table(
    "alerts",
    sa.column("id", sa.Integer()),
    sa.column("rule", sa.String()),
    sa.column("status", sa.String()),
    sa.column("subject_key", sa.String()),
    sa.column("last_seen", sa.DateTime()),
    sa.column("as_of", sa.Date()),
)
_OWNERS = {  # subject kind: (table, id column, the column whose id % N picks the shard)
    "line": ("po_lines", "id", "item_id"),
    "backorder": ("backorders", "id", "item_id"),
    "supplier": ("suppliers", "id", "id"),
}
#: Alerts of event rules: no sweep reconciles them, so no pass saw them (PO_CHANGED at this revision).
_EVENT_RULES = ("PO_CHANGED",)


def _passes(bind: sa.Connection) -> list[tuple[Any, Any, tuple[int, int] | None]]:
    """(seen_at, as_of, shard (k, n) or None) of the passes that can be a live alert's latest covering
    one, newest first: the latest full pass, and each shard's latest pass after it."""
    full = bind.execute(
        sa.select(_RUNS.c.seen_at, _RUNS.c.as_of)
        .where(_RUNS.c.shard_n.is_(None))
        .order_by(_RUNS.c.seen_at.desc())
        .limit(1)
    ).first()
    passes: list[tuple[Any, Any, tuple[int, int] | None]] = [] if full is None else [(full[0], full[1], None)]
    latest = (
        sa.select(_RUNS.c.shard_k, _RUNS.c.shard_n, sa.func.max(_RUNS.c.seen_at).label("seen_at"))
        .where(_RUNS.c.shard_n.is_not(None))
        .group_by(_RUNS.c.shard_k, _RUNS.c.shard_n)
    )
    if full is not None:
        latest = latest.where(_RUNS.c.seen_at > full[0])
    last = latest.subquery()
    rows = bind.execute(
        sa.select(_RUNS.c.seen_at, _RUNS.c.as_of, _RUNS.c.shard_k, _RUNS.c.shard_n).join(
            last,
            sa.and_(
                _RUNS.c.shard_k == last.c.shard_k,
                _RUNS.c.shard_n == last.c.shard_n,
                _RUNS.c.seen_at == last.c.seen_at,
            ),
        )
    ).all()
    passes += [(r[0], r[1], (int(r[2]), int(r[3]))) for r in rows]
    return sorted(passes, key=lambda p: p[0], reverse=True)


def _seen_by(seen_at: Any, shard: tuple[int, int] | None) -> Any:
    """The SQL condition: the pass at ``seen_at`` (of ``shard``) saw this alert after its stored
    last_seen, live (not resolved, not of an event rule, its subject in the shard)."""
    conditions = [
        _ALERTS.c.status != "resolved",
        _ALERTS.c.rule.not_in(_EVENT_RULES),
        _ALERTS.c.last_seen < sa.literal(seen_at, sa.DateTime()),
    ]
    if shard is not None:
        k, n = shard
        keys = []
        for kind, (name, key, owner) in _OWNERS.items():
            table = sa.table(name, sa.column(key, sa.Integer()), sa.column(owner, sa.Integer()))
            keys.append(
                _ALERTS.c.subject_key.in_(
                    sa.select(sa.literal(f"{kind}:", sa.String()) + sa.cast(table.c[key], sa.String())).where(
                        table.c[owner] % n == k - 1
                    )
                )
            )
        conditions.append(sa.or_(*keys))
    return sa.and_(*conditions)


def _write_last_seen_as_shown(bind: sa.Connection) -> None:
    """Write every alert's shown last_seen and as_of (its own, or its latest covering pass's) into it."""
    passes = _passes(bind)
    if not passes:
        return
    seen = [(_seen_by(seen_at, shard), seen_at, as_of) for seen_at, as_of, shard in passes]
    bind.execute(
        sa.update(_ALERTS)
        .where(sa.or_(*[condition for condition, _at, _day in seen]))
        .values(
            last_seen=sa.case(
                *((c, sa.literal(at, sa.DateTime())) for c, at, _day in seen), else_=_ALERTS.c.last_seen
            ),
            as_of=sa.case(*((c, sa.literal(day, sa.Date())) for c, _at, day in seen), else_=_ALERTS.c.as_of),
        )
    )


def downgrade() -> None:
    # The alerts' last_seen and as_of as the readers showed them, written back before the runs go.
    _write_last_seen_as_shown(op.get_bind())
    op.drop_index("ix_sweep_runs_shard_seen_at", table_name="sweep_runs")
    op.drop_table("sweep_runs")
