"""Forecast calibration on supplier_stats: the record of started lines, the learned start delay
and duration ratio, and their spread (portal/core/calibration.py).

Reviewed by hand: five new columns, one not null with a server default of 0 (existing rows are
recomputed by the next sweep). The downgrade drops them: forecasts go back to the plain rule.

Create Date: 2026-12-02 00:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"

COLUMNS = ("start_delay_days", "start_delay_sd", "rate_ratio", "rate_ratio_sd")


def upgrade() -> None:
    with op.batch_alter_table("supplier_stats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forecast_records", sa.Integer(), server_default="0", nullable=False))
        for name in COLUMNS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supplier_stats", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
        batch_op.drop_column("forecast_records")
