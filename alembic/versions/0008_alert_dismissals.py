"""Alert dismissals: what a resolved alert's condition was when a person dismissed it, why an
alert reopened, each user's previous visit for "new since your last visit", and the reason of
each backorder's promise date.

Reviewed by hand: five nullable columns, no data to move (an alert resolved before this
migration has no dismissal, so its condition coming back opens a new alert as before). The
downgrade drops them: dismissed conditions reopen at the next sweep, promise reasons
come back with the next sweep after the next upgrade.

Create Date: 2026-12-01 23:54:01.159736
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'


def upgrade() -> None:
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dismissed_severity', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('dismissed_days_late', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reopen_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('backorders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promise_reason', sa.Text(), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_visit_at', sa.DateTime(), nullable=True))


#: Dropped in place: users, alerts and backorders are referenced by other tables, so SQLite's batch
#: mode (copy, drop, rename) would fail on their foreign keys; SQLite drops a plain column itself.
_ADDED = (
    ('users', 'previous_visit_at'),
    ('backorders', 'promise_reason'),
    ('alerts', 'reopen_reason'),
    ('alerts', 'dismissed_days_late'),
    ('alerts', 'dismissed_severity'),
)


def downgrade() -> None:
    for table, column in _ADDED:
        if op.get_context().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE {table} DROP COLUMN {column}')
        else:
            op.drop_column(table, column)
