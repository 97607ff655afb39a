"""Room on the alerts' pages for HOT updates (PostgreSQL): ``fillfactor = 50``.

Every sweep sets ``last_seen`` (and ``as_of``) of every live alert whose condition still holds: at
scale L 145,000 rows, at XL 1.5 million. With full pages (the default fillfactor 100, and alerts
are inserted with COPY) no new row version fits on its own page, so each one goes to another page
and gets a new entry in each of the table's six indexes: measured at L, 1.2 million WAL records
(165 MB) and 5.6-6.1 s of the server's CPU per sweep, most of the sweep's database time. With half
of each page free, the new version stays on its page and no index changes (a heap-only tuple):
160,000 WAL records (13 MB) and 0.7 s. The page keeps the room (pruning frees the previous
version), so the table stops growing from sweep to sweep even without autovacuum.

Only new pages are filled to 50 %: an existing database gets there as its alerts are next updated
(the first sweep after the upgrade moves each live alert once). ``VACUUM FULL alerts`` does it at
once. SQLite has no fillfactor: nothing to do there.

Create Date: 2026-12-02 20:45:00
"""

from __future__ import annotations

from alembic import op

revision: str = "0019_fillfactor"
down_revision: str | None = "0018_sweep"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE alerts SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("ALTER TABLE alerts RESET (fillfactor)")
