"""Sweep runs recorded once (``sweep_runs``) instead of ``last_seen`` written into every live alert.

A sweep set ``last_seen`` (and ``as_of``) of every live alert whose condition still held: at scale L
about 146,000 rows per sweep, most of a steady sweep's database work on PostgreSQL. Each pass of a
sweep (everything, or one shard) is now one row here; an alert's ``last_seen`` is its stored value,
or the latest pass after it that covered it while it was live (portal.services.planning.seen).
Nothing to convert: every stored ``last_seen`` is what it was, and no pass is recorded yet.

Revision ID: 0020_lastseen
Revises: 0019_fillfactor
Create Date: 2026-12-03 08:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0020_lastseen"
down_revision: str | None = "0019_fillfactor"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


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


def downgrade() -> None:
    # The alerts' last_seen and as_of as the readers showed them, written back before the runs go.
    from portal.services.planning.seen import materialize_all

    materialize_all(op.get_bind())
    op.drop_index("ix_sweep_runs_shard_seen_at", table_name="sweep_runs")
    op.drop_table("sweep_runs")
