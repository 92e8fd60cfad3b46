"""The programme's module files, and the loader's validation of broken copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from lms.core.extensions import db
from lms.curriculum.files import read_module_directory
from lms.curriculum.models import Activity, ActivityRecord, Module
from tests.fixtures import PROJECT_ROOT
from tests.framework.test_seed import snapshot

MODULES = PROJECT_ROOT / "modules"


@pytest.fixture(scope="module")
def modules():
    return read_module_directory(MODULES)


def test_the_programme_has_an_induction_four_theme_modules_and_a_closing_module(modules):
    assert [(m["slug"], m["theme"]) for m in modules] == [
        ("induction", None),
        ("strategic-intent", "SI"),
        ("facilitative-collaborative", "FC"),
        ("driving-transformation", "DT"),
        ("flexibility-openness", "FO"),
        ("sustaining-change", None),
    ]


def test_every_module_has_three_activities_and_a_reflection(modules):
    for module in modules:
        kinds = [a["kind"] for a in module["activities"]]
        assert len(kinds) >= 3, module["slug"]
        assert "reflect" in kinds, module["slug"]
        assert all(a["text"] for a in module["activities"]), module["slug"]


def test_every_one_of_the_37_behaviours_is_developed_by_a_module(modules, seed_data):
    codes = {b["code"] for t in seed_data["themes"] for b in t["behaviours"]}
    assert len(codes) == 37
    covered = {code for m in modules for code in m["behaviours"]}
    assert codes - covered == set()
    assert covered - codes == set()


def test_each_theme_module_develops_all_of_its_themes_behaviours(modules, seed_data):
    for theme in seed_data["themes"]:
        module = next(m for m in modules if m["theme"] == theme["code"])
        assert set(module["behaviours"]) == {b["code"] for b in theme["behaviours"]}


def load(app, folder: Path):
    return app.test_cli_runner().invoke(args=["lms", "load-modules", str(folder)])


@pytest.fixture
def copy_of_modules(tmp_path):
    """A writable copy of modules/."""
    folder = tmp_path / "modules"
    shutil.copytree(MODULES, folder)
    return folder


def edit_front_matter(path: Path, change) -> None:
    """Change a module file's front matter in place."""
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    data = yaml.safe_load(front)
    change(data)
    path.write_text("---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n" + body,
                    encoding="utf-8")


def test_loading_twice_changes_nothing(seeded):
    first = load(seeded, MODULES)
    assert first.exit_code == 0, first.output
    assert "created 30 activities, 6 modules" in first.output
    before = snapshot()
    second = load(seeded, MODULES)
    assert "nothing changed" in second.output
    assert snapshot() == before


def test_editing_text_updates_it_in_place(seeded, copy_of_modules):
    load(seeded, copy_of_modules)
    path = copy_of_modules / "02-strategic-intent.md"
    path.write_text(path.read_text().replace("Most of what keeps people well",
                                             "Nearly everything that keeps people well"))
    result = load(seeded, copy_of_modules)
    assert "updated 1 activities" in result.output
    activity = db.session.scalar(sa.select(Activity).filter_by(key="wider-determinants"))
    assert activity.text.startswith("Nearly everything")
    assert "<p>Nearly everything" in activity.text_html


def test_a_removed_activity_is_retired_and_its_records_are_kept(seeded, copy_of_modules):
    from tests import builders as b

    load(seeded, copy_of_modules)
    user = b.make_user("participant")
    activity = db.session.scalar(sa.select(Activity).filter_by(key="future-scan"))
    db.session.add(ActivityRecord(user=user, activity=activity, evidence="my notes"))
    db.session.commit()
    path = copy_of_modules / "02-strategic-intent.md"
    # The activity goes from the English edition and from the Welsh one beside it (a Welsh
    # edition naming an activity the English does not have is refused).
    for edition in (path, copy_of_modules / "cy" / "02-strategic-intent.md"):
        edit_front_matter(edition, lambda d: d.update(activities=d["activities"][:-1]))
        text = edition.read_text()
        edition.write_text(text[: text.index("## future-scan")])
    result = load(seeded, copy_of_modules)
    assert result.exit_code == 0, result.output
    assert "removed 1 activities (retired)" in result.output
    db.session.expire_all()
    retired = db.session.scalar(sa.select(Activity).filter_by(key="future-scan"))
    assert retired.retired_at is not None
    assert db.session.scalar(sa.select(ActivityRecord.evidence)) == "my notes"
    # Putting it back brings it back, with the record still attached.
    shutil.copy(MODULES / "02-strategic-intent.md", path)
    shutil.copy(MODULES / "cy" / "02-strategic-intent.md", copy_of_modules / "cy")
    load(seeded, copy_of_modules)
    db.session.expire_all()
    assert db.session.get(Activity, retired.id).retired_at is None


def test_a_removed_module_file_retires_the_module(seeded, copy_of_modules):
    load(seeded, copy_of_modules)
    (copy_of_modules / "05-flexibility-openness.md").unlink()
    (copy_of_modules / "cy" / "05-flexibility-openness.md").unlink()  # its Welsh edition too
    result = load(seeded, copy_of_modules)
    assert "removed 1 modules (retired)" in result.output
    assert db.session.scalar(sa.select(Module.retired_at).filter_by(
        slug="flexibility-openness")) is not None


BROKEN = {
    "unknown behaviour code": (
        "02-strategic-intent.md", lambda d: d.update(behaviours=["SI.1", "SI.99"]),
        "02-strategic-intent.md: behaviours: unknown behaviour codes SI.99"),
    "unknown theme": (
        "02-strategic-intent.md", lambda d: d.update(theme="ZZ"),
        "02-strategic-intent.md: theme: unknown theme 'ZZ'"),
    "missing title": (
        "03-facilitative-collaborative.md", lambda d: d.pop("title"),
        "03-facilitative-collaborative.md: title: Missing data for required field."),
    "duplicate slug": (
        "03-facilitative-collaborative.md", lambda d: d.update(slug="strategic-intent"),
        "03-facilitative-collaborative.md: slug: 'strategic-intent' is also used by "
        "02-strategic-intent.md"),
    "duplicate activity key": (
        "04-driving-transformation.md",
        lambda d: d["activities"][1].update(key="right-questions"),
        "04-driving-transformation.md: activities: repeated: right-questions"),
    "unknown activity kind": (
        "01-induction.md", lambda d: d["activities"][0].update(kind="watch"),
        "01-induction.md: activities[0].kind: Must be one of: read, reflect, practise, "
        "discuss, inquiry."),
    "activity without a section": (
        "06-sustaining-change.md",
        lambda d: d["activities"].append({"key": "extra", "kind": "read", "title": "Extra"}),
        "06-sustaining-change.md: activities: 'extra' has no '## extra' section"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_file_is_rejected_naming_file_and_field_and_nothing_is_written(
        seeded, copy_of_modules, case):
    name, change, expected = BROKEN[case]
    load(seeded, MODULES)
    before = snapshot()
    edit_front_matter(copy_of_modules / name, change)
    (copy_of_modules / "01-induction.md").write_text(
        (copy_of_modules / "01-induction.md").read_text().replace("Three ideas run", "Edited"))
    result = load(seeded, copy_of_modules)
    assert result.exit_code == 1
    assert expected in result.output
    assert "nothing was written" in result.output
    db.session.expire_all()
    assert snapshot() == before


@pytest.mark.parametrize(("text", "expected"), [
    ("no front matter here\n", "the file must start with YAML front matter"),
    ("---\ntitle: [unclosed\n---\nbody\n", "front matter is not valid YAML: line"),
    ("---\n- a\n- list\n---\n", "the front matter must be a mapping"),
])
def test_unreadable_module_files_are_rejected(seeded, copy_of_modules, text, expected):
    (copy_of_modules / "07-broken.md").write_text(text)
    result = load(seeded, copy_of_modules)
    assert result.exit_code == 1
    assert f"07-broken.md: {expected}" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Module)) == 0


def test_a_stray_section_is_rejected(seeded, copy_of_modules):
    path = copy_of_modules / "01-induction.md"
    path.write_text(path.read_text() + "\n## not-an-activity\n\nStray text.\n")
    result = load(seeded, copy_of_modules)
    assert result.exit_code == 1
    assert "the section '## not-an-activity' is not an activity of this module" in result.output


def test_loading_needs_the_framework_first(app):
    result = load(app, MODULES)
    assert result.exit_code == 1
    assert "run flask lms seed" in result.output
