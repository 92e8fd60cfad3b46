"""Welsh content beside the English: the framework's translation (seeds/framework.cy.yaml)
and the modules' Welsh editions (modules/cy/), loaded by `flask lms seed`, refused with the
file, code and reason when they do not fit, and listed by `flask lms translation-status`."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from lms.core.extensions import db
from lms.core.seeding import SeedError
from lms.curriculum.files import read_module_directory
from lms.curriculum.models import Activity
from lms.framework.models import Behaviour, Theme
from lms.framework.welsh import read_welsh_file, sync_welsh
from tests.fixtures import PROJECT_ROOT

MODULES = PROJECT_ROOT / "modules"


def welsh_module_folder(tmp_path: Path, welsh_text: str | None = None) -> Path:
    """A modules folder holding the induction and its Welsh edition (or ``welsh_text``)."""
    folder = tmp_path / "modules"
    (folder / "cy").mkdir(parents=True)
    shutil.copy(MODULES / "01-induction.md", folder)
    target = folder / "cy" / "01-induction.md"
    if welsh_text is None:
        shutil.copy(MODULES / "cy" / "01-induction.md", target)
    else:
        target.write_text(welsh_text, encoding="utf-8")
    return folder


def test_the_framework_translation_covers_every_theme_and_behaviour(seeded):
    with seeded.app_context():
        themes = db.session.scalars(sa.select(Theme)).all()
        behaviours = db.session.scalars(sa.select(Behaviour)).all()
        assert all(t.title_cy and t.tagline_cy for t in themes)
        assert all(b.statement_cy for b in behaviours) and len(behaviours) == 37
        # A translation, never a copy of the English.
        assert not [b.code for b in behaviours if b.statement_cy == b.statement]


def test_a_translation_of_an_unknown_code_is_refused_and_nothing_changes(seeded):
    with seeded.app_context():
        with pytest.raises(SeedError) as refused:
            sync_welsh({"themes": {"XX": {"title": "Dim", "tagline": None}},
                        "behaviours": {"SI.99": "Dim"}})
        assert refused.value.problems == [
            "themes: XX: the framework has no such theme",
            "behaviours: SI.99: the framework has no such behaviour"]
        assert db.session.scalar(sa.select(Behaviour.statement_cy)
                                 .where(Behaviour.code == "SI.1"))


def test_a_code_left_out_of_the_translation_goes_back_to_english(seeded):
    with seeded.app_context():
        data = read_welsh_file(PROJECT_ROOT / "seeds" / "framework.cy.yaml")
        del data["behaviours"]["SI.6"]
        report = sync_welsh(data)
        assert report.updated == {"Welsh statements": 1}
        assert db.session.scalar(sa.select(Behaviour.statement_cy)
                                 .where(Behaviour.code == "SI.6")) is None


def test_a_badly_formed_translation_file_names_the_field(tmp_path):
    path = tmp_path / "framework.cy.yaml"
    path.write_text("themes:\n  SI: {tagline: 'Heb deitl'}\nbehaviours:\n  SI.1: ''\n",
                    encoding="utf-8")
    with pytest.raises(SeedError) as refused:
        read_welsh_file(path)
    problems = " ".join(refused.value.problems)
    assert "themes.SI.value.title" in problems and "behaviours.SI.1.value" in problems


def test_a_welsh_edition_is_read_beside_its_english_one():
    modules = {m["slug"]: m for m in read_module_directory(MODULES)}
    welsh = modules["induction"]["welsh"]
    assert welsh["title"] == "Arwain ar bob lefel: cyflwyniad"
    assert set(welsh["activities"]) == {a["key"] for a in modules["induction"]["activities"]}
    # Every module has its Welsh edition, covering all its activities.
    for slug, module in modules.items():
        assert module["welsh"] is not None, slug
        assert set(module["welsh"]["activities"]) == {a["key"] for a in module["activities"]}


@pytest.mark.parametrize(("change", "problem"), [
    (("slug: induction", "slug: inducshon"),
     "slug: 'inducshon' is not the English edition's 'induction'"),
    (("  - key: network-map\n", "  - key: network-mapp\n"),
     "activities: 'network-mapp' is not an activity of the English edition"),
    (("## best-experience", "## rhywbeth-arall"),
     "body: the section '## rhywbeth-arall' is not an activity of this module"),
])
def test_a_welsh_edition_that_does_not_fit_its_english_one_is_refused(tmp_path, change,
                                                                        problem):
    text = (MODULES / "cy" / "01-induction.md").read_text(encoding="utf-8")
    assert change[0] in text
    folder = welsh_module_folder(tmp_path, text.replace(*change))
    with pytest.raises(SeedError) as refused:
        read_module_directory(folder)
    assert f"cy/01-induction.md: {problem}" in refused.value.problems


def test_a_welsh_edition_without_an_english_one_is_refused(tmp_path):
    folder = welsh_module_folder(tmp_path)
    shutil.copy(folder / "cy" / "01-induction.md", folder / "cy" / "07-extra.md")
    with pytest.raises(SeedError) as refused:
        read_module_directory(folder)
    assert refused.value.problems == ["cy/07-extra.md: there is no English edition 07-extra.md"]


def test_a_welsh_edition_may_leave_activities_in_english(seeded, tmp_path):
    text = (MODULES / "cy" / "01-induction.md").read_text(encoding="utf-8")
    start = text.index("  - key: best-experience")
    text = text[:start] + text[text.index("---", start):]
    text = text[:text.index("## best-experience")]
    folder = welsh_module_folder(tmp_path, text)
    result = seeded.test_cli_runner().invoke(args=["lms", "load-modules", str(folder)])
    assert result.exit_code == 0, result.output
    with seeded.app_context():
        stored = {a.key: a for a in db.session.scalars(sa.select(Activity))}
        assert stored["best-experience"].title_cy is None
        assert stored["three-ideas"].title_cy == ("Tri syniad y mae'r rhaglen wedi'i "
                                                  "hadeiladu arnynt")
        status = seeded.test_cli_runner().invoke(args=["lms", "translation-status", "--check"])
        assert status.exit_code == 1
        assert "module: induction: activity best-experience" in status.output


def test_translation_status_says_what_is_english_only(seeded, tmp_path):
    runner = seeded.test_cli_runner()
    assert runner.invoke(args=["lms", "seed"]).exit_code == 0
    status = runner.invoke(args=["lms", "translation-status", "--check"])
    assert status.exit_code == 0, status.output  # the service as shipped: all in Welsh
    assert "Framework: 4 of 4 themes and 37 of 37 behaviours in Welsh." in status.output
    assert "Modules: 6 of 6 with a Welsh edition." in status.output
    assert "Everything is in Welsh." in status.output
    # A module added without a Welsh edition is listed, and --check fails on it.
    folder = welsh_module_folder(tmp_path)
    shutil.copy(MODULES / "02-strategic-intent.md", folder)
    assert runner.invoke(args=["lms", "load-modules", str(folder)]).exit_code == 0
    report = runner.invoke(args=["lms", "translation-status"])
    assert report.exit_code == 0  # a report; --check makes it a gate
    assert "Modules: 1 of 2 with a Welsh edition." in report.output
    assert "module: strategic-intent (no Welsh edition)" in report.output
    assert runner.invoke(args=["lms", "translation-status", "--check"]).exit_code == 1


def test_a_welsh_edition_that_is_not_a_module_file_names_its_place(tmp_path):
    folder = welsh_module_folder(tmp_path, "---\n- just a list\n---\nText.\n")
    with pytest.raises(SeedError) as refused:
        read_module_directory(folder)
    assert refused.value.problems == [
        "cy/01-induction.md: the front matter must be a mapping (slug, title, …)"]


def test_the_programme_seed_keeps_its_welsh_beside_the_scale(seeded):
    """seeds/programme.yaml's `_cy` keys: the scale ratings are given on stays English only
    (so adding Welsh never changes it), the Welsh is kept beside it by value."""
    from lms.cohorts.models import Programme

    runner = seeded.test_cli_runner()
    assert runner.invoke(args=["lms", "seed"]).exit_code == 0
    with seeded.app_context():
        programme = db.session.scalar(sa.select(Programme))
        assert programme.rating_scale[2] == {"value": 3, "label": "Sometimes"}
        assert programme.scale_labels_cy == {"1": "Ddim eto", "2": "Anaml", "3": "Weithiau",
                                             "4": "Yn aml", "5": "Yn gyson"}
        assert programme.name_cy == "Rhaglen Arweinyddiaeth ar gyfer Cymunedau Grymus ac Iach"
        assert programme.welsh_words()["Consistently"] == "Yn gyson"
    again = runner.invoke(args=["lms", "seed"])
    assert "Programme loaded from" in again.output and ": nothing changed." in again.output
    status = runner.invoke(args=["lms", "translation-status"]).output
    assert "Programme: everything in Welsh." in status


def test_changing_the_programmes_english_clears_its_welsh(seeded):
    """Welsh that said what the old English said would mislead: it goes, and the pages show
    the new English marked as English until the seed gives it Welsh again."""
    from lms.cohorts.models import Programme
    from lms.cohorts.service import update_programme

    assert seeded.test_cli_runner().invoke(args=["lms", "seed"]).exit_code == 0
    with seeded.app_context():
        programme = db.session.scalar(sa.select(Programme))
        scale = [dict(point) for point in programme.rating_scale]
        scale[0]["label"] = "Not at all yet"
        update_programme(programme, {"name": "A new name", "rating_scale": scale})
        assert (programme.name_cy, programme.scale_labels_cy) == (None, None)
        assert programme.description_cy  # unchanged English keeps its Welsh
        status = seeded.test_cli_runner().invoke(args=["lms", "translation-status"]).output
        assert "programme lehc: name" in status and "programme lehc: scale point 1" in status
