"""Team webhooks (Slack-compatible): add one, enable or disable it, and mask its secret URL for display."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select

from db.engine import Database
from db.models import Webhook
from portal.core.domain import NotFound, Role, ValidationError
from portal.i18n import _
from portal.services import audit
from portal.services.access import Actor, service


def mask_url(url: str) -> str:
    """A webhook URL is a secret: show its host and last characters only."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…{url[-4:]}" if parts.netloc else "…"


@service(Role.ADMIN)
def add_webhook(db: Database, actor: Actor, team: str, url: str) -> int:
    """Add a team's Slack-compatible webhook; it receives each critical alert once."""
    team = (team or "").strip()
    url = (url or "").strip()
    if not team or len(team) > 80:
        raise ValidationError(_("Team: 1 to 80 characters."))
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 500 or " " in url:
        raise ValidationError(_("Webhook URL: an http(s) address of at most 500 characters."))
    with db.write() as session:
        if session.scalar(select(Webhook.id).where(Webhook.team == team)) is not None:
            raise ValidationError(
                _("Team '{team}' already has a webhook: disable it or use another name.").format(team=team)
            )
        hook = Webhook(team=team, url=url, active=True)
        session.add(hook)
        session.flush()
        audit.record(
            session, actor, "webhook.added", "webhook", hook.id, after={"team": team, "url": mask_url(url)}
        )
        session.commit()
        return hook.id


@service(Role.ADMIN)
def set_webhook_active(db: Database, actor: Actor, webhook_id: int, active: bool) -> None:
    """Enable or disable a team webhook (a disabled hook gets nothing, not even queued posts)."""
    with db.write() as session:
        hook = session.get(Webhook, int(webhook_id))
        if hook is None:
            raise NotFound(_("No webhook with id {id}.").format(id=webhook_id))
        if hook.active == bool(active):
            return
        audit.record(
            session,
            actor,
            "webhook.changed",
            "webhook",
            hook.id,
            before={"active": hook.active},
            after={"active": bool(active)},
        )
        hook.active = bool(active)
        session.commit()
