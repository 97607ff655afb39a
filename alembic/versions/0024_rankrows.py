"""The ranking's rows stored with the scorecard snapshot: one per supplier for the default end month.

Reviewed by hand: one new table (``scorecard_rank_rows``: per snapshot and supplier the rolling-12
totals and lines of the window ending the snapshot's ``rank_end_month``, the score inputs of the
12 windows the page's history needs, and the line counts) and two nullable columns of
``scorecard_snapshots`` (``rank_end_month``; ``counts_sweep_run``, the latest sweep pass when the
counts were taken). A snapshot stored before has no rank rows (``rank_end_month`` NULL): the ranking
sums its monthly totals as before until the next refresh stores them. The downgrade drops the
columns and the table.

And two indexes for the scorecards' month choices (the first and last receipt and need-by date of
everyone, 0.9 s of the ranking at scale XL as scans): ``ix_receipts_received_date`` and
``ix_po_lines_need_by_date`` make each a probe of one index end. The downgrade drops them.

Create Date: 2026-12-04 15:25:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0024_rankrows"
down_revision: str | None = "0023_latesince"

_TOTALS = (
    "otd_receipts",
    "otd_on_time",
    "otif_lines",
    "otif_on_time",
    "late_lines",
    "late_days",
    "planned_qty",
    "credited_qty",
    "promise_lines",
    "promises_kept",
    "slipped_lines",
    "slip_days",
    "received_qty",
    "rejected_qty",
    "production_days",
    "reported_on_time",
)
_COUNTS = ("count_total_lines", "count_open_lines", "count_late_lines", "count_received_lines")


def upgrade() -> None:
    op.create_table(
        "scorecard_rank_rows",
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Float(), nullable=False) for name in _TOTALS),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["scorecard_snapshots.id"],
            name=op.f("fk_scorecard_rank_rows_snapshot_id_scorecard_snapshots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_scorecard_rank_rows_supplier_id_suppliers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("snapshot_id", "supplier_id", name=op.f("pk_scorecard_rank_rows")),
    )
    with op.batch_alter_table("scorecard_snapshots") as batch:
        batch.add_column(sa.Column("rank_end_month", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("counts_sweep_run", sa.Integer(), nullable=True))
    op.create_index("ix_receipts_received_date", "receipts", ["received_date"])
    op.create_index("ix_po_lines_need_by_date", "po_lines", ["need_by_date"])


def downgrade() -> None:
    op.drop_index("ix_po_lines_need_by_date", table_name="po_lines")
    op.drop_index("ix_receipts_received_date", table_name="receipts")
    with op.batch_alter_table("scorecard_snapshots") as batch:
        batch.drop_column("counts_sweep_run")
        batch.drop_column("rank_end_month")
    op.drop_table("scorecard_rank_rows")
