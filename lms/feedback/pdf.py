"""A closed round's 360 report as a tagged A4 PDF, for the participant and their tutors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from lms.cohorts.models import Cohort
from lms.core.errors import Conflict
from lms.feedback.report import ALL_OTHERS
from lms.web.pdf import pdf_from_html

ROUND_NAMES = {"pre": "Start of the programme (pre)", "post": "End of the programme (post)"}


def report_pdf(result: dict[str, Any], cohort: Cohort, own: bool) -> bytes:
    """The PDF of a report ``feedback_report`` made; Conflict while the round is open."""
    if not result["available"]:
        raise Conflict(result["note"])
    stylesheet = Path(current_app.static_folder, "report.css").as_uri()
    document = render_template(
        "feedback/report_pdf.html", result=result, cohort=cohort, own=own,
        participant_name=result["participant"]["name"], stylesheet=stylesheet,
        produced=dt.date.today(), round_names=ROUND_NAMES, all_others=ALL_OTHERS)
    return pdf_from_html(document, stylesheet)
