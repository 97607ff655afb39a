"""Scorecard snapshots: every supplier's monthly scorecard totals, stored for the ranking.

Reviewed by hand: two new tables, nothing else changes; the downgrade drops them (a snapshot
is derived data, recomputed by `portal scorecards refresh`).

Create Date: 2026-11-27 11:12:12.679833
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'


def upgrade() -> None:
    op.create_table('scorecard_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('computed_by', sa.String(length=120), nullable=False),
    sa.Column('on_time_tolerance_days', sa.Integer(), nullable=False),
    sa.Column('in_full_threshold', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scorecard_snapshots'))
    )
    op.create_table('scorecard_totals',
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('otd_receipts', sa.Float(), nullable=False),
    sa.Column('otd_on_time', sa.Float(), nullable=False),
    sa.Column('otif_lines', sa.Float(), nullable=False),
    sa.Column('otif_on_time', sa.Float(), nullable=False),
    sa.Column('late_lines', sa.Float(), nullable=False),
    sa.Column('late_days', sa.Float(), nullable=False),
    sa.Column('planned_qty', sa.Float(), nullable=False),
    sa.Column('credited_qty', sa.Float(), nullable=False),
    sa.Column('promise_lines', sa.Float(), nullable=False),
    sa.Column('promises_kept', sa.Float(), nullable=False),
    sa.Column('slipped_lines', sa.Float(), nullable=False),
    sa.Column('slip_days', sa.Float(), nullable=False),
    sa.Column('received_qty', sa.Float(), nullable=False),
    sa.Column('rejected_qty', sa.Float(), nullable=False),
    sa.Column('production_days', sa.Float(), nullable=False),
    sa.Column('reported_on_time', sa.Float(), nullable=False),
    sa.Column('window_lines', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['snapshot_id'], ['scorecard_snapshots.id'], name=op.f('fk_scorecard_totals_snapshot_id_scorecard_snapshots'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_scorecard_totals_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('snapshot_id', 'supplier_id', 'month', name=op.f('pk_scorecard_totals'))
    )


def downgrade() -> None:
    op.drop_table('scorecard_totals')
    op.drop_table('scorecard_snapshots')
