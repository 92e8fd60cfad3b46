"""The rules of access, in one place every route uses.

- a participant sees and changes only their own data;
- a tutor sees the individuals of the cohorts they tutor, nothing of other cohorts;
- a sponsor sees aggregated results of what they sponsor, never an individual record;
- an admin manages everything.

Object-level checks answer 404 for what the caller may not know exists (a cohort they have
no part in looks exactly like one that does not exist), and 403 for what they may know of but
not do (a participant asking for their own cohort's roster).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import has_request_context, request
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lms.accounts.models import User
from lms.audit.service import record_at_end
from lms.cohorts.models import Cohort, Enrolment, Programme, Sponsorship
from lms.core.errors import Forbidden, NotFound
from lms.core.extensions import db

#: What each relation to a cohort may do with it.
COHORT_ACTIONS: dict[str, frozenset[str]] = {
    # name, dates, status, head counts
    "view": frozenset({"admin", "tutor", "participant", "sponsor"}),
    # the people in it: roster, progress, ratings of individuals
    "individuals": frozenset({"admin", "tutor"}),
    # change it: dates, enrolments, roster import
    "manage": frozenset({"admin"}),
}
PROGRAMME_ACTIONS: dict[str, frozenset[str]] = {
    "view": frozenset({"admin", "tutor", "participant", "sponsor"}),
    "manage": frozenset({"admin"}),
}


def sponsored_cohort_ids(user: User) -> sa.Select:
    """Ids of the cohorts a sponsor sponsors, directly or through the whole programme."""
    direct = sa.select(Sponsorship.cohort_id).where(
        Sponsorship.user_id == user.id, Sponsorship.cohort_id.is_not(None)
    )
    via_programme = sa.select(Cohort.id).join(
        Sponsorship, Sponsorship.programme_id == Cohort.programme_id
    ).where(Sponsorship.user_id == user.id)
    return sa.union(direct, via_programme)


def visible_cohort_ids(user: User) -> sa.Select | None:
    """Ids of the cohorts ``user`` has any part in; None means every cohort (admins)."""
    if user.role == "admin":
        return None
    if user.role == "sponsor":
        return sponsored_cohort_ids(user)
    return sa.select(Enrolment.cohort_id).where(Enrolment.user_id == user.id)


def visible_cohorts(user: User) -> sa.Select:
    """A query for the cohorts ``user`` may see, newest first."""
    query = sa.select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc())
    ids = visible_cohort_ids(user)
    return query if ids is None else query.where(Cohort.id.in_(ids))


def relation_to_cohort(user: User, cohort: Cohort) -> str | None:
    """How ``user`` stands to ``cohort``: admin, tutor, participant, sponsor, or None."""
    if user.role == "admin":
        return "admin"
    enrolment_role = db.session.scalar(
        sa.select(Enrolment.role).filter_by(cohort_id=cohort.id, user_id=user.id)
    )
    if enrolment_role is not None:
        return enrolment_role
    if user.role == "sponsor":
        sponsored = db.session.scalar(sa.select(sa.exists().where(
            Cohort.id == cohort.id, Cohort.id.in_(sponsored_cohort_ids(user))
        )))
        return "sponsor" if sponsored else None
    return None


#: Who someone is to a cohort, as a refusal names it.
RELATION_WORDS = {"admin": _l("administrator"), "tutor": _l("tutor"), "sponsor": _l("sponsor"),
                  "participant": _l("participant")}


def cohort_for(user: User, cohort_id: int, action: str = "view") -> Cohort:
    """The cohort if ``user`` may do ``action`` with it; NotFound or Forbidden otherwise."""
    cohort = db.session.get(Cohort, cohort_id)
    relation = relation_to_cohort(user, cohort) if cohort is not None else None
    if relation is None:
        raise NotFound(gettext("There is no cohort with id %(id)s.", id=cohort_id))
    if relation not in COHORT_ACTIONS[action]:
        raise Forbidden(gettext("As a %(relation)s of this cohort you may not see or change "
                                "that.", relation=RELATION_WORDS.get(relation, relation)))
    return cohort


def visible_programme_ids(user: User) -> sa.Select | None:
    """Ids of the programmes ``user`` has a part in; None means all (admins)."""
    if user.role == "admin":
        return None
    direct = sa.select(Sponsorship.programme_id).where(
        Sponsorship.user_id == user.id, Sponsorship.programme_id.is_not(None)
    )
    cohort_ids = visible_cohort_ids(user)
    through_cohorts = sa.select(Cohort.programme_id).where(Cohort.id.in_(cohort_ids))
    return sa.union(direct, through_cohorts)


def visible_programmes(user: User) -> sa.Select:
    """The programmes ``user`` has a part in, by id: for the API's list and the pages."""
    query = sa.select(Programme).order_by(Programme.id)
    ids = visible_programme_ids(user)
    return query if ids is None else query.where(Programme.id.in_(ids))


def programme_for(user: User, programme_id: int, action: str = "view") -> Programme:
    """The programme if ``user`` may do ``action`` with it; NotFound or Forbidden otherwise."""
    programme = db.session.get(Programme, programme_id)
    ids = visible_programme_ids(user)
    visible = programme is not None and (
        ids is None or db.session.scalar(sa.select(sa.exists().where(
            Programme.id == programme_id, Programme.id.in_(ids)
        )))
    )
    if not visible:
        raise NotFound(gettext("There is no programme with id %(id)s.", id=programme_id))
    if user.role not in PROGRAMME_ACTIONS[action]:
        raise Forbidden(gettext("Only an administrator may change the programme."))
    return programme


def outcomes_protected(user: User, cohort: Cohort) -> bool:
    """Whether ``user`` sees a cohort's outcomes under disclosure control.

    Tutors (of that cohort) and administrators see them whole; sponsors see them protected;
    participants see only their own profile (/me/outcomes), so they are refused here.
    """
    relation = relation_to_cohort(user, cohort)
    if relation is None:
        raise NotFound(gettext("There is no cohort with id %(id)s.", id=cohort.id))
    if relation == "participant":
        raise Forbidden(gettext("Participants see their own outcomes at /api/v1/me/outcomes."))
    if relation == "sponsor":
        note_sponsor_question(cohort.programme_id, [cohort.id])
    return relation == "sponsor"


def outcome_cohorts(user: User, programme: Programme,
                    requested: list[int] | None) -> tuple[list[Cohort], bool]:
    """The cohorts of a programme ``user`` may see outcomes for, and whether protected.

    Administrators: every cohort; tutors: the cohorts they tutor (unprotected); sponsors: what
    they sponsor (protected). ``requested`` narrows the scope; a cohort outside it is a 404.
    """
    if user.role == "participant":
        raise Forbidden(gettext("Participants see their own outcomes at /api/v1/me/outcomes."))
    query = sa.select(Cohort).where(Cohort.programme_id == programme.id).order_by(Cohort.id)
    if user.role == "tutor":
        query = query.where(Cohort.id.in_(sa.select(Enrolment.cohort_id).where(
            Enrolment.user_id == user.id, Enrolment.role == "tutor")))
    elif user.role == "sponsor":
        query = query.where(Cohort.id.in_(sponsored_cohort_ids(user)))
    allowed = {cohort.id: cohort for cohort in db.session.scalars(query)}
    if requested:
        unknown = [cid for cid in requested if cid not in allowed]
        if unknown:
            raise NotFound(gettext("There is no cohort with id %(id)s in this programme.",
                                   id=unknown[0]))
        chosen = [allowed[cid] for cid in dict.fromkeys(requested)]
    else:
        chosen = list(allowed.values())
    if user.role == "sponsor":
        note_sponsor_question(programme.id, [cohort.id for cohort in chosen])
    return chosen, user.role == "sponsor"


def note_sponsor_question(programme_id: int, cohort_ids: list[int]) -> None:
    """Audit a sponsor's question about outcomes: who, which scope, what they asked (the
    path and query), when; once per request (a page asks for its scope more than once)."""
    if not has_request_context() or request.environ.get("lms.sponsor_question_noted"):
        return
    request.environ["lms.sponsor_question_noted"] = True
    record_at_end("outcomes.question", programme_id=programme_id, cohort_ids=cohort_ids,
                  question=request.full_path[:500])
