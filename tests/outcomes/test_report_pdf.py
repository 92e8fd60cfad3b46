"""The evaluation report as a PDF: read back with pypdf (not with anything of ours), it is a
tagged PDF in English whose text carries the summary, the flow's counts and every figure of
the outcomes JSON the same caller is given, suppressed where the JSON is, and no
participant's name."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from lms.accounts.models import User
from lms.cohorts.models import Enrolment
from lms.core.extensions import db
from lms.outcomes import evaluation
from tests import builders as b

pytestmark = pytest.mark.slow  # each PDF takes a few seconds to lay out

P_VALUES = ("wilcoxon_p", "p_holm")
SHARES = ("improved", "same", "declined")


def shown(figure: str, value) -> str:
    """A figure as a person reads it: written here from the report's stated rounding (p to 3
    significant figures, shares as whole percentages, other decimals to 2 places)."""
    if value is None:
        return "–"
    if isinstance(value, int | str):
        return str(value)
    if figure in P_VALUES:
        return f"{value:.3g}"
    if figure in SHARES:
        return f"{round(value * 100)}%"
    return f"{value:.2f}"


def text_of(document: bytes) -> tuple[PdfReader, str]:
    """The PDF and its text, white space folded."""
    import io

    reader = PdfReader(io.BytesIO(document))
    text = " ".join(page.extract_text() for page in reader.pages)
    return reader, re.sub(r"\s+", " ", text)


def row_lines(report: dict) -> list[str]:
    """What each table row of the report must read, cell after cell, for every comparison."""
    lines = []
    for row in report["rows"]:
        head = row["code"] + (f" {row['group_label'] or 'not recorded'}"
                              if report["breakdown"] else "")
        for name in ("post_pre", "post_then", "then_pre"):
            cell = row[name]
            if cell["suppressed"]:
                lines.append(f"{head} Suppressed: {cell['reason']}")
                continue
            f = {key: shown(key, value) for key, value in cell.items()}
            lines.append(f"{head} {f['n']} {f['mean_before']} {f['mean_after']} "
                         f"{f['mean_change']} {f['ci_low']} to {f['ci_high']} "
                         f"{f['median_change']} {f['sd_change']}")
            method = f" ({cell['wilcoxon_method']})" if cell["wilcoxon_method"] else ""
            lines.append(f"{head} {f['d_z']} {f['d_z_ci_low']} to {f['d_z_ci_high']} "
                         f"{f['d_av']} {f['wilcoxon_p']}{method} {f['p_holm']} "
                         f"{f['rank_biserial']} {f['improved']} {f['same']} {f['declined']}")
    return lines


def distribution_lines(report: dict) -> list[str]:
    """Each theme's answers per point and phase, as the distribution table reads."""
    lines = []
    for row in report["rows"]:
        head = row["code"] + (f" {row['group_label'] or 'not recorded'}"
                              if report["breakdown"] else "")
        for phase, dist in row["distribution"].items():
            if dist["suppressed"]:
                lines.append(f"{head} {phase} Suppressed: {dist['reason']}")
            else:
                counts = " ".join(str(dist["counts"][str(p)]) for p in range(1, 6))
                lines.append(f"{head} {phase} {dist['people']} {counts} {dist['counts']['na']}")
    return lines


def engagement_lines(table: dict) -> list[str]:
    """Each line of the engagement table: a figure, then each row's count and share."""
    lines = []
    for figure in table["figures"]:
        cells = []
        for row in table["rows"]:
            cell = row["figures"].get(figure["key"])
            cells.append("Suppressed" if row["suppressed"] else "–" if not cell["followed"]
                         else f"Suppressed: {cell['reason']}" if cell["suppressed"]
                         else f"{cell['count']} ({round(100 * cell['share'])}%)")
        lines.append(" ".join([figure["title"], *cells]))
    return lines


def get(client, path: str, headers: dict):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response


@pytest.mark.parametrize("breakdown", [None, "leadership_level"])
def test_a_sponsors_report_carries_every_figure_of_their_json(client, programme_data,
                                                               breakdown):
    headers = programme_data["headers"]["sponsor"]
    base = f"/api/v1/programmes/{programme_data['programme'].id}"
    split = f"&breakdown={breakdown}" if breakdown else ""
    response = get(client, f"{base}/report.pdf?{split}", headers)
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    reader, text = text_of(response.data)

    # Tagged, in English, for screen readers.
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert "/StructTreeRoot" in root

    themes = get(client, f"{base}/outcomes?level=theme{split}", headers).json
    behaviours = get(client, f"{base}/outcomes?level=behaviour{split}", headers).json
    assert themes["disclosure_control"] is True
    expected = row_lines(themes) + row_lines(behaviours) + distribution_lines(themes)
    missing = [line for line in expected if line not in text]
    assert not missing, missing[:5]
    if breakdown:  # the small group (3 senior leaders) is suppressed here as in the JSON
        assert any(row["post_pre"]["suppressed"] for row in themes["rows"])
        assert any("Suppressed" in line for line in row_lines(themes))

    engaged = get(client, f"{base}/engagement?{split}", headers).json
    for line in engagement_lines(engaged):
        assert line in text, line

    flow = themes["flow"]
    assert f"{flow['enrolled']} enrolled" in text
    assert f"{flow['paired']['post_pre']} rated themselves both at the start and at the " \
           f"end" in text
    for phase, label in (("pre", "at the start (pre)"), ("post", "at the end (post)")):
        assert f"{flow['phases'][phase]['submitted']} rated themselves {label}" in text

    with client.application.test_request_context():
        cohorts = [programme_data["a"]]
        summary = evaluation.summary_of(cohorts, programme_data["programme"], True)
    for sentence in summary.sentences():
        assert sentence in text, sentence
    assert not [name for name in participant_names() if name in text]


def participant_names() -> list[str]:
    """Every participant's name in the database."""
    names = db.session.scalars(
        sa.select(User.display_name).join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.role == "participant")).all()
    assert names
    return names


def test_a_tutors_report_is_unprotected_named_for_no_one_and_kept_until_data_change(
        client, programme_data, monkeypatch):
    made = []
    real = evaluation.pdf_bytes
    monkeypatch.setattr(evaluation, "pdf_bytes", lambda e: made.append(1) or real(e))
    headers = programme_data["headers"]["tutor"]
    path = f"/api/v1/cohorts/{programme_data['a'].id}/report.pdf"
    first = get(client, path, headers).data
    _reader, text = text_of(first)
    assert "Disclosure control off" in text
    assert "not under disclosure control" in text
    assert not [name for name in participant_names() if name in text]
    assert get(client, path, headers).data == first
    assert len(made) == 1
    # Whether a change makes a new report is the cache key's business: from here on the
    # laying out is counted, not done (each real PDF costs seconds).
    monkeypatch.setattr(evaluation, "pdf_bytes", lambda e: made.append(1) or b"%PDF-1.7")
    # A new answer moves the tutor's data version: the next report is made afresh.
    newcomer = b.make_user("participant")
    b.enrol(newcomer, programme_data["a"], level_code="manager")
    b.assess(newcomer, programme_data["a"], "pre", values={"SI.1": 2})
    db.session.commit()
    get(client, path, headers)
    assert len(made) == 2
    # So does a change only the progress version sees (a tutor's copy counts live work).
    newcomer.display_name = "Renamed Newcomer"
    db.session.commit()
    get(client, path, headers)
    assert len(made) == 3


def test_bad_options_and_other_peoples_cohorts_are_refused(client, programme_data):
    headers = programme_data["headers"]["sponsor"]
    programme = programme_data["programme"].id
    bad = client.get(f"/api/v1/programmes/{programme}/report.pdf?breakdown=shoe_size",
                     headers=headers)
    assert bad.status_code == 422
    assert "breakdown" in bad.get_data(as_text=True)
    # Sponsor A does not sponsor cohort B: not even its existence is confirmed.
    other = client.get(f"/api/v1/cohorts/{programme_data['b'].id}/report.pdf", headers=headers)
    assert other.status_code == 404
    narrowed = client.get(f"/api/v1/programmes/{programme}/report.pdf?cohorts="
                          f"{programme_data['b'].id}", headers=headers)
    assert narrowed.status_code in (403, 404)


def test_a_cohort_name_that_looks_like_markup_or_an_address_is_only_text(client,
                                                                        programme_data):
    # Cohort B is named '=HYPERLINK("http://evil")': printed as text, nothing fetched.
    _reader, text = text_of(get(client, f"/api/v1/cohorts/{programme_data['b'].id}/report.pdf",
                                programme_data["headers"]["admin"]).data)
    assert '=HYPERLINK("http://evil")' in text
    assert not [name for name in participant_names() if name in text]
