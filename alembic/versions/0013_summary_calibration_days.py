"""What the forecast's calibration reads of a line's days, kept in its production summary: the first
day with output, and the days with output and those after the ramp-up (counts, exact sums, EWM
states; see portal/core/summaries.py), so the sweep reads summaries and never the reports.

Reviewed by hand: nine new columns on line_production_summaries, the not-null ones with a server
default of 0. A database with reports gets a settings row asking for the summaries and supplier
daily outputs to be folded again from the current reports; ``portal.bootstrap.upgrade_database`` does it
once the schema is at head, with the application's builder of that day (a migration imports no
application code: the builder writes the columns of head, which this revision may not have), so an
upgraded database forecasts exactly as before. The downgrade drops the columns (derived data) and
the request.

Create Date: 2026-12-02 03:45:00
"""

from __future__ import annotations

import datetime as dt

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


# The request for a rebuild: db.migrate.REBUILD_SUMMARIES, spelled here so this file never changes.
REBUILD_SUMMARIES = "migrations.rebuild_summaries"
# The settings table as it is at this revision.
settings = sa.table(
    "settings",
    sa.column("key", sa.String()),
    sa.column("value", sa.JSON()),
    sa.column("updated_at", sa.DateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("line_production_summaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_output_date", sa.Date(), nullable=True))
        for name, kind in COUNTS:
            batch_op.add_column(sa.Column(name, kind, server_default="0", nullable=False))
    if op.get_bind().execute(sa.text("SELECT 1 FROM production_reports LIMIT 1")).first() is not None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        op.bulk_insert(settings, [{"key": REBUILD_SUMMARIES, "value": True, "updated_at": now}])


def downgrade() -> None:
    op.execute(settings.delete().where(settings.c.key == REBUILD_SUMMARIES))
    with op.batch_alter_table("line_production_summaries", schema=None) as batch_op:
        for name, _ in reversed(COUNTS):
            batch_op.drop_column(name)
        batch_op.drop_column("first_output_date")
