"""The audit trail: every write by a person or an import records who, what, before and after."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.engine import core_connection
from db.models import AuditEvent
from portal.services.access import Actor


def _jsonable(values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Dates and enums as strings, so the event stores the same on every database."""
    if values is None:
        return None
    return json.loads(json.dumps(dict(values), default=_default))


def _default(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _event_values(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    po_line_id: int | None,
) -> dict[str, Any]:
    """An audit event's columns: who (user, API token or posting link), what, and before/after."""
    return {
        "actor_id": actor.user_id,
        "actor_name": actor.name,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "po_line_id": po_line_id,
        "before": _jsonable(before),
        "after": _jsonable(after),
        "api_token_id": actor.token_id,
        "posting_link_id": actor.posting_link_id,
    }


_INSERT = insert(AuditEvent)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object | None = None,
    *,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    po_line_id: int | None = None,
    at_once: bool = False,
) -> None:
    """Add an audit event to the session's transaction (it commits with the change).

    ``at_once``: write it at once by one INSERT, without the session's unit of work (about 0.3 ms
    of a report post's CPU), for the hot paths."""
    values = _event_values(actor, action, entity, entity_id, before, after, po_line_id)
    if at_once:
        core_connection(session).execute(_INSERT, values)
    else:
        session.add(AuditEvent(**values))
