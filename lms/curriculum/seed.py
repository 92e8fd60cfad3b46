"""Storing the module files: upsert by slug and activity key; retire, never delete.

Loading twice changes nothing; an edited text is updated in place; an activity removed from
its file (or a module whose file is gone) is retired, and nobody's completion record is ever
deleted. The service flushes; the caller commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from lms.core.db_types import utcnow
from lms.core.extensions import db
from lms.core.seeding import SeedError, SeedReport, Upserter
from lms.curriculum.models import Activity, Module
from lms.curriculum.rendering import render_markdown
from lms.framework.models import Behaviour, Theme


def reference_problems(modules: list[dict[str, Any]], themes: dict[str, Theme],
                       behaviours: dict[str, Behaviour]) -> list[str]:
    """Theme and behaviour codes must name the loaded framework's."""
    problems = []
    for module in modules:
        if module["theme"] is not None and module["theme"] not in themes:
            known = ", ".join(themes) or "none loaded (run flask lms seed)"
            problems.append(f"{module['file']}: theme: unknown theme {module['theme']!r}; "
                            f"known: {known}")
        unknown = [code for code in module["behaviours"] if code not in behaviours]
        if unknown:
            problems.append(f"{module['file']}: behaviours: unknown behaviour codes "
                            f"{', '.join(unknown)}")
    return problems


def sync_modules(modules: list[dict[str, Any]], source: str = "modules") -> SeedReport:
    """Make the stored modules match the files; flush, do not commit."""
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    behaviours = {b.code: b for b in db.session.scalars(sa.select(Behaviour))}
    problems = reference_problems(modules, themes, behaviours)
    if problems:
        raise SeedError(source, problems)
    report = SeedReport()
    up = Upserter(report)
    stored = {m.slug: m for m in db.session.scalars(
        sa.select(Module).options(selectinload(Module.activities),
                                  selectinload(Module.behaviours)))}
    for values in modules:
        module = sync_module(up, stored.get(values["slug"]), values, themes, behaviours)
        sync_activities(up, module, values["activities"],
                        (values.get("welsh") or {}).get("activities"))
    retire_missing_modules(report, stored, {m["slug"] for m in modules})
    db.session.flush()
    return report


def sync_module(up: Upserter, existing: Module | None, values: dict[str, Any],
                themes: dict[str, Theme], behaviours: dict[str, Behaviour]) -> Module:
    """Upsert one module and the behaviours it develops."""
    welsh = values.get("welsh") or {}
    module = up.upsert(
        existing, Module, "modules", slug=values["slug"], title=values["title"],
        theme=themes.get(values["theme"]) if values["theme"] else None,
        position=values["position"], summary=values["summary"], hours=values["hours"],
        introduction=values["introduction"],
        introduction_html=render_markdown(values["introduction"]), retired_at=None,
        title_cy=welsh.get("title"), summary_cy=welsh.get("summary"),
        introduction_html_cy=render_markdown(welsh["introduction"]) if welsh else None,
    )
    wanted = [behaviours[code] for code in values["behaviours"]]
    if existing is None or {b.code for b in module.behaviours} != set(values["behaviours"]):
        if existing is not None:
            up.report.updated["module behaviours"] += 1
        module.behaviours = wanted
    return module


def sync_activities(up: Upserter, module: Module, activities: list[dict[str, Any]],
                    welsh: dict[str, dict[str, str]] | None = None) -> None:
    """Upsert a module's activities by key (with their Welsh words, where the Welsh edition
    has them); retire the ones its file no longer has."""
    stored = {a.key: a for a in module.activities} if module.id else {}
    for position, values in enumerate(activities, start=1):
        cy = (welsh or {}).get(values["key"]) or {}
        up.upsert(stored.get(values["key"]), Activity, "activities", module=module,
                  key=values["key"], kind=values["kind"], title=values["title"],
                  required=values["required"], position=position, text=values["text"],
                  text_html=render_markdown(values["text"]), retired_at=None,
                  title_cy=cy.get("title"),
                  text_html_cy=render_markdown(cy["text"]) if cy else None)
    wanted = {values["key"] for values in activities}
    for key, activity in stored.items():
        if key not in wanted and activity.retired_at is None:
            activity.retired_at = utcnow()
            up.report.removed["activities (retired)"] += 1


def retire_missing_modules(report: SeedReport, stored: dict[str, Module],
                           present: set[str]) -> None:
    """A module whose file is gone is retired, with its records kept."""
    for slug, module in stored.items():
        if slug not in present and module.retired_at is None:
            module.retired_at = utcnow()
            report.removed["modules (retired)"] += 1
