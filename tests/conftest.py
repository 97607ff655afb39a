"""Shared fixtures: databases on SQLite and PostgreSQL, migrated once, emptied between tests.

PostgreSQL and Chromium tests skip with a clear reason where those are missing, except
under CI=true, where a missing service is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.base import Base
from db.engine import Database, open_database
from db.migrate import scratch_postgres
from portal.bootstrap import upgrade_database

if TYPE_CHECKING:
    from portal.services.access import Actor

# Cheap password hashes in tests (argon2's defaults cost ~0.3 s per hash on a busy 2-core box).
os.environ.setdefault("PORTAL_ARGON2_TIME_COST", "1")
os.environ.setdefault("PORTAL_ARGON2_MEMORY_KIB", "1024")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def require_or_skip(reason: str) -> None:
    """Skip locally; under CI a missing dependency is a failure, not a silent skip."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


# --------------------------------------------------------------------------- SQLite


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; tests get copies of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "portal.db"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def sqlite_db(sqlite_url: str) -> Iterator[Database]:
    db = open_database(sqlite_url)
    yield db
    db.dispose()


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any connection failure means: no server here
        where = make_url(POSTGRES_ADMIN_URL).render_as_string()
        return f"PostgreSQL is not reachable at {where} ({type(exc).__name__}); set TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session (dropped at the end)."""
    problem = _postgres_available()
    if problem:
        require_or_skip(problem)
    with scratch_postgres(POSTGRES_ADMIN_URL, "portal_test") as url:
        upgrade_database(url)
        yield url


def truncate_all(db: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def postgres_db(postgres_server_url: str) -> Iterator[Database]:
    db = open_database(postgres_server_url, pool_size=20, max_overflow=10)
    truncate_all(db)
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on the embedded SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")


# --------------------------------------------------------------------------- actors


@pytest.fixture(autouse=True)
def _fresh_login_limits() -> None:
    """Every test starts with no failed logins counted (the limiter lives in the process)."""
    from portal.services.auth import LOGIN_LIMITER

    LOGIN_LIMITER.reset()


@pytest.fixture
def system_actor() -> Actor:
    from portal.services.access import Actor

    return Actor.system("test")
