"""Alert texts worded only when they change: each alert keeps the hash of what its message was worded
from (``alerts.message_hash``); a sweep whose condition gives the same hash keeps the stored text.

Reviewed by hand: one nullable column. Alerts written before it keep NULL: the next sweep words their
messages again and stores the hashes. Any other UPDATE of an alert sets it back to NULL (the model's
``onupdate``), so a text written elsewhere is never taken for the one a hash stands for. The
downgrade drops the column.

Revision ID: 0018_sweep
Revises: 0017_reopenargs
Create Date: 2026-12-02 20:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0018_sweep"
down_revision: str | None = "0017_reopenargs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_hash", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Dropped in place (as 0017 does): alerts is referenced by other tables, so SQLite's batch mode
    # (copy, drop, rename) would fail on their foreign keys; SQLite drops a plain column itself.
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE alerts DROP COLUMN message_hash")
    else:
        op.drop_column("alerts", "message_hash")
