"""What the accounts API accepts and returns."""

from marshmallow import Schema, fields, validate

from lms.accounts.models import LANGUAGES, ROLES
from lms.core.schemas import JsonBoolean, PageQuery, Text, page_schema


class UserSchema(Schema):
    """A user, as administrators see them."""

    id = fields.Integer(dump_only=True)
    email = fields.String()
    display_name = fields.String()
    role = fields.String(validate=validate.OneOf(ROLES))
    active = fields.Boolean()
    has_password = fields.Function(lambda user: user.password_hash is not None)
    created_at = fields.DateTime()
    last_sign_in_at = fields.DateTime(allow_none=True)


UserPageSchema = page_schema(UserSchema, "UserPage")


class UserQuerySchema(PageQuery):
    """Filters for the user list."""

    role = fields.String(validate=validate.OneOf(ROLES))
    q = Text(max_length=200, metadata={"description": "Part of an e-mail address or name."})


class UserCreateSchema(Schema):
    """A new user; they are e-mailed an invitation to set their password."""

    email = Text(required=True, max_length=320, metadata={"format": "email"})
    display_name = Text(required=True, min_length=1, max_length=200)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class UserUpdateSchema(Schema):
    """Changes to a user; disabling them ends all their sessions."""

    display_name = Text(min_length=1, max_length=200)
    role = fields.String(validate=validate.OneOf(ROLES))
    active = JsonBoolean()


class PasswordLinkSchema(Schema):
    """A one-time link through which a person sets their password."""

    password_link = fields.String()


class UserCreatedSchema(Schema):
    """The new user; an invitation with a set-password link is e-mailed to them."""

    user = fields.Nested(UserSchema)
    invitation = fields.String(metadata={
        "description": "`queued`: the worker e-mails it (GET /messages shows when it went). "
                       "POST /users/{id}/password-link gives a link to hand them instead."})


class MyEnrolmentSchema(Schema):
    """A cohort the caller is in."""

    cohort_id = fields.Integer()
    cohort_name = fields.Function(lambda e: e.cohort.name)
    role = fields.String()


class MySponsorshipSchema(Schema):
    """Something the caller sponsors."""

    programme_id = fields.Integer(allow_none=True)
    cohort_id = fields.Integer(allow_none=True)


class MeSchema(Schema):
    """The caller: who they are, where they take part, and a CSRF token for cookie clients."""

    id = fields.Integer()
    email = fields.String()
    display_name = fields.String()
    role = fields.String()
    email_reminders = fields.Boolean(metadata={
        "description": "Reminders and nudges by e-mail (invitations, password links and "
                       "notices always go)."})
    weekly_digest = fields.Boolean(metadata={
        "description": "A tutor's weekly digest of their cohorts."})
    language = fields.String(validate=validate.OneOf(LANGUAGES), metadata={
        "description": "The language you want to be written to in, e-mails and pages: en, "
                       "or cy (Welsh, for what has been translated so far)."})
    enrolments = fields.List(fields.Nested(MyEnrolmentSchema))
    sponsorships = fields.List(fields.Nested(MySponsorshipSchema))
    csrf_token = fields.String(
        allow_none=True,
        metadata={"description": "Send as X-CSRFToken on writes authenticated by the session "
                  "cookie; null when authenticated by a token."},
    )


class PreferencesSchema(Schema):
    """Your e-mail preferences; send only what changes."""

    email_reminders = JsonBoolean()
    weekly_digest = JsonBoolean()
    language = fields.String(validate=validate.OneOf(LANGUAGES))


class TokenSchema(Schema):
    """An API token, without its secret."""

    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "The token's first characters."})
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class TokenCreateSchema(Schema):
    """A token to create."""

    name = Text(load_default="API token", max_length=100)
    days = fields.Integer(load_default=90, strict=True, validate=validate.Range(min=1, max=365))


class TokenCreatedSchema(TokenSchema):
    """A new token with its secret, shown this once only."""

    token = fields.String(metadata={"description": "Send as 'Authorization: Bearer <token>'."})
