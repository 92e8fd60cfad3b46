"""Fields and schemas shared by every API: safe text, bounded ids, paging."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.routing import IntegerConverter

from lms.core.extensions import db

#: The largest id a 32-bit INTEGER column holds; larger numbers cannot name anything.
MAX_ID = 2**31 - 1
MAX_PER_PAGE = 100


class Text(fields.String):
    """A string with surrounding space removed and no NUL characters (PostgreSQL refuses them)."""

    def __init__(self, *args: Any, max_length: int = 1000, min_length: int = 0,
                 **kwargs: Any) -> None:
        validators = [validate.Length(min=min_length, max=max_length)]
        # The document says what _deserialize refuses, so clients (and the fuzzer) know.
        metadata = {"not": {"pattern": "\\u0000"}, **kwargs.pop("metadata", {})}
        super().__init__(*args, validate=validators, metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("Must not contain NUL characters.")
        return text.strip()


class JsonBoolean(fields.Boolean):
    """A boolean in a JSON body: true or false, never 1, "yes" or "on" (the document says
    boolean, and a client sending 0 for false has a bug worth hearing about)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class QueryInteger(fields.Integer):
    """An integer in a query string: ASCII digits only (Python's int() would also take "٣"
    or "４", which no client means and the document does not allow)."""

    def _validated(self, value: Any) -> int:
        if isinstance(value, str) and not value.removeprefix("-").isascii():
            raise self.make_error("invalid")
        return super()._validated(value)


def Id(*, strict: bool = True, **kwargs: Any) -> fields.Integer:  # noqa: N802 - a field
    """An integer id within what the database can store.

    Strict in JSON bodies (``"3"`` is not a number there); pass ``strict=False`` for query
    strings, where every value arrives as text.
    """
    field = fields.Integer if strict else QueryInteger
    return field(strict=strict, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class IdConverter(IntegerConverter):
    """``<id:name>`` in a route: a positive id the database can hold, else the route is a 404."""

    regex = r"[0-9]+"  # werkzeug's \d+ also matches other scripts' digits

    def __init__(self, url_map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)


class CohortQuerySchema(Schema):
    """Which cohort, for a participant in more than one (default: the latest)."""

    cohort = Id(strict=False,
                metadata={"description": "Cohort id; defaults to your latest cohort."})


class PageQuery(Schema):
    """``?page=&per_page=`` for lists that can grow."""

    page = QueryInteger(load_default=1, validate=validate.Range(min=1, max=MAX_ID))
    per_page = QueryInteger(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def page_of(query: sa.Select, page: int, per_page: int) -> dict[str, Any]:
    """One page of ``query``'s rows, with the total count: two statements."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None)
                                                                        .subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def page_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """A schema for one page of ``item_schema`` items."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
            "total": fields.Integer(),
        },
        name=name,
    )

