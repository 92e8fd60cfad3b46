"""Chart endpoints: PNG, SVG, or the text alternative as JSON, guarded like the numbers.

Every answer carries an ETag derived from the data it draws and ``Cache-Control: private``;
a matching ``If-None-Match`` is answered 304 before anything is drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from flask import Response, jsonify
from flask_babel import gettext
from flask_login import current_user
from marshmallow import Schema, fields, validate
from webargs.fields import DelimitedList

from lms import access
from lms.core import data_version
from lms.core.caching import built_once
from lms.core.errors import Invalid, NotFound
from lms.core.replica import reads_from_replica
from lms.core.schemas import Id
from lms.outcomes import chart_data, others, service
from lms.outcomes.charts import DESCRIBE, DRAW, render
from lms.outcomes.report import COMPARISONS, LEVELS
from lms.ratings.service import participant_enrolment, sector_of
from lms.web.api import Blueprint, tagged
from lms.web.guards import guard

blp = Blueprint("charts", __name__,
                description="Outcome and progress charts, drawn from the numbers the API "
                            "serves, under the same access rules and disclosure control.")

SCOPE_CHARTS = ("likert", "behaviours", "effects", "progress", "engagement")
MIMETYPES = {"png": "image/png", "svg": "image/svg+xml"}
FORMATS = "<any(png, svg, json):fmt>"
CHART_RESPONSES = {
    "200": {"description": "The chart (PNG or SVG), or its text alternative (JSON).",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                        "image/svg+xml": {"schema": {"type": "string"}},
                        "application/json": {"schema": {"type": "object"}}}},
    "304": {"description": "Not modified: the If-None-Match tag still matches the data."},
}


class ChartQuerySchema(Schema):
    """How big, and for some charts what to show."""

    width = fields.Integer(load_default=900, validate=validate.Range(min=300, max=2400),
                           metadata={"description": "Pixels."})
    height = fields.Integer(load_default=600, validate=validate.Range(min=200, max=3000),
                            metadata={"description": "Pixels: the least height. A chart "
                                      "whose rows (or a long title on a narrow chart) need "
                                      "more is drawn taller, so that no label is cut off "
                                      "or crowded."})
    theme = fields.String(validate=validate.Length(min=2, max=8),
                          metadata={"description": "likert: the behaviours of one theme."})
    comparison = fields.String(load_default="post_pre", validate=validate.OneOf(COMPARISONS),
                               metadata={"description": "effects: which comparison."})
    level = fields.String(load_default="theme", validate=validate.OneOf(LEVELS),
                          metadata={"description": "effects: rows by theme, behaviour, "
                                    "for the whole framework, or by the headings of a linked "
                                    "framework (`linked`, with `framework`)."})
    framework = fields.String(validate=validate.OneOf(service.LINKED_FRAMEWORKS),
                              metadata={"description": "effects with level=linked: "
                                        "hay-ccg, nhs-lf or lqf."})
    breakdown = fields.String(validate=validate.OneOf(service.BREAKDOWNS),
                              metadata={"description": "likert and effects: a row per group "
                                        "(as in the outcomes API)."})
    source = fields.String(load_default="self", validate=validate.OneOf(others.SOURCES),
                           metadata={"description": "effects: the self-ratings (`self`) or "
                                     "the figures from 360 raters (`others`)."})


class ProgrammeChartQuerySchema(ChartQuerySchema):
    """Programme charts may narrow to some cohorts."""

    cohorts = DelimitedList(Id(strict=False), validate=validate.Length(max=200))


BREAKDOWN_CHARTS = ("likert", "effects", "engagement")


def scope_chart(name: str, cohorts, programme, protect: bool, query: dict) -> dict[str, Any]:
    """The data one of the scope charts draws."""
    breakdown = query.get("breakdown")
    if name == "likert":
        return chart_data.likert_data(cohorts, programme, protect, query.get("theme"),
                                      breakdown)
    if name == "behaviours":
        return chart_data.behaviours_data(cohorts, programme, protect)
    if name == "effects":
        return chart_data.effects_data(cohorts, programme, protect, query["comparison"],
                                       query["level"], breakdown, query.get("framework"),
                                       query.get("source", "self"))
    if name == "engagement" or protect:  # a sponsor's progress is how many finished what
        return chart_data.engagement_data(cohorts, programme, protect, breakdown)
    return chart_data.progress_data(cohorts, programme)


def drawn_as(name: str, protect: bool) -> str:
    """Which drawing a scope chart is: a sponsor's ``progress`` is the engagement chart
    (week-by-week counts of a few people's work are for their tutors)."""
    return "engagement" if name == "progress" and protect else name


def versions_of(name: str, protect: bool) -> tuple[str, ...]:
    """The data versions a scope chart is drawn from."""
    if name == "progress" and not protect:
        return (data_version.PROGRESS,)
    if name == "engagement" and not protect:  # live submissions and work
        return (data_version.OUTCOMES, data_version.PROGRESS)
    return service.versions_for(protect)


def source_basis(cohorts, protect: bool, query: dict) -> dict[str, Any]:
    """What a chart rests on besides its versions: who asks, and for figures from others'
    ratings what those rest on (raters, the day, releases)."""
    if query.get("source", "self") == "self":
        return {"protect": protect}
    return {"protect": protect, "others": others.others_key(cohorts, protect)}


def check_name(name: str, query: dict) -> None:
    """An unknown chart name is a 404 naming the ones there are; a breakdown is only for
    the charts that can show one readably."""
    if name not in SCOPE_CHARTS:
        raise NotFound(gettext("There is no chart %(name)s; the charts are %(charts)s (and "
                               "/me/charts/profile).", name=repr(name),
                               charts=", ".join(SCOPE_CHARTS)))
    if query.get("source", "self") != "self" and name != "effects":
        raise Invalid(gettext("The %(name)s chart is drawn from the self-ratings only.",
                              name=name),
                      errors={"query": {"source": [
                          gettext("Only the effects chart takes others.")]}})
    if query.get("breakdown") and name not in BREAKDOWN_CHARTS:
        raise Invalid(gettext("The %(name)s chart has no breakdown.", name=name),
                      errors={"query": {"breakdown": [
                          gettext("Only the %(charts)s charts take one.",
                                  charts=", ".join(BREAKDOWN_CHARTS))]}})


def chart_response(name: str, fmt: str, basis: dict[str, Any],
                   build: Callable[[], dict[str, Any]], query: dict) -> Response:
    """Answer 304 (building nothing), the text alternative, or the drawn chart, with an ETag
    from ``basis``, the fingerprint of what ``build`` would return; the drawn image is
    cached under that ETag."""
    options = {"fmt": fmt, **{k: v for k, v in query.items() if k != "cohorts"}}
    etag = chart_data.etag_of(name, basis, options)
    return tagged(etag, "private, no-cache", lambda: chart_or_text(name, fmt, etag, build, query))


def chart_or_text(name: str, fmt: str, etag: str, build: Callable[[], dict[str, Any]],
                  query: dict) -> Response:
    """The chart's text alternative, or the image drawn (or found in the cache) for ``etag``."""
    if fmt == "json":
        return jsonify(asdict(DESCRIBE[name](build())))
    # Drawing is the expensive part: the image is kept under its ETag, which already says
    # everything it depends on, and shared by every server process through Redis.
    key = f"chart:{etag}"
    drawn = []

    def draw() -> bytes:
        drawn.append(True)
        return render(DRAW[name], build(), query["width"], query["height"], fmt)

    # One drawer per chart: many readers of a cohort's changed chart wait for one drawing.
    image = built_once(key, draw)
    response_cache = "miss" if drawn else "hit"
    response = Response(image, mimetype=MIMETYPES[fmt])
    response.headers["X-Cache"] = response_cache
    return response


@blp.get(f"/cohorts/<id:cohort_id>/charts/<name>.{FORMATS}")
@guard(blp)
@blp.arguments(ChartQuerySchema, location="query")
@blp.doc(responses=CHART_RESPONSES)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No such cohort or chart.")
@reads_from_replica
def get_cohort_chart(query, cohort_id: int, name: str, fmt: str):
    """A cohort's chart: likert, behaviours, effects (outcomes), engagement (who submitted
    and completed what; sponsors' from releases, under disclosure control) or progress
    (for tutors week by week; for sponsors, the engagement chart)."""
    check_name(name, query)
    cohort = access.cohort_for(current_user, cohort_id)
    protect = access.outcomes_protected(current_user, cohort)
    basis = chart_data.fingerprint([cohort.id], cohort.programme_id,
                                   source_basis([cohort], protect, query),
                                   versions_of(name, protect))
    return chart_response(drawn_as(name, protect), fmt, basis,
                          lambda: scope_chart(name, [cohort], cohort.programme, protect, query),
                          query)


@blp.get(f"/programmes/<id:programme_id>/charts/<name>.{FORMATS}")
@guard(blp)
@blp.arguments(ProgrammeChartQuerySchema, location="query")
@blp.doc(responses=CHART_RESPONSES)
@blp.alt_response(404, response="DEFAULT_ERROR", description="No such programme or chart.")
@reads_from_replica
def get_programme_chart(query, programme_id: int, name: str, fmt: str):
    """A chart over the programme's cohorts you may see (or those named in ``cohorts``)."""
    check_name(name, query)
    programme = access.programme_for(current_user, programme_id)
    cohorts, protect = access.outcome_cohorts(current_user, programme, query.get("cohorts"))
    basis = chart_data.fingerprint([c.id for c in cohorts], programme.id,
                                   source_basis(cohorts, protect, query),
                                   versions_of(name, protect))
    return chart_response(drawn_as(name, protect), fmt, basis,
                          lambda: scope_chart(name, cohorts, programme, protect, query), query)


def draw_for_page(cohort, name: str, protect: bool, options: dict[str, str]) -> bool:
    """Put in the cache the PNG a one-cohort outcomes page asks ``get_programme_chart`` for,
    with ``options``, for a tutor (or, ``protect``ed, a sponsor); whether it was drawn now
    (lms.outcomes.ahead)."""
    query = ProgrammeChartQuerySchema().load({"cohorts": str(cohort.id), **options})
    basis = chart_data.fingerprint([cohort.id], cohort.programme_id,
                                   source_basis([cohort], protect, query),
                                   versions_of(name, protect))
    drawing = drawn_as(name, protect)
    etag = chart_data.etag_of(drawing, basis,
                              {"fmt": "png", **{k: v for k, v in query.items() if k != "cohorts"}})
    response = chart_or_text(drawing, "png", etag,
                             lambda: scope_chart(name, [cohort], cohort.programme, protect,
                                                 query), query)
    return response.headers["X-Cache"] == "miss"


@blp.get(f"/me/charts/profile.{FORMATS}")
@guard(blp, "participant")
@blp.arguments(ChartQuerySchema, location="query")
@blp.doc(responses=CHART_RESPONSES)
@blp.alt_response(404, response="DEFAULT_ERROR", description="You are in no cohort.")
def get_my_profile_chart(query, fmt: str):
    """Your own pre, then and post per behaviour against your cohort's means."""
    enrolment = participant_enrolment(current_user)
    cohort = enrolment.cohort

    def build() -> dict[str, Any]:
        profile = service.my_profile(current_user.id, cohort, sector_of(enrolment))
        return chart_data.profile_data(profile, cohort)

    # Cached like every chart, under the outcomes version (any rating, enrolment or release
    # moves it, erasure too) and the person: only they can ask for this key.
    basis = chart_data.fingerprint([cohort.id], cohort.programme_id, {"user": current_user.id})
    return chart_response("profile", fmt, basis, build, query)
