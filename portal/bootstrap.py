"""Opening the configured database, migrated: shared by the command line and the web app."""

from __future__ import annotations

from db.engine import Database, open_database
from db.migrate import is_at_head, upgrade_to_head
from portal.config import Config, load_config
from portal.core.domain import PortalError


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
            upgrade_to_head(config.database_url)
    elif not is_at_head(db.engine):
        raise DatabaseNotMigrated(
            "The PostgreSQL database is not at the newest schema: run `python -m portal db upgrade`."
        )
    return db
