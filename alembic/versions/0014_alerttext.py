"""Alert messages in the reader's language: each alert keeps its message's template key and values
(``alerts.message_args``, JSON text) beside the English ``message``.

Reviewed by hand: one nullable column. Existing alerts keep NULL and show their stored English
message until the next sweep writes their arguments; the downgrade drops the column.

Create Date: 2026-12-02 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0014_alerttext"
down_revision: str | None = "0013"


def upgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_args", sa.Text(), nullable=True))


def downgrade() -> None:
    # Dropped in place (as 0008 does): alerts is referenced by other tables, so SQLite's batch mode
    # (copy, drop, rename) would fail on their foreign keys; SQLite drops a plain column itself.
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE alerts DROP COLUMN message_args")
    else:
        op.drop_column("alerts", "message_args")
