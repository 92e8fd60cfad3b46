"""Load a framework from an IMS CASE 1.0 package (a future edition of this one, say).

The package is checked against the CASE package schema (formats too: URIs and date-times),
then read into the same structure as ``seeds/framework.yaml`` and checked by the same schema,
then stored by the same upsert: so an import follows the seed's rules (codes numbered in
order, links to declared frameworks, no rated behaviour dropped) and nothing is written
unless all of it is right.

The themes' links point at headings and indicators of other frameworks' documents. Those
come from the linked frameworks' own packages when given, otherwise from the frameworks
already stored; a link that resolves to neither is refused by name. (A package of the older
shape, with the linked headings carried as items, still loads.)
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import jsonschema
import sqlalchemy as sa
from marshmallow import ValidationError

from lms.core.extensions import db
from lms.core.seeding import SeedError, SeedReport, flatten_errors
from lms.framework.models import ExternalFramework, Framework, LeadershipLevel
from lms.framework.seed import sync_framework
from lms.framework.seed_schema import FrameworkSeedFile
from lms.interop.framework_export import identifier, linked_case_package

SCHEMA_FILE = Path(__file__).with_name("case-v1p0-cfpackage-schema.json")
MAX_PROBLEMS = 20


def read_package(data: bytes, source: str) -> dict[str, Any]:
    """The package as JSON, valid against the CASE schema; SeedError naming each problem."""
    try:
        package = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise SeedError(source, [f"not UTF-8 text (byte {exc.start})"]) from None
    except json.JSONDecodeError as exc:
        raise SeedError(source, [f"not JSON: {exc.msg} at line {exc.lineno}, "
                                 f"column {exc.colno}"]) from None
    except RecursionError:
        raise SeedError(source, ["nested too deeply to read"]) from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise SeedError(source, [f"cannot be read: {exc}"]) from None
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(package),
                    key=lambda error: list(map(str, error.absolute_path)))
    if errors:
        raise SeedError(source, [f"{'.'.join(map(str, e.absolute_path)) or '(package)'}: "
                                 f"{e.message[:200]}" for e in errors[:MAX_PROBLEMS]])
    return package


class Package:
    """A checked package, indexed with the packages it links to: items by identifier,
    associations by kind and origin. Items of the main package win over the others'."""

    def __init__(self, package: dict[str, Any], others: list[dict[str, Any]] = ()) -> None:
        self.document = package["CFDocument"]
        self.documents = {}
        self.items: dict[str, dict[str, Any]] = {}
        self.children: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.related: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.parent: dict[str, str] = {}
        self.links: dict[str, dict[str, Any]] = {}
        for each in [*others, package]:
            self.add(each)

    def add(self, package: dict[str, Any]) -> None:
        """Index one package's document, items and associations."""
        document = package["CFDocument"]
        self.documents[document["identifier"].lower()] = document
        home = {"title": document["title"], "identifier": document["identifier"],
                "uri": document["uri"]}
        for item in package.get("CFItems", []):
            self.items[item["identifier"].lower()] = {"CFDocumentURI": home, **item}
        for association in package.get("CFAssociations", []):
            origin = association["originNodeURI"]["identifier"].lower()
            destination = association["destinationNodeURI"]["identifier"].lower()
            order = association.get("sequenceNumber", 0)
            if association["associationType"] == "isChildOf":
                if (order, origin) not in self.children[destination]:
                    self.children[destination].append((order, origin))
                self.parent[origin] = destination
            elif association["associationType"] == "isRelatedTo":
                if (order, destination) not in self.related[origin]:
                    self.related[origin].append((order, destination))
                self.links[destination] = association["destinationNodeURI"]

    def ordered(self, pairs: list[tuple[int, str]]) -> list[dict[str, Any]]:
        """The items of (order, identifier) pairs that the packages hold, in order."""
        return [self.items[ident] for _order, ident in sorted(pairs) if ident in self.items]

    def unresolved(self, origin: str) -> list[str]:
        """The titles of an item's related nodes that no package holds."""
        return [self.links[ident].get("title", ident) for _order, ident in self.related[origin]
                if ident not in self.items and ident not in self.documents]

    def own(self, item: dict[str, Any]) -> bool:
        """Whether an item belongs to the main package's document."""
        document = item.get("CFDocumentURI")
        return not isinstance(document, dict) or \
            str(document.get("identifier", "")).lower() == self.document["identifier"].lower()


def slug_of(title: str) -> str:
    """A code made from a title: lowercase words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "framework"


def seed_from_package(package: Package, source: str = "the CASE package") -> dict[str, Any]:
    """The package in the shape of seeds/framework.yaml (checked by its schema afterwards)."""
    stored = db.session.scalar(sa.select(Framework).order_by(Framework.id).limit(1))
    document = package.document
    external = ExternalFrameworks(package.documents)
    themes, missing = [], []
    for theme in package.ordered(package.children[document["identifier"].lower()]):
        if not package.own(theme):
            continue
        ident = theme["identifier"].lower()
        missing += [f"theme {theme.get('humanCodingScheme', ident)} links to {title!r}, which "
                    "is in no package given and not stored: give its framework's package too"
                    for title in package.unresolved(ident)]
        themes.append({
            "code": theme.get("humanCodingScheme", ""), "title": theme["fullStatement"],
            "tagline": theme.get("abbreviatedStatement", ""),
            "introduction": theme.get("notes", ""),
            "behaviours": [behaviour_of(item)
                           for item in package.ordered(package.children[ident])],
            "links": links_of(package, ident, external),
        })
    if missing:
        raise SeedError(source, missing[:MAX_PROBLEMS])
    return {
        "framework": {"slug": stored.slug if stored else slug_of(document["title"]),
                      "title": document["title"],
                      "version": document.get("version") or document["lastChangeDateTime"][:10],
                      "source": document["creator"]},
        "leadership_levels": [{"code": level.code, "title": level.title}
                              for level in db.session.scalars(
                                  sa.select(LeadershipLevel).order_by(LeadershipLevel.position))],
        "external_frameworks": external.declared(),
        "themes": themes,
    }


def behaviour_of(item: dict[str, Any]) -> dict[str, Any]:
    """A behaviour from an item; who it applies to from an ``applies-to:`` keyword."""
    keywords = item.get("conceptKeywords") or []
    applies = next((k.split(":", 1)[1] for k in keywords if k.startswith("applies-to:")), "all")
    return {"code": item.get("humanCodingScheme", ""), "statement": item["fullStatement"],
            "applies_to": applies}


class ExternalFrameworks:
    """The linked frameworks the package names, by document: the stored code when the
    document's identifier or title is known, otherwise a code made from the title."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = documents
        rows = db.session.scalars(sa.select(ExternalFramework)).all()
        self.stored = {row.title: row for row in rows}
        self.stored_ids = {identifier("external-framework", row.code): row for row in rows}
        self.found: dict[str, dict[str, Any]] = {}

    def code_for(self, link: dict[str, Any]) -> str:
        """The code of the framework whose document an item belongs to."""
        ident = str(link.get("identifier", "")).lower()
        document = self.documents.get(ident, {})
        title = document.get("title") or link.get("title", "")
        if ident not in self.found:
            row = self.stored_ids.get(ident) or self.stored.get(title)
            creator = document.get("creator")
            self.found[ident] = {
                "code": row.code if row else slug_of(title), "title": title,
                "publisher": row.publisher if row else
                (creator if creator and creator != title else None),
                "link_label": row.link_label if row else None}
        return self.found[ident]["code"]

    def declared(self) -> list[dict[str, Any]]:
        """The frameworks to declare, without empty optional fields."""
        return [{k: v for k, v in values.items() if v is not None}
                for values in self.found.values()]


def links_of(package: Package, theme_id: str, external: ExternalFrameworks) -> list[dict]:
    """A theme's links: related headings of other documents, each with the related
    indicators that sit under it."""
    related = package.ordered(package.related[theme_id])
    quoted = {item["identifier"].lower() for item in related}
    links = []
    for item in related:
        if package.own(item) or item.get("CFItemType") == "Indicator":
            continue
        heading_id = item["identifier"].lower()
        indicators = [child["fullStatement"]
                      for child in package.ordered(package.related[theme_id])
                      if child["identifier"].lower() in quoted
                      and package.parent.get(child["identifier"].lower()) == heading_id]
        links.append({"framework": external.code_for(item["CFDocumentURI"]),
                      "heading": item["fullStatement"], "indicators": indicators})
    return links


def stored_linked_packages() -> list[dict[str, Any]]:
    """The linked frameworks already stored, as the packages their export would give."""
    return [linked_case_package(row) for row in db.session.scalars(
        sa.select(ExternalFramework).order_by(ExternalFramework.position))]


def import_case(data: bytes, source: str = "the CASE package",
                linked: list[tuple[bytes, str]] = ()) -> SeedReport:
    """Check a CASE package (and the packages of the frameworks it links to) and store its
    framework; flush, never commit."""
    main = read_package(data, source)
    others = [read_package(more, name) for more, name in linked]
    package = Package(main, [*stored_linked_packages(), *others])
    raw = seed_from_package(package, source)
    if not raw["leadership_levels"]:
        raise SeedError(source, ["no leadership levels are stored yet: run `flask lms seed` "
                                 "once before importing a framework"])
    try:
        seed = FrameworkSeedFile().load(raw)
    except ValidationError as exc:
        raise SeedError(source, flatten_errors(exc.messages)[:MAX_PROBLEMS]) from None
    return sync_framework(seed)
