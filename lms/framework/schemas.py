"""What the framework API returns and accepts."""

from marshmallow import Schema, fields, validate

from lms.framework.models import APPLIES_TO


class BehaviourSchema(Schema):
    """A key behaviour."""

    code = fields.String(metadata={"example": "SI.1"})
    theme = fields.Function(lambda b: b.theme.code, metadata={"example": "SI"})
    position = fields.Integer()
    statement = fields.String(metadata={"description": "The framework's own words."})
    applies_to = fields.String(
        validate=validate.OneOf(APPLIES_TO),
        metadata={
            "description": "all, or only participants from commissioning or providing "
            "organisations."
        },
    )


class LinkSchema(Schema):
    """A theme's link to a heading of another framework."""

    framework = fields.Function(lambda link: link.heading.framework.code)
    framework_title = fields.Function(lambda link: link.heading.framework.title)
    heading = fields.Function(lambda link: link.heading.title)
    indicators = fields.Function(
        lambda link: [indicator.statement for indicator in link.indicators],
        metadata={"description": "Indicator statements quoted; empty where none is quoted."},
    )


class ThemeSchema(Schema):
    """A theme with its behaviours and cross-framework links."""

    code = fields.String(metadata={"example": "SI"})
    title = fields.String()
    tagline = fields.String()
    introduction = fields.String()
    position = fields.Integer()
    behaviours = fields.List(fields.Nested(BehaviourSchema))
    links = fields.List(fields.Nested(LinkSchema))


class ExternalFrameworkSchema(Schema):
    """A framework the themes link to."""

    code = fields.String()
    title = fields.String()
    publisher = fields.String(allow_none=True)


class LeadershipLevelSchema(Schema):
    """A level of distributed leadership."""

    code = fields.String(metadata={"example": "front_line"})
    title = fields.String()


class FrameworkSchema(Schema):
    """The whole framework, nested."""

    slug = fields.String()
    title = fields.String()
    version = fields.String()
    source = fields.String()
    leadership_levels = fields.List(fields.Nested(LeadershipLevelSchema))
    external_frameworks = fields.List(fields.Nested(ExternalFrameworkSchema))
    themes = fields.List(fields.Nested(ThemeSchema))


class BehaviourQuerySchema(Schema):
    """Filters for the behaviour list."""

    theme = fields.String(
        metadata={"description": "A theme code such as DT.", "example": "DT"},
    )
    applies_to = fields.String(
        validate=validate.OneOf(("commissioning", "providing", "all")),
        metadata={
            "description": "Keep the behaviours that apply to participants from this kind of "
            "organisation: those for everyone plus those for that kind. `all` keeps only "
            "those for everyone."
        },
    )
