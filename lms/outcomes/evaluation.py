"""The evaluation report: everything a programme board reads, gathered from the same reports
the outcomes API serves (so a sponsor's report holds no figure their JSON would not), and
printed as an HTML page or an A4 PDF.

The PDF is made from HTML by WeasyPrint, tagged (PDF/UA-1) with the document's language so
that screen readers can follow it; its charts are the SVG charts, drawn as vectors. It is
kept in the cache under the data version its figures rest on, like the charts.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, render_template

from lms.cohorts.models import Cohort, Programme
from lms.core import data_version
from lms.core.caching import cached
from lms.outcomes import chart_data, engagement, others, service
from lms.outcomes.charts import COMPARISON_TITLES, DESCRIBE, DRAW, TextAlternative, render
from lms.outcomes.csv_export import P_VALUES
from lms.outcomes.summary import Summary, summarise
from lms.outcomes.wording import held_back_sentence
from lms.web.pdf import pdf_from_html

#: The comparisons in the order the report takes them.
COMPARISON_ORDER = ("post_pre", "post_then", "then_pre")
#: Charts are drawn for A4 at this size (pixels at 100 dpi: 17 cm wide).
CHART_WIDTH = 900


@dataclass
class Chart:
    """One chart of the report: its SVG and its text alternative."""

    svg: bytes
    text: TextAlternative

    @property
    def data_uri(self) -> str:
        """The SVG as an ``img`` source (WeasyPrint draws it as vectors)."""
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode()


@dataclass
class Evaluation:
    """What the report shows."""

    programme: Programme
    cohorts: Sequence[Cohort]
    breakdown: str | None
    protect: bool
    produced_at: dt.datetime
    version: str
    summary: Summary
    themes: dict[str, Any]
    behaviours: dict[str, Any]
    framework: dict[str, Any]
    charts: dict[str, Chart]
    engagement: dict[str, Any]
    titles: dict[str, str]
    statements: dict[str, str]
    #: The change per theme seen by 360 raters (source=others), when any rated.
    others: dict[str, Any] | None = None


def summary_of(cohorts: Sequence[Cohort], programme: Programme, protect: bool) -> Summary:
    """The plain-English summary of a scope (two reports, each cached)."""
    themes = service.outcomes(cohorts, programme, "theme", None, protect)
    framework = service.outcomes(cohorts, programme, "framework", None, protect)
    scale = [point["value"] for point in programme.rating_scale]
    return summarise(themes, framework, chart_data.theme_titles(), scale,
                     {c.id: c.name for c in cohorts})


def chart(name: str, data: dict[str, Any], height: int) -> Chart:
    """A chart drawn as SVG, with its text alternative."""
    return Chart(render(DRAW[name], data, CHART_WIDTH, height, "svg", svg_text=True),
                 DESCRIBE[name](data))


def charts_of(cohorts: Sequence[Cohort], programme: Programme, protect: bool,
              breakdown: str | None) -> dict[str, Chart]:
    """The report's charts, from the same data as the chart endpoints."""
    return {
        "effects": chart("effects", chart_data.effects_data(
            cohorts, programme, protect, "post_pre", "theme", breakdown), 420),
        "shift": chart("effects", chart_data.effects_data(
            cohorts, programme, protect, "then_pre", "theme", breakdown), 420),
        "likert": chart("likert", chart_data.likert_data(
            cohorts, programme, protect, None, breakdown), 480),
        "behaviours": chart("behaviours", chart_data.behaviours_data(
            cohorts, programme, protect), 900),
        "engagement": chart("engagement", chart_data.engagement_data(
            cohorts, programme, protect, breakdown), 420),
    }


def gather(cohorts: Sequence[Cohort], programme: Programme, protect: bool,
           breakdown: str | None) -> Evaluation:
    """Everything the report shows, from the cached reports."""
    framework = service.outcomes(cohorts, programme, "framework", None, protect)
    return Evaluation(
        programme=programme, cohorts=cohorts, breakdown=breakdown, protect=protect,
        produced_at=dt.datetime.now(dt.UTC),
        version=data_version.scoped(versions_of(protect), [c.id for c in cohorts]),
        summary=summary_of(cohorts, programme, protect),
        themes=service.outcomes(cohorts, programme, "theme", breakdown, protect),
        behaviours=service.outcomes(cohorts, programme, "behaviour", breakdown, protect),
        framework=framework, charts=charts_of(cohorts, programme, protect, breakdown),
        engagement=engagement.engagement(cohorts, programme, protect, breakdown),
        titles=chart_data.theme_titles(), statements=chart_data.behaviour_statements(),
        others=(service.outcomes(cohorts, programme, "theme", None, protect, None, "others")
                if others.rated_any([c.id for c in cohorts]) else None))


#: Figures that are shares of people, printed as whole percentages.
SHARES = ("improved", "same", "declined")


def printed(figure: str, value: Any) -> str:
    """A figure as the report prints it, rounded for people like the CSV: p values to 3
    significant figures, shares as whole percentages, other decimals to 2 places."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, float):
        return str(value)
    if figure in P_VALUES:
        return f"{value:.3g}"
    if figure in SHARES:
        return f"{value * 100:.0f}%"
    return f"{value:.2f}"


#: The report's stylesheet, beside the pages' static files.
STYLESHEET = "report.css"


def html(evaluation: Evaluation, printable_page: bool = False, stylesheet: str = STYLESHEET,
         pdf_url: str | None = None) -> str:
    """The report as one HTML document (for WeasyPrint, or to print from a browser, which
    takes ``stylesheet`` from its URL and offers the PDF at ``pdf_url``)."""
    return render_template("report/evaluation.html", e=evaluation, stylesheet=stylesheet,
                           pdf_url=pdf_url,
                           comparisons=COMPARISON_ORDER, comparison_titles=COMPARISON_TITLES,
                           printable_page=printable_page, fig=printed,
                           names={c.id: c.name for c in evaluation.cohorts},
                           scale=evaluation.programme.rating_scale,
                           held_back_sentence=held_back_sentence)


def pdf_bytes(evaluation: Evaluation) -> bytes:
    """The report as a tagged A4 PDF (PDF/UA-1), its language set."""
    stylesheet = Path(current_app.static_folder, STYLESHEET).as_uri()
    return pdf_from_html(html(evaluation, stylesheet=stylesheet), stylesheet)


def versions_of(protect: bool) -> tuple[str, ...]:
    """The data versions a report rests on: its outcomes', and for tutors (live
    engagement) the work done too; a sponsor's engagement comes from the releases."""
    return service.versions_for(protect) + (() if protect else (data_version.PROGRESS,))


def report_pdf(cohorts: Sequence[Cohort], programme: Programme, protect: bool,
               breakdown: str | None) -> bytes:
    """The report's PDF, kept under the data versions its figures rest on (any release,
    submission, completed activity or change to the programme makes a new one)."""
    parts = {**service.report_key(cohorts, programme, "report", breakdown, protect),
             "version": data_version.scoped(versions_of(protect), [c.id for c in cohorts]),
             "format": "pdf",
             "others": others.others_key(cohorts, protect)}
    return cached("report-pdf", parts,
                  lambda: pdf_bytes(gather(cohorts, programme, protect, breakdown)))
