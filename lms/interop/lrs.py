"""Send xAPI statements to a Learning Record Store: in batches, with retries, and a clear
answer when the LRS refuses them."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from lms.core.progress import Progress
from lms.interop.xapi import XAPI_VERSION

RETRIES = 3
TIMEOUT_SECONDS = 30


class LRSError(Exception):
    """The LRS refused the statements, or could not be reached after retrying."""


def batches(statements: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """The statements in lists of at most ``size``."""
    iterator = iter(statements)
    while batch := list(islice(iterator, size)):
        yield batch


def headers(username: str | None, password: str | None) -> dict[str, str]:
    """The xAPI version header, JSON, and Basic credentials when given."""
    values = {"Content-Type": "application/json", "X-Experience-API-Version": XAPI_VERSION}
    if username is not None:
        pair = f"{username}:{password or ''}".encode()
        values["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    return values


def post_batch(url: str, batch: list[dict[str, Any]], sent_headers: dict[str, str],
               pause: float = 1.0) -> None:
    """POST one batch; retry what may pass on a second try (5xx, 429, the network)."""
    body = json.dumps(batch).encode()
    for attempt in range(1, RETRIES + 1):
        # push() has checked the scheme is http or https.
        request = urllib.request.Request(url, data=body, headers=sent_headers,  # noqa: S310
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS):  # noqa: S310
                return
        except urllib.error.HTTPError as exc:
            try:
                detail = exc.read(300).decode("utf-8", "replace").strip()
            finally:
                exc.close()  # it holds the connection's socket
            if exc.code < 500 and exc.code != 429:
                raise LRSError(f"The LRS refused the statements: {exc.code} {exc.reason}"
                               + (f" ({detail})" if detail else "") + ".") from None
            problem = f"{exc.code} {exc.reason}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            problem = str(getattr(exc, "reason", exc))
        if attempt == RETRIES:
            raise LRSError(f"The LRS at {url} did not accept the statements after {RETRIES} "
                           f"tries: {problem}.")
        time.sleep(pause * attempt)


def push(statements: Iterable[dict[str, Any]], lrs_url: str, username: str | None,
         password: str | None, size: int = 500, pause: float = 1.0,
         progress: Progress | None = None) -> int:
    """Send every statement to ``lrs_url``/statements; how many were sent."""
    progress = progress or Progress()
    progress.start(None)
    url = lrs_url.rstrip("/") + "/statements"
    if not url.startswith(("http://", "https://")):
        raise LRSError(f"The LRS address must start with http:// or https://; got {lrs_url!r}.")
    sent = 0
    sent_headers = headers(username, password)
    for batch in batches(statements, size):
        post_batch(url, batch, sent_headers, pause)
        sent += len(batch)
        progress.advance(len(batch))
    progress.finish()
    return sent
