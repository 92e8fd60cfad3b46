"""Where mail goes: an SMTP server (LMS_SMTP_HOST…), or, without one, ``.eml`` files in
instance/outbox/ that a developer opens in any mail program or at /dev/outbox."""

from __future__ import annotations

import os
import smtplib
import socket
import ssl
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import Flask, current_app


class TransientFailure(Exception):
    """The server or the network said "not now" (4xx, refused, timed out): try again later."""


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): trying again would not help."""


def outbox_dir(app: Flask | None = None) -> Path:
    """The folder .eml files are written to when there is no SMTP server."""
    app = app or current_app
    configured = app.config.get("LMS_OUTBOX_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "outbox"


class Transport:
    """Sends messages over one SMTP connection (opened at the first, reopened after a
    failure), or writes them to the outbox folder; use it as a context manager."""

    def __init__(self, config: dict[str, Any], folder: Path) -> None:
        self.config, self.folder = config, folder
        self.connection: smtplib.SMTP | None = None

    @classmethod
    def for_app(cls) -> Transport:
        """The transport the current app's settings describe."""
        return cls(dict(current_app.config), outbox_dir())

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def send(self, message: EmailMessage, file_name: str) -> None:
        """Deliver ``message``; TransientFailure or PermanentFailure when it is not."""
        if not self.config.get("LMS_SMTP_HOST"):
            self.write_file(message, file_name)
            return
        try:
            self.connect().send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _text in exc.recipients.values()]
            raise failure(min(codes), "; ".join(
                f"{to}: {code} {text.decode(errors='replace')}"
                for to, (code, text) in exc.recipients.items())) from None
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = exc.smtp_error.decode(errors="replace") if isinstance(
                exc.smtp_error, bytes) else str(exc.smtp_error)
            if isinstance(exc, smtplib.SMTPAuthenticationError):
                # Wrong credentials are the operator's to fix; the message is not at fault.
                raise TransientFailure(f"{exc.smtp_code} {text} (check LMS_SMTP_USERNAME "
                                       "and LMS_SMTP_PASSWORD)") from None
            raise failure(exc.smtp_code, f"{exc.smtp_code} {text}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise TransientFailure(f"{type(exc).__name__}: {exc}") from None

    def connect(self) -> smtplib.SMTP:
        """The open connection, opening (and authenticating) it if needed."""
        if self.connection is None:
            config = self.config
            connection = smtplib.SMTP(config["LMS_SMTP_HOST"], config["LMS_SMTP_PORT"],
                                      timeout=config["LMS_SMTP_TIMEOUT"],
                                      local_hostname=socket.getfqdn())
            try:
                if config["LMS_SMTP_STARTTLS"]:
                    connection.starttls(context=ssl.create_default_context())
                if config.get("LMS_SMTP_USERNAME"):
                    connection.login(config["LMS_SMTP_USERNAME"],
                                     config.get("LMS_SMTP_PASSWORD") or "")
            except BaseException:
                connection.close()
                raise
            self.connection = connection
        return self.connection

    def close(self) -> None:
        """Say goodbye to the server, if connected (quietly: it may be gone)."""
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def write_file(self, message: EmailMessage, file_name: str) -> None:
        """Write ``message`` to the outbox folder whole or not at all (a temporary file
        renamed into place); writing the same message again replaces its file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(message.as_bytes())
            os.replace(temporary, self.folder / file_name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def failure(code: int, text: str) -> Exception:
    """A 5xx reply is permanent; anything else (4xx) is worth another try."""
    return PermanentFailure(text) if 500 <= code < 600 else TransientFailure(text)
