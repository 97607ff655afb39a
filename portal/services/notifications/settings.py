"""Notification settings: the SMTP server, the sender, the portal's address and the retry rules, as stored
by the admin over PORTAL_* variables over defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.engine import Database
from db.models import Setting
from portal.core import notifications as msg
from portal.core.domain import Role, ValidationError
from portal.core.notifications import ResolvedNotifySettings
from portal.i18n import _
from portal.services.access import Actor, service
from portal.services.settings import write_setting


def load_notify_settings(session: Session, env: Mapping[str, str] | None = None) -> ResolvedNotifySettings:
    """The effective notification settings: the settings page over PORTAL_* variables over defaults."""
    stored: dict[str, Any] = dict(
        session.execute(
            select(Setting.key, Setting.value).where(
                or_(Setting.key.startswith("smtp."), Setting.key.startswith("notify."))
            )
        ).all()
    )
    return msg.resolve_notify_settings(stored, os.environ if env is None else env)


@dataclass(frozen=True)
class NotifySettingsView:
    """What the admin page shows: values (never the password), where each comes from, problems."""

    values: dict[str, Any]
    sources: dict[str, str]
    password_set: bool
    problems: list[str]
    email_enabled: bool


def settings_view(resolved: ResolvedNotifySettings) -> NotifySettingsView:
    s = resolved.settings
    values = {key: getattr(s, msg.SETTING_FIELDS[key]) for key in msg.NOTIFY_SPECS}
    values["smtp.password"] = ""
    return NotifySettingsView(
        values, resolved.sources, bool(s.smtp_password), resolved.problems, s.email_enabled
    )


def _secret_shown(value: Any) -> str:
    """What the audit trail says of a secret: only whether it is set."""
    return "(set)" if value else "(not set)"


@service(Role.ADMIN)
def update_notify_settings(db: Database, actor: Actor, changes: Mapping[str, Any]) -> NotifySettingsView:
    """Validate and store changed notification settings; an empty value removes the override."""
    checked: dict[str, Any] = {}
    for key, value in changes.items():
        empty = value is None or str(value).strip() == ""
        checked[key] = None if empty else msg.validate_notify_setting(key, value)
        if empty and key not in msg.NOTIFY_SPECS:
            raise ValidationError(_("Unknown notification setting '{key}'.").format(key=key))
    with db.write() as session:
        stored = {s.key: s for s in session.scalars(select(Setting).where(Setting.key.in_(list(checked))))}
        for key, value in checked.items():
            row = stored.get(key)
            before = None if row is None else row.value
            if value == before:
                continue
            secret = msg.NOTIFY_SPECS[key].kind == "secret"
            write_setting(
                session, actor, key, value, row, before=before, shown=_secret_shown if secret else None
            )
        session.commit()
        return settings_view(load_notify_settings(session))
