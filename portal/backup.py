"""Backups of the embedded SQLite database with SQLite's online backup API (safe while the app runs).

PostgreSQL deployments use pg_dump / pg_restore (see the README); these commands refuse
to act on a PostgreSQL URL rather than pretend.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from portal.bootstrap import upgrade_database
from portal.core.domain import PortalError


def _sqlite_path(database_url: str) -> Path:
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise PortalError(
            "backup and restore work on the embedded SQLite file; for PostgreSQL use pg_dump and pg_restore "
            "(see the README)."
        )
    return Path(url.database)


def backup(database_url: str, out: Path | None = None, *, now: dt.datetime | None = None) -> Path:
    """Copy the live database to ``out`` (default: data/backups/portal-YYYYmmdd-HHMMSS.db) consistently."""
    source_path = _sqlite_path(database_url)
    if not source_path.exists():
        raise PortalError(f"There is no database at {source_path} to back up.")
    stamp = (now or dt.datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = out or source_path.parent / "backups" / f"portal-{stamp}.db"
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _create_private(target)
    try:
        source = sqlite3.connect(source_path, timeout=30)
        destination = sqlite3.connect(target)
        try:
            # The backup API copies page by page and restarts if a writer changes the source,
            # so the copy is a consistent snapshot even while the portal is writing.
            source.backup(destination, pages=1024)
            destination.execute("PRAGMA journal_mode=DELETE")
        finally:
            destination.close()
            source.close()
        _check(target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def _create_private(target: Path) -> None:
    """Create ``target`` empty, readable by its owner only (mode 0600 whatever the umask)."""
    # A backup holds every password hash and supplier's data: it is created exclusively with
    # mode 0600 before SQLite writes a byte (SQLite's journal copies the file's mode), so no one
    # else can open it, not even for a moment; O_EXCL also refuses a file or link put there.
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        raise PortalError(f"{target} exists already: choose another file.") from None
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # the umask only removes bits from 0600; say it outright anyway
    finally:
        os.close(fd)


def _check(path: Path) -> None:
    """Refuse a file that is not an intact portal database."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
            version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise PortalError(f"{path} is not a portal database ({exc}).") from None
    if integrity != "ok" or version is None:
        raise PortalError(f"{path} is not an intact portal database (integrity: {integrity}).")


def restore(database_url: str, source: Path) -> Path:
    """Replace the live database's contents with a backup, then migrate it to the newest schema.

    Stop the portal first: sessions open during a restore would keep reading the old data.
    """
    target = _sqlite_path(database_url)
    if not source.exists():
        raise PortalError(f"There is no backup at {source}.")
    _check(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    from_backup = sqlite3.connect(source)
    live = sqlite3.connect(target, timeout=30)
    try:
        from_backup.backup(live)
    finally:
        live.close()
        from_backup.close()
    upgrade_database(database_url)
    return target
