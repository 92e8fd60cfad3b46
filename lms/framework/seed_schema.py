"""The marshmallow schema of seeds/framework.yaml, with the cross-references checked."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.framework.models import APPLIES_TO

NON_EMPTY = validate.Length(min=1)
THEME_CODE = validate.Regexp(r"^[A-Z]{2,4}$", error="must be 2 to 4 capital letters, e.g. SI")
SLUG = validate.Regexp(r"^[a-z0-9][a-z0-9_-]*$", error="must be lowercase letters, digits, - or _")


class FrameworkSeed(Schema):
    """The framework document itself."""

    slug = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=NON_EMPTY)
    version = fields.String(required=True, validate=NON_EMPTY)
    source = fields.String(required=True, validate=NON_EMPTY)


class LeadershipLevelSeed(Schema):
    """A level of the framework's distributed leadership."""

    code = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=NON_EMPTY)


class ExternalFrameworkSeed(Schema):
    """A framework the themes link to."""

    code = fields.String(required=True, validate=SLUG)
    title = fields.String(required=True, validate=NON_EMPTY)
    publisher = fields.String(load_default=None, validate=NON_EMPTY)
    link_label = fields.String(load_default=None, validate=NON_EMPTY)


class BehaviourSeed(Schema):
    """A key behaviour, coded by theme and source order."""

    code = fields.String(required=True, validate=NON_EMPTY)
    statement = fields.String(required=True, validate=NON_EMPTY)
    applies_to = fields.String(load_default="all", validate=validate.OneOf(APPLIES_TO))


class LinkSeed(Schema):
    """A theme's link to a heading of another framework, with the statements it quotes."""

    framework = fields.String(required=True, validate=SLUG)
    heading = fields.String(required=True, validate=NON_EMPTY)
    indicators = fields.List(fields.String(validate=NON_EMPTY), load_default=list)


class ThemeSeed(Schema):
    """A theme with its behaviours and links."""

    code = fields.String(required=True, validate=THEME_CODE)
    title = fields.String(required=True, validate=NON_EMPTY)
    tagline = fields.String(required=True, validate=NON_EMPTY)
    introduction = fields.String(required=True, validate=NON_EMPTY)
    behaviours = fields.List(fields.Nested(BehaviourSeed), required=True, validate=NON_EMPTY)
    links = fields.List(fields.Nested(LinkSeed), load_default=list)


class FrameworkSeedFile(Schema):
    """The whole seed file."""

    framework = fields.Nested(FrameworkSeed, required=True)
    leadership_levels = fields.List(
        fields.Nested(LeadershipLevelSeed), required=True, validate=NON_EMPTY
    )
    external_frameworks = fields.List(fields.Nested(ExternalFrameworkSeed), load_default=list)
    themes = fields.List(fields.Nested(ThemeSeed), required=True, validate=NON_EMPTY)

    @validates_schema
    def check_references(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Check codes are unique, behaviours numbered in order, and links name a framework."""
        errors: dict[str, Any] = {}
        for problem in (
            duplicates(data.get("leadership_levels", []), "code", "leadership_levels"),
            duplicates(data.get("external_frameworks", []), "code", "external_frameworks"),
            duplicates(data.get("themes", []), "code", "themes"),
            behaviour_code_problems(data.get("themes", [])),
            link_problems(data.get("themes", []), data.get("external_frameworks", [])),
        ):
            merge(errors, problem)
        if errors:
            raise ValidationError(errors)


def duplicates(items: list[dict[str, Any]], key: str, where: str) -> dict[str, Any]:
    """Name every item whose ``key`` repeats an earlier one."""
    seen: set[str] = set()
    problems: dict[int, Any] = {}
    for index, item in enumerate(items):
        if item[key] in seen:
            problems[index] = {key: [f"duplicate {key} {item[key]!r}"]}
        seen.add(item[key])
    return {where: problems} if problems else {}


def behaviour_code_problems(themes: list[dict[str, Any]]) -> dict[str, Any]:
    """Behaviour codes must read THEME.N, N counting 1, 2, 3… in order, unique overall."""
    counts = Counter(b["code"] for theme in themes for b in theme["behaviours"])
    problems: dict[int, Any] = {}
    for t_index, theme in enumerate(themes):
        for b_index, behaviour in enumerate(theme["behaviours"]):
            expected = f"{theme['code']}.{b_index + 1}"
            message = None
            if not re.fullmatch(rf"{re.escape(theme['code'])}\.\d+", behaviour["code"]):
                message = f"must be {expected}: the theme code, a dot, and the position"
            elif behaviour["code"] != expected:
                message = f"must be {expected}: behaviours are numbered in order from 1"
            elif counts[behaviour["code"]] > 1:
                message = f"duplicate behaviour code {behaviour['code']!r}"
            if message:
                problems.setdefault(t_index, {"behaviours": {}})["behaviours"][b_index] = {
                    "code": [message]
                }
    return {"themes": problems} if problems else {}


def link_problems(
    themes: list[dict[str, Any]], external_frameworks: list[dict[str, Any]]
) -> dict[str, Any]:
    """Each link names a declared framework, once per heading, without repeated quotes."""
    known = {fw["code"] for fw in external_frameworks}
    problems: dict[int, Any] = {}
    for t_index, theme in enumerate(themes):
        seen: set[tuple[str, str]] = set()
        for l_index, link in enumerate(theme["links"]):
            field, message = link_problem(link, known, seen)
            seen.add((link["framework"], link["heading"]))
            if message:
                problems.setdefault(t_index, {"links": {}})["links"][l_index] = {
                    field: [message]
                }
    return {"themes": problems} if problems else {}


def link_problem(
    link: dict[str, Any], known: set[str], seen: set[tuple[str, str]]
) -> tuple[str, str | None]:
    """The field and the reason one link is wrong, or a None reason if it is right."""
    if link["framework"] not in known:
        listed = ", ".join(sorted(known)) or "none"
        return "framework", f"unknown framework {link['framework']!r}; declared: {listed}"
    if (link["framework"], link["heading"]) in seen:
        return "heading", f"the heading {link['heading']!r} is linked twice in this theme"
    if len(set(link["indicators"])) != len(link["indicators"]):
        return "indicators", "an indicator statement is repeated"
    return "", None


def merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Deep-merge nested error dictionaries."""
    for key, value in source.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = value
