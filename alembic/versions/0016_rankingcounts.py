"""The manager ranking's line counts from indexes: lines by (status, supplier) and the late forecasts.

Reviewed by hand: two indexes, no data change. ``ix_po_lines_status_supplier`` lets the counts of
lines per supplier and status, and the received lines of the window, read an index instead of
every line; ``ix_line_forecasts_late`` (partial: days_late_p50 > 0) lets the late count start
from the late forecasts. Both tables are then ANALYZEd (a few seconds at scale L), so the planners
use them at once. The downgrade drops both indexes.

Create Date: 2026-12-02 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0016_rankingcounts"
down_revision: str | None = "0015_statsinputs"


def upgrade() -> None:
    op.create_index("ix_po_lines_status_supplier", "po_lines", ["status", "supplier_id"])
    late = sa.text("days_late_p50 > 0")
    op.create_index(
        "ix_line_forecasts_late",
        "line_forecasts",
        ["po_line_id"],
        sqlite_where=late,
        postgresql_where=late,
    )
    # Without statistics SQLite's planner does not know the partial index is small and keeps
    # starting from every open line: give both planners the tables' statistics now.
    op.execute("ANALYZE po_lines")
    op.execute("ANALYZE line_forecasts")


def downgrade() -> None:
    op.drop_index("ix_line_forecasts_late", table_name="line_forecasts")
    op.drop_index("ix_po_lines_status_supplier", table_name="po_lines")
