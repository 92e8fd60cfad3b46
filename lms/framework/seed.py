"""Load seeds/framework.yaml: read, validate, and upsert by natural keys.

The service flushes but never commits; the caller (the CLI) commits once, so a failure leaves
nothing half-written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from lms.core.db_types import utcnow
from lms.core.extensions import db
from lms.core.seeding import SeedError, SeedReport, Upserter, read_seed
from lms.framework.models import (
    Behaviour,
    ExternalFramework,
    ExternalHeading,
    ExternalIndicator,
    Framework,
    LeadershipLevel,
    Theme,
    ThemeLink,
    ThemeLinkQuote,
)
from lms.framework.seed_schema import FrameworkSeedFile

__all__ = ["SeedError", "SeedReport", "read_seed_file", "sync_framework"]


def read_seed_file(path: Path) -> dict[str, Any]:
    """Read and validate a framework seed file; raise SeedError naming every problem."""
    return read_seed(path, FrameworkSeedFile(), "framework, themes, …")


def sync_framework(data: dict[str, Any]) -> SeedReport:
    """Make the stored framework match a validated seed file; flush, do not commit."""
    report = SeedReport()
    up = Upserter(report)
    refuse_dropping_rated_rows(data)
    linked_before = linked_contents()
    framework = sync_framework_row(up, data["framework"])
    sync_leadership_levels(up, data["leadership_levels"])
    headings = sync_external_frameworks(up, data)
    db.session.flush()
    indicators = sync_indicators(up, data, headings)
    themes = sync_themes(up, framework, data["themes"])
    db.session.flush()
    sync_links(up, data["themes"], themes, headings, indicators)
    db.session.flush()
    remove_unused_external_rows(up, data)
    db.session.flush()
    date_the_changes(framework, report, linked_before)
    return report


def linked_contents() -> dict[str, tuple]:
    """Each linked framework's stored words: its title, publisher, headings and indicators."""
    contents: dict[str, list] = {}
    rows = db.session.execute(
        sa.select(ExternalFramework.code, ExternalFramework.title, ExternalFramework.publisher,
                  ExternalHeading.title, ExternalIndicator.statement)
        .outerjoin(ExternalHeading, ExternalHeading.external_framework_id == ExternalFramework.id)
        .outerjoin(ExternalIndicator, ExternalIndicator.heading_id == ExternalHeading.id))
    for code, *words in rows:
        contents.setdefault(code, []).append(tuple(words))
    return {code: tuple(sorted(words, key=repr)) for code, words in contents.items()}


def date_the_changes(framework: Framework, report: SeedReport,
                     linked_before: dict[str, tuple]) -> None:
    """Stamp the framework, and each linked framework whose words changed, with now: the
    time other systems are told it last changed."""
    now = utcnow()
    if report.changes:
        framework.changed_at = now
    changed = {code for code, words in linked_contents().items()
               if linked_before.get(code) != words}
    for linked in db.session.scalars(sa.select(ExternalFramework).where(
            ExternalFramework.code.in_(changed))):
        linked.changed_at = now
    db.session.flush()


def refuse_dropping_rated_rows(data: dict[str, Any]) -> None:
    """Themes, behaviours and levels carry people's data, so seeding never deletes them."""
    wanted = {
        "theme": {t["code"] for t in data["themes"]},
        "behaviour": {b["code"] for t in data["themes"] for b in t["behaviours"]},
        "leadership level": {level["code"] for level in data["leadership_levels"]},
    }
    stored = {
        "theme": set(db.session.scalars(sa.select(Theme.code))),
        "behaviour": set(db.session.scalars(sa.select(Behaviour.code))),
        "leadership level": set(db.session.scalars(sa.select(LeadershipLevel.code))),
    }
    problems = [
        f"the stored {kind} {code} is missing from the file; seeding never deletes a {kind}"
        for kind in wanted
        for code in sorted(stored[kind] - wanted[kind])
    ]
    if problems:
        raise SeedError("framework seed", problems)


def sync_framework_row(up: Upserter, values: dict[str, Any]) -> Framework:
    """Upsert the framework document by slug."""
    existing = db.session.scalar(sa.select(Framework).filter_by(slug=values["slug"]))
    return up.upsert(existing, Framework, "framework", **values)


def sync_leadership_levels(up: Upserter, levels: list[dict[str, Any]]) -> None:
    """Upsert leadership levels by code, positioned in file order."""
    stored = {row.code: row for row in db.session.scalars(sa.select(LeadershipLevel))}
    for position, level in enumerate(levels, start=1):
        up.upsert(stored.get(level["code"]), LeadershipLevel, "leadership levels",
                  position=position, **level)


HeadingKey = tuple[str, str]


def sync_external_frameworks(
    up: Upserter, data: dict[str, Any]
) -> dict[HeadingKey, ExternalHeading]:
    """Upsert external frameworks by code and the headings the links name."""
    stored = {row.code: row for row in db.session.scalars(sa.select(ExternalFramework))}
    frameworks = {}
    for position, values in enumerate(data["external_frameworks"], start=1):
        frameworks[values["code"]] = up.upsert(
            stored.get(values["code"]), ExternalFramework, "external frameworks",
            position=position, **values,
        )
    stored_headings = {
        (h.framework.code, h.title): h
        for h in db.session.scalars(sa.select(ExternalHeading).join(ExternalHeading.framework))
    }
    headings = {}
    for key in wanted_headings(data):
        headings[key] = up.upsert(
            stored_headings.get(key), ExternalHeading, "external headings",
            framework=frameworks[key[0]], title=key[1],
        )
    return headings


def wanted_headings(data: dict[str, Any]) -> list[HeadingKey]:
    """Every (framework code, heading title) the file's links name, first mention first."""
    keys = [(link["framework"], link["heading"]) for t in data["themes"] for link in t["links"]]
    return list(dict.fromkeys(keys))


def wanted_indicators(data: dict[str, Any]) -> list[tuple[HeadingKey, str]]:
    """Every (heading, statement) pair the file quotes, first mention first."""
    pairs = [
        ((link["framework"], link["heading"]), statement)
        for t in data["themes"]
        for link in t["links"]
        for statement in link["indicators"]
    ]
    return list(dict.fromkeys(pairs))


def sync_indicators(
    up: Upserter, data: dict[str, Any], headings: dict[HeadingKey, ExternalHeading]
) -> dict[tuple[HeadingKey, str], ExternalIndicator]:
    """Create the quoted indicator statements that are not stored yet."""
    stored = {
        ((i.heading.framework.code, i.heading.title), i.statement): i
        for i in db.session.scalars(
            sa.select(ExternalIndicator).join(ExternalIndicator.heading)
            .join(ExternalHeading.framework)
        )
    }
    return {
        key: up.upsert(stored.get(key), ExternalIndicator, "external indicators",
                       heading=headings[key[0]], statement=key[1])
        for key in wanted_indicators(data)
    }


def sync_themes(
    up: Upserter, framework: Framework, themes: list[dict[str, Any]]
) -> dict[str, Theme]:
    """Upsert themes and their behaviours by code."""
    stored_themes = {row.code: row for row in db.session.scalars(sa.select(Theme))}
    stored_behaviours = {row.code: row for row in db.session.scalars(sa.select(Behaviour))}
    result = {}
    for position, values in enumerate(themes, start=1):
        theme = up.upsert(
            stored_themes.get(values["code"]), Theme, "themes", framework=framework,
            position=position, code=values["code"], title=values["title"],
            tagline=values["tagline"], introduction=values["introduction"],
        )
        for b_position, behaviour in enumerate(values["behaviours"], start=1):
            up.upsert(stored_behaviours.get(behaviour["code"]), Behaviour, "behaviours",
                      theme=theme, position=b_position, **behaviour)
        result[values["code"]] = theme
    return result


def sync_links(
    up: Upserter,
    themes_data: list[dict[str, Any]],
    themes: dict[str, Theme],
    headings: dict[HeadingKey, ExternalHeading],
    indicators: dict[tuple[HeadingKey, str], ExternalIndicator],
) -> None:
    """Make each theme's links, and the statements each quotes, match the file."""
    stored = {
        (link.theme.code, link.heading.framework.code, link.heading.title): link
        for link in db.session.scalars(sa.select(ThemeLink))
    }
    wanted = set()
    for values in themes_data:
        for position, link_data in enumerate(values["links"], start=1):
            heading_key = (link_data["framework"], link_data["heading"])
            key = (values["code"], *heading_key)
            wanted.add(key)
            link = up.upsert(stored.get(key), ThemeLink, "theme links",
                             theme=themes[values["code"]], heading=headings[heading_key],
                             position=position)
            quoted = [indicators[(heading_key, s)] for s in link_data["indicators"]]
            sync_quotes(up, link, quoted)
    for key in stored.keys() - wanted:
        up.remove(stored[key], "theme links")


def sync_quotes(up: Upserter, link: ThemeLink, quoted: list[ExternalIndicator]) -> None:
    """Replace a link's quoted statements when they differ from the file's."""
    if [q.indicator for q in link.quotes] == quoted:
        return
    if link.quotes:
        up.report.updated["theme link quotes"] += 1
        link.quotes.clear()
        # The old rows must be gone before new ones reuse their (link, indicator) keys.
        db.session.flush()
    link.quotes.extend(
        ThemeLinkQuote(indicator=indicator, position=position)
        for position, indicator in enumerate(quoted, start=1)
    )


def remove_unused_external_rows(up: Upserter, data: dict[str, Any]) -> None:
    """Delete external frameworks, headings and indicators the file no longer mentions."""
    headings = set(wanted_headings(data))
    statements = set(wanted_indicators(data))
    for indicator in db.session.scalars(sa.select(ExternalIndicator)):
        key = ((indicator.heading.framework.code, indicator.heading.title), indicator.statement)
        if key not in statements:
            up.remove(indicator, "external indicators")
    for heading in db.session.scalars(sa.select(ExternalHeading)):
        if (heading.framework.code, heading.title) not in headings:
            up.remove(heading, "external headings")
    codes = {fw["code"] for fw in data["external_frameworks"]}
    for framework in db.session.scalars(sa.select(ExternalFramework)):
        if framework.code not in codes:
            up.remove(framework, "external frameworks")
