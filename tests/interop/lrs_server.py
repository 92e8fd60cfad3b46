"""A Learning Record Store for the tests: real HTTP on loopback, statements checked by ralph's
xAPI models, and xAPI's rules for ids enforced as ralph's LRS enforces them.

- POST /statements stores a batch all or nothing: 409 if any id is held with other content,
  400 if any statement is malformed, otherwise 200 with the ids;
- PUT /statements?statementId=… stores one: 204 when stored or held with the same content,
  409 when held with other content;
- "the same content" is ralph's ``statements_are_equivalent``: actor, verb, object, result,
  context and attachments equal, and timestamp and version where both have them;
- a voiding statement voids its target (xAPI Data 2.2.2 and Communication 2.1.4).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from pydantic import ValidationError
from ralph.models.xapi.base.statements import BaseXapiStatement

SAME_FIELDS = ("actor", "verb", "object", "id", "result", "context", "attachments")
IF_BOTH = ("timestamp", "version")
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def equivalent(first: dict, second: dict) -> bool:
    """ralph's rule for two statements under one id."""
    if any(first.get(name) != second.get(name) for name in SAME_FIELDS):
        return False
    return all(first[name] == second[name] for name in IF_BOTH
               if name in first and name in second)


def problems(statement: object) -> str | None:
    """Why ralph's models refuse a statement, or None."""
    if not isinstance(statement, dict):
        return "a statement is a JSON object"
    try:
        BaseXapiStatement.model_validate(statement)
    except ValidationError as exc:
        return str(exc)[:300]
    return None


class ConflictEnforcingLRS:
    """The store and its server; every request is logged as (method, ids, status)."""

    def __init__(self) -> None:
        self.statements: dict[str, dict] = {}
        self.voided: set[str] = set()
        self.requests: list[tuple[str, list[str], int]] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The xAPI endpoint (statements live under it)."""
        return f"http://127.0.0.1:{self.server.server_port}/xapi"

    def start(self) -> ConflictEnforcingLRS:
        """Serve on a loopback port."""
        self.thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port."""
        self.server.shutdown()
        self.server.server_close()

    def ids_sent(self) -> list[str]:
        """Every statement id sent, in order, repeats included."""
        return [i for _method, ids, _status in self.requests for i in ids]

    def conflicts(self) -> list[tuple[str, list[str], int]]:
        """The requests answered 409."""
        return [entry for entry in self.requests if entry[2] == 409]

    def store(self, batch: list[dict]) -> int:
        """Store a batch all or nothing, by xAPI's rules; the status to answer."""
        with self.lock:
            if any(problems(entry) for entry in batch) or \
                    len({entry["id"] for entry in batch}) < len(batch):
                return 400
            if any(entry["id"] in self.statements
                   and not equivalent(entry, self.statements[entry["id"]]) for entry in batch):
                return 409
            for entry in batch:
                self.statements.setdefault(entry["id"], entry)
                if entry["verb"]["id"] == VOIDED:
                    self.voided.add(entry["object"]["id"])
            return 200

    def handler(self) -> type[BaseHTTPRequestHandler]:
        lrs = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, method: str, ids: list[str], status: int, body: bytes = b""):
                lrs.requests.append((method, ids, status))
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def read(self):
                length = int(self.headers.get("Content-Length", 0))
                return json.loads(self.rfile.read(length))

            def do_POST(self):  # noqa: N802 - the name http.server calls
                batch = self.read()
                batch = batch if isinstance(batch, list) else [batch]
                ids = [entry.get("id", "") for entry in batch]
                status = lrs.store(batch)
                self.answer("POST", ids, status,
                            json.dumps(ids).encode() if status == 200 else b"refused")

            def do_PUT(self):  # noqa: N802
                entry = self.read()
                wanted = parse_qs(urlsplit(self.path).query).get("statementId", [""])[0]
                if entry.get("id") != wanted:
                    self.answer("PUT", [wanted], 400, b"id does not match statementId")
                    return
                status = lrs.store([entry])
                self.answer("PUT", [wanted], 204 if status == 200 else status,
                            b"" if status == 200 else b"refused")

            def log_message(self, *args):
                pass

        return Handler
