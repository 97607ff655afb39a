"""The one way the portal's search boxes match text: "holds what was typed", in any case.

Every search (a supplier, lines by PO number, SKU or supplier code, backorders, alerts) goes
through :func:`holds`:

* ``%`` and ``_`` are matched as typed, not as SQL wildcards (a PO number "PO_12" finds "PO_12",
  not "POX12");
* both sides are lower-cased by the database, so they agree whatever its collation; SQLite folds
  every letter too (``db.engine`` gives it Python's ``lower``), so "über" finds "Über" on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, literal

#: The LIKE escape character (not a character people type in codes and names).
_ESCAPE = "/"


def typed_text(search: str) -> ColumnElement[str] | None:
    """The LIKE pattern "holds ``search``" (stripped, any case), or None when it is blank."""
    needle = search.strip()
    if not needle:
        return None
    escaped = needle.replace(_ESCAPE, _ESCAPE * 2).replace("%", f"{_ESCAPE}%").replace("_", f"{_ESCAPE}_")
    return func.lower(literal(f"%{escaped}%"))


def holds(column: Any, pattern: ColumnElement[str]) -> ColumnElement[bool]:
    """``column`` (lower-cased) holds the :func:`typed_text` ``pattern``."""
    return func.lower(column).like(pattern, escape=_ESCAPE)
