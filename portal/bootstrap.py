"""Opening the configured database, migrated: shared by the command line and the web app; and the one
way to migrate a database to head (:func:`upgrade_database`), for them, backups, tests and benchmarks."""

from __future__ import annotations

from sqlalchemy import delete

from db.engine import Database, open_database
from db.migrate import REBUILD_SUMMARIES, is_at_head, rebuild_pending, upgrade_to_head
from db.models import Setting
from portal.config import Config, load_config
from portal.core.domain import PortalError


def upgrade_database(url: str) -> None:
    """Migrate the database at ``url`` to the newest revision, then rebuild what a migration asked for."""
    upgrade_to_head(url)
    _rebuild_requested(url)


def _rebuild_requested(url: str) -> None:
    """Fold the summaries and daily outputs again if a migration asked for it, and take the request
    away, in one transaction (interrupted, the request stays and the next upgrade does it).

    Here and not in ``db/``: a migration imports no application code, and the database layer uses no
    services; the rebuild runs with the application's builder of the day, once the schema is at head.
    """
    from portal.services.daily_outputs import rebuild_daily_outputs
    from portal.services.summaries import rebuild_summaries

    db = open_database(url)
    try:
        with db.write() as session:
            if not rebuild_pending(session.connection()):
                return
            rebuild_summaries(session)
            rebuild_daily_outputs(session)
            session.execute(delete(Setting).where(Setting.key == REBUILD_SUMMARIES))
            session.commit()
    finally:
        db.dispose()


class DatabaseNotMigrated(PortalError):
    """A PostgreSQL database behind the code's schema: migrations are explicit there."""


def open_configured_database(config: Config | None = None, *, migrate_sqlite: bool = True) -> Database:
    """The database ``DATABASE_URL`` names; the embedded SQLite file is migrated to head on open.

    PostgreSQL is shared by several replicas, so it is never migrated behind the
    operator's back: if it is not at head, say how to migrate it.
    """
    config = config or load_config()
    db = open_database(config.database_url)
    if db.is_sqlite:
        if migrate_sqlite and not is_at_head(db.engine):
            upgrade_database(config.database_url)
    elif not is_at_head(db.engine):
        raise DatabaseNotMigrated(
            "The PostgreSQL database is not at the newest schema: run `python -m portal db upgrade`."
        )
    return db
