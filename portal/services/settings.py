"""Reading and changing the admin settings (thresholds, buffers, scorecard weights)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Setting
from portal.core.domain import Role
from portal.core.settings import Settings, resolve, resolve_lenient
from portal.services import audit
from portal.services.access import ALL_ROLES, Actor, service


def load_settings(session: Session) -> Settings:
    """The effective settings: defaults with the stored overrides applied."""
    overrides: dict[str, Any] = dict(session.execute(select(Setting.key, Setting.value)).all())
    return resolve_lenient(overrides)


def write_setting(
    session: Session,
    actor: Actor,
    key: str,
    value: Any,
    row: Setting | None,
    *,
    before: Any,
    shown: Callable[[Any], Any] | None = None,
) -> None:
    """Store one setting's new value over its stored ``row`` (``None``: remove the override) and audit
    the change from ``before``; ``shown`` is what the audit trail may say of a value (not a secret)."""
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(Setting(key=key, value=value, updated_by_id=actor.user_id))
    else:
        row.value, row.updated_by_id = value, actor.user_id
    audit.record(
        session,
        actor,
        "setting.changed",
        "setting",
        key,
        before={"value": shown(before) if shown else before},
        after={"value": shown(value) if shown else value},
    )


@service(*ALL_ROLES, writes=False)
def get_settings(db: Database, actor: Actor) -> Settings:
    """The effective settings (every role sees them: they explain the alerts and scores)."""
    with db.read() as session:
        return load_settings(session)


@service(Role.ADMIN)
def update_settings(db: Database, actor: Actor, changes: Mapping[str, Any]) -> Settings:
    """Validate and store changed settings; effective at the next computation."""
    with db.write() as session:
        stored = {s.key: s for s in session.scalars(select(Setting))}
        current = {k: s.value for k, s in stored.items()}
        merged = resolve(
            {**{k: v for k, v in current.items() if k in Settings.__dataclass_fields__}, **changes}
        )
        defaults = Settings().as_dict()
        for key in changes:
            value = getattr(merged, key)
            before = current.get(key, defaults[key])
            if value == before:
                continue
            write_setting(session, actor, key, value, stored.get(key), before=before)
        span = merged.forecast_ewm_span
        if span != current.get("forecast_ewm_span", defaults["forecast_ewm_span"]):
            # The production summaries keep an EWM of the old span: fold them again with the new one.
            from portal.services.summaries import rebuild_summaries

            rebuild_summaries(session, span=span)
        session.commit()
        return merged
