"""Run Alembic migrations from code (the schema): :func:`portal.bootstrap.upgrade_database` runs them
and then rebuilds what a migration asked for; tests and benchmarks migrate databases of their own
(:func:`scratch_postgres`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, make_url, select, text

from alembic import command
from db.models import Setting
from portal.config import PROJECT_ROOT

#: The settings row a migration writes when the production summaries and supplier daily outputs
#: must be folded again from the reports (0013 spells it out). A migration imports no application
#: code, whose columns may be newer than its revision: :func:`portal.bootstrap.upgrade_database` does
#: the rebuild, once the schema is at head, with the application's builder of the day.
REBUILD_SUMMARIES = "migrations.rebuild_summaries"


def alembic_config(url: str) -> AlembicConfig:
    """Alembic's config for ``url``, independent of the working directory."""
    cfg = AlembicConfig(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade_to_head(url: str) -> None:
    """Migrate the schema of the database at ``url`` to the newest revision (the migrations only).

    What a migration asked to be rebuilt is left requested: :func:`portal.bootstrap.upgrade_database`
    runs this, then the rebuild with the application's code, and is what callers use.
    """
    command.upgrade(alembic_config(url), "head")


def rebuild_pending(conn: Connection) -> bool:
    """True when a migration asked for the summaries to be rebuilt and no upgrade has done it yet."""
    return conn.execute(select(Setting.key).where(Setting.key == REBUILD_SUMMARIES)).first() is not None


def downgrade_to(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def is_at_head(engine: Engine) -> bool:
    """True when the database's revision is the newest one and no rebuild a migration asked for is
    left (cheap: two small queries); else :func:`portal.bootstrap.upgrade_database` has work to do."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
        return set(current) == set(script.get_heads()) and not rebuild_pending(conn)


@contextmanager
def scratch_postgres(admin_url: str, prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database named ``prefix`` and a random suffix, on the server
    of ``admin_url`` (a user who may create databases); dropped at the end, connections or not."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
