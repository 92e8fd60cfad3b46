"""What the 360 feedback API reads and writes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from lms.cohorts.schemas import ScalePointSchema
from lms.core.i18n import LANGUAGES
from lms.core.schemas import CohortQuerySchema, Text
from lms.feedback.models import GROUPS, PHASES


class RaterInputSchema(Schema):
    """A rater to ask: their name and address, who they are to the participant, and for
    which round."""

    name = Text(required=True, min_length=1, max_length=200)
    email = fields.Email(required=True, validate=validate.Length(max=320))
    group = fields.String(required=True, validate=validate.OneOf(GROUPS), metadata={
        "description": "line_manager, peer, direct_report, person_supported (people who use "
                       "services, carers, community members) or other."})
    phase = fields.String(required=True, validate=validate.OneOf(PHASES))
    language = fields.String(load_default=None, validate=validate.OneOf(LANGUAGES), metadata={
        "description": "The language of their invitation, reminders and page: en or cy. By "
                       "default the language of the request (Accept-Language)."})


class RaterSchema(Schema):
    """A rater as the participant and their tutors see them (never their answers)."""

    id = fields.Integer()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    group = fields.String()
    phase = fields.String()
    language = fields.String(metadata={"description": "en or cy: what they are written to in."})
    status = fields.String(metadata={
        "description": "invited, started, answered, withdrawn, or revoked."})
    invited_at = fields.DateTime()


class RaterListSchema(Schema):
    """Everyone asked about a participant."""

    cohort_id = fields.Integer()
    participant_id = fields.Integer()
    raters = fields.List(fields.Nested(RaterSchema))


class FeedbackAnswersSchema(Schema):
    """Any subset of a rater's answers (a point of the scale, or "not_observed") and comments
    per theme ("" removes one)."""

    ratings = fields.Dict(keys=fields.String(validate=validate.Length(max=16)),
                          values=fields.Raw(allow_none=True), load_default=dict,
                          validate=validate.Length(max=100),
                          metadata={"example": {"SI.1": 4, "SI.2": "not_observed"}})
    comments = fields.Dict(keys=fields.String(validate=validate.Length(max=16)),
                           values=fields.Raw(allow_none=True), load_default=dict,
                           validate=validate.Length(max=10),
                           metadata={"example": {"SI": "Listens before deciding."}})


class BehaviourQuestionSchema(Schema):
    """A behaviour the rater is asked about."""

    code = fields.String()
    theme = fields.Function(lambda b: b.theme.code)
    statement = fields.String()


class RaterFormSchema(Schema):
    """What a rater's link shows."""

    participant = fields.String()
    cohort = fields.String()
    programme = fields.String()
    phase = fields.String()
    group = fields.String()
    status = fields.String()
    opens_on = fields.Date(allow_none=True)
    closes_on = fields.Date(allow_none=True)
    open = fields.Boolean()
    anonymity = fields.String()
    scale = fields.List(fields.Nested(ScalePointSchema))
    behaviours = fields.List(fields.Nested(BehaviourQuestionSchema))
    ratings = fields.Dict(keys=fields.String(), values=fields.Raw())
    comments = fields.Dict(keys=fields.String(), values=fields.String())


class ReportQuerySchema(Schema):
    """Which round's report."""

    phase = fields.String(load_default="pre", validate=validate.OneOf(PHASES))


class MyReportQuerySchema(CohortQuerySchema, ReportQuerySchema):
    """Which round's report, in which of your cohorts."""


class FigureSchema(Schema):
    """A group's figure: raters who gave points, and their mean when it may be shown."""

    n = fields.Integer()
    mean = fields.Float(allow_none=True)
    shown = fields.Boolean()
    reason = fields.String(allow_none=True)


class BehaviourRowSchema(Schema):
    """One behaviour of the report."""

    code = fields.String()
    statement = fields.String()
    self = fields.Raw(allow_none=True, metadata={"description": "Your own point, or null."})
    figures = fields.Dict(keys=fields.String(), values=fields.Nested(FigureSchema))
    flag = fields.String(allow_none=True, metadata={
        "description": "blind_spot, hidden_strength, or null."})
    change_since_pre = fields.Float(allow_none=True)


class CommentSchema(Schema):
    """A comment: its group when that group is shown, otherwise null."""

    group = fields.String(allow_none=True)
    text = fields.String()


class ThemeRowSchema(BehaviourRowSchema):
    """One theme of the report, with its behaviours and comments."""

    title = fields.String()
    comments = fields.List(fields.Nested(CommentSchema))
    behaviours = fields.List(fields.Nested(BehaviourRowSchema))


class FeedbackReportSchema(Schema):
    """A participant's 360 report for one round."""

    participant = fields.Dict()
    cohort_id = fields.Integer()
    phase = fields.String()
    round = fields.Dict()
    min_group = fields.Integer()
    available = fields.Boolean()
    note = fields.String()
    threshold = fields.Float(metadata={
        "description": "A third of the scale's range: the gap that marks a blind spot or a "
                       "hidden strength."})
    scale_range = fields.List(fields.Integer(), metadata={
        "description": "The scale's lowest and highest points."})
    groups = fields.List(fields.Dict())
    all_others = fields.Dict()
    shown_groups = fields.List(fields.String())
    themes = fields.List(fields.Nested(ThemeRowSchema))
    blind_spots = fields.List(fields.String())
    hidden_strengths = fields.List(fields.String())
