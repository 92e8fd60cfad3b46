"""360-degree feedback: nominating raters, their rounds, and what a rater's link may do.

Services flush but never commit; the request commits once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from lms.accounts.models import User
from lms.audit.service import record
from lms.cohorts.models import Cohort
from lms.cohorts.service import participant_in
from lms.core.db_types import utcnow
from lms.core.errors import Conflict, Gone, Invalid, NotFound
from lms.core.extensions import db
from lms.core.i18n import LANGUAGES, current_language, long_date
from lms.feedback import tokens
from lms.feedback.models import (
    GROUP_TITLES,
    GROUPS,
    PHASES,
    FeedbackAnswer,
    FeedbackComment,
    FeedbackRater,
)
from lms.framework.models import Behaviour, Theme
from lms.messaging import outbox
from lms.ratings.service import (
    behaviours_for_sector,
    parse_answers,
    scale_values,
    sector_of,
)

#: What a rater answers for a behaviour they have not seen the participant do.
NOT_OBSERVED = "not_observed"
#: Enough raters for any 360 (the trusted tools suggest 8 to 15) with room for a large team.
MAX_RATERS_PER_PHASE = 30
#: The longest comment on a theme.
MAX_COMMENT = 4000
#: How a rater's invitation and reminders say who the rater is to the participant (nothing
#: for "other").
ASKED_AS = {"line_manager": _l("They asked you as their line manager."),
            "peer": _l("They asked you as one of their peers."),
            "direct_report": _l("They asked you as someone who reports to them."),
            "person_supported": _l("They asked you as someone who uses their services, a "
                                   "carer, or a member of a community they serve."),
            "other": ""}


#: What a revoked, withdrawn or expired link says (never who asked, nor why).
LINK_ENDED = _l("This feedback link no longer works: the invitation was withdrawn.")


# --- rounds ----------------------------------------------------------------------------------

def round_window(cohort: Cohort, phase: str) -> tuple[dt.date | None, dt.date | None]:
    """The dates a 360 round is open: its own on the cohort, else its phase's window."""
    own = (getattr(cohort, f"feedback_{phase}_opens_on"),
           getattr(cohort, f"feedback_{phase}_closes_on"))
    if own[0] is not None:
        return own
    return getattr(cohort, f"{phase}_opens_on"), getattr(cohort, f"{phase}_closes_on")


def round_state(cohort: Cohort, phase: str, today: dt.date) -> str:
    """``not_set``, ``not_open`` (before it opens), ``open`` or ``closed``."""
    opens, closes = round_window(cohort, phase)
    if opens is None or closes is None:
        return "not_set"
    if today < opens:
        return "not_open"
    return "open" if today <= closes else "closed"


def check_phase(phase: str) -> str:
    """``phase`` if a 360 round runs in it (pre or post); Invalid otherwise."""
    if phase not in PHASES:
        raise Invalid(gettext("A 360 round runs with the pre or the post self-assessment."),
                      errors={"phase": [gettext("Must be one of: pre, post.")]})
    return phase


def check_language(language: str) -> str:
    """``language`` if the service writes in it (en or cy); Invalid otherwise."""
    if language not in LANGUAGES:
        raise Invalid(gettext("The rater's language must be English (en) or Welsh (cy)."),
                      errors={"language": [gettext("Must be one of: en, cy.")]})
    return language


# --- nominating ------------------------------------------------------------------------------

def nominate(cohort: Cohort, participant_id: int, nominated_by: User, name: str, email: str,
             group: str, phase: str, language: str | None = None,
             today: dt.date | None = None) -> FeedbackRater:
    """Ask a rater (by name and address) for feedback on a participant of ``cohort`` for one
    phase, written to in ``language`` (by default the one being spoken); their invitation is
    queued with this transaction."""
    today = today or dt.date.today()
    enrolment = participant_in(cohort, participant_id)
    check_phase(phase)
    language = check_language(language or current_language())
    if group not in GROUPS:
        raise Invalid(gettext("Unknown rater group."), errors={"group": [
            gettext("Must be one of: %(choices)s.", choices=", ".join(GROUPS))]})
    if round_state(cohort, phase, today) == "closed":
        _opens, closes = round_window(cohort, phase)
        raise Conflict(gettext("The %(phase)s 360 round closed on %(date)s; nobody more can "
                               "be asked for it.", phase=phase, date=long_date(closes)))
    address = email.strip().lower()
    if address == enrolment.user.email:
        raise Invalid(gettext("Your own view goes in your self-assessment, not as a rater."),
                      errors={"email": [gettext("Must be someone else's address.")]})
    active = active_raters(cohort.id, participant_id, phase)
    if any(rater.email == address for rater in active):
        raise Conflict(gettext("%(email)s has already been asked for the %(phase)s round.",
                               email=address, phase=phase))
    if len(active) >= MAX_RATERS_PER_PHASE:
        raise Conflict(gettext("At most %(most)d raters can be asked for one round.",
                               most=MAX_RATERS_PER_PHASE))
    rater = FeedbackRater(cohort_id=cohort.id, participant_id=participant_id,
                          name=name.strip(), email=address, rater_group=group, phase=phase,
                          language=language,
                          nominated_by_id=nominated_by.id,
                          # a placeholder until the id the token is made from is known
                          token_digest=secrets.token_hex(32))
    db.session.add(rater)
    db.session.flush()
    rater.token_digest = tokens.digest_of(link_token(rater))
    outbox.queue_to_rater("feedback_invitation", rater, f"feedback_invitation:{rater.id}")
    record("feedback.nominate", rater, participant_id=participant_id, group=group, phase=phase,
           actor=nominated_by)
    return rater


def link_token(rater: FeedbackRater) -> str:
    """The token of a rater's link (worked out, never stored)."""
    return tokens.token_for(rater.id, rater.cohort_id, rater.participant_id, rater.phase)


def active_raters(cohort_id: int, participant_id: int, phase: str) -> list[FeedbackRater]:
    """The raters of a round whose invitation stands (not taken back, not withdrawn)."""
    return db.session.scalars(sa.select(FeedbackRater).where(
        FeedbackRater.cohort_id == cohort_id, FeedbackRater.participant_id == participant_id,
        FeedbackRater.phase == phase, FeedbackRater.revoked_at.is_(None),
        FeedbackRater.status != "withdrawn")).all()


def raters_of(cohort: Cohort, participant_id: int) -> list[FeedbackRater]:
    """Everyone asked about a participant of ``cohort``, by phase then when asked."""
    participant_in(cohort, participant_id)
    return db.session.scalars(
        sa.select(FeedbackRater).where(FeedbackRater.cohort_id == cohort.id,
                                       FeedbackRater.participant_id == participant_id)
        .order_by(FeedbackRater.phase.desc(), FeedbackRater.id)).all()


def rater_state(rater: FeedbackRater) -> str:
    """What the participant and tutor see of a rater: asked, started, answered, withdrawn,
    or taken back (never what they answered)."""
    if rater.revoked_at is not None:
        return "revoked"
    return {"invited": "invited", "draft": "started", "submitted": "answered",
            "withdrawn": "withdrawn"}[rater.status]


def rater_json(rater: FeedbackRater) -> dict[str, Any]:
    """A rater as the participant and their tutor see them."""
    return {"id": rater.id, "name": rater.name, "email": rater.email,
            "group": rater.rater_group, "phase": rater.phase, "language": rater.language,
            "status": rater_state(rater),
            "invited_at": rater.created_at}


def find_rater(cohort: Cohort, participant_id: int, rater_id: int) -> FeedbackRater:
    """One rater asked about this participant; NotFound for any other."""
    rater = db.session.get(FeedbackRater, rater_id)
    if (rater is None or rater.cohort_id != cohort.id
            or rater.participant_id != participant_id):
        raise NotFound(gettext("There is no rater with id %(id)s for this participant.",
                               id=rater_id))
    return rater


def revoke(cohort: Cohort, participant_id: int, rater_id: int, by: User) -> None:
    """Take an invitation back: the link stops working. Answers already given stay (only
    the rater can withdraw them), so nobody can change a group to see what one rater said."""
    rater = find_rater(cohort, participant_id, rater_id)
    if rater.status == "submitted":
        raise Conflict(gettext("This rater has already answered; their answers count now. "
                               "Only they can withdraw them, through their link."))
    if rater.revoked_at is None and rater.status != "withdrawn":
        rater.revoked_at = utcnow()
        rater.answers.clear()
        rater.comments.clear()
        record("feedback.revoke", rater, participant_id=participant_id, actor=by)


# --- the rater's link --------------------------------------------------------------------

def rater_by_token(token: str, today: dt.date | None = None) -> FeedbackRater:
    """The rater whose link this is, while it works; NotFound for no link, Gone for one
    taken back, withdrawn or past its round."""
    return working_link(link_owner(token), today)


def link_owner(token: str) -> FeedbackRater | None:
    """The rater a link was made for, whether or not it still works."""
    if not tokens.well_formed(token):
        return None
    return db.session.scalar(sa.select(FeedbackRater).where(
        FeedbackRater.token_digest == tokens.digest_of(token)))


def working_link(rater: FeedbackRater | None, today: dt.date | None = None) -> FeedbackRater:
    """``rater`` if their link works; NotFound for none, Gone for one taken back,
    withdrawn or past its round."""
    if rater is None:
        raise NotFound(gettext("There is no feedback request at this address; check the link "
                               "in your e-mail."))
    if rater.revoked_at is not None or rater.status == "withdrawn" or rater.email is None:
        raise Gone(str(LINK_ENDED))
    state = round_state(rater.cohort, rater.phase, today or dt.date.today())
    if state == "closed":
        _opens, closes = round_window(rater.cohort, rater.phase)
        raise Gone(gettext("This feedback round closed on %(date)s. Thank you.",
                           date=long_date(closes)))
    return rater


def asked_behaviours(rater: FeedbackRater) -> list[Behaviour]:
    """The behaviours that apply to the participant (by their organisation's sector)."""
    return behaviours_for_sector(sector_of(participant_in(rater.cohort, rater.participant_id)))


def rater_view(rater: FeedbackRater, today: dt.date | None = None) -> dict[str, Any]:
    """What a rater's link shows: whom it is about, the round, the questions and the answers
    so far (none once submitted: a forwarded link shows nobody what was said)."""
    today = today or dt.date.today()
    opens, closes = round_window(rater.cohort, rater.phase)
    behaviours = asked_behaviours(rater)
    submitted = rater.status == "submitted"
    return {
        "participant": rater.participant.display_name, "cohort": rater.cohort.name,
        "programme": rater.cohort.programme.name, "phase": rater.phase,
        "group": rater.rater_group, "group_title": str(GROUP_TITLES[rater.rater_group]),
        "status": rater.status, "opens_on": opens, "closes_on": closes,
        "open": round_state(rater.cohort, rater.phase, today) == "open",
        "anonymity": anonymity_note(rater),
        "scale": rater.cohort.programme.rating_scale,
        "behaviours": behaviours,
        "themes": themes_of(behaviours),
        "ratings": {} if submitted else answers_by_code(rater),
        "comments": {} if submitted else {c.theme.code: c.body for c in rater.comments},
    }


def themes_of(behaviours: list[Behaviour]) -> list[tuple[Theme, list[Behaviour]]]:
    """Behaviours grouped by theme, in the framework's order."""
    return [(theme, list(items)) for theme, items in groupby(behaviours, key=lambda b: b.theme)]


def anonymity_note(rater: FeedbackRater) -> str:
    """What the rater is told about who will see their answers."""
    minimum = rater.cohort.programme.feedback_min_group
    if rater.rater_group == "line_manager":
        return gettext("As their line manager, your answers are shown to them as the line "
                       "manager's when you are the only one: they are not anonymous.")
    return gettext("Your answers are combined with those of the others of your group they "
                   "asked (%(group)s), and shown only when at least %(minimum)d of you "
                   "answer. Nobody sees them as yours.",
                   group=GROUP_TITLES[rater.rater_group], minimum=minimum)


def answers_by_code(rater: FeedbackRater) -> dict[str, int | str]:
    """The rater's answers so far, by behaviour code."""
    return {answer.behaviour.code: NOT_OBSERVED if answer.value is None else answer.value
            for answer in rater.answers}


def check_open(rater: FeedbackRater, today: dt.date) -> None:
    """Conflict unless the rater's round is open and they have not submitted."""
    state = round_state(rater.cohort, rater.phase, today)
    if state != "open":
        opens, _closes = round_window(rater.cohort, rater.phase)
        raise Conflict(gettext("This feedback round opens on %(date)s.", date=long_date(opens))
                       if opens else gettext("This feedback round has no dates yet."))
    if rater.status == "submitted":
        raise Conflict(gettext("Your feedback is submitted; thank you. It can no longer be "
                               "changed."))


def parse_comments(raw: dict[str, Any], themes: dict[str, Theme]
                   ) -> tuple[dict[int, str], dict[str, list[str]]]:
    """Comments by theme id ("" removes one), and the problems by theme code."""
    comments: dict[int, str] = {}
    problems: dict[str, list[str]] = {}
    for code, text in raw.items():
        theme = themes.get(code.upper()) if isinstance(code, str) else None
        if theme is None:
            problems[str(code)[:40]] = [gettext("%(code)r is not a theme asked about",
                                                code=str(code)[:40])]
        elif not isinstance(text, str) or "\x00" in text:
            problems[code] = [gettext("must be text")]
        elif len(text.strip()) > MAX_COMMENT:
            problems[code] = [gettext("must be at most %(most)d characters",
                                      most=MAX_COMMENT)]
        else:
            comments[theme.id] = text.strip()
    return comments, problems


def save(rater: FeedbackRater, ratings: dict[str, Any], comments: dict[str, Any],
         today: dt.date | None = None) -> None:
    """Save any of a rater's answers and comments as a draft; nothing if any is wrong."""
    check_open(rater, today or dt.date.today())
    behaviours = asked_behaviours(rater)
    answers, problems = parse_answers(ratings, {b.code: b for b in behaviours},
                                      scale_values(rater.cohort.programme),
                                      no_point=NOT_OBSERVED)
    texts, comment_problems = parse_comments(comments, {t.code: t for t, _ in
                                                        themes_of(behaviours)})
    if problems or comment_problems:
        raise Invalid(gettext("Some answers cannot be saved; nothing was changed."),
                      errors={k: v for k, v in (("ratings", problems),
                                                ("comments", comment_problems)) if v})
    existing = {answer.behaviour_id: answer for answer in rater.answers}
    for behaviour_id, value in answers.items():
        if behaviour_id in existing:
            existing[behaviour_id].value = value
        else:
            rater.answers.append(FeedbackAnswer(behaviour_id=behaviour_id, value=value))
    written = {comment.theme_id: comment for comment in rater.comments}
    for theme_id, text in texts.items():
        if not text and theme_id in written:
            rater.comments.remove(written[theme_id])
        elif text and theme_id in written:
            written[theme_id].body = text
        elif text:
            rater.comments.append(FeedbackComment(theme_id=theme_id, body=text))
    rater.status, rater.updated_at = "draft", utcnow()
    db.session.flush()


def submit(rater: FeedbackRater, today: dt.date | None = None) -> None:
    """Submit a rater's answers once every behaviour has one (a point or not observed).

    One conditional UPDATE changes the status, so of two submissions at once one succeeds."""
    check_open(rater, today or dt.date.today())
    answered = {answer.behaviour_id for answer in rater.answers}
    missing = [b.code for b in asked_behaviours(rater) if b.id not in answered]
    if missing:
        raise Invalid(ngettext("Answer every behaviour first (%(num)d left), choosing “not "
                               "observed” where you have not seen it.",
                               "Answer every behaviour first (%(num)d left), choosing “not "
                               "observed” where you have not seen it.", len(missing)),
                      errors={"ratings": {"missing": missing}})
    now = utcnow()
    done = db.session.execute(
        sa.update(FeedbackRater)
        .where(FeedbackRater.id == rater.id, FeedbackRater.status != "submitted")
        .values(status="submitted", submitted_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise Conflict(gettext("Your feedback is already submitted."))
    db.session.refresh(rater)


def withdraw(rater: FeedbackRater, today: dt.date | None = None) -> None:
    """A rater takes back everything they gave (while the round is open): answers and
    comments are deleted, and the link stops working."""
    if round_state(rater.cohort, rater.phase, today or dt.date.today()) != "open":
        raise Conflict(gettext("Answers can be withdrawn only while the round is open."))
    rater.answers.clear()
    rater.comments.clear()
    rater.status, rater.updated_at = "withdrawn", utcnow()
    db.session.flush()


def submitted_raters(cohort_id: int, participant_id: int, phase: str) -> list[FeedbackRater]:
    """The raters of a round whose answers count, with their answers and comments."""
    return db.session.scalars(
        sa.select(FeedbackRater).where(
            FeedbackRater.cohort_id == cohort_id, FeedbackRater.participant_id == participant_id,
            FeedbackRater.phase == phase, FeedbackRater.status == "submitted")
        .options(selectinload(FeedbackRater.answers).joinedload(FeedbackAnswer.behaviour),
                 selectinload(FeedbackRater.comments).joinedload(FeedbackComment.theme))
        .order_by(FeedbackRater.id)).all()


# --- personal data ---------------------------------------------------------------------------

def forget_raters(raters: list[FeedbackRater]) -> None:
    """Remove the raters' names and addresses and the e-mails to them; invitations not yet
    answered are taken back. Submitted answers stay, anonymous, in the reports."""
    now = utcnow()
    for rater in raters:
        rater.name = rater.email = None
        if rater.status in ("invited", "draft") and rater.revoked_at is None:
            rater.revoked_at = now
            rater.answers.clear()
            rater.comments.clear()
    if raters:
        outbox.delete_rater_messages([rater.id for rater in raters])
    db.session.flush()


def erase_rater(email: str) -> int:
    """A rater's right to erasure: every request sent to ``email`` loses its name and
    address (their submitted answers stay, anonymous); how many requests there were."""
    raters = db.session.scalars(sa.select(FeedbackRater).where(
        FeedbackRater.email == email.strip().lower())).all()
    forget_raters(list(raters))
    if raters:
        record("feedback.rater_erased", None, requests=len(raters))
    return len(raters)


def erase_participant_raters(participant_id: int) -> None:
    """When a participant is erased: their raters' names and addresses go too."""
    forget_raters(list(db.session.scalars(sa.select(FeedbackRater).where(
        FeedbackRater.participant_id == participant_id))))
    db.session.execute(sa.update(FeedbackRater)
                       .where(FeedbackRater.nominated_by_id == participant_id)
                       .values(nominated_by_id=None))
