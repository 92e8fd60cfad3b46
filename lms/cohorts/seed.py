"""Load seeds/programme.yaml: validate, then upsert the programme by slug."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from lms.audit.service import record
from lms.cohorts.models import DEFAULT_REMINDER_DAYS, Programme
from lms.cohorts.service import scale_in_use
from lms.core.extensions import db
from lms.core.seeding import SeedError, read_seed
from lms.framework.seed_schema import SLUG


class ScalePointSeed(Schema):
    """One point of the rating scale."""

    value = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=100))
    label = fields.String(required=True, validate=validate.Length(min=1, max=100))
    label_cy = fields.String(validate=validate.Length(min=1, max=100))


class ProgrammeSeed(Schema):
    """The programme's settings."""

    slug = fields.String(required=True, validate=SLUG)
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    name_cy = fields.String(load_default=None, validate=validate.Length(min=1, max=255))
    description = fields.String(load_default="")
    description_cy = fields.String(load_default=None)
    min_group_size = fields.Integer(load_default=5, strict=True,
                                    validate=validate.Range(min=2, max=1000))
    rating_scale = fields.List(fields.Nested(ScalePointSeed), required=True,
                               validate=validate.Length(min=2, max=11))
    reminder_days = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1, max=90)),
        load_default=lambda: list(DEFAULT_REMINDER_DAYS), validate=validate.Length(max=5))

    @validates_schema
    def check_scale(self, data: dict[str, Any], **_kwargs: Any) -> None:
        """Scale points go up one at a time from the lowest."""
        values = [point["value"] for point in data["rating_scale"]]
        expected = list(range(values[0], values[0] + len(values)))
        if values != expected:
            raise ValidationError(f"values must count up by one: {expected}",
                                  field_name="rating_scale")


class ProgrammeSeedFile(Schema):
    """The whole file."""

    programme = fields.Nested(ProgrammeSeed, required=True)


def read_programme_file(path: Path) -> dict[str, Any]:
    """Read and validate the programme seed file; SeedError naming every problem."""
    return read_seed(path, ProgrammeSeedFile(), "a 'programme' key")["programme"]


def with_welsh_labels_apart(values: dict[str, Any]) -> dict[str, Any]:
    """The seed's values as stored: the scale's Welsh labels kept beside it (by value), so
    that the scale itself, which ratings were given on, is only the English."""
    scale = [{"value": p["value"], "label": p["label"]} for p in values["rating_scale"]]
    welsh = {str(p["value"]): p["label_cy"] for p in values["rating_scale"] if "label_cy" in p}
    return {**values, "rating_scale": scale, "scale_labels_cy": welsh or None}


def sync_programme(values: dict[str, Any]) -> str:
    """Create or update the programme; say which ("created", "updated", "nothing changed").

    Flushes, never commits.
    """
    values = with_welsh_labels_apart(values)
    programme = db.session.scalar(sa.select(Programme).filter_by(slug=values["slug"]))
    if programme is None:
        programme = Programme(**values)
        db.session.add(programme)
        db.session.flush()
        record("programme.create", programme, slug=programme.slug)
        return "created"
    changed = {k: v for k, v in values.items() if getattr(programme, k) != v}
    if "rating_scale" in changed and scale_in_use(programme.id):
        raise SeedError("programme seed", ["programme.rating_scale: the scale cannot change "
                                           "once ratings have been given on it"])
    for key, value in changed.items():
        setattr(programme, key, value)
    if changed:
        record("programme.update", programme, fields=sorted(changed))
    return "updated" if changed else "nothing changed"
