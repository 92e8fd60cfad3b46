"""The framework in Welsh: seeds/framework.cy.yaml, a translation kept apart from the
framework's own words (seeds/framework.yaml), so that it can be reviewed on its own and the
English is never edited to make it.

The file maps codes to Welsh words::

    themes:
      SI: {title: "Bwriad strategol", tagline: "Gweld y darlun cyfan"}
    behaviours:
      SI.1: "…"

A theme or behaviour the file leaves out stays English only (the pages mark it so); a code the
framework does not have is refused, naming the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate

from lms.core.extensions import db
from lms.core.seeding import SeedError, SeedReport, read_seed
from lms.framework.models import Behaviour, Theme

WORDS = validate.Length(min=1, max=2000)


class WelshTheme(Schema):
    """A theme's Welsh title and tagline."""

    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    tagline = fields.String(load_default=None, validate=validate.Length(min=1, max=255))


class WelshFramework(Schema):
    """The whole file: themes and behaviours by code, each optional."""

    themes = fields.Dict(keys=fields.String(), values=fields.Nested(WelshTheme),
                         load_default=dict)
    behaviours = fields.Dict(keys=fields.String(), values=fields.String(validate=WORDS),
                             load_default=dict)


def read_welsh_file(path: Path) -> dict[str, Any]:
    """Read and check a Welsh translation file; SeedError naming every problem."""
    return read_seed(path, WelshFramework(), "themes, behaviours")


def sync_welsh(data: dict[str, Any], source: str = "framework.cy.yaml") -> SeedReport:
    """Give the stored themes and behaviours their Welsh words (None where the file has
    none); flush, do not commit. Run after the English framework is synced."""
    themes = {t.code: t for t in db.session.scalars(sa.select(Theme))}
    behaviours = {b.code: b for b in db.session.scalars(sa.select(Behaviour))}
    problems = [f"themes: {code}: the framework has no such theme"
                for code in data["themes"] if code not in themes]
    problems += [f"behaviours: {code}: the framework has no such behaviour"
                 for code in data["behaviours"] if code not in behaviours]
    if problems:
        raise SeedError(source, problems)
    report = SeedReport()
    for code, theme in themes.items():
        words = data["themes"].get(code) or {}
        if (theme.title_cy, theme.tagline_cy) != (words.get("title"), words.get("tagline")):
            theme.title_cy, theme.tagline_cy = words.get("title"), words.get("tagline")
            report.updated["Welsh theme titles"] += 1
    for code, behaviour in behaviours.items():
        welsh = data["behaviours"].get(code)
        if behaviour.statement_cy != welsh:
            behaviour.statement_cy = welsh
            report.updated["Welsh statements"] += 1
    db.session.flush()
    return report
