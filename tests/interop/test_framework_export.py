"""Framework exports: CASE validates against the IMS schema, Moodle's and Canvas's CSV
layouts, identifiers that do not change, and the command and route."""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import json
import re
from collections import Counter

import jsonschema
import pytest
import sqlalchemy as sa

from lms.cohorts.seed import read_programme_file, sync_programme
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.framework.models import ExternalFramework, Framework
from lms.interop.case_import import SCHEMA_FILE, import_case
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


LINKED = ("hay-ccg", "nhs-lf", "lqf")


def validate(package: dict) -> None:
    """The CASE schema, formats included (URIs and date-times, as OpenSALT checks them)."""
    jsonschema.Draft4Validator(
        CASE_SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER).validate(package)


def all_packages() -> dict[str, dict]:
    return {code: json.loads(export_framework("case", code)) for code in ("lehc", *LINKED)}


def test_the_case_package_validates_and_holds_the_framework(loaded):
    package = json.loads(export_framework("case"))
    validate(package)
    document_id = package["CFDocument"]["identifier"]
    items = package["CFItems"]
    # Only its own items: the linked frameworks' headings live in their own packages.
    assert {i["CFDocumentURI"]["identifier"] for i in items} == {document_id}
    codes = [item["humanCodingScheme"] for item in items]
    assert codes[:2] == ["SI", "SI.1"] and len(codes) == 4 + 37
    assert {item["CFItemType"] for item in items} == {"Theme", "Key behaviour"}
    identifiers = [document_id, *(i["identifier"] for i in items),
                   *(a["identifier"] for a in package["CFAssociations"])]
    assert all(UUID.match(ident) for ident in identifiers)
    assert len(set(identifiers)) == len(identifiers)
    kinds = [a["associationType"] for a in package["CFAssociations"]]
    assert kinds.count("isChildOf") == 41  # 4 themes in the document, 37 behaviours in themes
    by_id = {i["identifier"]: i for i in items}
    dt8 = next(i for i in items if i["humanCodingScheme"] == "DT.8")
    parent = next(a for a in package["CFAssociations"]
                  if a["originNodeURI"]["identifier"] == dt8["identifier"])
    assert by_id[parent["destinationNodeURI"]["identifier"]]["humanCodingScheme"] == "DT"
    assert dt8["conceptKeywords"] == ["applies-to:commissioning"]
    related = [a["destinationNodeURI"]["title"] for a in package["CFAssociations"]
               if a["associationType"] == "isRelatedTo"]
    assert any(title.startswith("NHS Leadership Framework: ") for title in related)


def test_each_linked_framework_is_a_package_of_its_own(loaded):
    packages = all_packages()
    for code in LINKED:
        package = packages[code]
        validate(package)
        document_id = package["CFDocument"]["identifier"]
        assert {i["CFDocumentURI"]["identifier"] for i in package["CFItems"]} == {document_id}
        headings = [i for i in package["CFItems"] if i["CFItemType"] == "Heading"]
        # Every heading hangs from its document, every indicator from a heading: no orphans.
        parents = {a["originNodeURI"]["identifier"]: a["destinationNodeURI"]["identifier"]
                   for a in package["CFAssociations"] if a["associationType"] == "isChildOf"}
        assert all(parents[h["identifier"]] == document_id for h in headings)
        heading_ids = {h["identifier"] for h in headings}
        assert all(parents[i["identifier"]] in heading_ids for i in package["CFItems"]
                   if i["CFItemType"] == "Indicator")
    counts = [[i["CFItemType"] for p in packages.values() if p is not packages["lehc"]
               for i in p["CFItems"]].count(kind) for kind in ("Heading", "Indicator")]
    assert counts == [18, 32]


def test_the_four_packages_import_as_four_documents_whose_associations_resolve(loaded):
    """As a CASE server (OpenSALT) imports them: each package's items belong to that
    package's document, and every association's ends are found among the four."""
    documents, nodes = {}, {}
    for package in all_packages().values():
        document = package["CFDocument"]
        documents[document["identifier"]] = document
        nodes[document["identifier"]] = document["identifier"]
        for item in package["CFItems"]:
            assert item["CFDocumentURI"]["identifier"] == document["identifier"]
            nodes[item["identifier"]] = document["identifier"]
    assert len(documents) == 4
    links = Counter()
    for package in all_packages().values():
        for association in package["CFAssociations"]:
            origin = association["originNodeURI"]
            destination = association["destinationNodeURI"]
            assert origin["identifier"] in nodes and destination["identifier"] in nodes
            assert destination["uri"] == f"urn:uuid:{destination['identifier']}"
            if association["associationType"] == "isRelatedTo":
                links[documents[nodes[destination["identifier"]]]["title"]] += 1
    assert len(links) == 3  # the themes link into each linked framework's own document
    headings = {i["identifier"] for p in all_packages().values() for i in p["CFItems"]
                if i["CFItemType"] == "Heading"}
    related = [a for a in all_packages()["lehc"]["CFAssociations"]
               if a["destinationNodeURI"]["identifier"] in headings]
    assert len(related) == 29  # the cross-framework links


def test_last_change_is_when_the_stored_framework_changed(loaded):
    before = all_packages()
    stamp = before["lehc"]["CFDocument"]["lastChangeDateTime"]
    stored = db.session.scalar(sa.select(Framework.changed_at))
    assert stamp == stored.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert stamp[:4] != "2012"  # not the edition's date for ever
    package = copy.deepcopy(before["lehc"])
    next(i for i in package["CFItems"] if i.get("humanCodingScheme") == "SI.1")[
        "fullStatement"] = "A reworded first behaviour."
    db.session.execute(sa.update(Framework).values(changed_at=dt.datetime(2020, 1, 1,
                                                                           tzinfo=dt.UTC)))
    db.session.execute(sa.update(ExternalFramework).values(
        changed_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))
    import_case(json.dumps(package).encode())
    db.session.commit()
    after = all_packages()
    assert after["lehc"]["CFDocument"]["lastChangeDateTime"] > "2026"
    # The linked frameworks did not change, so neither did their time.
    assert {after[code]["CFDocument"]["lastChangeDateTime"] for code in LINKED} == {
        "2020-01-01T00:00:00Z"}


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
    # The edition's ID number: Moodle refuses a taken one (competency_framework::
    # validate_idnumber) and has no update path, so a later edition must not reuse it.
    assert (framework[1], framework[12], framework[13]) == ("lehc-july-2012", "1",
                                                            "domain,behaviour")
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


def test_a_later_edition_gets_its_own_moodle_id_number_and_one_can_be_chosen(loaded):
    db.session.execute(sa.update(Framework).values(version="March 2027"))
    assert rows_of(export_framework("moodle"))[1][1] == "lehc-march-2027"
    chosen = rows_of(export_framework("moodle", idnumber="lehc-2027"))
    assert chosen[1][1] == "lehc-2027"
    # Competencies keep their codes (unique within a framework in Moodle) and parents.
    assert [row[:2] for row in chosen[2:4]] == [["", "SI"], ["SI", "SI.1"]]
    with pytest.raises(Invalid, match="ID number must be 1 to 100 letters"):
        export_framework("moodle", idnumber="lehc 2027,")
    with pytest.raises(Invalid, match="idnumber option is for the moodle format only"):
        export_framework("canvas", idnumber="x")


def test_canvas_guids_can_start_with_a_chosen_prefix(loaded):
    rows = rows_of(export_framework("canvas", guid_prefix="nhs-east.lehc"))
    guids = [row[0] for row in rows[1:]]
    assert guids[:3] == ["nhs-east.lehc", "nhs-east.lehc-SI", "nhs-east.lehc-SI.1"]
    assert len(set(guids)) == len(guids)
    with pytest.raises(Invalid, match="GUID prefix"):
        export_framework("canvas", guid_prefix="../x y")


def test_canvas_reads_parents_before_children_and_ratings_from_the_highest(loaded):
    """lib/outcomes/import.rb: a parent_guids entry must name a group already imported,
    and an outcome's ratings must be in decreasing order of points."""
    rows = rows_of(export_framework("canvas"))
    seen = set()
    for row in rows[1:]:
        assert all(parent in seen for parent in row[8].split()), row[:2]
        seen.add(row[0])
    for row in rows[1:]:
        if row[1] == "outcome":
            points = [float(value) for value in row[9::2]]
            assert points == sorted(points, reverse=True) and len(set(points)) == len(points)
            assert min(points) <= float(row[7]) <= max(points)  # mastery on the scale


def test_the_route_serves_each_format_to_anyone(loaded, client):
    for fmt, mimetype in (("case", "application/json"), ("moodle", "text/csv"),
                          ("canvas", "text/csv")):
        response = client.get(f"/api/v1/framework/export/{fmt}")
        assert response.status_code == 200 and response.mimetype == mimetype
        assert "attachment" in response.headers["Content-Disposition"]
    assert client.get("/api/v1/framework/export/xml").status_code == 404
    for code in ("lehc", *LINKED):
        response = client.get(f"/api/v1/framework/export/case/{code}")
        assert response.status_code == 200 and response.mimetype == "application/json"
        validate(response.get_json())
    unknown = client.get("/api/v1/framework/export/case/nope")
    assert unknown.status_code == 404
    assert "the frameworks are lehc, hay-ccg, nhs-lf, lqf" in unknown.get_json()["message"]
    chosen = client.get("/api/v1/framework/export/moodle?idnumber=lehc-2027")
    assert rows_of(chosen.get_data(as_text=True))[1][1] == "lehc-2027"
    wrong = client.get("/api/v1/framework/export/case?guid_prefix=x")
    assert wrong.status_code == 422 and "canvas format only" in wrong.get_json()["message"]


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
    linked = runner.invoke(args=["lms", "export-framework", "--format", "case",
                                 "--framework", "nhs-lf"])
    assert linked.exit_code == 0
    assert json.loads(linked.output)["CFDocument"]["title"] == "NHS Leadership Framework"
    refused = runner.invoke(args=["lms", "export-framework", "--format", "moodle",
                                  "--idnumber", "two words"])
    assert refused.exit_code == 1 and "ID number must be 1 to 100" in refused.output
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
