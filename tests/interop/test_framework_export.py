"""Framework exports: CASE validates against the IMS schema, Moodle's and Canvas's CSV
layouts, identifiers that do not change, and the command and route."""

from __future__ import annotations

import csv
import io
import json
import re

import jsonschema
import pytest

from lms.cohorts.seed import read_programme_file, sync_programme
from lms.core.extensions import db
from lms.interop.case_import import SCHEMA_FILE
from lms.interop.framework_export import CANVAS_COLUMNS, MOODLE_COLUMNS, export_framework
from tests.fixtures import PROJECT_ROOT

#: IMS CASE 1.0 CFPackage schema (from 1EdTech's published specification).
CASE_SCHEMA = json.loads(SCHEMA_FILE.read_text())
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture
def loaded(seeded):
    """The real framework and the real programme (its rating scale)."""
    with seeded.app_context():
        sync_programme(read_programme_file(PROJECT_ROOT / "seeds" / "programme.yaml"))
        db.session.commit()
    return seeded


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_the_case_package_validates_and_holds_the_framework(loaded):
    package = json.loads(export_framework("case"))
    jsonschema.Draft4Validator(CASE_SCHEMA, format_checker=jsonschema.FormatChecker()) \
        .validate(package)
    document_id = package["CFDocument"]["identifier"]
    items = [i for i in package["CFItems"] if i["CFDocumentURI"]["identifier"] == document_id]
    codes = [item["humanCodingScheme"] for item in items]
    assert codes[:2] == ["SI", "SI.1"] and len(codes) == 4 + 37
    assert {item["CFItemType"] for item in items} == {"Theme", "Key behaviour"}
    # The linked frameworks' headings (18) and quoted indicators (32) come along as items of
    # their own documents.
    others = [i for i in package["CFItems"] if i not in items]
    assert len({i["CFDocumentURI"]["title"] for i in others}) == 3
    assert sorted(i["CFItemType"] for i in others).count("Heading") == 18
    assert sorted(i["CFItemType"] for i in others).count("Indicator") == 32
    identifiers = [document_id, *(i["identifier"] for i in package["CFItems"]),
                   *(a["identifier"] for a in package["CFAssociations"])]
    assert all(UUID.match(ident) for ident in identifiers)
    assert len(set(identifiers)) == len(identifiers)
    ours = {i["identifier"] for i in items}
    kinds = [a["associationType"] for a in package["CFAssociations"]
             if a["originNodeURI"]["identifier"] in ours]
    assert kinds.count("isChildOf") == 41  # 4 themes in the document, 37 behaviours in themes
    related = [a for a in package["CFAssociations"] if a["associationType"] == "isRelatedTo"
               and a["destinationNodeURI"]["identifier"] in
               {i["identifier"] for i in others if i["CFItemType"] == "Heading"}]
    assert len(related) == 29  # the cross-framework links
    by_id = {i["identifier"]: i for i in items}
    dt8 = next(i for i in items if i["humanCodingScheme"] == "DT.8")
    parent = next(a for a in package["CFAssociations"]
                  if a["originNodeURI"]["identifier"] == dt8["identifier"])
    assert by_id[parent["destinationNodeURI"]["identifier"]]["humanCodingScheme"] == "DT"
    assert dt8["conceptKeywords"] == ["applies-to:commissioning"]
    related = [a["destinationNodeURI"]["title"] for a in package["CFAssociations"]
               if a["associationType"] == "isRelatedTo"]
    assert any(title.startswith("NHS Leadership Framework: ") for title in related)


def test_identifiers_stay_the_same_from_one_export_to_the_next(loaded):
    assert export_framework("case") == export_framework("case")
    first = json.loads(export_framework("case"))
    # A behaviour's identifier depends on its code alone, in this release and every later one
    # (a system that imported SI.1 must recognise it again).
    si1 = next(i for i in first["CFItems"] if i["humanCodingScheme"] == "SI.1")
    assert si1["identifier"] == "d41f8e24-6ccb-56f6-89e7-579f8e79e88e"
    assert si1["uri"] == f"urn:uuid:{si1['identifier']}"


def test_the_moodle_csv_has_the_columns_tool_lpimportcsv_reads(loaded):
    rows = rows_of(export_framework("moodle"))
    assert tuple(rows[0]) == MOODLE_COLUMNS and len(MOODLE_COLUMNS) == 14
    assert all(len(row) == 14 for row in rows)
    framework = rows[1]
    assert (framework[1], framework[12], framework[13]) == ("lehc", "1", "domain,behaviour")
    assert framework[5] == "Not yet,Rarely,Sometimes,Often,Consistently"
    configuration = json.loads(framework[6])
    assert configuration[0] == {"scaleid": "0"}
    assert [(p["scaledefault"], p["proficient"]) for p in configuration[1:]] == [
        (1, 0), (0, 0), (0, 0), (0, 1), (0, 1)]
    themes = [row for row in rows[2:] if row[0] == ""]
    behaviours = [row for row in rows[2:] if row[0] != ""]
    assert [row[1] for row in themes] == ["SI", "FC", "DT", "FO"]
    assert len(behaviours) == 37
    assert all(len(row[2]) <= 100 for row in rows[1:])  # Moodle's short name limit
    fo7 = next(row for row in behaviours if row[1] == "FO.7")
    assert fo7[0] == "FO" and fo7[3].startswith(fo7[2].split(" ", 1)[1].rstrip("…")[:40])


def test_the_canvas_csv_has_groups_and_outcomes_with_ratings(loaded):
    rows = rows_of(export_framework("canvas"))
    assert tuple(rows[0]) == CANVAS_COLUMNS
    groups = [row for row in rows[1:] if row[1] == "group"]
    outcomes = [row for row in rows[1:] if row[1] == "outcome"]
    assert [row[0] for row in groups] == ["lehc", "lehc-SI", "lehc-FC", "lehc-DT", "lehc-FO"]
    assert len(outcomes) == 37
    si1 = outcomes[0]
    assert (si1[0], si1[4], si1[5], si1[7], si1[8]) == ("lehc-SI.1", "SI.1", "latest", "4",
                                                        "lehc-SI")
    # The ratings: points and descriptions from the highest, in the columns after "ratings".
    assert si1[9:] == ["5", "Consistently", "4", "Often", "3", "Sometimes", "2", "Rarely",
                       "1", "Not yet"]


def test_the_route_serves_each_format_to_anyone(loaded, client):
    for fmt, mimetype in (("case", "application/json"), ("moodle", "text/csv"),
                          ("canvas", "text/csv")):
        response = client.get(f"/api/v1/framework/export/{fmt}")
        assert response.status_code == 200 and response.mimetype == mimetype
        assert "attachment" in response.headers["Content-Disposition"]
    assert client.get("/api/v1/framework/export/xml").status_code == 404


def test_before_the_framework_is_loaded_the_export_says_what_to_do(client):
    response = client.get("/api/v1/framework/export/case")
    assert response.status_code == 404
    assert "flask lms seed" in response.get_json()["message"]


def test_the_command_writes_to_standard_output_or_a_file(loaded, tmp_path):
    runner = loaded.test_cli_runner()
    printed = runner.invoke(args=["lms", "export-framework", "--format", "moodle"])
    assert printed.exit_code == 0 and printed.output.startswith("Parent ID number,ID number")
    target = tmp_path / "case.json"
    written = runner.invoke(args=["lms", "export-framework", "--format", "case",
                                  "--out", str(target)])
    assert written.exit_code == 0
    assert json.loads(target.read_text())["CFDocument"]["title"].startswith("Leadership")
    bad = runner.invoke(args=["lms", "export-framework", "--format", "pdf"])
    assert bad.exit_code == 2 and "'pdf' is not one of" in bad.output
    nowhere = runner.invoke(args=["lms", "export-framework", "--format", "case",
                                  "--out", str(tmp_path / "missing" / "x.json")])
    assert nowhere.exit_code == 1 and "Cannot write" in nowhere.output


def test_the_schema_check_catches_a_broken_package(loaded):
    package = json.loads(export_framework("case"))
    del package["CFDocument"]["uri"]
    package["CFItems"][0]["identifier"] = "not-a-uuid"
    errors = list(jsonschema.Draft4Validator(CASE_SCHEMA).iter_errors(package))
    assert {tuple(error.path)[:2] for error in errors} >= {("CFDocument",), ("CFItems", 0)}
