"""Talk to a Learning Record Store's statements resource: POST a batch, PUT one statement,
with retries where a second try may pass and a clear answer where it cannot."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from lms.interop.xapi import XAPI_VERSION

RETRIES = 3
TIMEOUT_SECONDS = 30
#: What the LRS may say about the statements themselves: the push then looks at them one by
#: one (a malformed statement, an id it holds with other content, a batch too large).
STATEMENT_PROBLEMS = (400, 409, 413)


class LRSError(Exception):
    """The LRS refused us (not the statements), or could not be reached after retrying."""


@dataclass(frozen=True)
class Answer:
    """The LRS's answer about some statements: its status and the start of its words."""

    status: int
    detail: str = ""

    @property
    def accepted(self) -> bool:
        """Whether the LRS now holds the statements (200 or 204)."""
        return 200 <= self.status < 300


def statements_url(lrs_url: str) -> str:
    """The statements resource under an LRS's xAPI endpoint, in one spelling (so the
    service remembers one LRS once); LRSError unless it is http(s)."""
    parts = urllib.parse.urlsplit(lrs_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise LRSError(f"The LRS address must start with http:// or https://; got {lrs_url!r}.")
    path = parts.path.rstrip("/") + "/statements"
    return urllib.parse.urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, "", ""))


class LRSClient:
    """One LRS, with its credentials (HTTP Basic when a username is given)."""

    def __init__(self, lrs_url: str, username: str | None = None, password: str | None = None,
                 pause: float = 1.0) -> None:
        self.url = statements_url(lrs_url)
        self.pause = pause
        self.headers = {"Content-Type": "application/json",
                        "X-Experience-API-Version": XAPI_VERSION}
        if username is not None:
            pair = f"{username}:{password or ''}".encode()
            self.headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()

    def post(self, batch: list[dict[str, Any]]) -> Answer:
        """Store a batch (all of it or none, as xAPI has it)."""
        return self.send("POST", self.url, batch)

    def put(self, statement: dict[str, Any]) -> Answer:
        """Store one statement under its id."""
        query = urllib.parse.urlencode({"statementId": statement["id"]})
        return self.send("PUT", f"{self.url}?{query}", statement)

    def send(self, method: str, url: str, payload: Any) -> Answer:
        """Send once, and again on what may pass on a second try (5xx, 429, the network);
        the answer about the statements, or LRSError for anything else."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        for attempt in range(1, RETRIES + 1):
            # statements_url() has checked that the scheme is http or https.
            request = urllib.request.Request(url, data=body, headers=self.headers,  # noqa: S310
                                             method=method)
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                    return Answer(response.status)
            except urllib.error.HTTPError as exc:
                answer = Answer(exc.code, read_detail(exc))
                if exc.code in STATEMENT_PROBLEMS:
                    return answer
                if exc.code < 500 and exc.code != 429:
                    raise LRSError(f"The LRS refused the statements: {exc.code} {exc.reason}"
                                   + (f" ({answer.detail})" if answer.detail else "")
                                   + ".") from None
                problem = f"{exc.code} {exc.reason}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem = str(getattr(exc, "reason", exc))
            if attempt == RETRIES:
                raise LRSError(f"The LRS at {self.url} did not accept the statements after "
                               f"{RETRIES} tries: {problem}.")
            time.sleep(self.pause * attempt)
        raise AssertionError("unreachable")  # the loop returns or raises


def read_detail(error: urllib.error.HTTPError) -> str:
    """The start of an error's body, and the connection closed."""
    try:
        return error.read(300).decode("utf-8", "replace").strip()
    finally:
        error.close()  # it holds the connection's socket
