"""Reading the framework: each function runs a fixed number of queries, whatever the size."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from lms.core.errors import NotFound
from lms.core.extensions import db
from lms.framework.models import (
    Behaviour,
    ExternalFramework,
    ExternalHeading,
    Framework,
    LeadershipLevel,
    Theme,
    ThemeLink,
    ThemeLinkQuote,
)

NOT_LOADED = _l("No framework is loaded yet; an administrator loads it with `flask lms seed`.")


def theme_loading_options():
    """Eager loads for a theme's behaviours and links (one SELECT per relationship level)."""
    return (
        selectinload(Theme.behaviours).joinedload(Behaviour.theme),
        selectinload(Theme.links)
        .joinedload(ThemeLink.heading)
        .joinedload(ExternalHeading.framework),
        selectinload(Theme.links).selectinload(ThemeLink.quotes)
        .joinedload(ThemeLinkQuote.indicator),
    )


def get_framework() -> dict:
    """The framework with its themes, behaviours, links, levels and linked frameworks."""
    framework = db.session.scalar(
        sa.select(Framework).options(
            selectinload(Framework.themes).options(*theme_loading_options())
        ).order_by(Framework.id).limit(1)
    )
    if framework is None:
        raise NotFound(str(NOT_LOADED))
    return {
        "slug": framework.slug,
        "title": framework.title,
        "version": framework.version,
        "source": framework.source,
        "themes": framework.themes,
        "leadership_levels": db.session.scalars(
            sa.select(LeadershipLevel).order_by(LeadershipLevel.position)
        ).all(),
        "external_frameworks": db.session.scalars(
            sa.select(ExternalFramework).order_by(ExternalFramework.position)
        ).all(),
    }


def list_themes() -> list[Theme]:
    """Every theme in the framework's order."""
    return db.session.scalars(
        sa.select(Theme).options(*theme_loading_options()).order_by(Theme.position)
    ).all()


def get_theme(code: str) -> Theme:
    """One theme by its code (any case), or NotFound."""
    theme = db.session.scalar(
        sa.select(Theme).options(*theme_loading_options()).filter_by(code=code.upper())
    )
    if theme is None:
        raise NotFound(gettext("There is no theme with the code %(code)s.", code=repr(code)))
    return theme


def list_behaviours(theme: str | None = None, applies_to: str | None = None) -> list[Behaviour]:
    """Behaviours in framework order, optionally of one theme and for one kind of organisation.

    ``applies_to`` keeps the behaviours for everyone plus those for that kind of organisation,
    which is what a participant from such an organisation is asked to rate.
    """
    query = (
        sa.select(Behaviour).join(Behaviour.theme).options(joinedload(Behaviour.theme))
        .order_by(Theme.position, Behaviour.position)
    )
    if theme is not None:
        theme_code = theme.upper()
        if db.session.scalar(sa.select(Theme.id).filter_by(code=theme_code)) is None:
            known = ", ".join(db.session.scalars(sa.select(Theme.code).order_by(Theme.position)))
            # 404 like /themes/<code>: the filter names a theme that does not exist.
            raise NotFound(
                gettext("There is no theme with the code %(code)s.", code=repr(theme)),
                errors={"query": {"theme": [gettext("Unknown theme %(code)s; known: %(known)s.",
                                                    code=repr(theme), known=known)]}},
            )
        query = query.where(Theme.code == theme_code)
    if applies_to is not None:
        query = query.where(Behaviour.applies_to.in_({"all", applies_to}))
    return db.session.scalars(query).all()


def get_behaviour(code: str) -> Behaviour:
    """One behaviour by its code (any case), or NotFound."""
    behaviour = db.session.scalar(
        sa.select(Behaviour).options(joinedload(Behaviour.theme)).filter_by(code=code.upper())
    )
    if behaviour is None:
        raise NotFound(gettext("There is no behaviour with the code %(code)s.",
                               code=repr(code)))
    return behaviour
