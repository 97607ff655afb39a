"""Scorecard snapshots remember the highest id of each table they read (their watermarks).

Reviewed by hand: one nullable JSON column. A snapshot without watermarks (stored before this
revision) is not trusted: every view computes live until the next refresh.

Create Date: 2026-12-02 00:04:03.571515
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'


def upgrade() -> None:
    with op.batch_alter_table('scorecard_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('watermarks', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('scorecard_snapshots', schema=None) as batch_op:
        batch_op.drop_column('watermarks')

