"""The framework in other systems' formats: IMS CASE 1.0 packages, a Moodle competency
framework CSV (tool_lpimportcsv), and a Canvas outcomes CSV.

CASE: the framework is one package (its document, themes and behaviours); each linked
framework (the NHS Leadership Framework, the LQF, the CCG model) is a package of its own,
with its headings and the indicators the themes quote. The themes' ``isRelatedTo``
associations point at those items by identifier and URI, so a CASE server imports four
documents that link, rather than one that annexes another's headings.

Identifiers are version-5 UUIDs of the natural keys (a theme's code, a behaviour's code, a
linked framework's heading), so every export of the same framework names everything the same.
``lastChangeDateTime`` is when the stored framework (or linked framework) last changed.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext

from lms.cohorts.models import Programme
from lms.cohorts.service import default_programme
from lms.core.errors import Invalid, NotFound
from lms.core.extensions import db
from lms.framework.models import (
    Behaviour,
    ExternalFramework,
    ExternalHeading,
    ExternalIndicator,
    Framework,
    Theme,
)
from lms.framework.service import get_framework
from lms.outcomes.csv_export import neutralise

FORMATS = ("case", "moodle", "canvas")
#: The namespace of every identifier lms gives the framework's parts.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lms:leadership-framework")
#: An identifier an administrator may choose (a Moodle ID number, a Canvas GUID prefix).
KEY = re.compile(r"[A-Za-z0-9._-]+")
#: Moodle keeps a framework's ID number in 100 characters.
MOODLE_IDNUMBER_LIMIT = 100
#: Canvas's vendor_guid is a string column; the prefix leaves room for the codes after it.
CANVAS_PREFIX_LIMIT = 64
#: Moodle's description format for plain text.
MOODLE_PLAIN_TEXT = 2
MOODLE_COLUMNS = ("Parent ID number", "ID number", "Short name", "Description",
                  "Description format", "Scale values", "Scale configuration", "Rule type",
                  "Rule outcome", "Rule config", "Cross-referenced competency ID numbers",
                  "Exported ID", "Is framework", "Taxonomy")
CANVAS_COLUMNS = ("vendor_guid", "object_type", "title", "description", "display_name",
                  "calculation_method", "calculation_int", "mastery_points", "parent_guids",
                  "ratings")


def identifier(*key: str) -> str:
    """The lowercase UUID of a natural key, the same in every export."""
    return str(uuid.uuid5(NAMESPACE, ":".join(key)))


def case_time(moment: dt.datetime) -> str:
    """A CASE date-time: UTC, to the second."""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def urn(ident: str) -> str:
    """A URI for an identifier that needs no server to resolve."""
    return f"urn:uuid:{ident}"


def link(title: str, ident: str) -> dict[str, str]:
    """A CASE LinkGenURI/LinkURI: title, identifier and URI."""
    return {"title": title, "identifier": ident, "uri": urn(ident)}


def heading_id(heading: ExternalHeading) -> str:
    """The identifier of a linked framework's heading (an item of that framework's document)."""
    return identifier("external", heading.framework.code, heading.title)


class Associations:
    """A package's associations, each with an identifier made from what it joins."""

    def __init__(self, document: dict[str, str], changed: str) -> None:
        self.document, self.changed = document, changed
        self.rows: list[dict[str, Any]] = []

    def add(self, kind: str, origin: dict, destination: dict,
            sequence: int | None = None) -> None:
        """One association of ``kind`` from ``origin`` to ``destination`` (CASE links)."""
        key = identifier("association", kind, origin["identifier"], destination["identifier"])
        entry = {"identifier": key, "associationType": kind, "uri": urn(key),
                 "originNodeURI": origin, "destinationNodeURI": destination,
                 "lastChangeDateTime": self.changed, "CFDocumentURI": self.document}
        if sequence is not None:
            entry["sequenceNumber"] = sequence
        self.rows.append(entry)


def case_package(framework: dict[str, Any], changed_at: dt.datetime) -> dict[str, Any]:
    """The framework (as ``framework.service.get_framework`` gives it) as a CASE package; its
    links to other frameworks point into their own packages (``linked_case_package``)."""
    changed = case_time(changed_at)
    document_id = identifier("framework", framework["slug"])
    document = {
        "identifier": document_id, "uri": urn(document_id), "title": framework["title"],
        "creator": framework["source"], "lastChangeDateTime": changed,
        "version": framework["version"], "language": "en-GB", "adoptionStatus": "Adopted",
        "description": framework["source"],
        "notes": f"humanCodingScheme values are the framework's codes; slug {framework['slug']}.",
    }
    doc_link = link(framework["title"], document_id)
    items: list[dict[str, Any]] = []
    associations = Associations(doc_link, changed)
    for theme in framework["themes"]:
        theme_item = theme_to_item(theme, changed, doc_link)
        items.append(theme_item)
        theme_link = link(theme.title, theme_item["identifier"])
        associations.add("isChildOf", theme_link, doc_link, theme.position)
        for behaviour in theme.behaviours:
            item = behaviour_to_item(behaviour, changed, doc_link)
            items.append(item)
            associations.add("isChildOf", link(behaviour.code, item["identifier"]), theme_link,
                             behaviour.position)
        for theme_link_row in theme.links:
            heading = theme_link_row.heading
            associations.add("isRelatedTo", theme_link, heading_link(heading),
                             theme_link_row.position)
            for position, indicator in enumerate(theme_link_row.indicators, start=1):
                associations.add("isRelatedTo", theme_link, indicator_link(indicator), position)
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations.rows}


def external_document(framework: ExternalFramework) -> dict[str, str]:
    """The link to a linked framework's document (its own package)."""
    return link(framework.title, identifier("external-framework", framework.code))


def indicator_id(indicator: ExternalIndicator) -> str:
    """The identifier of a quoted indicator (an item of its framework's document)."""
    heading = indicator.heading
    return identifier("indicator", heading.framework.code, heading.title, indicator.statement)


def heading_link(heading: ExternalHeading) -> dict[str, str]:
    """A CASE link to a linked framework's heading."""
    return link(f"{heading.framework.title}: {heading.title}", heading_id(heading))


def indicator_link(indicator: ExternalIndicator) -> dict[str, str]:
    """A CASE link to a quoted indicator."""
    return link(indicator.statement[:60], indicator_id(indicator))


def linked_case_package(framework: ExternalFramework) -> dict[str, Any]:
    """A linked framework as a CASE package of its own: its document, its headings (in the
    order they were stored), and under each heading the indicators quoted."""
    changed = case_time(framework.changed_at)
    doc_link = external_document(framework)
    document = {"identifier": doc_link["identifier"], "uri": doc_link["uri"],
                "title": framework.title, "creator": framework.publisher or framework.title,
                "lastChangeDateTime": changed, "language": "en-GB",
                "adoptionStatus": "Adopted",
                "notes": f"The headings of {framework.title} that the Leadership for Empowered "
                         f"and Healthy Communities framework links to; code {framework.code}."}
    items: list[dict[str, Any]] = []
    associations = Associations(doc_link, changed)
    for order, heading in enumerate(sorted(framework.headings, key=by_id), start=1):
        items.append({"identifier": heading_id(heading), "uri": urn(heading_id(heading)),
                      "CFItemType": "Heading", "fullStatement": heading.title,
                      "language": "en-GB", "lastChangeDateTime": changed,
                      "CFDocumentURI": doc_link})
        associations.add("isChildOf", heading_link(heading), doc_link, order)
        for position, indicator in enumerate(sorted(heading.indicators, key=by_id), start=1):
            items.append({"identifier": indicator_id(indicator),
                          "uri": urn(indicator_id(indicator)), "CFItemType": "Indicator",
                          "fullStatement": indicator.statement, "language": "en-GB",
                          "lastChangeDateTime": changed, "CFDocumentURI": doc_link})
            associations.add("isChildOf", indicator_link(indicator), heading_link(heading),
                             position)
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations.rows}


def by_id(row: Any) -> int:
    """Rows in the order they were stored."""
    return row.id


def theme_to_item(theme: Theme, changed: str, doc_link: dict) -> dict[str, Any]:
    """A theme as a CASE item."""
    ident = identifier("theme", theme.code)
    return {"identifier": ident, "uri": urn(ident), "CFItemType": "Theme",
            "humanCodingScheme": theme.code, "listEnumeration": str(theme.position),
            "fullStatement": theme.title, "abbreviatedStatement": theme.tagline,
            "notes": theme.introduction, "language": "en-GB", "lastChangeDateTime": changed,
            "CFDocumentURI": doc_link}


def behaviour_to_item(behaviour: Behaviour, changed: str, doc_link: dict) -> dict[str, Any]:
    """A key behaviour as a CASE item; who it applies to is kept as a keyword."""
    ident = identifier("behaviour", behaviour.code)
    return {"identifier": ident, "uri": urn(ident), "CFItemType": "Key behaviour",
            "humanCodingScheme": behaviour.code, "listEnumeration": str(behaviour.position),
            "fullStatement": behaviour.statement, "language": "en-GB",
            "conceptKeywords": [f"applies-to:{behaviour.applies_to}"],
            "lastChangeDateTime": changed, "CFDocumentURI": doc_link}


def package_json(package: dict[str, Any]) -> str:
    """A CASE package as JSON text, keys in a fixed order so exports compare equal."""
    return json.dumps(package, ensure_ascii=False, indent=2) + "\n"


def case_export(framework: dict[str, Any], which: str | None) -> str:
    """The framework's CASE package, or (``which`` naming a linked framework's code) that
    framework's own package."""
    if which in (None, framework["slug"]):
        return package_json(case_package(framework, stored_framework().changed_at))
    linked = {row.code: row for row in framework["external_frameworks"]}
    if which not in linked:
        raise NotFound(gettext("There is no framework %(name)s to export; the frameworks are "
                               "%(known)s.", name=repr(which),
                               known=", ".join([framework["slug"], *linked])))
    return package_json(linked_case_package(linked[which]))


def stored_framework() -> Framework:
    """The stored framework's row (get_framework has checked there is one)."""
    return db.session.scalar(sa.select(Framework).order_by(Framework.id).limit(1))


# --- Moodle --------------------------------------------------------------------------------

def scale_configuration(scale: list[dict[str, Any]], proficient_from: int) -> str:
    """Moodle's scale configuration: the scale, then each point's default and proficient
    flags (the first point is the default; points from ``proficient_from`` are proficient)."""
    points = [{"id": index, "scaledefault": int(index == 1),
               "proficient": int(point["value"] >= proficient_from)}
              for index, point in enumerate(scale, start=1)]
    return json.dumps([{"scaleid": "0"}, *points], separators=(",", ":"))


def write_csv(header: tuple[str, ...], rows: list[list[Any]]) -> str:
    """Rows as CSV text, formula-like cells neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[neutralise(cell) for cell in row] for row in rows])
    return out.getvalue()


def edition_idnumber(framework: dict[str, Any]) -> str:
    """The Moodle ID number of this edition: the slug and the version (``lehc-july-2012``),
    so that a later edition imports beside the first instead of failing on a taken one."""
    edition = f"{framework['slug']}-{slug_of(framework['version'])}".rstrip("-")
    return edition[:MOODLE_IDNUMBER_LIMIT]


def slug_of(text: str) -> str:
    """Lowercase letters and digits joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def checked_key(value: str, name: str, limit: int) -> str:
    """An identifier an administrator chose, or Invalid naming the option."""
    if not KEY.fullmatch(value) or len(value) > limit:
        raise Invalid(gettext("%(name)s must be 1 to %(limit)d letters, digits, dots, hyphens "
                              "or underscores; got %(got)s.", name=name, limit=limit,
                              got=repr(value[:120])))
    return value


def moodle_csv(framework: dict[str, Any], programme: Programme,
               idnumber: str | None = None) -> str:
    """The framework as a Moodle competency framework CSV: one framework row (ID number
    ``idnumber``, by default the edition's), then a row per theme and per behaviour (the
    behaviours under their theme)."""
    scale = programme.rating_scale
    proficient = programme.rating_scale[-2]["value"] if len(scale) > 1 else scale[0]["value"]
    idnumber = idnumber or edition_idnumber(framework)
    rows: list[list[Any]] = [[
        "", idnumber, framework["title"][:100], framework["source"], MOODLE_PLAIN_TEXT,
        ",".join(point["label"] for point in scale), scale_configuration(scale, proficient),
        "", "", "", "", "", 1, "domain,behaviour"]]
    for theme in framework["themes"]:
        rows.append(["", theme.code, f"{theme.code} {theme.title}"[:100],
                     f"{theme.tagline}. {theme.introduction}", MOODLE_PLAIN_TEXT,
                     "", "", "", "", "", "", "", "", ""])
        for behaviour in theme.behaviours:
            rows.append([theme.code, behaviour.code, short_name(behaviour),
                         behaviour.statement, MOODLE_PLAIN_TEXT,
                         "", "", "", "", "", "", "", "", ""])
    return write_csv(MOODLE_COLUMNS, rows)


def short_name(behaviour: Behaviour, limit: int = 100) -> str:
    """A behaviour's code and the start of its statement, within Moodle's 100 characters."""
    text = f"{behaviour.code} {behaviour.statement}"
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


# --- Canvas --------------------------------------------------------------------------------

def canvas_csv(framework: dict[str, Any], programme: Programme,
               guid_prefix: str | None = None) -> str:
    """The framework as Canvas outcomes: a group for the framework, one per theme, and an
    outcome per behaviour with the programme's scale as its ratings. Vendor GUIDs start with
    ``guid_prefix`` (the framework's slug unless given): Canvas treats them as global, so a
    second import with the same prefix updates the first rather than making new outcomes."""
    scale = sorted(programme.rating_scale, key=lambda point: -point["value"])
    mastery = programme.rating_scale[-2]["value"] if len(scale) > 1 else scale[0]["value"]
    ratings = [cell for point in scale for cell in (point["value"], point["label"])]
    root = guid_prefix or framework["slug"]
    rows: list[list[Any]] = [[root, "group", framework["title"], framework["source"], "", "",
                              "", "", "", ""]]
    for theme in framework["themes"]:
        group = f"{root}-{theme.code}"
        rows.append([group, "group", theme.title, f"{theme.tagline}. {theme.introduction}",
                     "", "", "", "", root, ""])
        for behaviour in theme.behaviours:
            rows.append([f"{root}-{behaviour.code}", "outcome", short_name(behaviour, 255),
                         behaviour.statement, behaviour.code, "latest", "", mastery, group,
                         *ratings])
    return write_csv(CANVAS_COLUMNS, rows)


# --- one entry point for the command and the route -----------------------------------------

MIMETYPES = {"case": "application/json", "moodle": "text/csv", "canvas": "text/csv"}
FILE_NAMES = {"case": "framework-case.json", "moodle": "framework-moodle.csv",
              "canvas": "framework-canvas-outcomes.csv"}


def export_framework(fmt: str, which: str | None = None, idnumber: str | None = None,
                     guid_prefix: str | None = None) -> str:
    """The stored framework in ``fmt`` (case, moodle or canvas), as text: for CASE, ``which``
    may name a linked framework; Moodle takes an ``idnumber``, Canvas a ``guid_prefix``."""
    if fmt not in FORMATS:
        raise NotFound(gettext("There is no export format %(format)s; the formats are "
                               "%(known)s.", format=repr(fmt), known=", ".join(FORMATS)))
    options = {"framework": (which, "case"), "idnumber": (idnumber, "moodle"),
               "guid prefix": (guid_prefix, "canvas")}
    for name, (value, only) in options.items():
        if value is not None and fmt != only:
            raise Invalid(gettext("The %(option)s option is for the %(format)s format only.",
                                  option=name, format=only))
    if idnumber is not None:
        checked_key(idnumber, "The Moodle ID number", MOODLE_IDNUMBER_LIMIT)
    if guid_prefix is not None:
        checked_key(guid_prefix, "The Canvas GUID prefix", CANVAS_PREFIX_LIMIT)
    framework = get_framework()
    if fmt == "case":
        return case_export(framework, which)
    programme = default_programme()
    if fmt == "moodle":
        return moodle_csv(framework, programme, idnumber)
    return canvas_csv(framework, programme, guid_prefix)
