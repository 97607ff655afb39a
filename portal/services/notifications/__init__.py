"""Notifications: plan them into the outbox after a sweep, deliver them, never twice, never lost.

How a message travels:

1. **Plan** (:func:`plan_notifications`, one transaction). Planning reads the *state*, not the
   last sweep's events: every open alert whose current severity is above what a buyer was
   already told (``alert_notifications``) goes into that buyer's digest, whether the alert came
   from a sweep or from a supplier's report in between. The message is written to the
   ``notifications`` outbox (status pending, unique ``dedup_key``) together with the
   ``alert_notifications`` rows that say it was announced, in the same transaction: the
   decision and the message commit or vanish together. A crash before the commit loses nothing
   (the next run plans the same message again, with the same dedup key); two planners at once
   cannot both commit it (unique dedup key and primary keys).
2. **Deliver** (:func:`deliver_pending`). Each due row is claimed (pending -> sending, attempts + 1)
   in a short transaction, sent, then marked sent (or pending with a backoff, or failed after
   the last attempt) in a second short transaction. Rows already sent are never picked again.
3. **The at-most-once window** lies between those two transactions: if the process dies after
   claiming a row, the row stays "sending" with a lease; once the lease is over, the next run
   marks it failed with "interrupted: delivery unknown" instead of resending it, so nobody gets
   a message twice. The admin page shows it and "Retry now" sends it again; the Message-ID is
   derived from the dedup key, so a mail client recognises a repeat as the same message.

Nothing in notifications can undo or block a sweep: :func:`sweep_and_notify` commits the sweep
first and catches every failure after it; delivery failures are retried with exponential
backoff and shown to admins.

The package, one module a step: ``settings`` (SMTP and link settings), ``preferences`` (what each
user receives), ``outbox`` (rows and the alerts they name), ``plan`` (step 1), ``transport`` (SMTP
and HTTP), ``delivery`` (steps 2 and 3), ``job`` (sweep, plan, deliver), ``admin`` (retry, test
e-mail), ``webhooks`` (team hooks). The reads (the log, counts, settings and choices as shown) are in
:mod:`portal.queries.notifications`, which imports from this package's modules: import them from there.
"""

from portal.services.notifications.admin import TrialEmailOutcome, retry_notifications, send_test_email
from portal.services.notifications.delivery import INTERRUPTED, DeliveryReport, deliver_pending
from portal.services.notifications.job import NotifyRun, sweep_and_notify
from portal.services.notifications.plan import DIGEST_LIMIT, PlanResult, plan_notifications, plan_pending
from portal.services.notifications.preferences import set_followed_suppliers, set_my_notification_preferences
from portal.services.notifications.settings import (
    NotifySettingsView,
    load_notify_settings,
    update_notify_settings,
)
from portal.services.notifications.transport import (
    LiveTransport,
    PermanentFailure,
    ServerUnavailable,
    Transport,
    build_email,
    open_smtp,
)
from portal.services.notifications.webhooks import add_webhook, mask_url, set_webhook_active

__all__ = [
    "DIGEST_LIMIT",
    "INTERRUPTED",
    "DeliveryReport",
    "LiveTransport",
    "NotifyRun",
    "NotifySettingsView",
    "PermanentFailure",
    "PlanResult",
    "ServerUnavailable",
    "Transport",
    "TrialEmailOutcome",
    "add_webhook",
    "build_email",
    "deliver_pending",
    "load_notify_settings",
    "mask_url",
    "open_smtp",
    "plan_notifications",
    "plan_pending",
    "retry_notifications",
    "send_test_email",
    "set_followed_suppliers",
    "set_my_notification_preferences",
    "set_webhook_active",
    "sweep_and_notify",
    "update_notify_settings",
]
