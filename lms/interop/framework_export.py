"""The framework in other systems' formats: an IMS CASE 1.0 package, a Moodle competency
framework CSV (tool_lpimportcsv), and a Canvas outcomes CSV.

The CASE package is whole: besides the framework's own items it carries the headings and
quoted indicators of the linked frameworks as items of their documents, so that
``case_import`` can load it back.

Identifiers are version-5 UUIDs of the natural keys (a theme's code, a behaviour's code, a
linked framework's heading), so every export of the same framework names everything the same.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
from typing import Any

from lms.cohorts.models import Programme
from lms.cohorts.service import default_programme
from lms.core.errors import NotFound
from lms.framework.models import Behaviour, ExternalFramework, ExternalHeading, Theme
from lms.framework.service import get_framework
from lms.outcomes.csv_export import neutralise

FORMATS = ("case", "moodle", "canvas")
#: The namespace of every identifier lms gives the framework's parts.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:lms:leadership-framework")
MONTHS = {name: number for number, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September",
     "October", "November", "December"), start=1)}
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


def issued(version: str) -> str:
    """When the edition was published, from its version ("July 2012"), as a CASE date-time;
    the first of January of its year if only a year can be read."""
    match = re.search(r"(?:(\w+)\s+)?(\d{4})", version)
    year = int(match.group(2)) if match else 2000
    month = MONTHS.get(match.group(1), 1) if match and match.group(1) else 1
    return dt.datetime(year, month, 1, tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def urn(ident: str) -> str:
    """A URI for an identifier that needs no server to resolve."""
    return f"urn:uuid:{ident}"


def link(title: str, ident: str) -> dict[str, str]:
    """A CASE LinkGenURI/LinkURI: title, identifier and URI."""
    return {"title": title, "identifier": ident, "uri": urn(ident)}


def heading_id(heading: ExternalHeading) -> str:
    """The identifier of a linked framework's heading (an item of that framework's document)."""
    return identifier("external", heading.framework.code, heading.title)


def case_package(framework: dict[str, Any]) -> dict[str, Any]:
    """The framework (as ``framework.service.get_framework`` gives it) as a CASE package."""
    changed = issued(framework["version"])
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
    associations: list[dict[str, Any]] = []

    def associate(kind: str, origin: dict, destination: dict, sequence: int | None = None):
        key = identifier("association", kind, origin["identifier"], destination["identifier"])
        entry = {"identifier": key, "associationType": kind, "uri": urn(key),
                 "originNodeURI": origin, "destinationNodeURI": destination,
                 "lastChangeDateTime": changed, "CFDocumentURI": doc_link}
        if sequence is not None:
            entry["sequenceNumber"] = sequence
        associations.append(entry)

    for theme in framework["themes"]:
        theme_item = theme_to_item(theme, changed, doc_link)
        items.append(theme_item)
        theme_link = link(theme.title, theme_item["identifier"])
        associate("isChildOf", theme_link, doc_link, theme.position)
        for behaviour in theme.behaviours:
            item = behaviour_to_item(behaviour, changed, doc_link)
            items.append(item)
            associate("isChildOf", link(behaviour.code, item["identifier"]), theme_link,
                      behaviour.position)
        for theme_link_row in theme.links:
            add_link(theme_link_row, theme_link, items, associations, associate, changed)
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def external_document(framework: ExternalFramework) -> dict[str, str]:
    """The link to a linked framework's document (CASE names it; lms does not publish it)."""
    return link(framework.title, identifier("external-framework", framework.code))


def add_link(theme_link_row, theme_link: dict, items: list, associations: list, associate,
             changed: str) -> None:
    """A theme's link to another framework's heading, and the indicators it quotes: the
    heading and indicators as items of that framework's document, related to the theme."""
    heading = theme_link_row.heading
    document = external_document(heading.framework)
    heading_item = {"identifier": heading_id(heading), "uri": urn(heading_id(heading)),
                    "CFItemType": "Heading", "fullStatement": heading.title,
                    "lastChangeDateTime": changed, "CFDocumentURI": document}
    if heading_item["identifier"] not in {item["identifier"] for item in items}:
        items.append(heading_item)
    heading_link = link(f"{heading.framework.title}: {heading.title}", heading_item["identifier"])
    associate("isRelatedTo", theme_link, heading_link, theme_link_row.position)
    for position, indicator in enumerate(theme_link_row.indicators, start=1):
        ident = identifier("indicator", heading.framework.code, heading.title,
                           indicator.statement)
        if ident not in {item["identifier"] for item in items}:
            items.append({"identifier": ident, "uri": urn(ident), "CFItemType": "Indicator",
                          "fullStatement": indicator.statement, "lastChangeDateTime": changed,
                          "CFDocumentURI": document})
            associate("isChildOf", link(indicator.statement[:60], ident), heading_link)
        associate("isRelatedTo", theme_link, link(indicator.statement[:60], ident), position)


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


def case_json(framework: dict[str, Any]) -> str:
    """The CASE package as JSON text, keys in a fixed order so exports compare equal."""
    return json.dumps(case_package(framework), ensure_ascii=False, indent=2) + "\n"


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


def moodle_csv(framework: dict[str, Any], programme: Programme) -> str:
    """The framework as a Moodle competency framework CSV: one framework row, then a row per
    theme and per behaviour (the behaviours under their theme)."""
    scale = programme.rating_scale
    proficient = programme.rating_scale[-2]["value"] if len(scale) > 1 else scale[0]["value"]
    rows: list[list[Any]] = [[
        "", framework["slug"], framework["title"][:100], framework["source"], MOODLE_PLAIN_TEXT,
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

def canvas_csv(framework: dict[str, Any], programme: Programme) -> str:
    """The framework as Canvas outcomes: a group for the framework, one per theme, and an
    outcome per behaviour with the programme's scale as its ratings."""
    scale = sorted(programme.rating_scale, key=lambda point: -point["value"])
    mastery = programme.rating_scale[-2]["value"] if len(scale) > 1 else scale[0]["value"]
    ratings = [cell for point in scale for cell in (point["value"], point["label"])]
    root = f"{framework['slug']}"
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


def export_framework(fmt: str) -> str:
    """The stored framework in ``fmt`` (case, moodle or canvas), as text."""
    if fmt not in FORMATS:
        raise NotFound(f"There is no export format {fmt!r}; the formats are "
                       f"{', '.join(FORMATS)}.")
    framework = get_framework()
    if fmt == "case":
        return case_json(framework)
    programme = default_programme()
    return (moodle_csv if fmt == "moodle" else canvas_csv)(framework, programme)
