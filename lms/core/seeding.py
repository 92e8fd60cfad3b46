"""Reading seed files: YAML, safely loaded, validated by a marshmallow schema.

A seed file that cannot be used raises SeedError listing every problem as ``path: why``,
so the caller can refuse it before writing anything.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError

from lms.core.extensions import db


class SeedError(Exception):
    """A seed file cannot be loaded; ``problems`` lists each one as ``path: why``."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


#: libyaml's loader where PyYAML was built with it (ten times faster than the pure-Python one,
#: which matters when the curriculum's files are read on every seed); the same safe subset.
YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> Any:
    """Parse YAML text with the safe loader (tags that build Python objects are refused)."""
    return yaml.load(text, Loader=YamlLoader)  # noqa: S506 - a safe loader, see YamlLoader


def describe_yaml_error(exc: yaml.YAMLError) -> str:
    """Say where in the file YAML broke, one-based, as editors count."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def flatten_errors(messages: Any, path: str = "") -> list[str]:
    """Turn marshmallow's nested messages into lines ``themes[2].behaviours[0].code: why``."""
    if isinstance(messages, dict):
        lines: list[str] = []
        for key, value in messages.items():
            if isinstance(key, int):
                child = f"{path}[{key}]"
            elif key == "_schema":
                child = path
            else:
                child = f"{path}.{key}" if path else str(key)
            lines.extend(flatten_errors(value, child))
        return lines
    if isinstance(messages, list):
        return [f"{path or '(file)'}: {message}" for message in messages]
    return [f"{path or '(file)'}: {messages}"]


def read_seed(path: Path, schema: Schema, expected: str) -> dict[str, Any]:
    """Read a YAML mapping from ``path`` and load it with ``schema``; SeedError otherwise.

    ``expected`` names the top-level keys, for the message when the file is no mapping.
    """
    source = str(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SeedError(source, ["the file does not exist"]) from None
    except UnicodeDecodeError as exc:
        raise SeedError(source, [f"not UTF-8 text (byte {exc.start})"]) from None
    except yaml.YAMLError as exc:
        raise SeedError(source, [f"not valid YAML: {describe_yaml_error(exc)}"]) from None
    if not isinstance(raw, dict):
        raise SeedError(source, [f"the file must hold a mapping with {expected}"])
    try:
        return schema.load(raw)
    except ValidationError as exc:
        raise SeedError(source, flatten_errors(exc.messages)) from None


@dataclass
class SeedReport:
    """What a sync changed, counted per kind of row."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    removed: Counter[str] = field(default_factory=Counter)

    @property
    def changes(self) -> int:
        """How many rows were created, updated or removed."""
        return sum(self.created.values()) + sum(self.updated.values()) + sum(self.removed.values())

    def summary(self) -> str:
        """One line per kind of change, or a note that nothing changed."""
        if not self.changes:
            return "nothing changed"
        parts = []
        for verb, counts in (("created", self.created), ("updated", self.updated),
                             ("removed", self.removed)):
            if counts:
                detail = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
                parts.append(f"{verb} {detail}")
        return "; ".join(parts)


class Upserter:
    """Sets attributes on rows found by natural key, counting what it changes."""

    def __init__(self, report: SeedReport) -> None:
        self.report = report

    def upsert(self, existing: Any, model: type, label: str, /, **values: Any) -> Any:
        """Return ``existing`` updated with ``values``, or a new row if there is none.

        ``label`` names the kind of row in the report; the positional-only parameters leave
        every column name free for ``values``.
        """
        if existing is None:
            row = model(**values)
            db.session.add(row)
            self.report.created[label] += 1
            return row
        changed = False
        for name, value in values.items():
            if getattr(existing, name) != value:
                setattr(existing, name, value)
                changed = True
        if changed:
            self.report.updated[label] += 1
        return existing

    def remove(self, row: Any, label: str) -> None:
        """Delete a row the seed file no longer holds."""
        db.session.delete(row)
        self.report.removed[label] += 1
