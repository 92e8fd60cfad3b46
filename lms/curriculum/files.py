"""Reading modules/*.md: YAML front matter, an introduction, and one section per activity.

A module file looks like::

    ---
    slug: strategic-intent
    title: "Strategic intent: seeing the whole picture"
    theme: SI            # or null for programme-wide modules
    position: 2
    summary: ...
    behaviours: [SI.1, SI.2]
    hours: 6
    activities:
      - {key: wider-determinants, kind: read, title: ..., required: true}
    ---
    The module's introduction, in Markdown.

    ## wider-determinants

    The activity's text, in Markdown (use ### and below for headings inside it).

Everything is checked before anything is written; problems name the file, the field and why.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.core.seeding import SeedError, describe_yaml_error, flatten_errors, load_yaml
from lms.curriculum.models import ACTIVITY_KINDS

KEY = validate.Regexp(r"^[a-z0-9][a-z0-9-]*$", error="must be lowercase letters, digits and -")
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n(.*))?\Z", re.S)
SECTION = re.compile(r"^##[ \t]+(\S+)[ \t]*$", re.M)
MAX_TEXT = 50_000


class ActivityFile(Schema):
    """An activity as declared in the front matter."""

    key = fields.String(required=True, validate=[KEY, validate.Length(max=64)])
    kind = fields.String(required=True, validate=validate.OneOf(ACTIVITY_KINDS))
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    required = fields.Boolean(load_default=True)


class ModuleFile(Schema):
    """A module's front matter."""

    slug = fields.String(required=True, validate=[KEY, validate.Length(max=64)])
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    theme = fields.String(required=True, allow_none=True, validate=validate.Length(max=8))
    position = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    behaviours = fields.List(fields.String(), required=True)
    hours = fields.Float(required=True, validate=validate.Range(min=0.5, max=200))
    activities = fields.List(fields.Nested(ActivityFile), required=True,
                             validate=validate.Length(min=1))

    @validates_schema
    def check_keys(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Activity keys and behaviour codes are not repeated within a module."""
        for name, values in (("activities", [a["key"] for a in data["activities"]]),
                             ("behaviours", data["behaviours"])):
            repeated = sorted(v for v, n in Counter(values).items() if n > 1)
            if repeated:
                raise ValidationError(f"repeated: {', '.join(repeated)}", field_name=name)


def split_front_matter(text: str) -> tuple[str, str]:
    """The YAML front matter and the Markdown body of a module file."""
    match = FRONT_MATTER.match(text)
    if match is None:
        raise ValueError("the file must start with YAML front matter between two '---' lines")
    return match.group(1), match.group(2) or ""


def split_sections(body: str) -> tuple[str, list[tuple[str, str]]]:
    """The introduction, and each ``## key`` section with its text, in order."""
    parts = SECTION.split(body)
    introduction = parts[0].strip()
    return introduction, [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts), 2)]


def section_problems(activities: list[dict[str, Any]],
                     sections: list[tuple[str, str]]) -> list[str]:
    """Every activity has exactly one section; every section belongs to an activity."""
    keys = [activity["key"] for activity in activities]
    found = Counter(key for key, _text in sections)
    problems = [f"activities: {key!r} has no '## {key}' section" for key in keys
                if key not in found]
    problems += [f"body: the section '## {key}' is not an activity of this module"
                 for key in found if key not in keys]
    problems += [f"body: the section '## {key}' appears {n} times" for key, n in found.items()
                 if n > 1 and key in keys]
    problems += [f"body: the section '## {key}' is longer than {MAX_TEXT} characters"
                 for key, text in sections if len(text) > MAX_TEXT]
    return problems


def read_front_matter(path: Path, source: str) -> tuple[dict[str, Any], str]:
    """A module file's front matter (a mapping) and its Markdown body; SeedError naming
    ``source`` otherwise."""
    try:
        front, body = split_front_matter(path.read_text(encoding="utf-8"))
        raw = load_yaml(front)
    except UnicodeDecodeError as exc:
        raise SeedError(source, [f"not UTF-8 text (byte {exc.start})"]) from None
    except ValueError as exc:
        raise SeedError(source, [str(exc)]) from None
    except yaml.YAMLError as exc:
        raise SeedError(source, [f"front matter is not valid YAML: "
                                 f"{describe_yaml_error(exc)}"]) from None
    if not isinstance(raw, dict):
        raise SeedError(source, ["the front matter must be a mapping (slug, title, …)"])
    return raw, body


def read_module_file(path: Path) -> dict[str, Any]:
    """One module file as data; SeedError naming the file, field and reason otherwise."""
    raw, body = read_front_matter(path, path.name)
    try:
        module = ModuleFile().load(raw)
    except ValidationError as exc:
        raise SeedError(path.name, flatten_errors(exc.messages)) from None
    introduction, sections = split_sections(body)
    problems = section_problems(module["activities"], sections)
    if problems:
        raise SeedError(path.name, problems)
    texts = dict(sections)
    for activity in module["activities"]:
        activity["text"] = texts[activity["key"]]
    module["introduction"] = introduction
    module["file"] = path.name
    return module


def read_module_directory(directory: Path) -> list[dict[str, Any]]:
    """Every ``*.md`` module file of a folder (README.md aside), checked together.

    Raises SeedError listing the problems of every file, so one run shows them all.
    """
    if not directory.is_dir():
        raise SeedError(str(directory), ["not a folder"])
    modules, problems = [], []
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        try:
            modules.append(read_module_file(path))
        except SeedError as exc:
            problems += [f"{exc.source}: {problem}" for problem in exc.problems]
    problems += cross_file_problems(modules)
    if problems:
        raise SeedError(str(directory), problems)
    if not modules:
        raise SeedError(str(directory), ["no module files (*.md) found"])
    add_welsh_editions(modules, directory)
    return modules


def cross_file_problems(modules: list[dict[str, Any]]) -> list[str]:
    """Slugs and positions must be unique across the folder."""
    problems = []
    for field in ("slug", "position"):
        seen: dict[Any, str] = {}
        for module in modules:
            value = module[field]
            if value in seen:
                problems.append(f"{module['file']}: {field}: {value!r} is also used by "
                                f"{seen[value]}")
            seen.setdefault(value, module["file"])
    return problems


# --- Welsh editions: modules/cy/<the same file name> ------------------------------------------

class WelshActivityFile(Schema):
    """An activity's Welsh title, by the key of the English edition's activity."""

    key = fields.String(required=True, validate=[KEY, validate.Length(max=64)])
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))


class WelshModuleFile(Schema):
    """A Welsh edition's front matter: only the words (dates, behaviours and hours are the
    English edition's)."""

    slug = fields.String(required=True, validate=[KEY, validate.Length(max=64)])
    title = fields.String(required=True, validate=validate.Length(min=1, max=255))
    summary = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    activities = fields.List(fields.Nested(WelshActivityFile), load_default=list)


def read_welsh_edition(path: Path, english: dict[str, Any]) -> dict[str, Any]:
    """The Welsh edition of the module ``english`` (read from the file of the same name in
    ``cy/``): its words, and its activities' by key. Activities it leaves out stay English
    only; a key the English edition does not have is refused."""
    raw, body = read_front_matter(path, f"cy/{path.name}")
    try:
        edition = WelshModuleFile().load(raw)
    except ValidationError as exc:
        raise SeedError(f"cy/{path.name}", flatten_errors(exc.messages)) from None
    problems = welsh_problems(edition, english)
    introduction, sections = split_sections(body)
    problems += section_problems(edition["activities"], sections)
    if problems:
        raise SeedError(f"cy/{path.name}", problems)
    texts = dict(sections)
    return {"title": edition["title"], "summary": edition["summary"],
            "introduction": introduction,
            "activities": {a["key"]: {"title": a["title"], "text": texts[a["key"]]}
                           for a in edition["activities"]}}


def welsh_problems(edition: dict[str, Any], english: dict[str, Any]) -> list[str]:
    """A Welsh edition must be of the same module, with activities it has."""
    problems = []
    if edition["slug"] != english["slug"]:
        problems.append(f"slug: {edition['slug']!r} is not the English edition's "
                        f"{english['slug']!r}")
    keys = {activity["key"] for activity in english["activities"]}
    problems += [f"activities: {a['key']!r} is not an activity of the English edition"
                 for a in edition["activities"] if a["key"] not in keys]
    return problems


def add_welsh_editions(modules: list[dict[str, Any]], directory: Path) -> None:
    """Give each module read from ``directory`` its Welsh edition from ``directory/cy``
    (``welsh`` is None where there is none); SeedError listing every problem."""
    folder, problems = directory / "cy", []
    for module in modules:
        path = folder / module["file"]
        module["welsh"] = None
        if path.is_file():
            try:
                module["welsh"] = read_welsh_edition(path, module)
            except SeedError as exc:
                problems += [f"{exc.source}: {problem}" for problem in exc.problems]
    known = {module["file"] for module in modules}
    if folder.is_dir():
        problems += [f"cy/{path.name}: there is no English edition {path.name}"
                     for path in sorted(folder.glob("*.md"))
                     if path.name not in known and path.name.lower() != "readme.md"]
    if problems:
        raise SeedError(str(folder), problems)
