"""What the forecast's calibration reads of a line's days, kept in its production summary: the first
day with output, and the days with output and those after the ramp-up (counts, exact sums, EWM
states; see portal/core/summaries.py), so the sweep reads summaries and never the reports.

Reviewed by hand: nine new columns on line_production_summaries, the not-null ones with a server
default of 0. The upgrade folds every summary again from the current reports with the
application's builder (0006 created the table empty for this reason: the builder writes the
current columns), so an upgraded database forecasts exactly as before; the downgrade drops the
columns (derived data).

Create Date: 2026-12-02 03:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision: str = "0013"
down_revision: str | None = "0012"

COUNTS = (
    ("positive_days", sa.Integer()),
    ("positive_ewm_num", sa.Float()),
    ("positive_ewm_den", sa.Float()),
    ("steady_days", sa.Integer()),
    ("steady_sum", sa.BigInteger()),
    ("steady_sq_sum", sa.BigInteger()),
    ("steady_ewm_num", sa.Float()),
    ("steady_ewm_den", sa.Float()),
)


def upgrade() -> None:
    with op.batch_alter_table("line_production_summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_output_date", sa.Date(), nullable=True))
        for name, kind in COUNTS:
            batch_op.add_column(sa.Column(name, kind, server_default="0", nullable=False))
    from sqlalchemy.orm import Session

    from portal.services.summaries import rebuild_daily_outputs, rebuild_summaries

    session = Session(bind=op.get_bind())
    rebuild_summaries(session)
    rebuild_daily_outputs(session)


def downgrade() -> None:
    with op.batch_alter_table("line_production_summaries", schema=None) as batch_op:
        for name, _ in reversed(COUNTS):
            batch_op.drop_column(name)
        batch_op.drop_column("first_output_date")
