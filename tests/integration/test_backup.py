"""Backup and restore of the embedded SQLite database: consistent while writes go on, nothing lost."""

from __future__ import annotations

import datetime as dt
import os
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from db.base import Base
from db.engine import Database
from db.models import AuditEvent, Item
from portal import backup
from portal.core.domain import PortalError
from portal.services import audit
from portal.services.access import Actor
from tests.builders import small_world

SYSTEM = Actor.system("test")


def _count(url: str, model: type[Base]) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(select(func.count()).select_from(model)).scalar_one()
    engine.dispose()
    return int(n)


def test_a_backup_taken_during_writes_is_consistent_and_restores(
    sqlite_db: Database, sqlite_url: str, tmp_path: Path
) -> None:
    small_world(sqlite_db)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        while not stop.is_set():
            with sqlite_db.write() as session:
                audit.record(session, SYSTEM, "test.write", "test", len(written))
                session.commit()
            written.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        target = backup.backup(sqlite_url, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    copy_url = f"sqlite:///{target}"
    assert _count(copy_url, Item) == 2
    events_in_copy = _count(copy_url, AuditEvent)
    assert 0 < events_in_copy <= _count(sqlite_url, AuditEvent)

    restored_url = f"sqlite:///{tmp_path / 'restored.db'}"
    backup.restore(restored_url, target)
    assert _count(restored_url, AuditEvent) == events_in_copy
    assert _count(restored_url, Item) == 2


def test_restore_refuses_a_file_that_is_not_a_portal_database(sqlite_url: str, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all")
    with pytest.raises(PortalError, match="not a portal database"):
        backup.restore(sqlite_url, junk)


def test_backup_refuses_postgresql_and_points_to_pg_dump() -> None:
    with pytest.raises(PortalError, match="pg_dump"):
        backup.backup("postgresql+psycopg://postgres@127.0.0.1/test")


def test_backup_never_overwrites_a_file(sqlite_url: str, tmp_path: Path) -> None:
    target = tmp_path / "b.db"
    backup.backup(sqlite_url, target)
    with pytest.raises(PortalError, match="exists already"):
        backup.backup(sqlite_url, target)


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_a_backup_file_is_readable_by_its_owner_only_whatever_the_umask(
    sqlite_url: str, tmp_path: Path, umask: int
) -> None:
    previous = os.umask(umask)
    try:
        target = backup.backup(sqlite_url, tmp_path / "private.db")
        default = backup.backup(sqlite_url, now=dt.datetime(2026, 1, 2, 3, 4, 5))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(default).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(default.parent).st_mode) == 0o700


def test_a_backup_refuses_a_link_planted_at_its_path_even_a_dangling_one(
    sqlite_url: str, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere" / "readable-by-all.db"
    elsewhere.parent.mkdir()
    planted = tmp_path / "planted.db"
    planted.symlink_to(elsewhere)
    with pytest.raises(PortalError, match="exists already"):
        backup.backup(sqlite_url, planted)
    assert not elsewhere.exists()
