"""Batches: long lists cut into pieces small enough for one ``IN (...)`` of a database statement."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TypeVar

T = TypeVar("T")

#: Values in one ``IN (...)``: well under SQLite's 32,766 bound parameters and PostgreSQL's 65,535.
IN_BATCH = 5000


def chunked(values: Sequence[T], size: int = IN_BATCH) -> list[list[T]]:
    """``values`` in their order, cut into lists of at most ``size``."""
    return [list(values[i : i + size]) for i in range(0, len(values), size)]


def id_chunks(ids: Collection[int], size: int = IN_BATCH) -> list[list[int]]:
    """The distinct ids, sorted, cut into lists of at most ``size``."""
    return chunked(sorted({int(i) for i in ids}), size)
