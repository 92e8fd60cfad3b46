"""Loading the seed file: validation, idempotent upserts, and nothing half-written."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from lms.core.extensions import db
from lms.core.seeding import load_yaml
from lms.curriculum.models import Module
from lms.framework.models import (
    Behaviour,
    ExternalHeading,
    ExternalIndicator,
    LeadershipLevel,
    Theme,
    ThemeLink,
)
from lms.framework.seed import SeedError, read_seed_file, sync_framework
from tests.fixtures import SEED_FILE


def seed_data() -> dict:
    """A fresh, editable copy of the real seed file's data."""
    return load_yaml(SEED_FILE.read_text(encoding="utf-8"))


def write_seed(tmp_path: Path, data: dict | str, name: str = "framework.yaml") -> Path:
    """Write a seed file (data as YAML, or raw text) and return its path."""
    path = tmp_path / name
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def snapshot() -> dict:
    """Every framework row as plain tuples, to compare the database before and after."""
    tables = [table for table in db.metadata.sorted_tables]
    return {
        table.name: sorted(map(tuple, db.session.execute(sa.select(table)).all()), key=repr)
        for table in tables
    }


def run_seed(runner, path: Path):
    return runner.invoke(args=["lms", "seed", "--file", str(path)])


def test_seed_command_loads_the_real_file(app):
    result = app.test_cli_runner().invoke(args=["lms", "seed"])
    assert result.exit_code == 0, result.output
    assert "created 37 behaviours" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Behaviour)) == 37
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Theme)) == 4
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadershipLevel)) == 3
    assert "6 modules loaded from" in result.output  # one command seeds every feature
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Module)) == 6


def test_a_bad_module_file_stops_the_seed_before_anything_is_stored(app, tmp_path):
    (tmp_path / "broken.md").write_text("no front matter at all\n")
    result = app.test_cli_runner().invoke(args=["lms", "seed", "--modules", str(tmp_path)])
    assert result.exit_code != 0
    assert "broken.md" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Behaviour)) == 0


def test_seeding_twice_changes_nothing(app):
    runner = app.test_cli_runner()
    assert run_seed(runner, SEED_FILE).exit_code == 0
    before = snapshot()
    result = run_seed(runner, SEED_FILE)
    assert result.exit_code == 0
    assert "nothing changed" in result.output
    assert snapshot() == before


def test_editing_a_statement_updates_it_in_place(app, tmp_path):
    runner = app.test_cli_runner()
    run_seed(runner, SEED_FILE)
    original_id = db.session.scalar(sa.select(Behaviour.id).filter_by(code="FO.5"))
    data = seed_data()
    data["themes"][3]["behaviours"][4]["statement"] = "Prepared to take well-judged risks."
    result = run_seed(runner, write_seed(tmp_path, data))
    assert result.exit_code == 0, result.output
    assert "updated 1 behaviours" in result.output
    db.session.expire_all()
    behaviour = db.session.scalar(sa.select(Behaviour).filter_by(code="FO.5"))
    assert behaviour.id == original_id
    assert behaviour.statement == "Prepared to take well-judged risks."


def test_editing_links_replaces_quotes_and_drops_unused_headings(app, tmp_path):
    runner = app.test_cli_runner()
    run_seed(runner, SEED_FILE)
    data = seed_data()
    fo_links = data["themes"][3]["links"]
    fo_links[0]["indicators"] = fo_links[0]["indicators"][:1]  # drop one quote
    del fo_links[1]  # "Leading a commissioning organisation": only FO links to it
    result = run_seed(runner, write_seed(tmp_path, data))
    assert result.exit_code == 0, result.output
    titles = set(db.session.scalars(sa.select(ExternalHeading.title)))
    assert "Leading a commissioning organisation" not in titles
    statements = set(db.session.scalars(sa.select(ExternalIndicator.statement)))
    assert "Creates the conditions to support innovation." not in statements
    assert "Is entrepreneurial and opportunistic" not in statements
    fo = db.session.scalar(sa.select(Theme).filter_by(code="FO"))
    assert [link.heading.title for link in fo.links][:2] == [
        "Leading individuals and teams",
        "Improving services",
    ]
    # Back to the real file: everything returns.
    assert run_seed(runner, SEED_FILE).exit_code == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ThemeLink)) == 29


def yaml_text_with(tmp_path, replace_from: str, replace_to: str) -> Path:
    text = SEED_FILE.read_text(encoding="utf-8")
    assert replace_from in text
    return write_seed(tmp_path, text.replace(replace_from, replace_to, 1))


def mutate(change):
    """Apply a change to a copy of the real data and return it."""
    data = seed_data()
    change(data)
    return data


BROKEN_FILES = {
    "missing theme title": (
        lambda d: d["themes"][0].pop("title"),
        "themes[0].title: Missing data for required field.",
    ),
    "empty statement": (
        lambda d: d["themes"][1]["behaviours"][2].update(statement=""),
        "themes[1].behaviours[2].statement: Shorter than minimum length 1.",
    ),
    "behaviour out of sequence": (
        lambda d: d["themes"][2]["behaviours"][3].update(code="DT.7"),
        "themes[2].behaviours[3].code: must be DT.4: behaviours are numbered in order from 1",
    ),
    "behaviour code of another theme": (
        lambda d: d["themes"][0]["behaviours"][0].update(code="FC.1"),
        "themes[0].behaviours[0].code: must be SI.1",
    ),
    "unknown applies_to": (
        lambda d: d["themes"][2]["behaviours"][7].update(applies_to="commissioners"),
        "themes[2].behaviours[7].applies_to: Must be one of: all, commissioning, providing.",
    ),
    "link to an undeclared framework": (
        lambda d: d["themes"][3]["links"][0].update(framework="itil"),
        "themes[3].links[0].framework: unknown framework 'itil'",
    ),
    "duplicate theme code": (
        lambda d: d["themes"][3].update(code="SI"),
        "themes[3].code: duplicate code 'SI'",
    ),
    "unknown field": (
        lambda d: d["themes"][0].update(colour="blue"),
        "themes[0].colour: Unknown field.",
    ),
    "no themes": (lambda d: d.update(themes=[]), "themes: Shorter than minimum length 1."),
    "statement of the wrong type": (
        lambda d: d["themes"][0]["behaviours"][0].update(statement=["a", "list"]),
        "themes[0].behaviours[0].statement: Not a valid string.",
    ),
}


@pytest.mark.parametrize("case", BROKEN_FILES, ids=list(BROKEN_FILES))
def test_broken_file_is_rejected_naming_the_field_and_nothing_is_written(app, tmp_path, case):
    change, expected = BROKEN_FILES[case]
    runner = app.test_cli_runner()
    run_seed(runner, SEED_FILE)
    data = seed_data()
    data["themes"][0]["behaviours"][0]["statement"] = "An edit that must not be stored."
    change(data)
    path = write_seed(tmp_path, data)
    before = snapshot()
    result = run_seed(runner, path)
    assert result.exit_code == 1
    assert str(path) in result.output
    assert "nothing was written" in result.output
    assert expected in result.output
    db.session.expire_all()
    assert snapshot() == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("themes: [\n  - code: SI\n", "not valid YAML: line 2, column 3"),
        ("- just\n- a list\n", "must hold a mapping"),
        ("", "must hold a mapping"),
        ("framework: !!python/object:os.system {}\n", "not valid YAML"),
    ],
    ids=["unclosed bracket", "a list", "empty", "python tag"],
)
def test_unreadable_files_are_rejected(app, tmp_path, text, expected):
    result = run_seed(app.test_cli_runner(), write_seed(tmp_path, text))
    assert result.exit_code == 1
    assert expected in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Theme)) == 0


def test_missing_and_non_utf8_files(app, tmp_path):
    runner = app.test_cli_runner()
    missing = run_seed(runner, tmp_path / "nope.yaml")
    assert missing.exit_code != 0
    bad_bytes = tmp_path / "latin1.yaml"
    bad_bytes.write_bytes("framework: caf\xe9\n".encode("latin-1"))
    result = run_seed(runner, bad_bytes)
    assert result.exit_code == 1
    assert "not UTF-8" in result.output


def test_a_stored_behaviour_is_never_deleted_by_seeding(app, tmp_path):
    runner = app.test_cli_runner()
    run_seed(runner, SEED_FILE)
    data = seed_data()
    del data["themes"][0]["behaviours"][6]  # SI.7
    before = snapshot()
    result = run_seed(runner, write_seed(tmp_path, data))
    assert result.exit_code == 1
    assert "the stored behaviour SI.7 is missing from the file" in result.output
    db.session.expire_all()
    assert snapshot() == before


def test_read_seed_file_reports_every_problem_at_once(tmp_path):
    data = seed_data()
    data["themes"][0].pop("tagline")
    data["framework"].pop("title")
    with pytest.raises(SeedError) as caught:
        read_seed_file(write_seed(tmp_path, data))
    assert set(caught.value.problems) == {
        "themes[0].tagline: Missing data for required field.",
        "framework.title: Missing data for required field.",
    }


def test_sync_flushes_but_leaves_the_commit_to_the_caller(app):
    with app.app_context():
        sync_framework(read_seed_file(SEED_FILE))
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Behaviour)) == 0


def test_a_broken_programme_file_is_refused_and_nothing_is_written(app, tmp_path):
    path = tmp_path / "programme.yaml"
    path.write_text("programme:\n  slug: lehc\n  name: P\n  rating_scale:\n"
                    "    - {value: 1, label: Low}\n    - {value: 3, label: High}\n")
    result = app.test_cli_runner().invoke(args=["lms", "seed", "--programme-file", str(path)])
    assert result.exit_code == 1
    assert "programme.rating_scale: values must count up by one: [1, 2]" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Theme)) == 0
