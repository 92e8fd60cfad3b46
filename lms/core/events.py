"""Things that happen in one feature and that others act on, as blinker signals, so that a
feature can be told without importing the feature that tells it (messaging listens to the
accounts, cohorts and ratings features this way)."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager

from blinker import Namespace

events = Namespace()

#: A person's account was created: ``sender`` is the User; keywords ``cohort`` (the Cohort
#: they were added to, or None), ``invited_by`` (the User who did it, or None at the command
#: line) and ``invite`` (False when the caller hands them a link itself).
person_created = events.signal("person-created")

#: A tutor reopened a submitted self-assessment: ``sender`` is the Assessment.
assessment_reopened = events.signal("assessment-reopened")


#: Context managers wrapped around every change to people's submitted answers: each is called
#: with (cohort id, user ids) and entered before the change, left after it. The outcomes
#: feature keeps its counts up to date this way (lms.outcomes.kept) without the ratings
#: feature importing it.
_answer_keepers: list[Callable[[int, list[int]], AbstractContextManager]] = []


def keep_answers_with(keeper: Callable[[int, list[int]], AbstractContextManager]) -> None:
    """Have ``keeper`` wrapped around every change to submitted answers (idempotent)."""
    if keeper not in _answer_keepers:
        _answer_keepers.append(keeper)


@contextmanager
def changing_answers(cohort_id: int, people: Iterable[int]) -> Iterator[None]:
    """Around a change to the submitted answers of ``people`` in one cohort (a submission,
    a reopening, an import): every registered keeper sees it; the block must change nobody
    else's answers."""
    people = sorted(set(people))
    with ExitStack() as stack:
        for keeper in _answer_keepers:
            stack.enter_context(keeper(cohort_id, people))
        yield
