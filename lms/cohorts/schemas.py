"""What the programme and cohort API accepts and returns."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.cohorts.models import COHORT_STATUSES, ENROLMENT_ROLES, ORGANISATION_TYPES, SECTORS
from lms.core.schemas import Id, Text


class ScalePointSchema(Schema):
    """One point of the rating scale."""

    value = fields.Integer()
    label = fields.String()


class ProgrammeSchema(Schema):
    """The programme."""

    id = fields.Integer()
    slug = fields.String()
    name = fields.String()
    description = fields.String()
    rating_scale = fields.List(fields.Nested(ScalePointSchema))
    min_group_size = fields.Integer(
        metadata={"description": "Figures about fewer people are suppressed for sponsors."})
    reminder_days = fields.List(fields.Integer(), metadata={
        "description": "Days before a self-assessment window closes on which those who have "
                       "not submitted are e-mailed a reminder (besides the day it opens)."})
    feedback_min_group = fields.Integer(metadata={
        "description": "A 360 rater group is shown to the participant only when at least "
                       "this many of it answered."})


class ScalePointInputSchema(Schema):
    """A point of the rating scale."""

    value = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))
    label = Text(required=True, min_length=1, max_length=100)


def distinct(values: list) -> None:
    """No value twice (one reminder per day is enough)."""
    if len(set(values)) != len(values):
        raise ValidationError("Give each day once.")


class ProgrammeUpdateSchema(Schema):
    """Changes to the programme. The scale cannot change once any rating uses it."""

    name = Text(min_length=1, max_length=255)
    description = Text(max_length=10_000)
    min_group_size = fields.Integer(strict=True, validate=validate.Range(min=2, max=1000))
    rating_scale = fields.List(fields.Nested(ScalePointInputSchema),
                               validate=validate.Length(min=2, max=11))
    reminder_days = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=90)),
        validate=[validate.Length(max=5), distinct])
    feedback_min_group = fields.Integer(strict=True, validate=validate.Range(min=2, max=100))

    @validates_schema
    def check_scale(self, data, **_kwargs):
        """Scale points count up by one from the lowest."""
        if "rating_scale" in data:
            values = [point["value"] for point in data["rating_scale"]]
            if values != list(range(values[0], values[0] + len(values))):
                raise ValidationError("Values must count up by one.", field_name="rating_scale")


class OrganisationSchema(Schema):
    """An organisation participants work for."""

    id = fields.Integer(dump_only=True)
    name = Text(required=True, min_length=1, max_length=255)
    type = fields.String(required=True, validate=validate.OneOf(ORGANISATION_TYPES))
    sector = fields.String(required=True, validate=validate.OneOf(SECTORS))


class OrganisationUpdateSchema(Schema):
    """Corrections to an organisation."""

    name = Text(min_length=1, max_length=255)
    type = fields.String(validate=validate.OneOf(ORGANISATION_TYPES))
    sector = fields.String(validate=validate.OneOf(SECTORS))


class CohortSchema(Schema):
    """A cohort, with how many people are in it."""

    id = fields.Integer()
    programme_id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.String()
    participants = fields.Integer()
    tutors = fields.Integer()
    pre_opens_on = fields.Date(allow_none=True)
    pre_closes_on = fields.Date(allow_none=True)
    post_opens_on = fields.Date(allow_none=True)
    post_closes_on = fields.Date(allow_none=True)
    feedback_pre_opens_on = fields.Date(allow_none=True)
    feedback_pre_closes_on = fields.Date(allow_none=True)
    feedback_post_opens_on = fields.Date(allow_none=True)
    feedback_post_closes_on = fields.Date(allow_none=True)


WINDOW_FIELDS = ("pre_opens_on", "pre_closes_on", "post_opens_on", "post_closes_on")


def window_dates() -> dict:
    """The four (optional) dates of the self-assessment windows."""
    return {name: fields.Date(allow_none=True, metadata={"description": description})
            for name, description in (
                ("pre_opens_on", "First day the pre self-assessment can be given."),
                ("pre_closes_on", "Last day of the pre window."),
                ("post_opens_on", "First day of the post (and then) window."),
                ("post_closes_on", "Last day of the post window."),
                ("feedback_pre_opens_on", "First day of the pre 360 round, when it is not "
                                          "the pre window's."),
                ("feedback_pre_closes_on", "Last day of the pre 360 round."),
                ("feedback_post_opens_on", "First day of the post 360 round, when it is not "
                                           "the post window's."),
                ("feedback_post_closes_on", "Last day of the post 360 round."))}


class CohortCreateSchema(Schema):
    """A new cohort."""

    name = Text(required=True, min_length=1, max_length=255)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    status = fields.String(load_default="planned", validate=validate.OneOf(COHORT_STATUSES))
    programme_id = Id(load_default=None,
                      metadata={"description": "Defaults to the programme (the first one)."})
    locals().update(window_dates())

    @validates_schema
    def check_dates(self, data, **_kwargs):
        """A cohort cannot end before it starts."""
        if data["ends_on"] < data["starts_on"]:
            raise ValidationError("Must be on or after starts_on.", field_name="ends_on")


class CohortUpdateSchema(Schema):
    """Changes to a cohort."""

    name = Text(min_length=1, max_length=255)
    starts_on = fields.Date()
    ends_on = fields.Date()
    status = fields.String(validate=validate.OneOf(COHORT_STATUSES))
    locals().update(window_dates())


class PersonSchema(Schema):
    """A person as their tutors see them."""

    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()


class EnrolmentSchema(Schema):
    """A person in a cohort."""

    user = fields.Nested(PersonSchema)
    role = fields.String()
    organisation = fields.Nested(OrganisationSchema, allow_none=True)
    leadership_level = fields.Function(
        lambda e: e.leadership_level.code if e.leadership_level else None)
    enrolled_at = fields.DateTime()


class EnrolmentCreateSchema(Schema):
    """Enrol an existing user; a participant needs an organisation and a leadership level."""

    user_id = Id(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ENROLMENT_ROLES))
    organisation_id = Id(load_default=None)
    leadership_level = fields.String(load_default=None,
                                     validate=validate.OneOf(
                                         ("front_line", "manager", "senior_leader")))


class SponsorSchema(Schema):
    """A sponsor of a programme or cohort."""

    user = fields.Nested(PersonSchema)
    programme_id = fields.Integer(allow_none=True)
    cohort_id = fields.Integer(allow_none=True)


class SponsorCreateSchema(Schema):
    """Make a user with the role sponsor a sponsor of this."""

    user_id = Id(required=True)


class CreatedUserSchema(Schema):
    """A person the import created; an invitation with a set-password link is e-mailed to
    them."""

    id = fields.Integer()
    email = fields.String()


class RosterResultSchema(Schema):
    """What a roster import did."""

    created_users = fields.List(fields.Nested(CreatedUserSchema))
    enrolled = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    sponsors_added = fields.Integer()
    organisations_created = fields.Integer()
