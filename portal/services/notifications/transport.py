"""Where messages go: SMTP through smtplib and webhooks through requests, the MIME message of an outbox
row, and the two failures delivery treats apart (permanent, server unavailable)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol

import requests

from portal.core import notifications as msg
from portal.core.notifications import NotifySettings

log = logging.getLogger("portal.notifications")


class PermanentFailure(Exception):
    """A refusal that retrying will not fix (unknown recipient, webhook gone)."""


class ServerUnavailable(Exception):
    """The mail server cannot be reached or refuses the login: no e-mail can go out in this run."""


class Transport(Protocol):
    """Where messages go: SMTP and HTTP in production, wrappers of them in tests."""

    def send_email(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Hand one message for one recipient to the mail server."""

    def post_webhook(self, url: str, body: dict[str, Any]) -> None:
        """POST one JSON body to a webhook; raise unless it was accepted."""

    def close(self) -> None:
        """Let go of connections."""


def open_smtp(settings: NotifySettings) -> smtplib.SMTP:
    """A connected (and, with a user, logged-in) SMTP client as the settings say."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_security == "tls":
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout_seconds)
    try:
        if settings.smtp_security == "starttls":
            client.starttls(context=context)
        if settings.smtp_user:
            client.login(settings.smtp_user, settings.smtp_password)
    except BaseException:
        client.close()
        raise
    return client


class LiveTransport:
    """SMTP through smtplib (one connection reused for a batch) and webhooks through requests."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._http = requests.Session()

    def send_email(self, message: EmailMessage, sender: str, recipient: str) -> None:
        """Send over the batch's SMTP connection (opened on first use); 5xx for the recipient is permanent."""
        if self._smtp is None:
            try:
                self._smtp = open_smtp(self.settings)
            except Exception as exc:
                where = f"{self.settings.smtp_host}:{self.settings.smtp_port}"
                raise ServerUnavailable(f"Mail server {where}: {type(exc).__name__}: {exc}") from exc
        try:
            self._smtp.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"The mail server refused {recipient}: {exc.recipients}") from exc
            raise
        except BaseException:
            # A connection in an unknown state is not reused: the next message reconnects.
            self._drop()
            raise

    def post_webhook(self, url: str, body: dict[str, Any]) -> None:
        """POST the JSON body; 4xx (other than timeouts and rate limits) is permanent, the rest retried."""
        response = self._http.post(url, json=body, timeout=self.settings.timeout_seconds)
        if response.status_code < 300:
            return
        detail = f"HTTP {response.status_code}: {response.text[:200]}"
        # Client errors other than timeouts and rate limits mean the hook or the body is wrong.
        if 400 <= response.status_code < 500 and response.status_code not in (408, 425, 429):
            raise PermanentFailure(detail)
        raise RuntimeError(detail)

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            finally:
                self._smtp = None

    def close(self) -> None:
        """Say goodbye to the mail server and close the HTTP session."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except Exception:
                log.debug("SMTP quit failed", exc_info=True)
            self._smtp = None
        self._http.close()


def build_email(row: Any, settings: NotifySettings) -> EmailMessage:
    """The MIME message of an outbox row: plain text and HTML, with a Message-ID from its dedup key."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = row["payload"]["to"]
    message["Subject"] = row["subject"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = msg.message_id(row["dedup_key"], settings.sender_domain)
    # RFC 3834: an automatic message; out-of-office replies should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["payload"]["text"])
    message.add_alternative(row["payload"]["html"], subtype="html")
    return message
