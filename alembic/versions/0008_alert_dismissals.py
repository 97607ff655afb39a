"""Alert dismissals: what a resolved alert's condition was when a person dismissed it, why an
alert reopened, each user's previous visit for "new since your last visit", and the reason of
each backorder's promise date.

Reviewed by hand: five nullable columns, no data to move (an alert resolved before this
migration has no dismissal, so its condition coming back opens a new alert as before). The
downgrade drops them: dismissed conditions reopen at the next sweep, promise reasons
come back with the next sweep after the next upgrade.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 23:54:01.159736
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dismissed_severity', sa.Enum('info', 'warning', 'critical', name='dismissed_severity', native_enum=False, create_constraint=True, length=20), nullable=True))
        batch_op.add_column(sa.Column('dismissed_days_late', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reopen_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('backorders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promise_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_visit_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('previous_visit_at')

    with op.batch_alter_table('backorders', schema=None) as batch_op:
        batch_op.drop_column('promise_reason')

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        # SQLite keeps the CHECK of the enum column in the table: it goes first, or the rebuilt
        # table would check a column that is no longer there.
        batch_op.drop_constraint(batch_op.f('ck_alerts_dismissed_severity'), type_='check')
        batch_op.drop_column('reopen_reason')
        batch_op.drop_column('dismissed_days_late')
        batch_op.drop_column('dismissed_severity')
