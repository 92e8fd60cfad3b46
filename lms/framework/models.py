"""The framework as stored: every row is keyed by a natural code from seeds/framework.yaml."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db_types import UTCDateTime, utcnow
from lms.core.extensions import db
from lms.core.i18n import register_welsh_source

#: Who a behaviour applies to: everyone, or only participants from commissioning or from
#: providing organisations (two DT behaviours are organisation-specific).
APPLIES_TO = ("all", "commissioning", "providing")


class Framework(db.Model):
    """The leadership framework document the programme is built on."""

    __tablename__ = "framework"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key, e.g. ``lehc``.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    #: The edition, as the document dates itself (``July 2012``).
    version: Mapped[str] = mapped_column(sa.String(32))
    #: Who wrote it and for whom: a citation a reader can follow.
    source: Mapped[str] = mapped_column(sa.Text)
    #: When the stored framework (its themes, behaviours or links) last changed: the
    #: ``lastChangeDateTime`` other systems see.
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    themes: Mapped[list[Theme]] = relationship(
        back_populates="framework", order_by="Theme.position", cascade="all, delete-orphan"
    )


class Theme(db.Model):
    """One of the framework's four themes."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(sa.ForeignKey("framework.id", ondelete="CASCADE"))
    #: Two-letter natural key: SI, FC, DT, FO.
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    tagline: Mapped[str] = mapped_column(sa.String(255))
    # The Welsh translation (seeds/framework.cy.yaml), where there is one: None means English.
    title_cy: Mapped[str | None] = mapped_column(sa.String(255))
    tagline_cy: Mapped[str | None] = mapped_column(sa.String(255))
    introduction: Mapped[str] = mapped_column(sa.Text)
    #: Order in which the framework introduces the theme, from 1.
    position: Mapped[int]

    framework: Mapped[Framework] = relationship(back_populates="themes")
    behaviours: Mapped[list[Behaviour]] = relationship(
        back_populates="theme", order_by="Behaviour.position"
    )
    links: Mapped[list[ThemeLink]] = relationship(
        back_populates="theme", order_by="ThemeLink.position", cascade="all, delete-orphan"
    )


class Behaviour(db.Model):
    """A key behaviour: one statement of the framework, the unit participants rate."""

    __tablename__ = "behaviour"
    __table_args__ = (
        sa.UniqueConstraint("theme_id", "position"),
        sa.CheckConstraint(
            "applies_to IN ('all', 'commissioning', 'providing')", name="applies_to"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: behaviours carry ratings, so a theme is never deleted from under them.
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="RESTRICT"))
    #: Natural key, theme code and source order: ``SI.1`` … ``FO.7``.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    #: The framework's own words, verbatim.
    statement: Mapped[str] = mapped_column(sa.Text)
    #: Its Welsh translation (seeds/framework.cy.yaml), where there is one.
    statement_cy: Mapped[str | None] = mapped_column(sa.Text)
    position: Mapped[int]
    applies_to: Mapped[str] = mapped_column(sa.String(16), default="all")

    theme: Mapped[Theme] = relationship(back_populates="behaviours")


class ExternalFramework(db.Model):
    """Another leadership framework the themes are mapped against."""

    __tablename__ = "external_framework"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key: ``hay-ccg``, ``nhs-lf``, ``lqf``.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    publisher: Mapped[str | None] = mapped_column(sa.String(255))
    #: The sub-heading the source document uses for links to it.
    link_label: Mapped[str | None] = mapped_column(sa.String(255))
    position: Mapped[int]
    #: When its stored headings or quoted indicators last changed.
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    headings: Mapped[list[ExternalHeading]] = relationship(
        back_populates="framework", cascade="all, delete-orphan"
    )


class ExternalHeading(db.Model):
    """A cluster or domain of an external framework (e.g. "Creating the vision")."""

    __tablename__ = "external_heading"
    __table_args__ = (sa.UniqueConstraint("external_framework_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    external_framework_id: Mapped[int] = mapped_column(
        sa.ForeignKey("external_framework.id", ondelete="CASCADE")
    )
    title: Mapped[str] = mapped_column(sa.String(255))

    framework: Mapped[ExternalFramework] = relationship(back_populates="headings")
    indicators: Mapped[list[ExternalIndicator]] = relationship(
        back_populates="heading", cascade="all, delete-orphan"
    )


class ExternalIndicator(db.Model):
    """An indicator statement of an external framework, quoted by the source document."""

    __tablename__ = "external_indicator"
    __table_args__ = (sa.UniqueConstraint("heading_id", "statement"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    heading_id: Mapped[int] = mapped_column(
        sa.ForeignKey("external_heading.id", ondelete="CASCADE")
    )
    statement: Mapped[str] = mapped_column(sa.Text)

    heading: Mapped[ExternalHeading] = relationship(back_populates="indicators")


class ThemeLink(db.Model):
    """A theme's link to a heading of an external framework, with the indicators it quotes."""

    __tablename__ = "theme_link"
    __table_args__ = (sa.UniqueConstraint("theme_id", "heading_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"))
    heading_id: Mapped[int] = mapped_column(
        sa.ForeignKey("external_heading.id", ondelete="CASCADE")
    )
    position: Mapped[int]

    theme: Mapped[Theme] = relationship(back_populates="links")
    heading: Mapped[ExternalHeading] = relationship()
    quotes: Mapped[list[ThemeLinkQuote]] = relationship(
        order_by="ThemeLinkQuote.position", cascade="all, delete-orphan"
    )

    @property
    def indicators(self) -> list[ExternalIndicator]:
        """The quoted indicator statements, in the source's order (may be empty)."""
        return [quote.indicator for quote in self.quotes]


class ThemeLinkQuote(db.Model):
    """One indicator statement quoted under a theme's link, in source order."""

    __tablename__ = "theme_link_quote"

    link_id: Mapped[int] = mapped_column(
        sa.ForeignKey("theme_link.id", ondelete="CASCADE"), primary_key=True
    )
    indicator_id: Mapped[int] = mapped_column(
        sa.ForeignKey("external_indicator.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int]

    indicator: Mapped[ExternalIndicator] = relationship()


class LeadershipLevel(db.Model):
    """Where a participant leads from: front-line staff, manager or senior leader."""

    __tablename__ = "leadership_level"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Natural key: ``front_line``, ``manager``, ``senior_leader``.
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    position: Mapped[int]


def welsh_words() -> dict[str, str]:
    """The Welsh of the themes' titles and taglines and of the behaviours, by their English
    (three queries)."""
    found: dict[str, str] = {}
    for english, welsh in ((Theme.title, Theme.title_cy), (Theme.tagline, Theme.tagline_cy),
                           (Behaviour.statement, Behaviour.statement_cy)):
        found.update(db.session.execute(sa.select(english, welsh)
                                        .where(welsh.is_not(None))).all())
    return found


register_welsh_source(welsh_words)
