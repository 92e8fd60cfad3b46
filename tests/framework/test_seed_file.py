"""The content of seeds/framework.yaml: complete, ordered, and verbatim from the source."""

import re
from collections import Counter

import pytest

from lms.framework.seed import read_seed_file
from tests.fixtures import PROJECT_ROOT, SEED_FILE

SOURCE_TEXT = (
    PROJECT_ROOT / "seeds" / "source" / "leadership-for-empowered-and-healthy-communities.txt"
).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed():
    """The seed file as validated by the loader."""
    return read_seed_file(SEED_FILE)


def all_behaviours(seed):
    return [b for theme in seed["themes"] for b in theme["behaviours"]]


def test_four_themes_in_the_order_the_framework_introduces_them(seed):
    assert [(t["code"], t["title"], t["tagline"]) for t in seed["themes"]] == [
        ("SI", "Strategic intent", "Seeing the whole picture"),
        ("FC", "Facilitative and collaborative style", "Working with others and co-producing"),
        ("DT", "Driving transformation and change", "Changing the system"),
        ("FO", "Flexibility and openness", "Open to new ideas"),
    ]


def test_thirty_seven_behaviours_coded_in_source_order(seed):
    counts = Counter(theme["code"] for theme in seed["themes"] for _ in theme["behaviours"])
    assert counts == {"SI": 7, "FC": 12, "DT": 11, "FO": 7}
    codes = [b["code"] for b in all_behaviours(seed)]
    assert len(codes) == len(set(codes)) == 37
    for theme in seed["themes"]:
        assert [b["code"] for b in theme["behaviours"]] == [
            f"{theme['code']}.{n}" for n in range(1, len(theme["behaviours"]) + 1)
        ]
        offsets = [SOURCE_TEXT.index(b["statement"]) for b in theme["behaviours"]]
        assert offsets == sorted(offsets), f"{theme['code']} behaviours out of source order"


def test_only_the_two_organisation_specific_behaviours_are_restricted(seed):
    restricted = {b["code"]: b for b in all_behaviours(seed) if b["applies_to"] != "all"}
    assert {code: b["applies_to"] for code, b in restricted.items()} == {
        "DT.8": "commissioning",
        "DT.9": "providing",
    }
    assert restricted["DT.8"]["statement"].startswith("In commissioning organisations:")
    assert restricted["DT.9"]["statement"].startswith("In provider organisations:")


def framework_sentences(seed):
    """Every piece of the framework's own words the seed file holds, with where it sits."""
    yield "framework.title", seed["framework"]["title"]
    yield "framework.source", seed["framework"]["source"]
    for theme in seed["themes"]:
        yield f"{theme['code']}.introduction", theme["introduction"]
        for behaviour in theme["behaviours"]:
            yield behaviour["code"], behaviour["statement"]
        for link in theme["links"]:
            yield f"{theme['code']} link {link['heading']}", link["heading"]
            for indicator in link["indicators"]:
                yield f"{theme['code']} quote under {link['heading']}", indicator


def test_every_statement_is_verbatim_from_the_source(seed):
    source_lower = SOURCE_TEXT.lower()
    for where, text in framework_sentences(seed):
        if " link " in where:  # heading names are spelled one way; see the file's notes
            assert text.lower() in source_lower, where
        else:
            assert text in SOURCE_TEXT, f"{where} is not verbatim: {text!r}"


def test_every_key_behaviour_paragraph_of_the_source_is_in_the_file(seed):
    # The source's behaviour paragraphs sit between "Important elements and key behaviours"
    # (or "continued...") and the next "Links with …" block or link heading.
    statements = {b["statement"] for b in all_behaviours(seed)}
    blocks = re.findall(
        r"(?:Important elements and key behaviours|continued\.\.\.)\n\n(.*?)\n\n(?:Links with|"
        r"Politically astute|Understanding patients|Leading individuals)",
        SOURCE_TEXT,
        flags=re.S,
    )
    paragraphs = [p.strip() for block in blocks for p in block.split("\n\n") if p.strip()]
    assert len(paragraphs) == 37
    assert set(paragraphs) == statements


def test_every_theme_links_to_all_three_frameworks(seed):
    declared = {fw["code"] for fw in seed["external_frameworks"]}
    assert declared == {"hay-ccg", "nhs-lf", "lqf"}
    for theme in seed["themes"]:
        assert {link["framework"] for link in theme["links"]} == declared, theme["code"]


def test_every_quoted_indicator_of_the_source_is_in_the_file(seed):
    quoted = [q for t in seed["themes"] for link in t["links"] for q in link["indicators"]]
    # Quotes open with a single quote at the start of a line in the source; one line holds two.
    source_quotes = [line for line in SOURCE_TEXT.splitlines() if line.startswith("'")]
    for line in source_quotes:
        if line.startswith("'This framework was co-produced"):
            continue  # the document's own introduction, not a cross-framework quote
        assert any(q in line for q in quoted), f"source quote missing from the file: {line}"
    assert "Coaches and develops individuals." in quoted  # the one unquoted indicator
    assert len(quoted) == 32


def test_headings_without_quotes_are_kept(seed):
    bare = {
        (t["code"], link["heading"])
        for t in seed["themes"]
        for link in t["links"]
        if not link["indicators"]
    }
    assert bare == {
        ("FC", "Working with others: encouraging contribution"),
        ("DT", "Managing teams: managing people"),
        ("DT", "Improving services: critically evaluating"),
        ("FO", "Personal qualities: managing yourself"),
    }


def test_leadership_levels_are_the_three_of_distributed_leadership(seed):
    assert [level["code"] for level in seed["leadership_levels"]] == [
        "front_line",
        "manager",
        "senior_leader",
    ]

