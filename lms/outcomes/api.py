"""Outcomes API: paired statistics per behaviour, theme and framework, as JSON or CSV."""

from __future__ import annotations

from flask import Response, current_app
from flask_login import current_user
from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from lms import access
from lms.core.caching import cached
from lms.core.replica import reads_from_replica
from lms.core.schemas import Id
from lms.outcomes import engagement, evaluation, others, service
from lms.outcomes.csv_export import profile_csv, report_csv
from lms.outcomes.report import LEVELS
from lms.outcomes.schemas import Engagement, OutcomeReport, Profile
from lms.outcomes.service import LINKED_FRAMEWORKS
from lms.ratings.service import participant_enrolment, sector_of
from lms.web.api import NOT_FOUND, Blueprint
from lms.web.guards import guard

blp = Blueprint("outcomes", __name__,
                description="What changed, by how much and how sure we are; sponsors see "
                            "figures about at least the programme's minimum group size only.")

CSV_RESPONSE = {"200": {"description": "One line per figure; formula-like text neutralised.",
                        "content": {"text/csv": {"schema": {"type": "string"}}}}}


class OutcomeQuerySchema(Schema):
    """What to report and how to split it."""

    level = fields.String(load_default="behaviour", validate=validate.OneOf(LEVELS),
                          metadata={"description": "Rows: behaviours, themes, the whole "
                                    "framework, or the headings of a linked framework "
                                    "(`linked`, with `framework`)."})
    breakdown = fields.String(validate=validate.OneOf(service.BREAKDOWNS))
    framework = fields.String(validate=validate.OneOf(LINKED_FRAMEWORKS),
                              metadata={"description": "With level=linked: the framework "
                                        "whose headings are the rows."})
    source = fields.String(load_default="self", validate=validate.OneOf(others.SOURCES),
                           metadata={"description": "`self`: the self-ratings; `others`: "
                                     "each participant's figures from their 360 raters, "
                                     "as their report shows them (closed rounds only)."})


class ProgrammeOutcomeQuerySchema(OutcomeQuerySchema):
    """Programme reports may narrow to some cohorts: ``cohorts=1,2``."""

    cohorts = DelimitedList(Id(strict=False), validate=validate.Length(max=200))


class ReportQuerySchema(Schema):
    """How to split the evaluation report's tables and charts."""

    breakdown = fields.String(validate=validate.OneOf(service.BREAKDOWNS),
                              metadata={"description": "A row per group in the report's "
                                        "tables and charts (as in the outcomes API)."})


class ProgrammeReportQuerySchema(ReportQuerySchema):
    """Programme reports may narrow to some cohorts: ``cohorts=1,2``."""

    cohorts = DelimitedList(Id(strict=False), validate=validate.Length(max=200))


PDF_RESPONSE = {"200": {"description": "The evaluation report: a tagged A4 PDF (PDF/UA-1).",
                        "content": {"application/pdf": {
                            "schema": {"type": "string", "format": "binary"}}}}}


class MeQuerySchema(Schema):
    """Which cohort, for a participant in more than one."""

    cohort = Id(strict=False)


def as_csv(report: dict, name: str) -> Response:
    """A report as a CSV download."""
    return Response(report_csv(report), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def cohort_scope(cohort_id: int) -> tuple[list, object, bool]:
    """The cohort as the caller may see it: ([cohort], programme, protect)."""
    cohort = access.cohort_for(current_user, cohort_id)
    return [cohort], cohort.programme, access.outcomes_protected(current_user, cohort)


def programme_scope(programme_id: int, query: dict) -> tuple[list, object, bool]:
    """The programme's cohorts the caller may see: (cohorts, programme, protect)."""
    programme = access.programme_for(current_user, programme_id)
    cohorts, protect = access.outcome_cohorts(current_user, programme, query.get("cohorts"))
    return cohorts, programme, protect


def cohort_report(cohort_id: int, query: dict) -> dict:
    """A cohort's report as the caller may see it."""
    cohorts, programme, protect = cohort_scope(cohort_id)
    return service.outcomes(cohorts, programme, query["level"], query.get("breakdown"),
                            protect, query.get("framework"), query.get("source", "self"))


def programme_report(programme_id: int, query: dict) -> dict:
    """A programme's report over the cohorts the caller may see."""
    cohorts, programme, protect = programme_scope(programme_id, query)
    return service.outcomes(cohorts, programme, query["level"], query.get("breakdown"),
                            protect, query.get("framework"), query.get("source", "self"))


def report_response(cohorts, programme, protect: bool, query: dict) -> Response:
    """A report as JSON, kept written out under its data version: a repeated question costs
    the version's query and a cache read, not a serialisation of every figure."""
    level, breakdown, linked = query["level"], query.get("breakdown"), query.get("framework")
    source = query.get("source", "self")
    parts = service.report_key(cohorts, programme, level, breakdown, protect, linked, source)
    document = cached("outcomes-json", parts, lambda: current_app.json.dumps(
        OutcomeReport().dump(service.outcomes(cohorts, programme, level, breakdown, protect,
                                              linked, source))))
    return Response(document, mimetype="application/json")


@blp.get("/cohorts/<id:cohort_id>/outcomes")
@guard(blp)
@blp.arguments(OutcomeQuerySchema, location="query")
@blp.response(200, OutcomeReport)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_cohort_outcomes(query, cohort_id: int):
    """The cohort's outcomes: post − pre, post − then and then − pre per row."""
    return report_response(*cohort_scope(cohort_id), query)


@blp.get("/cohorts/<id:cohort_id>/outcomes.csv")
@guard(blp)
@blp.arguments(OutcomeQuerySchema, location="query")
@blp.doc(responses=CSV_RESPONSE)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_cohort_outcomes_csv(query, cohort_id: int):
    """The cohort's outcomes as CSV, one line per figure, rounded for people (decimals to 2
    places, p values to 3 significant figures; the JSON keeps full precision)."""
    return as_csv(cohort_report(cohort_id, query), f"cohort-{cohort_id}-outcomes")


@blp.get("/programmes/<id:programme_id>/outcomes")
@guard(blp)
@blp.arguments(ProgrammeOutcomeQuerySchema, location="query")
@blp.response(200, OutcomeReport)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_programme_outcomes(query, programme_id: int):
    """Outcomes over the programme's cohorts you may see, or those named in ``cohorts``."""
    return report_response(*programme_scope(programme_id, query), query)


@blp.get("/programmes/<id:programme_id>/outcomes.csv")
@guard(blp)
@blp.arguments(ProgrammeOutcomeQuerySchema, location="query")
@blp.doc(responses=CSV_RESPONSE)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_programme_outcomes_csv(query, programme_id: int):
    """The programme's outcomes as CSV, one line per figure, rounded for people (decimals
    to 2 places, p values to 3 significant figures; the JSON keeps full precision)."""
    return as_csv(programme_report(programme_id, query), f"programme-{programme_id}-outcomes")


def pdf_response(document: bytes, name: str) -> Response:
    """A PDF download, private to the caller like the figures in it."""
    return Response(document, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}.pdf"',
                             "Cache-Control": "private, no-cache"})


@blp.get("/cohorts/<id:cohort_id>/report.pdf")
@guard(blp)
@blp.arguments(ReportQuerySchema, location="query")
@blp.doc(responses=PDF_RESPONSE)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_cohort_report_pdf(query, cohort_id: int):
    """The cohort's evaluation report as a PDF: the summary, the participant flow, the
    charts, every figure, the methods and a glossary, under the same disclosure control as
    the outcomes."""
    cohorts, programme, protect = cohort_scope(cohort_id)
    document = evaluation.report_pdf(cohorts, programme, protect, query.get("breakdown"))
    return pdf_response(document, f"cohort-{cohort_id}-evaluation-report")


@blp.get("/programmes/<id:programme_id>/report.pdf")
@guard(blp)
@blp.arguments(ProgrammeReportQuerySchema, location="query")
@blp.doc(responses=PDF_RESPONSE)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_programme_report_pdf(query, programme_id: int):
    """The evaluation report over the programme's cohorts you may see (or those named in
    ``cohorts``), as a PDF."""
    cohorts, programme, protect = programme_scope(programme_id, query)
    document = evaluation.report_pdf(cohorts, programme, protect, query.get("breakdown"))
    return pdf_response(document, f"programme-{programme_id}-evaluation-report")


@blp.get("/cohorts/<id:cohort_id>/engagement")
@guard(blp)
@blp.arguments(ReportQuerySchema, location="query")
@blp.response(200, Engagement)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_cohort_engagement(query, cohort_id: int):
    """How many submitted each self-assessment and completed each module (sponsors: from
    the cohort's latest release, under disclosure control; tutors: live)."""
    cohorts, programme, protect = cohort_scope(cohort_id)
    return engagement.engagement(cohorts, programme, protect, query.get("breakdown"))


@blp.get("/programmes/<id:programme_id>/engagement")
@guard(blp)
@blp.arguments(ProgrammeReportQuerySchema, location="query")
@blp.response(200, Engagement)
@blp.alt_response(404, **NOT_FOUND)
@reads_from_replica
def get_programme_engagement(query, programme_id: int):
    """Engagement per cohort you may see (or those named in ``cohorts``), with their total."""
    cohorts, programme, protect = programme_scope(programme_id, query)
    return engagement.engagement(cohorts, programme, protect, query.get("breakdown"))


def my_report(query: dict) -> dict:
    """The caller's own profile."""
    enrolment = participant_enrolment(current_user, query.get("cohort"))
    return service.my_profile(current_user.id, enrolment.cohort, sector_of(enrolment))


@blp.get("/me/outcomes")
@guard(blp, "participant")
@blp.arguments(MeQuerySchema, location="query")
@blp.response(200, Profile)
@blp.alt_response(404, **NOT_FOUND)
def get_my_outcomes(query):
    """Your own pre, then and post per behaviour, beside your cohort's protected averages."""
    return my_report(query)


@blp.get("/me/outcomes.csv")
@guard(blp, "participant")
@blp.arguments(MeQuerySchema, location="query")
@blp.doc(responses=CSV_RESPONSE)
@blp.alt_response(404, **NOT_FOUND)
def get_my_outcomes_csv(query):
    """Your own profile as CSV."""
    return Response(profile_csv(my_report(query)), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="my-outcomes.csv"'})
