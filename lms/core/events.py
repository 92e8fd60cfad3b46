"""Things that happen in one feature and that others act on, as blinker signals, so that a
feature can be told without importing the feature that tells it (messaging listens to the
accounts, cohorts and ratings features this way)."""

from blinker import Namespace

events = Namespace()

#: A person's account was created: ``sender`` is the User; keywords ``cohort`` (the Cohort
#: they were added to, or None), ``invited_by`` (the User who did it, or None at the command
#: line) and ``invite`` (False when the caller hands them a link itself).
person_created = events.signal("person-created")

#: A tutor reopened a submitted self-assessment: ``sender`` is the Assessment.
assessment_reopened = events.signal("assessment-reopened")
