"""Rules a marshmallow field cannot carry, written into the OpenAPI document all the same."""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from marshmallow import class_registry


class SchemaRulesPlugin(BasePlugin):
    """Adds a schema's ``OPENAPI_RULES`` (JSON Schema keywords such as ``minProperties``) to
    its component in the OpenAPI document, for rules a marshmallow field cannot carry."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        """The extra keywords of the schema being registered, if it declares any."""
        schema = kwargs.get("schema")
        if isinstance(schema, str):
            schema = class_registry.get_class(schema)
        return dict(getattr(schema, "OPENAPI_RULES", {})) or None
