"""Supplier statistics remember what they were learned from: ``supplier_stats.inputs_fingerprint``.

Reviewed by hand: one nullable column. Existing rows keep NULL (unknown inputs), so the next sweep
learns the statistics again and stores the fingerprint; the downgrade drops the column.

Create Date: 2026-12-02 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0015_statsinputs"
down_revision: str | None = "0014_alerttext"


def upgrade() -> None:
    with op.batch_alter_table("supplier_stats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inputs_fingerprint", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("supplier_stats", schema=None) as batch_op:
        batch_op.drop_column("inputs_fingerprint")
