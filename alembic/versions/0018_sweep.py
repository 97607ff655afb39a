"""A sweep that compares hashes: each alert keeps the hash of what its message was worded from
(``alerts.message_hash``; a sweep whose condition gives the same hash keeps the stored text), each
line forecast the hash of its values (``line_forecasts.values_hash``; compared instead of reading
every value back).

Reviewed by hand: two nullable columns. Rows written before it keep NULL: the next sweep writes them
again with their hashes. Any other UPDATE of such a row sets its hash back to NULL (the models'
``onupdate``), so a row written elsewhere is never taken for the one a hash stands for. The
downgrade drops the columns.

Create Date: 2026-12-02 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0018_sweep"
down_revision: str | None = "0017_reopenargs"


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_hash", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("line_forecasts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("values_hash", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # Dropped in place (as 0017 does): alerts is referenced by other tables, so SQLite's batch mode
    # (copy, drop, rename) would fail on their foreign keys; SQLite drops a plain column itself.
    for table, column in (("line_forecasts", "values_hash"), ("alerts", "message_hash")):
        if op.get_context().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
