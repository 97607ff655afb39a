"""Real servers on localhost for notification tests: an SMTP server (aiosmtpd) and a webhook receiver."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench.live_portal import free_port


@dataclass
class Received:
    """One message as the SMTP server got it: envelope recipient and the parsed MIME message."""

    to: str
    message: EmailMessage

    @property
    def text(self) -> str:
        return self._body("plain")

    @property
    def html(self) -> str:
        return self._body("html")

    def _body(self, subtype: str) -> str:
        part = self.message.get_body((subtype,))
        assert part is not None, f"the message has no text/{subtype} part"
        return str(part.get_content())


@dataclass
class Mailbox:
    """An aiosmtpd handler: keeps what arrives, can refuse the next messages or some recipients."""

    port: int = 0
    received: list[Received] = field(default_factory=list)
    refuse_next: int = 0  # answer 451 (try again later) to the next N messages
    unknown: set[str] = field(default_factory=set)  # answer 550 (no such user) to these recipients
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.unknown:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self._lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                return "451 4.3.0 Mailbox busy, try again later"
            assert envelope.original_content is not None
            message = email.message_from_bytes(envelope.original_content, policy=policy.default)
            for rcpt in envelope.rcpt_tos:
                self.received.append(Received(rcpt, message))
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        """The messages delivered to ``address``."""
        with self._lock:
            return [r for r in self.received if r.to == address]

    def recipients(self) -> list[str]:
        with self._lock:
            return sorted(r.to for r in self.received)


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server on a free localhost port for the block."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class HookReceiver:
    """A webhook endpoint: keeps the JSON bodies it accepted; can answer 500 to the next N posts."""

    url: str = ""
    bodies: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def webhook_server() -> Iterator[HookReceiver]:
    """A local HTTP server (http.server in a thread) that receives webhook posts."""
    receiver = HookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with receiver._lock:
                failing = receiver.fail_next > 0
                if failing:
                    receiver.fail_next -= 1
                else:
                    receiver.bodies.append(body)
            self.send_response(500 if failing else 200)
            self.end_headers()
            self.wfile.write(b"internal error" if failing else b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/purchasing"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
