"""Forms of the pages. CSRF is checked for every cookie-authenticated write before any view
runs (``lms.accounts.auth``), so these are plain WTForms forms."""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    FileField,
    Form,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, ValidationError

from lms.ratings.models import PHASES
from lms.web.forms import DatePartsField

NOTE_MAX = 20_000
#: A role as the pages name it, with what it lets the person do.
ROLE_LABELS = {  # every role of lms.accounts.models.ROLES, the least powerful first
    "participant": _l("Participant: works through the modules and rates themselves"),
    "tutor": _l("Tutor: follows the cohorts they are enrolled in"),
    "sponsor": _l("Sponsor: sees outcome figures, never an individual"),
    "admin": _l("Administrator: manages every cohort, user and setting"),
}


def printable(_form, field) -> None:
    """Refuse text with NUL or other control characters a person cannot have typed."""
    if isinstance(field.data, str) and any(
            ord(ch) < 32 and ch not in "\t\n\r" for ch in field.data):
        raise ValidationError(gettext("%(field)s contains characters that cannot be stored.",
                                      field=field.label.text))


class ActivityForm(Form):
    """One activity: done or not, and its written part."""

    note = TextAreaField(_l("Your note"), validators=[Length(max=NOTE_MAX), printable])
    done = BooleanField(_l("I have done this activity"))


class FeedbackForm(Form):
    """A tutor's comment on a participant's note."""

    body = TextAreaField(_l("Your feedback"), validators=[
        DataRequired(_l("Write your feedback.")), Length(max=5_000), printable])


class ReopenForm(Form):
    """Which phase to reopen, and why."""

    phase = SelectField(_l("Self-assessment"), choices=[SelectChoice(p) for p in PHASES])
    reason = TextAreaField(_l("Why it needs reopening"), validators=[
        DataRequired(_l("Give the reason; the participant reads it.")), Length(max=500),
        printable])
    closes_on = DatePartsField(_l("New closing date for this participant"), required=False)


class CohortForm(Form):
    """A new cohort: its name and dates (windows, modules and people come next)."""

    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the cohort a name.")),
                                           Length(max=255), printable])
    starts_on = DatePartsField(_l("First day"))
    ends_on = DatePartsField(_l("Last day"))


COHORT_STATUSES = (("planned", _l("Planned")), ("running", _l("Running")),
                   ("finished", _l("Finished")), ("cancelled", _l("Cancelled")))


class CohortSettingsForm(CohortForm):
    """A cohort's name, status, dates and self-assessment windows."""

    status = SelectField(_l("Status"), choices=[SelectChoice(v, label)
                                            for v, label in COHORT_STATUSES])
    pre_opens_on = DatePartsField(_l("Pre self-assessment opens"), required=False)
    pre_closes_on = DatePartsField(_l("Pre self-assessment closes"), required=False)
    post_opens_on = DatePartsField(_l("Post self-assessment opens"), required=False)
    post_closes_on = DatePartsField(_l("Post self-assessment closes"), required=False)


class ModuleDatesForm(Form):
    """Whether a cohort follows one module, and its dates (one per module, by prefix)."""

    follows = BooleanField(_l("Follows this module"))
    opens_on = DatePartsField(_l("Opens"), required=False)
    due_on = DatePartsField(_l("Due"), required=False)


class StaffForm(Form):
    """A tutor or sponsor to add to a cohort; the choices are filled from who exists."""

    user_id = SelectField(_l("Person"), choices=[], validators=[
        DataRequired(_l("Choose a person."))])


class RosterForm(Form):
    """A roster CSV file."""

    file = FileField(_l("Roster file (CSV)"))


class UserForm(Form):
    """A new user."""

    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Give an email address.")), Length(max=320), printable])
    display_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Give the person's name.")), Length(max=200), printable])
    role = SelectField(_l("Role"), choices=[SelectChoice("", _l("Choose a role")),
                                        *(SelectChoice(role, label)
                                          for role, label in ROLE_LABELS.items())],
                       validators=[DataRequired(_l("Choose the person's role."))])


class DetailsForm(Form):
    """A person's own name and e-mail address."""

    display_name = StringField(_l("Full name"), validators=[
        DataRequired(_l("Give your name.")), Length(max=200), printable])
    email = EmailField(_l("Email address"), validators=[
        DataRequired(_l("Give your email address.")), Length(max=320), printable])
    # Its own id: the password form on the same page has a current_password field too.
    current_password = PasswordField(_l("Current password"), validators=[Length(max=1024)],
                                     id="details-current_password")


class PasswordChangeForm(Form):
    """A new password for oneself, with the current one."""

    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Type your current password.")), Length(max=1024)])
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")), Length(max=1024)])
    confirm = PasswordField(_l("Type the new password again"), validators=[
        DataRequired(_l("Type the new password again.")),
        EqualTo("password", message=_l("The two new passwords are not the same."))])


class TokenForm(Form):
    """A new API token."""

    name = StringField(_l("What it is for"), validators=[
        DataRequired(_l("Say what the token is for, so you can recognise it later.")),
        Length(max=100), printable])
    days = IntegerField(_l("Days until it expires"), default=90, validators=[
        NumberRange(min=1, max=365, message=_l("Choose from 1 to 365 days."))])


class PreferencesForm(Form):
    """How a person wants to be written to."""

    email_reminders = BooleanField(_l("Email me reminders about self-assessments and "
                                      "activities"))
    weekly_digest = BooleanField(_l("Email me a weekly digest of my cohorts (who is at risk, "
                                    "who has submitted)"))
    # Each language named in itself, as a person looking for their own would read it.
    language = SelectField(_l("Language for emails and pages"), choices=[
        SelectChoice("en", "English"), SelectChoice("cy", "Cymraeg")])


class CohortMessageForm(Form):
    """A message to (part of) a cohort; the choices carry each audience's count."""

    to = SelectField(_l("Send to"), choices=[])
    subject = StringField(_l("Subject"), validators=[DataRequired(_l("Write a subject.")),
                                                 Length(max=200), printable])
    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write the message.")),
                                                Length(max=20_000)])
