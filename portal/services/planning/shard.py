"""A shard of the sweep: ``sweep --shard K/N`` recomputes the items with ``item_id % N == K - 1``.

A shard owns, for its items, the open lines' forecasts, the waiting backorders' promises and
allocations, and the line and backorder alerts; of the suppliers (whose statistics and capacity
alerts span every item), those with ``supplier_id % N == K - 1``. The N shards together write
what one full sweep writes (tested), and each reads only the summaries of its own lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, cast, literal, or_, select

from db.models import Alert, Backorder, PoLine, Supplier
from portal.core.domain import PortalError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """Shard ``k`` (1-based) of ``n``."""

    k: int
    n: int

    def __post_init__(self) -> None:
        if not (self.n >= 1 and 1 <= self.k <= self.n):
            raise PortalError(f"A shard is K/N with 1 <= K <= N (got {self.k}/{self.n}).")

    @classmethod
    def parse(cls, text: str) -> Shard:
        """'2/4' -> Shard(2, 4); a message a person can act on otherwise."""
        found = _SHARD.match(text)
        if not found:
            raise PortalError(f"--shard takes K/N, for example 2/4 (got '{text}').")
        return cls(int(found.group(1)), int(found.group(2)))

    def owns(self, column: Any) -> ColumnElement[bool]:
        """The SQL condition: this id column (an item's or a supplier's) belongs to the shard."""
        return column % self.n == self.k - 1

    def owns_id(self, value: int) -> bool:
        return int(value) % self.n == self.k - 1

    @property
    def key(self) -> str:
        """The name of this shard's own advisory lock."""
        return f"planning-shard:{self.k}/{self.n}"

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


def shard_lines(shard: Shard) -> Any:
    """The ids of every line (open or not) of the shard's items, as a subquery."""
    return select(PoLine.id).where(shard.owns(PoLine.item_id))


def shard_backorders(shard: Shard) -> Any:
    """The ids of every backorder of the shard's items, as a subquery."""
    return select(Backorder.id).where(shard.owns(Backorder.item_id))


def shard_alerts(shard: Shard) -> Any:
    """The alerts whose subject is the shard's: a line or backorder of its items, or its supplier
    (chosen in SQL by subject key, so a shard reads and touches only its own)."""

    def keys(kind: str, column: Any, owner: Any) -> Any:
        return select(literal(f"{kind}:") + cast(column, String)).where(shard.owns(owner))

    return or_(
        Alert.subject_key.in_(keys("line", PoLine.id, PoLine.item_id)),
        Alert.subject_key.in_(keys("backorder", Backorder.id, Backorder.item_id)),
        Alert.subject_key.in_(keys("supplier", Supplier.id, Supplier.id)),
    )
