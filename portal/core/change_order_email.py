"""The supplier's e-mail about purchase-order changes made against it (need-by earlier, quantity up).

Pure: the planner (portal.services.notifications.plan) reads the lines' change history and passes
plain values in; every text goes through ``_()`` and dates and numbers through Babel, so the caller
renders it inside ``with language(...)`` for the recipient's language. The HTML part is rendered
with autoescape on, like the other e-mails.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from jinja2 import Environment, StrictUndefined

from portal.core import vocabulary
from portal.core.notifications import PO_CHANGE, EmailContent, page_link
from portal.i18n import _, format_date, format_number, ngettext

__all__ = ["PO_CHANGE", "ChangedLine", "FieldChange", "po_change_email", "value_text"]

_DATE_FIELDS = frozenset({"need_by_date", "promised_date", "order_date"})
_NUMBER_FIELDS = frozenset({"quantity", "transit_days"})


@dataclass(frozen=True)
class FieldChange:
    """One field of a line as a change order changed it (values as the history keeps them: ISO, digits)."""

    field: str
    old_value: str
    new_value: str

    @property
    def asks_more(self) -> bool:
        """Whether this change asks more of the supplier: need-by earlier or quantity raised."""
        try:
            if self.field == "need_by_date":
                return dt.date.fromisoformat(self.new_value) < dt.date.fromisoformat(self.old_value)
            if self.field == "quantity":
                return int(self.new_value) > int(self.old_value)
        except ValueError:
            return False
        return False


@dataclass(frozen=True)
class ChangedLine:
    """A line changed against its supplier: what changed, by whom, when."""

    alert_id: int
    label: str  # PO-1042/3
    changed_by: str
    changed_at: dt.datetime
    changes: tuple[FieldChange, ...]


def value_text(field: str, value: str) -> str:
    """A stored history value as the reader's language writes it: dates, numbers, status words."""
    if value == "":
        return "–"
    try:
        if field in _DATE_FIELDS:
            return format_date(dt.date.fromisoformat(value))
        if field in _NUMBER_FIELDS:
            return format_number(int(value))
    except ValueError:
        return value
    if field == "status":
        return vocabulary.status_name(value)
    return value


_HTML = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_TEXT = Environment(autoescape=False, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

_BODY_TEXT = _TEXT.from_string(
    """{{ hello }}

{{ intro }}
{% for line in lines %}

{{ line.label }} · {{ line.by }}
{% for change in line.changes %}
- {{ change.name }}: {{ change.old }} → {{ change.new }}{% if change.flag %} ({{ change.flag }}){% endif %}

{% endfor %}
{% endfor %}

{{ ask }}
{{ link }}

{{ why }}
"""
)

_BODY_HTML = _HTML.from_string(
    """<!DOCTYPE html>
<html><body style="font-family: Arial, Helvetica, sans-serif; color: #1d2939; font-size: 14px;">
<p>{{ hello }}</p>
<p>{{ intro }}</p>
{% for line in lines %}
<h3 style="margin-bottom: 4px;">{{ line.label }}</h3>
<p style="margin: 0; color: #667085;">{{ line.by }}</p>
<ul style="margin-top: 4px;">
{% for change in line.changes %}
<li>{{ change.name }}: {{ change.old }} → <strong>{{ change.new }}</strong>
{% if change.flag %}<span style="color: #b54708;">({{ change.flag }})</span>{% endif %}</li>
{% endfor %}
</ul>
{% endfor %}
<p><a href="{{ link }}">{{ ask }}</a></p>
<p style="color: #667085; font-size: 12px;">{{ why }}</p>
</body></html>
"""
)


def po_change_email(supplier_name: str, lines: Sequence[ChangedLine], *, base_url: str) -> EmailContent:
    """The e-mail telling a supplier which of its lines the buyer changed, in the current language."""
    ordered = sorted(lines, key=lambda line: line.label)
    count = len(ordered)
    rendered = [
        {
            "label": line.label,
            "by": _("Changed by {who} on {date}").format(
                who=line.changed_by, date=format_date(line.changed_at.date())
            ),
            "changes": [
                {
                    "name": vocabulary.field_name(change.field),
                    "old": value_text(change.field, change.old_value),
                    "new": value_text(change.field, change.new_value),
                    "flag": _("asks more of you") if change.asks_more else "",
                }
                for change in sorted(line.changes, key=lambda c: c.field)
            ],
        }
        for line in ordered
    ]
    context = {
        "hello": _("Hello {supplier},").format(supplier=supplier_name),
        "intro": ngettext(
            "The buyer changed {n} of your purchase-order lines:",
            "The buyer changed {n} of your purchase-order lines:",
            count,
        ).format(n=format_number(count)),
        "lines": rendered,
        "ask": _("Open your alerts to confirm, or reply there if you cannot meet a change"),
        "link": page_link(base_url, "alerts"),
        "why": _(
            "You receive this as a contact of {supplier}. To stop these e-mails, untick "
            '"Purchase-order changes" on your account page: {account}'
        ).format(supplier=supplier_name, account=page_link(base_url, "account")),
    }
    if count == 1:
        subject = _("Purchase-order change on {label}").format(label=ordered[0].label)
    else:
        subject = ngettext(
            "Purchase-order changes on {n} line", "Purchase-order changes on {n} lines", count
        ).format(n=format_number(count))
    return EmailContent(subject=subject, text=_BODY_TEXT.render(context), html=_BODY_HTML.render(context))
