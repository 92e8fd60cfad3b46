"""Push a cohort's xAPI statements to a Learning Record Store, again and again.

The service remembers, per LRS, which statements it has sent and which the LRS stored
(``XapiDelivery``). A push then:

1. sends only statements the LRS has not stored yet, in batches;
2. when the LRS refuses a batch for what is in it (400, 409, 413), sends that batch's
   statements one by one, so one statement never stops the rest. A 409 for a statement an
   earlier push sent (its answer lost, say) means the LRS already holds it; a 409 for one it
   never sent, or a 400, is reported by id;
3. voids every statement it sent before that the service no longer asserts (a completion
   undone or moved, a note rewritten, an assessment reopened, a participant withdrawn).

What it remembers is written on a connection of its own, committed before and after each
request: a push stopped half-way knows next time what the LRS may already have, and the
statements being read (a server-side cursor on PostgreSQL) are never cut short by a commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import sqlalchemy as sa

from lms.cohorts.models import Cohort
from lms.core.extensions import db
from lms.core.progress import Progress
from lms.interop.lrs import LRSClient, LRSError
from lms.interop.models import XapiDelivery
from lms.interop.xapi import Vocabulary, cohort_statements

DELIVERIES = XapiDelivery.__table__


@dataclass
class PushReport:
    """What a push did, statement by statement."""

    sent: int = 0
    already: int = 0
    voided: int = 0
    #: (statement id, the LRS's answer) for each statement it would not take.
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: Facts asserted again after the LRS had them voided: it keeps them voided.
    reasserted: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the person who ran the push."""
        return (f"{self.sent} new statement(s) stored, {self.already} already there, "
                f"{self.voided} voided, {len(self.refused)} refused")


def batches(items: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    """The items in lists of at most ``size``."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


class Memory:
    """What one LRS has of one cohort's statements: as it was when the push began, and as
    the push changes it."""

    def __init__(self, lrs: str, cohort_id: int) -> None:
        self.lrs, self.cohort_id = lrs, cohort_id
        with db.engine.connect() as connection:
            self.before: dict[str, str] = dict(connection.execute(
                sa.select(DELIVERIES.c.statement_id, DELIVERIES.c.state)
                .where(DELIVERIES.c.lrs == lrs, DELIVERIES.c.cohort_id == cohort_id)).all())
        self.now = dict(self.before)

    def sent_before(self, statement_id: str) -> bool:
        """Whether an earlier push sent this statement (whatever the LRS answered)."""
        return statement_id in self.before

    def mark(self, statement_ids: list[str], state: str) -> None:
        """Record the statements' state with this LRS, committed at once."""
        known = [i for i in statement_ids if i in self.now]
        new = [i for i in statement_ids if i not in self.now]
        try:
            with db.engine.begin() as connection:
                if known:
                    connection.execute(
                        DELIVERIES.update()
                        .where(DELIVERIES.c.lrs == self.lrs,
                               DELIVERIES.c.statement_id.in_(known))
                        .values(state=state, changed_at=sa.func.current_timestamp()))
                if new:
                    connection.execute(DELIVERIES.insert(), [
                        {"lrs": self.lrs, "statement_id": i, "cohort_id": self.cohort_id,
                         "state": state} for i in new])
        except sa.exc.IntegrityError:
            raise LRSError("Another push of this cohort to this LRS wrote what it sent while "
                           "this one ran; let it finish, then push again.") from None
        self.now.update(dict.fromkeys(statement_ids, state))

    def forget(self, statement_id: str) -> None:
        """The LRS would not take a statement: the next push sends it as new."""
        with db.engine.begin() as connection:
            connection.execute(DELIVERIES.delete().where(
                DELIVERIES.c.lrs == self.lrs, DELIVERIES.c.statement_id == statement_id))
        self.now.pop(statement_id, None)

    def to_void(self, asserted: set[str]) -> list[str]:
        """Statements the LRS may hold that the service no longer asserts."""
        return sorted(i for i, state in self.before.items()
                      if state in ("sent", "stored") and i not in asserted)


class Push:
    """One push of one cohort's statements to one LRS."""

    def __init__(self, client: LRSClient, cohort: Cohort, progress: Progress) -> None:
        self.client, self.cohort, self.progress = client, cohort, progress
        self.memory = Memory(client.url, cohort.id)
        self.report = PushReport()
        self.asserted: set[str] = set()

    def run(self, size: int, words: Vocabulary) -> PushReport:
        """Send what is new, then void what is no longer so."""
        self.progress.start(None)
        for batch in batches(self.new_statements(words), size):
            self.deliver(batch)
        voids = [words.voiding(i) for i in self.memory.to_void(self.asserted)]
        for batch in batches(voids, size):
            self.deliver_voids(batch)
        self.progress.finish()
        return self.report

    def new_statements(self, words: Vocabulary) -> Iterator[dict[str, Any]]:
        """The cohort's statements that the LRS has not stored yet."""
        for entry in cohort_statements(self.cohort, words):
            self.asserted.add(entry["id"])
            state = self.memory.before.get(entry["id"])
            if state == "stored":
                self.report.already += 1
                self.progress.advance(1)
            elif state == "voided":
                self.report.reasserted.append(entry["id"])
                self.progress.advance(1)
            else:
                yield entry

    def deliver(self, batch: list[dict[str, Any]]) -> None:
        """Send a batch; one by one if the LRS refuses it for what is in it."""
        ids = [entry["id"] for entry in batch]
        self.memory.mark(ids, "sent")
        if self.client.post(batch).accepted:
            self.memory.mark(ids, "stored")
            self.report.sent += len(batch)
        else:
            for entry in batch:
                self.deliver_one(entry)
        self.progress.advance(len(batch))

    def deliver_one(self, entry: dict[str, Any]) -> None:
        """PUT one statement: stored, already there, or refused (and reported)."""
        answer = self.client.put(entry)
        if answer.accepted:
            self.memory.mark([entry["id"]], "stored")
            self.report.sent += 1
        elif answer.status == 409 and self.memory.sent_before(entry["id"]):
            # Sent by an earlier push: the LRS holds our statement of this same fact (its
            # wording, a name say, has changed since; xAPI statements never change).
            self.memory.mark([entry["id"]], "stored")
            self.report.already += 1
        else:
            self.memory.forget(entry["id"])
            self.report.refused.append((entry["id"], describe(answer.status, answer.detail)))

    def deliver_voids(self, batch: list[dict[str, Any]]) -> None:
        """Send voiding statements; a target is remembered as voided once the LRS has its
        voiding."""
        if self.client.post(batch).accepted:
            accepted = batch
        else:
            accepted = []
            for entry in batch:
                answer = self.client.put(entry)
                if answer.accepted:
                    accepted.append(entry)
                else:
                    self.report.refused.append((entry["id"],
                                                describe(answer.status, answer.detail)))
        if accepted:
            self.memory.mark([entry["object"]["id"] for entry in accepted], "voided")
            self.report.voided += len(accepted)


def describe(status: int, detail: str) -> str:
    """The LRS's answer about one statement, in words."""
    reason = {409: "the LRS holds a different statement with this id",
              400: "the LRS found the statement malformed",
              413: "the statement is too large for the LRS"}.get(status, "refused")
    return f"{status}: {reason}" + (f" ({detail[:200]})" if detail else "")


def push_cohort(cohort: Cohort, client: LRSClient, size: int = 500,
                progress: Progress | None = None, words: Vocabulary | None = None
                ) -> PushReport:
    """Send a cohort's statements to an LRS: what is new, and voidings of what is no longer
    so; the report says what happened to each."""
    return Push(client, cohort, progress or Progress()).run(size, words or Vocabulary.of_app())
