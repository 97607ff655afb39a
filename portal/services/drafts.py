"""Daily output drafts: what a user typed in the grid for a day and has not posted yet.

A draft is the user's own scratch pad, not production data: it is saved as the grid changes
(so a page change, a refresh or a new login on the same day finds it again), replaced whole
each time, deleted once the day is posted, and never audited. Nobody else reads it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select

from db.engine import Database
from db.models import OutputDraft, utcnow
from portal.core.domain import Role, ValidationError
from portal.i18n import _
from portal.services.access import Actor, own_value, service

#: The fields a draft keeps per line; anything else sent is dropped.
DRAFT_FIELDS = ("good_qty", "rejected_qty", "note")
#: A grid shows at most 500 lines; a draft never needs more.
MAX_DRAFT_LINES = 500


def _user(actor: Actor) -> int:
    if actor.user_id is None:
        raise ValidationError(_("Only a logged-in user has drafts."))
    return actor.user_id


def _clean(values: Mapping[Any, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Keep lines with something typed; whole numbers as int, notes as text (2,000 characters at most)."""
    out: dict[str, dict[str, Any]] = {}
    for line_id, row in list(values.items())[:MAX_DRAFT_LINES]:
        kept: dict[str, Any] = {}
        for field in ("good_qty", "rejected_qty"):
            value = row.get(field)
            if value is not None and value == value:  # NaN is not typed
                kept[field] = int(value)
        note = row.get("note")
        if isinstance(note, str) and note.strip():
            kept["note"] = note[:2000]
        if kept:
            out[str(int(line_id))] = kept
    return out


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN, writes=True)
def save_output_draft(
    db: Database, actor: Actor, report_date: dt.date, values: Mapping[Any, Mapping[str, Any]]
) -> int:
    """Replace the user's draft of ``report_date`` (line id -> typed values); returns the lines kept."""
    user_id = _user(actor)
    cleaned = _clean(values)
    with db.write() as session:
        draft = session.scalar(
            select(OutputDraft).where(OutputDraft.user_id == user_id, OutputDraft.report_date == report_date)
        )
        if not cleaned:
            if draft is not None:
                session.delete(draft)
        elif draft is None:
            session.add(OutputDraft(user_id=user_id, report_date=report_date, values=cleaned))
        else:
            draft.values = cleaned
            draft.updated_at = utcnow()
        session.commit()
    return len(cleaned)


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN, writes=False)
def output_draft(db: Database, actor: Actor, report_date: dt.date) -> dict[int, dict[str, Any]]:
    """The user's unposted values of ``report_date``: line id -> {good_qty, rejected_qty, note}."""
    stmt = select(OutputDraft.values).where(OutputDraft.report_date == report_date)
    values = own_value(db, actor, stmt, OutputDraft.user_id)
    return {int(k): dict(v) for k, v in (values or {}).items()}


@service(Role.SUPPLIER, Role.BUYER, Role.ADMIN, writes=True)
def clear_output_draft(db: Database, actor: Actor, report_date: dt.date) -> None:
    """Forget the user's draft of ``report_date`` (after the day is posted)."""
    user_id = _user(actor)
    with db.write() as session:
        session.execute(
            delete(OutputDraft).where(OutputDraft.user_id == user_id, OutputDraft.report_date == report_date)
        )
        session.commit()


__all__ = ["clear_output_draft", "output_draft", "save_output_draft"]
