"""The API reference, rendered on the server from the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, render_template

from lms.core.extensions import api

docs_blueprint = Blueprint("docs", __name__)

HTTP_METHODS = ("get", "put", "post", "patch", "delete")


@docs_blueprint.get("/api/v1/docs")
def api_reference():
    """The API reference: every operation of the OpenAPI document, rendered on the server."""
    spec = api.spec.to_dict()
    return render_template(
        "api_docs.html",
        spec=spec,
        operations=operations_by_tag(spec),
        schemas=spec.get("components", {}).get("schemas", {}),
    )


def operations_by_tag(spec: dict[str, Any]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Group the document's operations under its tags, in the document's order."""
    tags = {tag["name"]: (tag, []) for tag in spec.get("tags", [])}
    for path, item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            if method not in item:
                continue
            operation = item[method]
            parameters = item.get("parameters", []) + operation.get("parameters", [])
            entry = {"method": method.upper(), "path": path, "op": operation,
                     "parameters": parameters,
                     "responses": resolved_responses(spec, operation.get("responses", {})),
                     "anchor": operation_anchor(method, path)}
            for tag in operation.get("tags", ["other"]):
                tags.setdefault(tag, ({"name": tag}, []))[1].append(entry)
    return list(tags.values())


def resolved_responses(spec: dict[str, Any], responses: dict[str, Any]
                       ) -> list[tuple[str, dict[str, Any]]]:
    """An operation's responses by status, each ``$ref`` to a shared response (the error
    body) replaced by what it refers to, so the page shows its meaning and body."""
    shared = spec.get("components", {}).get("responses", {})
    resolved = []
    for status, response in responses.items():
        ref = response.get("$ref", "")
        found = shared.get(ref.rsplit("/", 1)[-1], {}) if ref else {}
        resolved.append((status, {**found, **{k: v for k, v in response.items()
                                              if k != "$ref"}}))
    return resolved


def operation_anchor(method: str, path: str) -> str:
    """An id for an operation's section: ``get-api-v1-cohorts-cohort_id``."""
    return f"{method}-{re.sub(r'[^A-Za-z0-9_]+', '-', path).strip('-')}"


def schema_name(ref_holder: dict[str, Any] | None) -> str:
    """The component name a ``$ref`` points at, or an empty string."""
    if not ref_holder:
        return ""
    ref = ref_holder.get("$ref") or ref_holder.get("items", {}).get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    return f"list of {name}" if ref_holder.get("type") == "array" else name


docs_blueprint.add_app_template_filter(schema_name, "schema_name")
