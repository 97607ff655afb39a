"""Purchase-order change orders: each changed field of a re-imported line, with who and when.

Reviewed by hand: one new table, indexed by line and time (the line detail page reads a line's
history). The downgrade drops it: lines keep their current values, their history is forgotten.

Create Date: 2026-12-01 23:53:22.743355
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'


def upgrade() -> None:
    op.create_table('po_line_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('po_line_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('old_value', sa.String(length=60), nullable=True),
    sa.Column('new_value', sa.String(length=60), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_name', sa.String(length=120), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_po_line_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['po_line_id'], ['po_lines.id'], name=op.f('fk_po_line_changes_po_line_id_po_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_po_line_changes'))
    )
    with op.batch_alter_table('po_line_changes', schema=None) as batch_op:
        batch_op.create_index('ix_po_line_changes_line_at', ['po_line_id', 'changed_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('po_line_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_po_line_changes_line_at')

    op.drop_table('po_line_changes')
