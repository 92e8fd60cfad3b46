"""Users, their one-time password links and their API tokens."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db

#: An erased person's address ends with this (the participant flow counts them by it).
ERASED_DOMAIN = "erased.invalid"
#: System roles. Enrolment roles (participant or tutor of a cohort) are on Enrolment.
ROLES = ("admin", "tutor", "participant", "sponsor")
#: Languages a person may ask to be written to in (the Welsh Language Standards ask a body
#: to record it): their e-mails', and their pages' when signed in (lms.core.i18n).
LANGUAGES = ("en", "cy")


class User(UserMixin, db.Model):
    """A person who signs in: an administrator, tutor, participant or sponsor."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'tutor', 'participant', 'sponsor')", name="role"
        ),
        sa.CheckConstraint("language IN ('en', 'cy')", name="language"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased, so uniqueness is case-insensitive on every database.
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    role: Mapped[str] = mapped_column(sa.String(16))
    active: Mapped[bool] = mapped_column(default=True)
    #: Argon2id hash; None until the person sets a first password through their link.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    #: Reminders and nudges by e-mail (invitations, password resets and notices always go).
    email_reminders: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    #: A tutor's weekly digest of their cohorts: off until they turn it on.
    weekly_digest: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: The language of correspondence the person asked for.
    language: Mapped[str] = mapped_column(sa.String(2), default="en", server_default="en")

    tokens: Mapped[list[ApiToken]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    #: The secret of the session this request runs in (set at sign-in and when a session
    #: is loaded); never stored: the database holds only its hash (UserSession).
    session_secret = None

    def get_id(self) -> str:
        """The session's secret, which Flask-Login keeps in the cookie (never the user's id)."""
        if self.session_secret is None:
            raise RuntimeError("start a session (accounts.service.start_session) first")
        return self.session_secret

    @property
    def is_active(self) -> bool:
        """A disabled user cannot sign in or use a token."""
        return self.active

    def end_all_sessions(self) -> None:
        """Invalidate every session and remember cookie this user has, on every device."""
        db.session.execute(sa.delete(UserSession).where(UserSession.user_id == self.id))
        self.session_secret = None


class UserSession(db.Model):
    """One signed-in session (a browser, with or without "keep me signed in").

    The cookie carries a random secret; only its SHA-256 is stored, so neither a database
    read nor a backup yields a cookie that works.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PasswordLink(db.Model):
    """A one-time, expiring link through which a person sets their password."""

    __tablename__ = "password_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    #: SHA-256 of the secret in the link; the secret itself is never stored.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A personal API token, sent as ``Authorization: Bearer …`` by programs."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(100))
    #: SHA-256 of the token: tokens are long random strings, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, shown so a person can tell their tokens apart.
    prefix: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="tokens")

    def is_usable(self, now: dt.datetime) -> bool:
        """Whether the token may authenticate a request at ``now``."""
        return self.revoked_at is None and self.expires_at > now and self.user.active


class ErasedPerson(db.Model):
    """The erasure register: who was erased, so a restore never brings them back.

    It holds the account's id and a keyed hash of its address (accounts.service.address_key)
    and nothing else; ``import --merge`` skips every row of a person it lists.
    """

    __tablename__ = "erased_person"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    address_key: Mapped[str] = mapped_column(sa.String(64), index=True)
