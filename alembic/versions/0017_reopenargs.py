"""Reopen reasons in the reader's language: each reopened alert keeps its reason's template key and
values (``alerts.reopen_args``, JSON text) beside the English ``reopen_reason``.

Reviewed by hand: one nullable column. Alerts reopened before it keep NULL and show their stored
English reason; the downgrade drops the column.

Create Date: 2026-12-02 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0017_reopenargs"
down_revision: str | None = "0016_rankingcounts"


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reopen_args", sa.Text(), nullable=True))


def downgrade() -> None:
    # Dropped in place (as 0014 does): alerts is referenced by other tables, so SQLite's batch mode
    # (copy, drop, rename) would fail on their foreign keys; SQLite drops a plain column itself.
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE alerts DROP COLUMN reopen_args")
    else:
        op.drop_column("alerts", "reopen_args")
