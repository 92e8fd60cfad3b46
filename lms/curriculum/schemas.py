"""What the curriculum API accepts and returns."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.core.schemas import JsonBoolean, Text

STATUSES = ("not_started", "in_progress", "complete")


class ActivitySchema(Schema):
    """An activity, with its text as written and as rendered (sanitised) HTML."""

    key = fields.String()
    kind = fields.String(metadata={"description": "read, reflect, practise, discuss or inquiry"})
    title = fields.String()
    required = fields.Boolean()
    text = fields.String(metadata={"description": "Markdown source."})
    text_html = fields.String(metadata={"description": "Rendered and sanitised."})


class ModuleSummarySchema(Schema):
    """A module without its texts."""

    slug = fields.String()
    title = fields.String()
    theme = fields.Function(lambda m: m.theme.code if m.theme else None, allow_none=True)
    position = fields.Integer()
    summary = fields.String()
    hours = fields.Float()
    behaviours = fields.Function(lambda m: [b.code for b in m.behaviours])
    activity_count = fields.Function(lambda m: sum(1 for a in m.activities
                                                   if a.retired_at is None))
    retired = fields.Function(lambda m: m.retired_at is not None)


class ModuleSchema(ModuleSummarySchema):
    """A module with its introduction and current activities."""

    introduction = fields.String()
    introduction_html = fields.String()
    activities = fields.Function(
        lambda m: ActivitySchema(many=True).dump([a for a in m.activities
                                                  if a.retired_at is None]))


class ActivityWorkSchema(Schema):
    """What a participant has recorded for an activity."""

    done = fields.Function(lambda r: r is not None and r.completed_at is not None)
    completed_at = fields.Function(
        lambda r: r.completed_at.isoformat() if r and r.completed_at else None, allow_none=True)
    reflection = fields.Function(lambda r: r.reflection if r else None, allow_none=True)
    evidence = fields.Function(lambda r: r.evidence if r else None, allow_none=True)
    updated_at = fields.Function(lambda r: r.updated_at.isoformat() if r else None,
                                 allow_none=True)
    versions = fields.Function(lambda r: len(r.versions) if r else 0,
                               metadata={"description": "How many times the notes were saved."})


class ActivityWorkUpdateSchema(Schema):
    """Mark an activity done (or not) and save its reflection or evidence note."""

    OPENAPI_RULES = {"minProperties": 1}  # what not_empty checks

    done = JsonBoolean()
    reflection = Text(max_length=20_000, allow_none=True)
    evidence = Text(max_length=20_000, allow_none=True)

    @validates_schema
    def not_empty(self, data, **_kwargs):
        """Something must be sent."""
        if not data:
            raise ValidationError("Send done, reflection or evidence.", field_name="_schema")


class ModuleProgressSchema(Schema):
    """One module's progress for one participant."""

    slug = fields.String()
    title = fields.String()
    opens_on = fields.Date(allow_none=True)
    due_on = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(STATUSES))
    required = fields.Integer(metadata={"description": "Required activities."})
    done = fields.Integer(metadata={"description": "Required activities done."})
    last_activity_at = fields.DateTime(allow_none=True)


class NextActivitySchema(Schema):
    """The next required activity to do."""

    module = fields.String()
    module_title = fields.String()
    key = fields.String()
    title = fields.String()
    kind = fields.String()
    due_on = fields.Date(allow_none=True, metadata={"description": "When its module is due."})


class MyProgressSchema(Schema):
    """The caller's progress in one cohort."""

    cohort_id = fields.Integer()
    cohort_name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    percentage = fields.Float()
    modules = fields.List(fields.Nested(ModuleProgressSchema))
    next_activity = fields.Nested(NextActivitySchema, allow_none=True)


class ParticipantProgressSchema(Schema):
    """One participant across the cohort's curriculum."""

    user_id = fields.Integer()
    display_name = fields.String()
    email = fields.String()
    percentage = fields.Float()
    last_activity_at = fields.DateTime(allow_none=True)
    at_risk = fields.Boolean()
    risk_reasons = fields.List(fields.String())
    modules = fields.List(fields.Nested(ModuleProgressSchema))


class CurriculumItemSchema(Schema):
    """A module in a cohort's curriculum."""

    slug = fields.Function(lambda i: i.module.slug)
    title = fields.Function(lambda i: i.module.title)
    position = fields.Integer()
    opens_on = fields.Date(allow_none=True, metadata={
        "description": "As set; null: from the cohort's first day."})
    due_on = fields.Date(allow_none=True, metadata={
        "description": "After it, an unfinished module puts a participant behind schedule; "
                       "null: when the next module opens (or the cohort ends)."})
    available_on = fields.Date(allow_none=True, metadata={
        "description": "The first day work on it can be recorded (never before the cohort "
                       "starts)."})


class CohortProgressSchema(Schema):
    """Every participant × module of a cohort."""

    cohort_id = fields.Integer()
    as_of = fields.Date()
    curriculum = fields.List(fields.Nested(CurriculumItemSchema))
    participants = fields.List(fields.Nested(ParticipantProgressSchema))


class CurriculumEntrySchema(Schema):
    """A module to put in a cohort's curriculum."""

    slug = Text(required=True, max_length=64)
    opens_on = fields.Date(load_default=None, allow_none=True)
    due_on = fields.Date(load_default=None, allow_none=True)


class CurriculumUpdateSchema(Schema):
    """A cohort's whole curriculum, in order."""

    modules = fields.List(fields.Nested(CurriculumEntrySchema), required=True,
                          validate=validate.Length(min=1, max=50))


class WorkActivitySchema(Schema):
    """An activity and the participant's work on it."""

    key = fields.Function(lambda x: x["activity"].key)
    title = fields.Function(lambda x: x["activity"].title)
    kind = fields.Function(lambda x: x["activity"].kind)
    required = fields.Function(lambda x: x["activity"].required)
    work = fields.Function(lambda x: ActivityWorkSchema().dump(x["record"]))


class WorkModuleSchema(Schema):
    """A module and the participant's work in it."""

    slug = fields.String()
    title = fields.String()
    activities = fields.List(fields.Nested(WorkActivitySchema))


class ParticipantWorkSchema(Schema):
    """A participant's work in a cohort, reflections included (tutors only)."""

    user_id = fields.Integer()
    display_name = fields.String()
    modules = fields.List(fields.Nested(WorkModuleSchema))


class CoverageRowSchema(Schema):
    """A behaviour and the modules that develop it."""

    behaviour = fields.String()
    modules = fields.List(fields.String())


class CoverageSchema(Schema):
    """Behaviours × modules."""

    behaviours = fields.List(fields.Nested(CoverageRowSchema))
    modules = fields.List(fields.String())
    uncovered = fields.List(fields.String(), metadata={"description": "Developed by no module."})
