"""Lists a page at a time: ``?limit=`` and ``?cursor=`` of every list endpoint, and the page they get.

A route declares ``limit: Limit = 100, cursor: Cursor = None`` and, after its access check, asks
:func:`window` for the slice: a forbidden caller hears 403 before a bad cursor's 422 (a FastAPI
dependency would decode the cursor before the route's access check runs). The limit's bounds are
FastAPI's, checked with the other query parameters.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Query

from portal.api.problems import Problem

#: The most items one page holds.
MAX_LIMIT = 500

#: ``?limit=``: how many items a page holds, 1 to MAX_LIMIT.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
#: ``?cursor=``: where the page starts, as the previous page's ``next_cursor`` gave it.
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


def encode_cursor(offset: int) -> str:
    """An opaque cursor for the page starting at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset a cursor stands for; 422 for a cursor this API did not give."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        offset = json.loads(base64.urlsafe_b64decode(padded.encode()))["o"]
        if not isinstance(offset, int) or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise Problem(
            422,
            "The cursor is not one this API gave: pass next_cursor from the previous page as it is.",
            errors=[{"index": None, "field": "query.cursor", "reason": "is not a valid cursor"}],
        ) from None


@dataclass(frozen=True)
class Window:
    """The slice of a list one request asks for: ``limit`` items from ``offset``."""

    offset: int
    limit: int

    def page(self, items: list[dict[str, Any]], total: int) -> dict[str, Any]:
        """The page of ``items`` (of ``total``), with the cursor of the next one while there is more."""
        more = self.offset + len(items) < total and len(items) > 0
        following = encode_cursor(self.offset + self.limit) if more else None
        return {"items": items, "total": total, "next_cursor": following}


def window(limit: int, cursor: str | None) -> Window:
    """The slice ``limit`` and ``cursor`` ask for; 422 for a cursor this API did not give.

    Called in the route after its access checks, so a forbidden caller hears 403 first.
    """
    return Window(offset=decode_cursor(cursor), limit=limit)
