"""Each user may pick the portal's language (null: follow the browser, English by default).

Reviewed by hand: one nullable short string column; no data to move. Not in batch mode: on SQLite
a batch rebuilds users, which other tables' foreign keys refuse (SQLite 3.35+ drops a column in place).

Create Date: 2026-12-02 02:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'


def upgrade() -> None:
    op.add_column('users', sa.Column('language', sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.execute('ALTER TABLE users DROP COLUMN language')
