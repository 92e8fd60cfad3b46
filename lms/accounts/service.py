"""Accounts: creating people, passwords, one-time links and API tokens.

Services flush but never commit; the request (or command) commits once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import contains_eager

from lms.accounts import passwords
from lms.accounts.models import ERASED_DOMAIN, ROLES, ApiToken, PasswordLink, User, UserSession
from lms.audit.service import record
from lms.core.db_types import utcnow
from lms.core.errors import Conflict, Gone, Invalid, NotFound
from lms.core.events import person_created
from lms.core.extensions import db

TOKEN_PREFIX = "lms_"  # noqa: S105 - marks a string as an lms token, not a secret
MAX_TOKEN_DAYS = 365
#: Signed-in sessions kept per person (devices, browsers); the oldest ends beyond it.
MAX_SESSIONS = 20


def digest(secret: str) -> str:
    """SHA-256 of a random secret (tokens and links), as stored in place of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def address_key(email: str) -> str:
    """A keyed hash (HMAC-SHA256 under the app's secret key) of an e-mail address as typed,
    trimmed and lower-cased: it matches the same address again, and without the key it
    cannot be reversed or tested against a list of addresses."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    address = email.strip().lower().encode("utf-8")
    return hmac.new(key, b"lms-address:" + address, hashlib.sha256).hexdigest()


def normalise_email(raw: str, field: str = "email") -> str:
    """A syntactically valid address, lower-cased; Invalid naming ``field`` otherwise."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise Invalid(gettext("%(address)r is not a valid e-mail address.", address=raw),
                      errors={field: [str(exc)]}) from None
    return checked.normalized.lower()


def find_user_by_email(email: str) -> User | None:
    """The user with this address (any case), or None."""
    return db.session.scalar(sa.select(User).filter_by(email=email.strip().lower()))


def get_user(user_id: int) -> User:
    """A user by id, or NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(gettext("There is no user with id %(id)s.", id=user_id))
    return user


def users_query(search: str | None = None, role: str | None = None) -> sa.Select:
    """Users by e-mail address, those whose address or name holds ``search`` (any case) and
    of ``role`` when given: for the API's list and the administrator's page alike."""
    query = sa.select(User).order_by(User.email)
    if role:
        query = query.where(User.role == role)
    if search:
        needle = search.strip().lower()
        query = query.where(sa.or_(
            User.email.contains(needle, autoescape=True),
            sa.func.lower(User.display_name).contains(needle, autoescape=True)))
    return query


def check_role(role: str, field: str = "role") -> str:
    """The role if it is a system role; Invalid otherwise."""
    if role not in ROLES:
        raise Invalid(gettext("Unknown role %(role)s.", role=repr(role)),
                      errors={field: [gettext("Must be one of: %(choices)s.",
                                              choices=", ".join(ROLES))]})
    return role


def create_user(email: str, display_name: str, role: str, *, invite: bool = True) -> User:
    """Create an account without a password, and invite them by e-mail unless ``invite`` is
    False (the caller hands them a link itself); Conflict if the address is taken."""
    email = normalise_email(email)
    check_role(role)
    name = display_name.strip()
    if not name:
        raise Invalid(gettext("A display name is required."),
                      errors={"display_name": [gettext("Required.")]})
    if find_user_by_email(email) is not None:
        raise Conflict(gettext("A user with the e-mail address %(email)s already exists.",
                               email=email))
    user = User(email=email, display_name=name, role=role)
    db.session.add(user)
    db.session.flush()
    record("user.create", user, role=role)
    person_created.send(user, cohort=None, invite=invite)
    return user


def update_user(user: User, *, display_name=None, role=None, active=None,
                actor: User | None = None) -> User:
    """Change a user's name, role or active flag; disabling ends all their sessions.
    Conflict if ``actor`` (the administrator asking) would disable their own account."""
    if active is False and actor is not None and actor.id == user.id:
        raise Conflict(gettext("You cannot disable your own account: ask another "
                               "administrator."))
    changes = {}
    if display_name is not None and display_name.strip() != user.display_name:
        user.display_name = changes["display_name"] = display_name.strip()
    if role is not None and role != user.role:
        user.role = changes["role"] = check_role(role)
    if active is not None and active != user.active:
        user.active = changes["active"] = active
        if not active:
            end_access(user)
    if changes:
        # Which fields changed, and the new role and state; never a typed value (a name).
        record("user.update", user, fields=sorted(changes),
               **{key: changes[key] for key in ("role", "active") if key in changes})
    return user


def update_preferences(user: User, **changes) -> User:
    """Change a person's e-mail preferences (email_reminders, weekly_digest, language);
    audited by which changed."""
    changed = sorted(name for name, value in changes.items()
                     if name in PREFERENCES and value is not None
                     and getattr(user, name) != value)
    for name in changed:
        setattr(user, name, changes[name])
    if changed:
        record("user.preferences", user, actor=user, fields=changed)
    return user


#: What a person may change about how they are written to.
PREFERENCES = ("email_reminders", "weekly_digest", "language")


def set_password(user: User, password: str, *, actor: User | None = None) -> None:
    """Set a new password under the policy; every other session of the user ends."""
    problems = passwords.policy_problems(password, (user.email, user.display_name))
    if problems:
        raise Invalid(gettext("The password does not meet the policy."),
                      errors={"password": problems})
    user.password_hash = passwords.hash_password(password)
    end_access(user)
    record("user.set_password", user, actor=actor)


def check_current_password(user: User, typed: str | None, why: str) -> None:
    """Invalid, saying ``why`` and naming ``current_password``, unless ``typed`` is the
    person's password."""
    if not passwords.verify_password(user.password_hash, typed or ""):
        record("auth.password_check_failed", user, actor=user)
        raise Invalid(why, errors={"current_password": [
            gettext("Type the password you sign in with.")]})


def change_own_password(user: User, current: str, new: str) -> None:
    """A person changes their own password, proving the current one; every session and token
    they had ends (the page then opens a new session for the browser that asked)."""
    check_current_password(user, current, gettext(
        "Your current password is not right: type it to change your password."))
    set_password(user, new, actor=user)


def change_own_details(user: User, display_name: str, email: str,
                       current_password: str | None = None) -> list[str]:
    """A person changes their own name, or their e-mail address (which needs their current
    password, as it is how they sign in); returns the fields that changed (audited by name,
    never by value)."""
    name = display_name.strip()
    if not name:
        raise Invalid(gettext("Give your name."), errors={"display_name": [gettext("Required.")]})
    address = normalise_email(email)
    if address.endswith(f"@{ERASED_DOMAIN}"):
        raise Invalid(gettext("That address cannot be used."),
                      errors={"email": [gettext("Use your own address.")]})
    changed = []
    if address != user.email:
        check_current_password(user, current_password, gettext(
            "Your current password is not right: type it to change your email address."))
        if find_user_by_email(address) is not None:
            raise Conflict(gettext("Another account already uses that email address."))
        user.email = address
        changed.append("email")
    if name != user.display_name:
        user.display_name = name
        changed.append("display_name")
    if changed:
        record("user.update", user, actor=user, fields=changed)
    return changed


def end_access(user: User) -> None:
    """End every way in a person had before: their sessions and remember cookies on every
    device, their API tokens, and every unused one-time password link (a password set by one
    link, the account page or the command line voids the others)."""
    now = utcnow()
    user.end_all_sessions()
    db.session.execute(sa.update(ApiToken)
                       .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now))
    db.session.execute(sa.update(PasswordLink)
                       .where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
                       .values(used_at=now))


def issue_password_link(user: User) -> str:
    """Create a one-time link for ``user`` to set their password; return its URL."""
    secret = secrets.token_urlsafe(32)
    hours = current_app.config["LMS_PASSWORD_LINK_HOURS"]
    db.session.add(PasswordLink(
        user=user, token_hash=digest(secret), expires_at=utcnow() + dt.timedelta(hours=hours)
    ))
    record("user.password_link", user, expires_in_hours=hours)
    return f"{current_app.config['LMS_BASE_URL'].rstrip('/')}/set-password/{secret}"


def find_password_link(secret: str) -> PasswordLink:
    """The unused, unexpired link for ``secret``; Gone otherwise."""
    link = db.session.scalar(sa.select(PasswordLink).filter_by(token_hash=digest(secret)))
    if link is None or link.used_at is not None or link.expires_at <= utcnow():
        raise Gone(gettext("This link has expired or has already been used. Ask the programme "
                           "administrator for a new one."))
    return link


def use_password_link(secret: str, password: str) -> User:
    """Set the password through a one-time link, spending the link."""
    link = find_password_link(secret)
    set_password(link.user, password, actor=link.user)  # spends this link and the others
    return link.user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; both outcomes are audited."""
    user = find_user_by_email(email) if email else None
    valid = passwords.verify_password(user.password_hash if user else None, password)
    if not valid or user is None or not user.active:
        reason = "disabled" if (valid and user is not None) else "bad credentials"
        # The typed address only as a keyed hash: enough to see repeated attempts on one
        # address, nothing a reader (or a backup) can turn back into the address.
        record("auth.sign_in_failed", user, actor=user, address=address_key(email or ""),
               reason=reason)
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_sign_in_at = utcnow()
    record("auth.sign_in", user, actor=user)
    return user


def start_session(user: User) -> str:
    """Open a new signed-in session for ``user``: store the hash of a fresh secret, return the
    secret (for the cookie), and drop this person's sessions too old to be usable or beyond
    the newest MAX_SESSIONS."""
    secret = secrets.token_urlsafe(32)
    oldest = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"]
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id,
                                                    UserSession.created_at < oldest))
    newest = (sa.select(UserSession.id).where(UserSession.user_id == user.id)
              .order_by(UserSession.id.desc()).limit(MAX_SESSIONS - 1))
    db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id,
                                                    UserSession.id.not_in(newest)))
    db.session.add(UserSession(user_id=user.id, token_hash=digest(secret)))
    user.session_secret = secret
    return secret


def user_for_session(secret: str) -> User | None:
    """The active user of a session's secret, or None once that session has ended (signed
    out, or begun longer ago than "keep me signed in" lasts: the absolute limit)."""
    oldest = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"]
    user = db.session.scalar(
        sa.select(User).join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == digest(secret), UserSession.created_at >= oldest,
               User.active.is_(True)))
    if user is not None:
        user.session_secret = secret
    return user


def create_token(user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Create an API token; return it and its secret, which is shown this once only."""
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Invalid(gettext("A token lasts from 1 to 365 days."),
                      errors={"days": [gettext("Must be between 1 and %(most)d.",
                                               most=MAX_TOKEN_DAYS)]})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user, name=name.strip() or "API token", token_hash=digest(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6], expires_at=utcnow() + dt.timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record("token.create", token, actor=user, days=days)
    return token, secret


def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (secrets are never returned)."""
    return db.session.scalars(
        sa.select(ApiToken).filter_by(user_id=user.id).order_by(ApiToken.id.desc())
    ).all()


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; another person's is NotFound."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(gettext("You have no token with id %(id)s.", id=token_id))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record("token.revoke", token, actor=user)
    return token


def user_for_token(secret: str) -> User | None:
    """The active user a bearer token belongs to, or None if it is unknown or unusable."""
    token = db.session.scalar(
        sa.select(ApiToken).filter_by(token_hash=digest(secret)).join(ApiToken.user)
        .options(contains_eager(ApiToken.user))  # the user in the same query
    )
    now = utcnow()
    if token is None or not token.is_usable(now):
        return None
    # Write at most once a minute per token, not on every request.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        token.last_used_at = now
    return token.user
