"""What the self-ratings API accepts and returns."""

from marshmallow import Schema, fields, validate

from lms.cohorts.schemas import ScalePointSchema
from lms.core.schemas import Text
from lms.ratings.models import PHASES

STATUSES = ("not_started", "draft", "submitted")


class PhaseSummarySchema(Schema):
    """One phase of the caller's self-assessment."""

    phase = fields.String(validate=validate.OneOf(PHASES))
    opens_on = fields.Date(allow_none=True)
    closes_on = fields.Date(allow_none=True, metadata={
        "description": "The last day answers can be changed: the window's, or a tutor's "
                       "extension for this participant."})
    open = fields.Boolean(metadata={"description": "Whether answers can be changed today."})
    status = fields.String(validate=validate.OneOf(STATUSES))
    reopen_reason = fields.String(allow_none=True, metadata={
        "description": "Why a tutor reopened it, while it waits to be submitted again."})
    answered = fields.Integer()
    required = fields.Integer()
    submitted_at = fields.DateTime(allow_none=True)


class MyAssessmentsSchema(Schema):
    """Every phase of the caller's self-assessment in one cohort."""

    cohort_id = fields.Integer()
    cohort_name = fields.String()
    phases = fields.List(fields.Nested(PhaseSummarySchema))


class AskedBehaviourSchema(Schema):
    """A behaviour the participant is asked to rate."""

    code = fields.String()
    theme = fields.Function(lambda b: b.theme.code)
    statement = fields.String()


class AssessmentSchema(Schema):
    """One phase: the behaviours asked, the scale, and the answers so far."""

    phase = fields.String()
    cohort_id = fields.Integer()
    opens_on = fields.Date(allow_none=True)
    closes_on = fields.Date(allow_none=True)
    open = fields.Boolean()
    status = fields.String(validate=validate.OneOf(STATUSES))
    reopen_reason = fields.String(allow_none=True)
    submitted_at = fields.DateTime(allow_none=True)
    scale = fields.List(fields.Nested(ScalePointSchema))
    behaviours = fields.List(fields.Nested(AskedBehaviourSchema))
    ratings = fields.Dict(keys=fields.String(), values=fields.Raw(),
                          metadata={"description": 'Answers so far: {"SI.1": 4, "DT.8": "na"}'})


class AnswersSchema(Schema):
    """Any subset of answers: a point of the scale, or "na" for not applicable."""

    # Values are checked against the programme's scale by the service, which names the
    # behaviour of every bad one (null included) in one shape.
    ratings = fields.Dict(keys=fields.String(validate=validate.Length(max=16)),
                          values=fields.Raw(allow_none=True), required=True,
                          validate=validate.Length(max=100),
                          metadata={"example": {"SI.1": 4, "SI.2": "na"}})


class ParticipantPhasesSchema(Schema):
    """A participant's status in each phase."""

    user_id = fields.Integer()
    display_name = fields.String()
    phases = fields.Dict(keys=fields.String(), values=fields.Nested(
        Schema.from_dict({"status": fields.String(), "answered": fields.Integer(),
                          "required": fields.Integer(),
                          "submitted_at": fields.DateTime(allow_none=True)},
                         name="PhaseStatus")))


class WindowSchema(Schema):
    """When a phase is open."""

    opens_on = fields.Date(allow_none=True)
    closes_on = fields.Date(allow_none=True)


class CohortAssessmentsSchema(Schema):
    """Who has submitted which phase, who has a draft, who has not started."""

    cohort_id = fields.Integer()
    windows = fields.Dict(keys=fields.String(), values=fields.Nested(WindowSchema))
    participants = fields.List(fields.Nested(ParticipantPhasesSchema))


class ParticipantAssessmentSchema(Schema):
    """A participant's answers for one phase (their tutors only)."""

    user_id = fields.Integer()
    phase = fields.String()
    status = fields.String()
    submitted_at = fields.DateTime(allow_none=True)
    reopened_at = fields.DateTime(allow_none=True)
    reopen_reason = fields.String(allow_none=True)
    extended_until = fields.Date(allow_none=True, metadata={
        "description": "The last day this participant may submit it, if a tutor extended it."})
    ratings = fields.Dict(keys=fields.String(), values=fields.Raw())


class ReopenSchema(Schema):
    """Why the assessment is being reopened (the participant reads it), and until when."""

    reason = Text(required=True, min_length=3, max_length=1000)
    closes_on = fields.Date(load_default=None, metadata={
        "description": "A new last day for this participant (YYYY-MM-DD, today or later). "
                       "Required once the phase's window has closed; the reopening is "
                       "refused (422) without it."})


class ImportResultSchema(Schema):
    """What a ratings import did."""

    assessments_created = fields.Integer()
    assessments_submitted = fields.Integer()
    ratings_created = fields.Integer()
    ratings_updated = fields.Integer()
    ratings_unchanged = fields.Integer()
