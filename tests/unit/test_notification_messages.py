"""The pure side of notifications: settings resolution and checks, links, keys, backoff, message bodies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from portal.core.domain import ValidationError
from portal.core.notifications import (
    AlertItem,
    backoff_delay,
    digest_email,
    digest_key,
    group_by_severity,
    line_link,
    message_id,
    reminder_email,
    reminder_key,
    resolve_notify_settings,
    slack_post,
    validate_notify_setting,
)

AS_OF = dt.date(2026, 3, 12)
BASE = "https://portal.example.com"


def item(alert_id: int, severity: str, message: str = "m", **kw: Any) -> AlertItem:
    defaults = {
        "rule": "PROJECTED_LATE",
        "subject": f"PO-{alert_id}/1",
        "link": line_link(BASE, alert_id),
        "supplier_code": "ACME",
    }
    return AlertItem(alert_id=alert_id, severity=severity, message=message, **{**defaults, **kw})


# ------------------------------------------------------------------------------ settings


def test_stored_settings_win_over_the_environment_which_wins_over_defaults() -> None:
    resolved = resolve_notify_settings(
        {"smtp.host": "mail.internal", "smtp.port": 2525},
        {
            "PORTAL_SMTP_HOST": "smtp.example.com",
            "PORTAL_SMTP_USER": "portal",
            "PORTAL_BASE_URL": "https://x.io/",
        },
    )
    s = resolved.settings
    assert (s.smtp_host, s.smtp_port, s.smtp_user, s.base_url) == (
        "mail.internal",
        2525,
        "portal",
        "https://x.io",
    )
    assert s.smtp_security == "starttls" and s.max_attempts == 5
    assert resolved.sources["smtp.host"] == "settings page"
    assert resolved.sources["smtp.user"] == "environment"
    assert resolved.sources["smtp.security"] == "default"


def test_a_bad_environment_value_is_reported_and_the_default_kept() -> None:
    resolved = resolve_notify_settings({}, {"PORTAL_SMTP_PORT": "twenty-five"})
    assert resolved.settings.smtp_port == 587
    assert resolved.problems == ["PORTAL_SMTP_PORT: SMTP port: must be a whole number, not 'twenty-five'."]


def test_email_is_on_only_with_a_host_and_a_from_address() -> None:
    assert not resolve_notify_settings({}, {}).settings.email_enabled
    assert not resolve_notify_settings({"smtp.host": "mail"}, {}).settings.email_enabled
    on = resolve_notify_settings({"smtp.host": "mail", "smtp.from": "Portal <p@example.com>"}, {}).settings
    assert on.email_enabled and on.sender_domain == "example.com"


def test_the_password_is_not_in_the_settings_repr() -> None:
    s = resolve_notify_settings({"smtp.password": "hunter2-secret"}, {}).settings
    assert s.smtp_password == "hunter2-secret"
    assert "hunter2" not in repr(s)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("smtp.port", "0", "SMTP port: must be between 1 and 65535."),
        ("smtp.port", "x", "SMTP port: must be a whole number, not 'x'."),
        ("smtp.security", "ssl", "Connection security: must be one of starttls, tls, none, not 'ssl'."),
        ("smtp.host", "mail server", "SMTP host: 'mail server' is not a host name."),
        ("smtp.from", "portal", "From address: 'portal' is not an e-mail address."),
        ("smtp.from", "a@b.com\r\nBcc: x@y.z", "From address: must be one line."),
        ("notify.base_url", "javascript:alert(1)", "Portal base URL: must start with http:// or https://"),
        ("notify.max_attempts", 0, "Attempts before giving up: must be between 1 and 20."),
        ("smtp.colour", "red", "Unknown notification setting 'smtp.colour'."),
    ],
)
def test_each_setting_is_checked_with_a_message_naming_the_field(
    key: str, value: object, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_notify_setting(key, value)
    assert str(caught.value).startswith(message)


def test_valid_settings_are_normalised() -> None:
    assert validate_notify_setting("smtp.port", " 465 ") == 465
    assert validate_notify_setting("smtp.security", "TLS") == "tls"
    assert validate_notify_setting("notify.base_url", "https://portal.example.com/") == BASE
    assert validate_notify_setting("smtp.password", " with spaces ") == " with spaces "


# ------------------------------------------------------------------------------ links, keys, backoff


def test_the_line_link_is_the_line_detail_page_named_after_its_file() -> None:
    assert line_link(BASE + "/", 42) == f"{BASE}/line_detail?line=42"


def test_a_digest_key_depends_on_the_alerts_and_severities_not_their_order() -> None:
    a = digest_key(5, [item(1, "warning"), item(2, "critical")])
    assert a == digest_key(5, [item(2, "critical"), item(1, "warning")])
    assert a != digest_key(5, [item(1, "critical"), item(2, "critical")])
    assert a != digest_key(6, [item(1, "warning"), item(2, "critical")])
    assert len(a) <= 200


def test_a_reminder_key_is_per_supplier_address_and_day_whatever_the_case() -> None:
    assert reminder_key(1, "Ops@Bolt.example", AS_OF) == reminder_key(1, "ops@bolt.example", AS_OF)
    assert reminder_key(1, "ops@bolt.example", AS_OF) != reminder_key(
        1, "ops@bolt.example", AS_OF.replace(day=13)
    )
    assert len(reminder_key(10**9, "x" * 240 + "@example.com", AS_OF)) <= 200


def test_the_message_id_is_the_same_for_the_same_message() -> None:
    assert message_id("digest:user:5:abc", "example.com") == message_id("digest:user:5:abc", "example.com")
    assert message_id("digest:user:5:abc", "example.com") != message_id("digest:user:6:abc", "example.com")
    assert message_id("k", "example.com").endswith("@example.com>")


def test_backoff_doubles_from_the_base_and_stops_at_six_hours() -> None:
    waits = [backoff_delay(n, 60).total_seconds() for n in (1, 2, 3, 4)]
    assert waits == [60, 120, 240, 480]
    assert backoff_delay(30, 60) == dt.timedelta(hours=6)
    assert backoff_delay(3, 0) == dt.timedelta(0)


# ------------------------------------------------------------------------------ messages


def test_alerts_are_grouped_critical_then_warning_then_info() -> None:
    groups = group_by_severity(
        [item(1, "info"), item(2, "critical"), item(3, "warning"), item(4, "critical")]
    )
    assert [(s, [i.alert_id for i in members]) for s, members in groups] == [
        ("critical", [2, 4]),
        ("warning", [3]),
        ("info", [1]),
    ]


def test_the_html_digest_escapes_alert_text_and_the_plain_text_keeps_it() -> None:
    evil = item(1, "critical", message='<script>alert("x")</script> & more', supplier_code="<b>ACME</b>")

    content = digest_email("Ann <admin>", [evil], as_of=AS_OF, base_url=BASE)

    assert "<script>" not in content.html and "&lt;script&gt;" in content.html
    assert "<b>ACME</b>" not in content.html and "&lt;b&gt;ACME&lt;/b&gt;" in content.html
    assert "Hello Ann &lt;admin&gt;" in content.html
    assert '<script>alert("x")</script> & more' in content.text


def test_a_risen_alert_says_what_it_was() -> None:
    content = digest_email(
        "Ann", [item(1, "critical", previous_severity="warning")], as_of=AS_OF, base_url=BASE
    )
    assert "now critical (was warning)" in content.text
    assert "1 rose" in content.text


def test_a_long_digest_lists_the_most_severe_and_counts_the_rest() -> None:
    items = [item(i, "warning") for i in range(1, 6)] + [item(9, "critical")]

    content = digest_email("Ann", items, as_of=AS_OF, base_url=BASE, limit=3)

    assert "PO-9/1" in content.text
    assert "and 3 more, in the alert inbox" in content.text
    assert content.subject.endswith("1 critical, 5 warning")


def test_a_reminder_lists_quiet_lines_and_unstarted_lines_apart() -> None:
    stale = [item(1, "warning", "no report for 4 working days", rule="STALE_UPDATE")]
    late = [item(2, "warning", "has not started", rule="LATE_START")]

    content = reminder_email("Acme Plastics", stale, late, as_of=AS_OF, base_url=BASE)

    text = content.text
    assert text.index("No production report") < text.index("no report for 4") < text.index("has not started")
    assert content.subject == "Production update needed on 2 lines (as of Mar 12, 2026)"
    assert f"{BASE}/daily_output" in text


def test_a_slack_post_has_a_fallback_text_and_blocks_with_escaped_text() -> None:
    post = slack_post(item(7, "critical", "late <soon> & sure"), as_of=AS_OF, team="Purchasing")

    assert post["text"] == "Critical alert, Forecast to arrive late: PO-7/1 (ACME): late <soon> & sure"
    section = post["blocks"][0]["text"]["text"]
    assert "late &lt;soon&gt; &amp; sure" in section
    assert f"<{BASE}/line_detail?line=7|PO-7/1>" in section
    assert post["blocks"][1]["elements"][0]["text"] == "As of 2026-03-12 · for Purchasing"
