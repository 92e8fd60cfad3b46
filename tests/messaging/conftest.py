"""A real SMTP server (aiosmtpd) on a free loopback port for the mail tests, and helpers to
read what it received."""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.external_services import free_port


@dataclass
class Received:
    """What the server accepted, and what it is told to answer next."""

    messages: list[EmailMessage] = field(default_factory=list)
    #: Replies to give instead of accepting, one per DATA, first first ("451 …", "550 …").
    refusals: list[str] = field(default_factory=list)
    #: Called with the number of messages accepted so far at each MAIL FROM (tests kill a
    #: worker from here, at a moment they choose).
    on_mail: Callable[[int], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def by_recipient(self) -> dict[str, list[EmailMessage]]:
        """The accepted messages, by the address they were sent to."""
        found: dict[str, list[EmailMessage]] = {}
        for message in self.messages:
            found.setdefault(message["To"].addresses[0].addr_spec, []).append(message)
        return found


class Handler:
    """Accepts every message (or refuses it as told) and keeps it."""

    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_MAIL(self, server, session, envelope, address, options):  # noqa: N802
        if self.received.on_mail is not None:
            self.received.on_mail(len(self.received.messages))
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.received.lock:
            if self.received.refusals:
                return self.received.refusals.pop(0)
            self.received.messages.append(email.message_from_bytes(
                envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """The running server's port and what it received."""

    port: int
    received: Received


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """aiosmtpd listening on 127.0.0.1, on a port nobody else uses."""
    received = Received()
    controller = Controller(Handler(received), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SmtpServer(controller.port, received)
    controller.stop()


def smtp_settings(server: SmtpServer) -> dict:
    """App settings that send mail to ``server``, retrying at once."""
    return {"LMS_SMTP_HOST": "127.0.0.1", "LMS_SMTP_PORT": server.port,
            "LMS_SMTP_STARTTLS": False, "LMS_SMTP_TIMEOUT": 10.0,
            "LMS_MAIL_RETRY_SECONDS": 0.0}


def text_of(message: EmailMessage) -> str:
    """A message's plain-text part, with plain line ends (SMTP carries CRLF)."""
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    """A message's HTML part."""
    return message.get_body(preferencelist=("html",)).get_content()
