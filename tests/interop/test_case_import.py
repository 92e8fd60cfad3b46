"""Loading a framework from a CASE package: round trips, a new edition, refusals."""

from __future__ import annotations

import copy
import json

import pytest
import sqlalchemy as sa

from lms.core.extensions import db
from lms.core.seeding import SeedError
from lms.framework.models import Behaviour, Theme, ThemeLink
from lms.framework.service import get_framework
from lms.interop.case_import import import_case
from lms.interop.framework_export import export_framework, identifier
from tests import builders as b


def exported() -> dict:
    return json.loads(export_framework("case"))


def as_bytes(package: dict) -> bytes:
    return json.dumps(package).encode()


def snapshot() -> dict:
    """What an export says, for comparing before and after."""
    db.session.expire_all()
    return exported()


def test_importing_an_export_changes_nothing(seeded):
    before = snapshot()
    report = import_case(as_bytes(before))
    assert report.changes == 0, report.summary()
    db.session.commit()
    assert snapshot() == before


def test_a_new_edition_is_loaded(seeded):
    package = exported()
    items = {item["humanCodingScheme"]: item for item in package["CFItems"]
             if "humanCodingScheme" in item}
    items["SI.1"]["fullStatement"] = "A reworded first behaviour."
    package["CFDocument"]["version"] = "March 2027"
    # One more behaviour at the end of FO, a child of the theme.
    fo = items["FO"]
    new_id = identifier("behaviour", "FO.8")
    package["CFItems"].append({**items["FO.7"], "identifier": new_id, "uri": f"urn:uuid:{new_id}",
                               "humanCodingScheme": "FO.8", "fullStatement": "Something new."})
    package["CFAssociations"].append({
        "identifier": identifier("association", "new"), "uri": "urn:uuid:" + identifier("x"),
        "associationType": "isChildOf", "sequenceNumber": 8,
        "originNodeURI": {"title": "FO.8", "identifier": new_id, "uri": f"urn:uuid:{new_id}"},
        "destinationNodeURI": {"title": fo["fullStatement"], "identifier": fo["identifier"],
                               "uri": fo["uri"]},
        "lastChangeDateTime": "2027-03-01T00:00:00Z"})
    import_case(as_bytes(package))
    db.session.commit()
    framework = get_framework()
    assert framework["version"] == "March 2027"
    assert db.session.scalar(sa.select(Behaviour.statement).filter_by(code="SI.1")) == \
        "A reworded first behaviour."
    assert db.session.scalar(sa.select(Behaviour.statement).filter_by(code="FO.8")) == \
        "Something new."
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThemeLink)) == 29


@pytest.mark.parametrize(("break_it", "reason"), [
    (lambda p: p["CFDocument"].pop("uri"), "CFDocument: 'uri' is a required property"),
    (lambda p: p["CFItems"][0].update(identifier="not-a-uuid"), "CFItems.0.identifier"),
    (lambda p: p["CFItems"][0].pop("humanCodingScheme"), "themes[0].code"),
    (lambda p: next(i for i in p["CFItems"] if i.get("humanCodingScheme") == "SI.2")
     .update(humanCodingScheme="SI.9"), "must be SI.2"),
])
def test_an_invalid_package_is_refused_with_the_reason_and_nothing_changes(
        seeded, break_it, reason):
    before = snapshot()
    package = copy.deepcopy(before)
    break_it(package)
    with pytest.raises(SeedError) as refused:
        import_case(as_bytes(package))
    assert any(reason in problem for problem in refused.value.problems), refused.value.problems
    db.session.rollback()
    assert snapshot() == before


@pytest.mark.parametrize(("data", "reason"), [
    (b"{not json", "not JSON: Expecting property name enclosed in double quotes at line 1"),
    (b"\xff\xfe", "not UTF-8 text"),
    (b"[]", "(package): [] is not of type 'object'"),
])
def test_a_file_that_is_not_a_package_is_refused(seeded, data, reason):
    with pytest.raises(SeedError) as refused:
        import_case(data)
    assert any(reason in problem for problem in refused.value.problems), refused.value.problems


def test_a_behaviour_with_ratings_cannot_be_dropped_by_an_import(seeded):
    cohort = b.make_cohort()
    person = b.make_user("participant")
    b.enrol(person, cohort)
    b.assess(person, cohort, "pre")
    db.session.commit()
    package = exported()
    fo7 = next(i for i in package["CFItems"] if i.get("humanCodingScheme") == "FO.7")
    package["CFItems"].remove(fo7)
    package["CFAssociations"] = [a for a in package["CFAssociations"]
                                 if a["originNodeURI"]["identifier"] != fo7["identifier"]]
    with pytest.raises(SeedError) as refused:
        import_case(as_bytes(package))
    assert "FO.7" in " ".join(refused.value.problems)


def test_the_command_imports_or_explains(seeded, tmp_path):
    runner = seeded.test_cli_runner()
    good = tmp_path / "case.json"
    good.write_text(json.dumps(exported()))
    done = runner.invoke(args=["lms", "import-framework", str(good)])
    assert done.exit_code == 0 and "nothing changed" in done.output.lower()
    bad = tmp_path / "bad.json"
    bad.write_text('{"CFDocument": {}}')
    refused = runner.invoke(args=["lms", "import-framework", str(bad)])
    assert refused.exit_code == 1
    assert "was not loaded; nothing was written" in refused.output
    assert "CFDocument: 'identifier' is a required property" in refused.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Theme)) == 4


def test_the_four_packages_import_together(seeded, tmp_path):
    runner = seeded.test_cli_runner()
    files = []
    for code in ("lehc", "nhs-lf", "lqf", "hay-ccg"):
        path = tmp_path / f"{code}.json"
        path.write_text(export_framework("case", code))
        files.append(str(path))
    done = runner.invoke(args=["lms", "import-framework", *files])
    assert done.exit_code == 0, done.output
    assert "nothing changed" in done.output.lower()


def test_a_new_heading_comes_from_its_frameworks_package(seeded):
    main = exported()
    linked = json.loads(export_framework("case", "nhs-lf"))
    heading = next(i for i in linked["CFItems"] if i["CFItemType"] == "Heading")
    new_id = identifier("external", "nhs-lf", "Leading change through people")
    linked["CFItems"].append({**heading, "identifier": new_id, "uri": f"urn:uuid:{new_id}",
                              "fullStatement": "Leading change through people"})
    si = next(i for i in main["CFItems"] if i.get("humanCodingScheme") == "SI")
    main["CFAssociations"].append({
        "identifier": identifier("association", "new-link"),
        "uri": "urn:uuid:" + identifier("association", "new-link"),
        "associationType": "isRelatedTo", "sequenceNumber": 9,
        "originNodeURI": {"title": si["fullStatement"], "identifier": si["identifier"],
                          "uri": si["uri"]},
        "destinationNodeURI": {"title": "NHS Leadership Framework: Leading change through "
                                        "people", "identifier": new_id,
                               "uri": f"urn:uuid:{new_id}"},
        "lastChangeDateTime": "2027-03-01T00:00:00Z"})
    with pytest.raises(SeedError) as refused:
        import_case(as_bytes(main))  # the heading is in no package given, nor stored
    assert any("theme SI links to 'NHS Leadership Framework: Leading change through people'"
               in problem for problem in refused.value.problems), refused.value.problems
    db.session.rollback()
    import_case(as_bytes(main), linked=[(as_bytes(linked), "nhs-lf.json")])
    db.session.commit()
    links = [link.heading.title for link in db.session.scalars(
        sa.select(ThemeLink).join(Theme).where(Theme.code == "SI"))]
    assert "Leading change through people" in links


@pytest.mark.parametrize(("break_it", "reason"), [
    (lambda p: p["CFItems"][0].update(uri="not a uri"), "CFItems.0.uri: 'not a uri' is not a"),
    (lambda p: p["CFDocument"].update(lastChangeDateTime="2012-07-01"),
     "CFDocument.lastChangeDateTime: '2012-07-01' is not a 'date-time'"),
])
def test_formats_are_checked_as_a_case_server_checks_them(seeded, break_it, reason):
    package = exported()
    break_it(package)
    with pytest.raises(SeedError) as refused:
        import_case(as_bytes(package))
    assert any(reason in problem for problem in refused.value.problems), refused.value.problems
