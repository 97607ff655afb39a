"""The inbox's problems kept with the alerts: one row per subject (``inbox_problems``).

Reviewed by hand: a new table, empty, and an index of the alerts by subject (what keeps a row). The inbox groups the live alerts itself until a sweep over
everything has filled the table and written the settings row ``derived.inbox_problems_complete``
(portal.services.planning.problems), so an upgraded database shows the same inbox before and
after its next sweep. The downgrade drops the table and that row.

Create Date: 2026-12-04 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0022_inboxproblems"
down_revision: str | None = "0021_promiseargs"


def upgrade() -> None:
    op.create_table(
        "inbox_problems",
        sa.Column("subject_key", sa.String(length=60), primary_key=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("newest_seen", sa.DateTime(), nullable=True),
        sa.Column("alerts", sa.Integer(), nullable=False),
        sa.Column("customers", sa.Float(), nullable=False),
        sa.Column("waiting_orders", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Float(), nullable=False),
        sa.Column("visible_from", sa.Date(), nullable=True),
        sa.Column("snooze_ends", sa.Date(), nullable=True),
    )
    op.create_index("ix_inbox_problems_visible_from", "inbox_problems", ["visible_from"])
    op.create_index("ix_inbox_problems_snooze_ends", "inbox_problems", ["snooze_ends"])
    op.create_index("ix_alerts_subject_key_status", "alerts", ["subject_key", "status"])


def downgrade() -> None:
    op.drop_index("ix_alerts_subject_key_status", table_name="alerts")
    op.drop_index("ix_inbox_problems_snooze_ends", table_name="inbox_problems")
    op.drop_index("ix_inbox_problems_visible_from", table_name="inbox_problems")
    op.drop_table("inbox_problems")
    settings = sa.table("settings", sa.column("key", sa.String()))
    op.execute(settings.delete().where(settings.c.key == "derived.inbox_problems_complete"))
