"""A database's whole content as one hash, for "a refused call wrote nothing"."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from sqlalchemy import select

from db.base import Base
from db.engine import Database


def fingerprint(db: Database, *, skip: Collection[str] = ()) -> str:
    """Every row of every table but ``skip``, as one hash: the same before and after, nothing was written."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = sorted(repr(tuple(row)) for row in conn.execute(select(table)))
            digest.update(f"{table.name}:{len(rows)}:{''.join(rows)}".encode())
    return digest.hexdigest()
