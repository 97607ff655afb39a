"""The one place that builds engines and session factories from a database URL."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and explicit BEGINs.

    pysqlite's own transaction handling starts transactions lazily and cannot
    take the write lock up front. A transaction that reads and then writes can
    then fail with SQLITE_BUSY when another writer committed in between, instead
    of waiting. So we emit BEGIN ourselves: ``BEGIN IMMEDIATE`` on the writer
    engine (waits for the write lock, then holds it), plain ``BEGIN`` elsewhere.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds A-Z only; searches lower both sides ("find a supplier", "PO, SKU
        # or supplier"), so a name's "Ü" or "İ" would not be found by "ü" or "i̇". Python's folds
        # every letter, as PostgreSQL's does. No index is built on lower(), so overriding it is safe.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _lower(value: object) -> object:
    """SQLite's ``lower()`` on connections of ours: every letter, not A-Z only (NULL and numbers as is)."""
    return value.lower() if isinstance(value, str) else value


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and are tuned."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


@dataclass(frozen=True)
class Database:
    """An engine with its two session factories.

    ``read`` sessions are for queries; ``write`` sessions are for services. On
    SQLite a write session takes the database write lock when it begins, so two
    writers queue instead of failing; on PostgreSQL both are the same.
    """

    engine: Engine
    read: sessionmaker[Session]
    write: sessionmaker[Session]

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(url: str, **kwargs: Any) -> Database:
    """Build a :class:`Database` for ``url``."""
    engine = create_db_engine(url, **kwargs)
    writer = engine.execution_options(sqlite_immediate=True) if engine.dialect.name == "sqlite" else engine
    return Database(
        engine=engine,
        read=sessionmaker(engine, expire_on_commit=False),
        write=sessionmaker(writer, expire_on_commit=False),
    )


def rows_changed(result: object) -> int:
    """How many rows an UPDATE or DELETE run by ``Session.execute`` changed.

    ``Session.execute`` is typed to return a ``Result``; for these statements it is a ``CursorResult``,
    the one that counts rows.
    """
    if not isinstance(result, CursorResult):
        raise TypeError(f"not the result of an UPDATE or DELETE: {type(result).__name__}")
    return result.rowcount or 0


def core_connection(session: Session) -> Connection:
    """The session's connection for Core statements, after flushing what the session holds.

    ``session.execute`` runs each statement through the ORM's layer (about 0.05-0.1 ms of Python per
    statement, more for a column select whose rows it builds); a post runs about 17 plain statements,
    so the lean paths run theirs on the connection instead. The flush is what ``session.execute``'s
    autoflush would have done first: objects added to the session (an audit event, a schedule
    revision) are in the database before anything is read beside them.
    """
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection()
