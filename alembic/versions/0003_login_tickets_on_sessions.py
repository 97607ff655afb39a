"""Login tickets on sessions: a login first holds a one-time ticket, exchanged for the cookie's token.

Reviewed by hand: the downgrade drops the sessions whose ticket was never exchanged (their
token is still empty) before making the token required again.

Create Date: 2026-11-27 10:02:27.465553
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'


def upgrade() -> None:
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticket_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('ticket_expires_at', sa.DateTime(), nullable=True))
        batch_op.alter_column('token_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_user_sessions_ticket_hash'), ['ticket_hash'])



def downgrade() -> None:
    op.execute("DELETE FROM user_sessions WHERE token_hash IS NULL")
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_sessions_ticket_hash'), type_='unique')
        batch_op.alter_column('token_hash',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)
        batch_op.drop_column('ticket_expires_at')
        batch_op.drop_column('ticket_hash')

