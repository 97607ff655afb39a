"""Notifications from plain values: the settings they need, digests, reminders and Slack posts.

Everything here is pure: the service layer reads the database, passes plain values in and
stores what comes out. E-mail bodies are rendered with Jinja2, the HTML part with autoescape
on, so an alert message or a supplier name can never inject markup into a buyer's mailbox.

Over 500 lines on purpose: the e-mail settings' specs and checks, the digest, the reminder and the
Slack post share one set of templates and helpers; split, one e-mail's words would be scattered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup, escape

from portal.core import vocabulary
from portal.core.alert_text import alert_message, reopen_reason_text
from portal.core.domain import Severity, ValidationError
from portal.i18n import N_, _, format_date, ngettext

# --- kinds ---------------------------------------------------------------------------------------

ALERT_DIGEST = "alert_digest"
SUPPLIER_REMINDER = "supplier_reminder"
#: Reminders go out from this hour of the supplier's local morning (its time zone), once per local day.
REMINDER_LOCAL_HOUR = 7
CRITICAL_WEBHOOK = "critical_webhook"
#: A supplier's e-mail about changes to its lines (portal.core.change_order_email renders it).
PO_CHANGE = "po_change"
TEST_EMAIL = "test_email"

#: The kinds a person can turn off on their account page, with the role that receives each.
USER_KINDS: dict[str, tuple[str, str, str]] = {
    ALERT_DIGEST: (
        "buyer",
        N_("Alert digest"),
        N_(
            "One e-mail after a sweep with the alerts that are new or rose in severity"
            " for the suppliers you follow."
        ),
    ),
    SUPPLIER_REMINDER: (
        "supplier",
        N_("Reporting reminders"),
        N_(
            "One e-mail a day listing your lines with no production report for a few working days"
            " or with a late start."
        ),
    ),
    PO_CHANGE: (
        "supplier",
        N_("Purchase-order changes"),
        N_(
            "One e-mail when the buyer changes one of your lines against you: need-by moved earlier"
            " or quantity raised."
        ),
    ),
}

#: Each kind and channel of message as the admin's message log names it.
KIND_NAMES: dict[str, str] = {
    ALERT_DIGEST: N_("Alert digest"),
    SUPPLIER_REMINDER: N_("Reporting reminder"),
    CRITICAL_WEBHOOK: N_("Critical alert to a team webhook"),
    PO_CHANGE: N_("Purchase-order change"),
    TEST_EMAIL: N_("Test e-mail"),
}
CHANNEL_NAMES: dict[str, str] = {"email": N_("E-mail"), "webhook": N_("Webhook")}


def kind_name(kind: object) -> str:
    """'po_change' -> 'Purchase-order change', in the current language."""
    name = KIND_NAMES.get(str(kind))
    return _(name) if name else str(kind).replace("_", " ")


def channel_name(channel: object) -> str:
    """'email' -> 'E-mail', in the current language."""
    name = CHANNEL_NAMES.get(str(channel))
    return _(name) if name else str(channel)


SEVERITY_ORDER: tuple[str, ...] = tuple(s.value for s in Severity.worst_first())
SEVERITY_RANK: dict[str, int] = Severity.ranks()
_SEVERITY_COLOR = {"critical": "#b42318", "warning": "#b54708", "info": "#175cd3"}

#: Delivery states of a notification row.
PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"

MAX_BACKOFF = dt.timedelta(hours=6)


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotifySettingSpec:
    """One notification setting: where it comes from, its default and how it is checked."""

    label: str
    env: str
    default: Any
    kind: str  # host | int | choice | text | secret | address | url
    help: str
    minimum: int = 0
    maximum: int = 0
    choices: tuple[str, ...] = ()


NOTIFY_SPECS: dict[str, NotifySettingSpec] = {
    "smtp.host": NotifySettingSpec(
        N_("SMTP host"), "PORTAL_SMTP_HOST", "", "host", N_("Mail server name; empty turns e-mail off.")
    ),
    "smtp.port": NotifySettingSpec(
        N_("SMTP port"),
        "PORTAL_SMTP_PORT",
        587,
        "int",
        N_("587 for STARTTLS, 465 for TLS, 25 plain."),
        1,
        65535,
    ),
    "smtp.security": NotifySettingSpec(
        N_("Connection security"),
        "PORTAL_SMTP_SECURITY",
        "starttls",
        "choice",
        N_("starttls: upgrade a plain connection; tls: TLS from the start (SMTPS); none: plain text."),
        choices=("starttls", "tls", "none"),
    ),
    "smtp.user": NotifySettingSpec(
        N_("SMTP user"), "PORTAL_SMTP_USER", "", "text", N_("Login name; empty: no login.")
    ),
    "smtp.password": NotifySettingSpec(
        N_("SMTP password"), "PORTAL_SMTP_PASSWORD", "", "secret", N_("Never shown back once saved.")
    ),
    "smtp.from": NotifySettingSpec(
        N_("From address"),
        "PORTAL_SMTP_FROM",
        "",
        "address",
        N_('The sender, e.g. "Supplier portal <portal@example.com>".'),
    ),
    "notify.base_url": NotifySettingSpec(
        N_("Portal base URL"),
        "PORTAL_BASE_URL",
        "http://localhost:8501",
        "url",
        N_("Where people open the portal: the links in every e-mail start with it."),
    ),
    "notify.max_attempts": NotifySettingSpec(
        N_("Attempts before giving up"),
        "PORTAL_NOTIFY_MAX_ATTEMPTS",
        5,
        "int",
        N_("A message that failed this many times is marked failed and shown to admins."),
        1,
        20,
    ),
    "notify.backoff_seconds": NotifySettingSpec(
        N_("First retry after (seconds)"),
        "PORTAL_NOTIFY_BACKOFF_SECONDS",
        60,
        "int",
        N_("Each further retry waits twice as long (at most 6 hours)."),
        0,
        86_400,
    ),
    "notify.timeout_seconds": NotifySettingSpec(
        N_("Network timeout (seconds)"),
        "PORTAL_NOTIFY_TIMEOUT_SECONDS",
        30,
        "int",
        N_("How long one SMTP or webhook call may take."),
        1,
        300,
    ),
}

_HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")
_EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def is_email_address(text: str) -> bool:
    """A plain address like name@example.com (no display name, no header tricks)."""
    return bool(_EMAIL_RE.match(text or "")) and len(text) <= 254


def validate_notify_setting(key: str, value: Any) -> Any:
    """The checked value of one notification setting; raises ValidationError with the field's label.

    The refusal is in the current language (the admin page's; English where none is set)."""
    spec = NOTIFY_SPECS.get(key)
    if spec is None:
        raise ValidationError(_("Unknown notification setting '{key}'.").format(key=key))
    label = _(spec.label)
    text = "" if value is None else str(value)
    if "\r" in text or "\n" in text:
        raise ValidationError(_("{setting}: must be one line.").format(setting=label))
    text = text.strip()
    if spec.kind == "int":
        try:
            number = int(text)
        except ValueError:
            raise ValidationError(
                _("{setting}: must be a whole number, not '{value}'.").format(setting=label, value=text)
            ) from None
        if not spec.minimum <= number <= spec.maximum:
            raise ValidationError(
                _("{setting}: must be between {minimum} and {maximum}.").format(
                    setting=label, minimum=spec.minimum, maximum=spec.maximum
                )
            )
        return number
    if spec.kind == "choice":
        if text.lower() not in spec.choices:
            raise ValidationError(
                _("{setting}: must be one of {choices}, not '{value}'.").format(
                    setting=label, choices=", ".join(spec.choices), value=text
                )
            )
        return text.lower()
    if spec.kind == "host":
        if text and not _HOST_RE.match(text):
            raise ValidationError(
                _("{setting}: '{value}' is not a host name.").format(setting=label, value=text)
            )
        return text
    if spec.kind == "address":
        if text:
            _name, address = parseaddr(text)
            if not is_email_address(address):
                raise ValidationError(
                    _("{setting}: '{value}' is not an e-mail address.").format(setting=label, value=text)
                )
        return text
    if spec.kind == "url":
        parts = urlsplit(text)
        # Only web links: the URL ends up in every e-mail's href.
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in text:
            raise ValidationError(
                _("{setting}: must start with http:// or https://, not '{value}'.").format(
                    setting=label, value=text
                )
            )
        return text.rstrip("/")
    if len(text) > 500:
        raise ValidationError(_("{setting}: at most 500 characters.").format(setting=label))
    # A password keeps its spaces: only line breaks are refused above.
    return str(value) if spec.kind == "secret" and value is not None else text


@dataclass(frozen=True)
class NotifySettings:
    """The effective notification settings (stored overrides over environment over defaults)."""

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    base_url: str = "http://localhost:8501"
    max_attempts: int = 5
    backoff_seconds: int = 60
    timeout_seconds: int = 30

    @property
    def email_enabled(self) -> bool:
        """E-mail is on once an SMTP host and a from address are set."""
        return bool(self.smtp_host and self.smtp_from)

    @property
    def sender_domain(self) -> str:
        """The domain of the from address, for Message-IDs."""
        address = parseaddr(self.smtp_from)[1]
        return address.rpartition("@")[2] or "supplier-portal.invalid"


#: Setting key -> NotifySettings field: "smtp.host" -> smtp_host, "notify.base_url" -> base_url.
SETTING_FIELDS = {
    k: k.replace(".", "_") if k.startswith("smtp.") else k.removeprefix("notify.") for k in NOTIFY_SPECS
}


@dataclass(frozen=True)
class ResolvedNotifySettings:
    """The effective settings, where each value came from, and the values that were refused."""

    settings: NotifySettings
    sources: dict[str, str]  # key -> "settings page" | "environment" | "default"
    problems: list[str]


def resolve_notify_settings(stored: Mapping[str, Any], env: Mapping[str, str]) -> ResolvedNotifySettings:
    """Stored overrides win over environment variables, which win over defaults; bad values are skipped."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[str] = []
    for key, spec in NOTIFY_SPECS.items():
        values[key], sources[key] = spec.default, "default"
        candidates = ((env.get(spec.env), "environment"), (stored.get(key), "settings page"))
        for raw, source in candidates:
            # Empty means unset (an empty password is no password): the next source down applies.
            if raw is None or str(raw).strip() == "":
                continue
            try:
                values[key], sources[key] = validate_notify_setting(key, raw), source
            except ValidationError as exc:
                where = spec.env if source == "environment" else _("the stored setting {key}").format(key=key)
                problems.append(f"{where}: {exc}")
    settings = NotifySettings(**{SETTING_FIELDS[k]: v for k, v in values.items()})
    return ResolvedNotifySettings(settings, sources, problems)


# --- links, keys, backoff ------------------------------------------------------------------------


def page_link(base_url: str, page: str = "", **params: Any) -> str:
    """A link into the portal: st.navigation serves a page file at /<file name without .py>."""
    url = f"{base_url.rstrip('/')}/{page}"
    return f"{url}?{urlencode(params)}" if params else url


def line_link(base_url: str, po_line_id: int) -> str:
    """The buyer's line detail page of one line (portal/ui/views/buyer/line_detail.py)."""
    return page_link(base_url, "line_detail", line=po_line_id)


def _digest_of(text: str, length: int = 24) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def digest_key(user_id: int, items: Iterable[AlertItem]) -> str:
    """A digest is unique by its recipient and the (alert, severity) pairs it announces."""
    pairs = ",".join(f"{i.alert_id}:{i.severity}" for i in sorted(items, key=lambda i: i.alert_id))
    return f"digest:user:{user_id}:{_digest_of(pairs)}"


def reminder_key(supplier_id: int, email: str, day: dt.date) -> str:
    """At most one reminder per supplier, address and day."""
    return f"reminder:supplier:{supplier_id}:{address_key(email)}:{day.isoformat()}"


def address_key(email: str) -> str:
    """An e-mail address as dedup keys name it: a short digest, the same for any case or spaces."""
    return _digest_of(email.strip().lower(), 16)


def webhook_key(webhook_id: int, alert_id: int, severity: str) -> str:
    """Each alert is posted to a team's webhook once at each severity."""
    return f"webhook:{webhook_id}:alert:{alert_id}:{severity}"


def message_id(dedup_key: str, domain: str) -> str:
    """A Message-ID derived from the dedup key: a resent copy is recognisably the same message."""
    return f"<{_digest_of(dedup_key, 32)}@{domain}>"


def backoff_delay(attempts: int, base_seconds: int) -> dt.timedelta:
    """Wait before the next attempt after ``attempts`` failures: doubling, at most 6 hours."""
    seconds = base_seconds * 2 ** max(0, min(attempts - 1, 30))
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


# --- messages ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertItem:
    """One alert as a message shows it."""

    alert_id: int
    rule: str
    severity: str
    message: str
    subject: str  # "PO-1/1", "SO-2" or the supplier code
    link: str
    supplier_code: str | None = None
    previous_severity: str | None = None  # the highest severity already announced, if any
    #: Why a dismissed condition came back: "was 3 days late when dismissed, now 9".
    reopen_reason: str | None = None
    #: The message's template and values (portal.core.alert_text); None: only the English message.
    message_args: str | None = None
    #: The reopen reason's template and values; None: only the English reason.
    reopen_args: str | None = None

    @property
    def text(self) -> str:
        """The message in the current language (the recipient's, set where the e-mail is built)."""
        return alert_message(self.rule, self.message_args, self.message)

    @property
    def rule_name(self) -> str:
        """The rule's one display name (portal.core.vocabulary), as every page shows it."""
        return _(vocabulary.rule_name(self.rule))

    @property
    def where(self) -> str:
        """' (ACME)' after the subject, when the alert has a supplier that is not its subject."""
        return f" ({self.supplier_code})" if self.supplier_code and self.supplier_code != self.subject else ""

    @property
    def change(self) -> str:
        """'new', 'reopened: was 3 days late when dismissed, now 9' for a dismissal that got worse,
        or 'now critical (was warning)' for a rise in severity."""
        if self.previous_severity is None and self.reopen_reason:
            return _("reopened: {reason}").format(
                reason=reopen_reason_text(self.reopen_args, self.reopen_reason)
            )
        if self.previous_severity is None:
            return _("new")
        return _("now {severity} (was {previous})").format(
            severity=_severity_title(self.severity).lower(),
            previous=_severity_title(self.previous_severity).lower(),
        )


@dataclass(frozen=True)
class EmailContent:
    """A rendered e-mail: subject, plain text and HTML."""

    subject: str
    text: str
    html: str


_HTML = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
# Plain text is not HTML: escaping it would show "&amp;" to the reader.
_TEXT = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

# The templates hold only the layout: every sentence comes translated from Python (gettext, in the
# recipient's language, set by the caller with portal.i18n.language). A sentence with a link has
# {link_start} and {link_end} around the linked words: the HTML part puts the <a> tag there, the
# text part nothing (the address follows on its own line).
_DIGEST_TEXT = _TEXT.from_string(
    """{{ t.hello }}

{{ t.intro }}
{% for group in groups %}

{{ group.title|upper }} ({{ group.alerts|length }})
{% for item in group.alerts %}
- {{ item.subject }}{{ item.where }} · {{ item.rule_name }} · {{ item.change }}
  {{ item.text }}
  {{ item.link }}
{% endfor %}
{% endfor %}
{% if left_out %}

{{ t.left_out }}
{% endif %}

{{ t.open_portal }}: {{ home }}
{{ t.why_text }}: {{ account }}
"""
)

# The HTML mails open alike: the page's font and colour, the greeting and the opening sentence.
_HTML_OPENING = """<!DOCTYPE html>
<html><body style="font-family: Arial, Helvetica, sans-serif; color: #1d2939; font-size: 14px;">
<p>{{ t.hello }}</p>
<p>{{ t.intro }}</p>
"""

_DIGEST_HTML = _HTML.from_string(
    _HTML_OPENING
    + """{% for group in groups %}
<h3 style="color: {{ group.color }}; margin-bottom: 4px;">{{ group.title }} ({{ group.alerts|length }})</h3>
<ul style="margin-top: 0;">
{% for item in group.alerts %}
<li style="margin-bottom: 6px;"><a href="{{ item.link }}">{{ item.subject }}</a>
{{ item.where }} · {{ item.rule_name }} ·
<strong>{{ item.change }}</strong><br>{{ item.text }}</li>
{% endfor %}
</ul>
{% endfor %}
{% if left_out %}
<p>{{ t.left_out }}</p>
{% endif %}
<p><a href="{{ home }}">{{ t.open_portal }}</a></p>
<p style="color: #667085; font-size: 12px;">{{ t.why_html }}</p>
</body></html>
"""
)

_REMINDER_TEXT = _TEXT.from_string(
    """{{ t.hello }}

{{ t.intro }}
{% for section in sections %}

{{ section.title }}
{% for item in section.alerts %}
- {{ item.subject }}: {{ item.text }}
{% endfor %}
{% endfor %}

{% if posting_link %}
{{ t.posting_text }}:
{{ posting_link }}
{{ t.no_forward }}

{% endif %}
{{ t.please_post_text }}: {{ link }}
{{ t.thanks }}

{{ t.stop_text }}: {{ account }}
"""
)

_REMINDER_HTML = _HTML.from_string(
    _HTML_OPENING
    + """{% for section in sections %}
<h3 style="margin-bottom: 4px;">{{ section.title }}</h3>
<ul style="margin-top: 0;">
{% for item in section.alerts %}
<li><strong>{{ item.subject }}</strong>: {{ item.text }}</li>
{% endfor %}
</ul>
{% endfor %}
{% if posting_link %}
<p>{{ t.posting_html }} {{ t.no_forward }}</p>
{% endif %}
<p>{{ t.please_post_html }}
{{ t.thanks }}</p>
<p style="color: #667085; font-size: 12px;">{{ t.stop_html }}</p>
</body></html>
"""
)

_TEST_TEXT = _TEXT.from_string(
    """{{ t.text }}
{{ t.works }}
"""
)
_TEST_HTML = _HTML.from_string(
    """<!DOCTYPE html>
<html><body style="font-family: Arial, Helvetica, sans-serif;">
<p>{{ t.html }}</p>
<p>{{ t.works }}</p>
</body></html>
"""
)

#: Severity group titles in e-mails (marked here, translated when a message is built).
_SEVERITY_TITLE = {"critical": N_("Critical"), "warning": N_("Warning"), "info": N_("Info")}


def _linked(message: str, url: str, **values: object) -> tuple[str, Markup]:
    """A sentence with {link_start}…{link_end} around linked words: (plain text, HTML with the link).

    The translated sentence and every value are escaped in the HTML; only the <a> tag is markup.
    """
    text = message.format(link_start="", link_end="", **values)
    start = Markup('<a href="{url}">').format(url=url)
    html = Markup(escape(message)).format(link_start=start, link_end=Markup("</a>"), **values)
    return text, html


def _by_subject(item: AlertItem) -> str:
    return item.subject


def _severity_title(severity: str) -> str:
    return _(_SEVERITY_TITLE[severity]) if severity in _SEVERITY_TITLE else severity


def group_by_severity(items: Iterable[AlertItem]) -> list[tuple[str, list[AlertItem]]]:
    """Items grouped critical first, then warning, then info; within a group by supplier, rule, subject."""
    ordered = sorted(
        items,
        key=lambda i: (-SEVERITY_RANK.get(i.severity, -1), i.supplier_code or "", i.rule, i.subject),
    )
    groups = []
    for severity in (*SEVERITY_ORDER, *sorted({i.severity for i in ordered} - set(SEVERITY_ORDER))):
        members = [i for i in ordered if i.severity == severity]
        if members:
            groups.append((severity, members))
    return groups


def digest_email(
    name: str, items: Sequence[AlertItem], *, as_of: dt.date, base_url: str, limit: int | None = None
) -> EmailContent:
    """The buyer digest: the alerts new or risen in severity, grouped by severity, each with its link.

    With more than ``limit`` alerts, the most severe ``limit`` are listed and the rest counted.
    In the current language (portal.i18n.language: the recipient's).
    """
    groups = group_by_severity(items)
    counts = ", ".join(f"{len(members)} {_severity_title(severity).lower()}" for severity, members in groups)
    left_out = 0
    if limit is not None and len(items) > limit:
        kept = {i.alert_id for i in [m for _s, members in groups for m in members][:limit]}
        left_out = len(items) - limit
        groups = [(s, [m for m in members if m.alert_id in kept]) for s, members in groups]
        groups = [(s, members) for s, members in groups if members]
    risen = sum(1 for i in items if i.previous_severity is not None)
    date = format_date(as_of)
    if risen:
        intro = ngettext(
            "As of {date}, {n} alert is new or rose in severity ({risen} rose).",
            "As of {date}, {n} alerts are new or rose in severity ({risen} rose).",
            len(items),
        ).format(date=date, n=len(items), risen=risen)
    else:
        intro = ngettext(
            "As of {date}, {n} alert is new.", "As of {date}, {n} alerts are new.", len(items)
        ).format(date=date, n=len(items))
    account = page_link(base_url, "account")
    why = _(
        'You receive this digest as a buyer. To stop it, untick "Alert digest" on '
        "{link_start}your account page{link_end}."
    )
    why_text, why_html = _linked(why, account)
    context = {
        "t": {
            "hello": _("Hello {name},").format(name=name),
            "intro": intro,
            "left_out": _("... and {n} more, in the alert inbox.").format(n=left_out),
            "open_portal": _("Open the portal"),
            "why_text": why_text.rstrip("."),
            "why_html": why_html,
        },
        "groups": [
            {"title": _severity_title(s), "color": _SEVERITY_COLOR.get(s, "#1d2939"), "alerts": m}
            for s, m in groups
        ],
        "home": page_link(base_url),
        "account": account,
        "left_out": left_out,
    }
    return EmailContent(
        subject=_("Supplier portal alerts as of {date}: {counts}").format(date=date, counts=counts),
        text=_DIGEST_TEXT.render(context),
        html=_DIGEST_HTML.render(context),
    )


def reminder_email(
    supplier_name: str,
    stale: Sequence[AlertItem],
    late_start: Sequence[AlertItem],
    *,
    as_of: dt.date,
    base_url: str,
    posting_link: str | None = None,
) -> EmailContent:
    """The supplier reminder: lines with no recent report, and lines whose production has not started;
    with ``posting_link``, a link that posts today's output without a password (24 hours).
    In the current language (portal.i18n.language: the recipient's)."""
    titled: list[tuple[str, Sequence[AlertItem]]] = [
        (_("No production report for several working days"), stale),
        (_("Production has not started on schedule"), late_start),
    ]
    sections: list[dict[str, Any]] = [
        {"title": title, "alerts": sorted(items, key=_by_subject)} for title, items in titled if items
    ]
    lines = len({i.subject for i in (*stale, *late_start)})
    date = format_date(as_of)
    link = page_link(base_url, "daily_output")
    account = page_link(base_url, "account")
    posting_text, posting_html = _linked(
        # Translators: {link_start} and {link_end} go around the words that become the link; keep both.
        _(
            "{link_start}Post today's output{link_end} in one step, without a password "
            "(the link works for 24 hours, for your lines only)."
        ),
        posting_link or "",
    )
    please_text, please_html = _linked(
        _("{link_start}Post your daily output{link_end} (or a revised schedule)."), link
    )
    stop_text, stop_html = _linked(
        _(
            'To stop these reminders, untick "Reporting reminders" on '
            "{link_start}your account page{link_end}."
        ),
        account,
    )
    context = {
        "t": {
            "hello": _("Hello {name},").format(name=supplier_name),
            "intro": ngettext(
                "As of {date}, the portal is missing production news on {n} line:",
                "As of {date}, the portal is missing production news on {n} lines:",
                lines,
            ).format(date=date, n=lines),
            "posting_text": posting_text.rstrip("."),
            "posting_html": posting_html,
            "no_forward": _(
                "Do not forward this e-mail: the link lets anyone who has it post output for {supplier}."
            ).format(supplier=supplier_name),
            "please_post_text": please_text.rstrip("."),
            "please_post_html": please_html,
            "thanks": _("Regular reports let the buyer keep promises to customers. Thank you."),
            "stop_text": stop_text.rstrip("."),
            "stop_html": stop_html,
        },
        "sections": sections,
        "link": link,
        "account": account,
        "posting_link": posting_link,
    }
    return EmailContent(
        subject=ngettext(
            "Production update needed on {n} line (as of {date})",
            "Production update needed on {n} lines (as of {date})",
            lines,
        ).format(n=lines, date=date),
        text=_REMINDER_TEXT.render(context),
        html=_REMINDER_HTML.render(context),
    )


def trial_email(base_url: str) -> EmailContent:
    """The admin's 'send a test e-mail' message (in the current language)."""
    home = page_link(base_url)
    text, html = _linked(
        _("This is a test message from the supplier portal at {link_start}{home}{link_end}."), home, home=home
    )
    context = {
        "t": {"text": text, "html": html, "works": _("If you can read it, e-mail notifications work.")}
    }
    return EmailContent(
        subject=_("Supplier portal: test message"),
        text=_TEST_TEXT.render(context),
        html=_TEST_HTML.render(context),
    )


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn gives &, < and > a meaning; they must be escaped in user text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_post(item: AlertItem, *, as_of: dt.date, team: str) -> dict[str, Any]:
    """A Slack-compatible webhook body for one critical alert: a fallback text and Block Kit blocks."""
    where = f" ({item.supplier_code})" if item.supplier_code else ""
    title = _SEVERITY_TITLE.get(item.severity, item.severity)
    headline = f"{title} alert, {item.rule_name}: {item.subject}{where}"
    link = f"<{_slack_escape(item.link)}|{_slack_escape(item.subject)}>"
    return {
        "text": f"{headline}: {item.message}",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f":rotating_light: *{_slack_escape(headline)}* ({item.change})\n"
                    f"{link}: {_slack_escape(item.message)}",
                },
            },
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": _slack_escape(f"As of {as_of.isoformat()} · for {team}")}
                ],
            },
        ],
    }
