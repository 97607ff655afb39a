"""PROJECTED_LATE confirmed by how long a line has been late, not by how many sweeps said so: each
stored forecast keeps the day since which the line has been confidently late without a break
(``line_forecasts.late_since``, NULL when it is not late), kept by the sweep and by a post alike.

Reviewed by hand: one nullable date column. Nothing is filled in: whether a stored forecast was late
"with the admin's confidence" is the application's rule (a migration imports no application code),
so the first sweep or post after the upgrade starts each late line's count from its own day. A
PROJECTED_LATE already raised stays raised (a live or dismissed alert confirms it); a line waiting
for confirmation waits ``projected_late_held_days`` from that day. The downgrade drops the column
(in place on SQLite 3.35+, as 0012 and 0021 do, rather than a batch copy of the table).

Create Date: 2026-12-04 15:40:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0023_latesince"
down_revision: str | None = "0022_inboxproblems"


def upgrade() -> None:
    op.add_column("line_forecasts", sa.Column("late_since", sa.Date(), nullable=True))


def downgrade() -> None:
    if op.get_context().dialect.name == "sqlite":
        op.execute("ALTER TABLE line_forecasts DROP COLUMN late_since")
    else:
        op.drop_column("line_forecasts", "late_since")
