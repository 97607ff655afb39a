"""One job at a time across processes and machines: the sweep lock.

PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) held on a dedicated
connection for the whole job. It is released when the job ends, and by the server when the
process dies (its connection closes), so a crashed sweep never leaves the lock behind.

SQLite: a :class:`JobLock` row with an expiry, taken in a short write transaction. A row
past its expiry belongs to a process that died (or hung): the next job takes it over. A
long job calls :meth:`HeldLock.refresh` between steps to push its expiry out.

A second job *waits* for the lock by default (``wait=None``): cron runs that overlap run one
after the other. ``wait=0`` tries once, a number waits that many seconds; either raises
:class:`LockBusy` when the lock stays taken.

This lock keeps jobs one at a time; it does not keep a sweep and the posts that recompute
apart. That is the planning lock, a transaction-level advisory lock the sweep's own transaction
takes after this one (:func:`portal.services.planning.share_planning_lock`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, text
from sqlalchemy.exc import OperationalError

from db.engine import Database
from db.models import JobLock, utcnow
from portal.core.domain import ConflictError
from portal.i18n import _, format_utc

log = logging.getLogger("portal.locks")

SWEEP_LOCK = "sweep"
DEFAULT_TTL = dt.timedelta(minutes=30)
POLL_SECONDS = 0.2
#: PostgreSQL's SQLSTATE for a lock wait that ran past lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"


class LockBusy(ConflictError):
    """Another process holds the lock (and did not let go in time)."""


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock`` from the lock's name."""
    digest = hashlib.sha256(f"supplier-portal:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def make_holder() -> str:
    """Who holds a lock: host, process, thread and a nonce (two holders never look alike)."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"[:120]


@dataclass
class HeldLock:
    """A lock this process holds until the ``with`` block ends."""

    db: Database
    name: str
    holder: str
    ttl: dt.timedelta
    _connection: Connection | None = field(default=None, repr=False)

    def refresh(self) -> None:
        """Push the expiry of a SQLite lock row out by the ttl (PostgreSQL needs nothing)."""
        if self._connection is not None:
            return
        with self.db.write() as session:
            row = session.get(JobLock, self.name)
            if row is None or row.holder != self.holder:
                # Someone took over a lock we let expire: carry on, but say so.
                log.warning("lock %s was taken over by %s", self.name, row.holder if row else "nobody")
                return
            row.expires_at = utcnow() + self.ttl
            session.commit()


@contextmanager
def job_lock(
    db: Database,
    name: str = SWEEP_LOCK,
    *,
    wait: float | None = None,
    ttl: dt.timedelta = DEFAULT_TTL,
) -> Iterator[HeldLock]:
    """Hold the named lock for the ``with`` block; wait None: as long as it takes, else seconds."""
    holder = make_holder()
    if db.is_sqlite:
        _acquire_row(db, name, holder, wait, ttl)
        try:
            yield HeldLock(db, name, holder, ttl)
        finally:
            _release_row(db, name, holder)
        return
    connection = _acquire_advisory(db, name, wait)
    try:
        yield HeldLock(db, name, holder, ttl, connection)
    finally:
        _release_advisory(connection, name)


# --- PostgreSQL --------------------------------------------------------------------------------


def _acquire_advisory(db: Database, name: str, wait: float | None) -> Connection:
    key = advisory_key(name)
    # Autocommit: the lock belongs to the session, and a connection idle in a transaction for
    # the length of a sweep would hold back vacuum (or be killed by idle timeouts).
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        if wait is not None and wait <= 0:
            if not connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
                raise LockBusy(
                    _("Another {name} is running (PostgreSQL advisory lock {key} is held).").format(
                        name=name, key=key
                    )
                )
            return connection
        if wait is not None:
            # At least 1 ms: a lock_timeout of 0 would mean "wait forever".
            connection.execute(text(f"SET lock_timeout = '{max(1, int(wait * 1000))}ms'"))
        try:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
                raise LockBusy(
                    _("Another {name} is still running after waiting {wait} s.").format(
                        name=name, wait=format(wait, "g")
                    )
                ) from None
            raise
        finally:
            if wait is not None:
                connection.execute(text("RESET lock_timeout"))
        return connection
    except BaseException:
        connection.close()
        raise


def _release_advisory(connection: Connection, name: str) -> None:
    try:
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(name)})
        connection.close()
    except Exception:
        # The connection broke: dropping it ends the session, which releases the lock.
        log.warning("could not unlock %s cleanly; discarding the connection", name, exc_info=True)
        connection.invalidate()
        connection.close()


# --- SQLite ------------------------------------------------------------------------------------


def _try_row(db: Database, name: str, holder: str, ttl: dt.timedelta) -> tuple[str, dt.datetime] | None:
    """Take the lock row if free or expired; return (other holder, its expiry) when it is not."""
    with db.write() as session:
        now = utcnow()
        row = session.get(JobLock, name)
        if row is not None and row.expires_at > now and row.holder != holder:
            other = (row.holder, row.expires_at)
            session.rollback()
            return other
        if row is None:
            session.add(JobLock(name=name, holder=holder, acquired_at=now, expires_at=now + ttl))
        else:
            if row.holder != holder:
                log.warning("taking over lock %s from %s (expired %s)", name, row.holder, row.expires_at)
            row.holder, row.acquired_at, row.expires_at = holder, now, now + ttl
        session.commit()
        return None


def _acquire_row(db: Database, name: str, holder: str, wait: float | None, ttl: dt.timedelta) -> None:
    deadline = None if wait is None else time.monotonic() + max(0.0, wait)
    while True:
        other = _try_row(db, name, holder, ttl)
        if other is None:
            return
        if deadline is not None and time.monotonic() >= deadline:
            raise LockBusy(
                _("Another {name} is running (held by {holder} until {until}).").format(
                    name=name, holder=other[0], until=format_utc(other[1])
                )
            )
        time.sleep(POLL_SECONDS)


def _release_row(db: Database, name: str, holder: str) -> None:
    try:
        with db.write() as session:
            session.execute(delete(JobLock).where(JobLock.name == name, JobLock.holder == holder))
            session.commit()
    except Exception:
        # Not fatal: the row expires and the next job takes it over.
        log.warning("could not release lock %s; it will expire", name, exc_info=True)
