"""Outcome pages for sponsors (aggregates under disclosure control), tutors and
administrators: the charts, their text alternatives, the figures, and CSV downloads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import access
from lms.cohorts.models import Programme
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.core.replica import reads_from_replica
from lms.outcomes import chart_data, engagement, evaluation, reasons, wording
from lms.outcomes import service as outcomes_service
from lms.outcomes.charts import COMPARISON_TITLES, DESCRIBE
from lms.web.forms import is_whole_number, select_items
from lms.web.guards import page

bp = Blueprint("outcome_pages", __name__)
bp.add_app_template_filter(reasons.said, "reason")

FRAMEWORK_NAMES = {"": _l("This framework (its four themes)"),
                   "nhs-lf": "NHS Leadership Framework",
                   "hay-ccg": "Hay Group 360 model for CCGs",
                   "lqf": "Leadership Qualities Framework for social care"}
BREAKDOWN_NAMES = {"": _l("No breakdown"), "leadership_level": _l("Leadership level"),
                   "organisation_type": _l("Type of organisation"),
                   "sector": _l("Commissioning or providing"), "cohort": _l("Cohort")}
SOURCE_NAMES = {"self": _l("Their own ratings (self-assessment)"),
                "others": _l("Others' ratings (360 feedback)")}
LEVEL_NAMES = {"theme": _l("Themes"), "behaviour": _l("Behaviours"),
               "framework": _l("The whole framework")}


def home() -> str:
    """A sponsor's home is the outcomes of what they sponsor."""
    return outcomes()


def visible_programme() -> Programme | None:
    """The first programme the caller has a part in (there is usually one)."""
    return db.session.scalar(access.visible_programmes(current_user).limit(1))


def choice(name: str, allowed: dict[str, str] | tuple[str, ...], default: str) -> str:
    """A query-string option that must be one of ``allowed``; a clear 422 otherwise."""
    value = request.args.get(name, default)
    if value not in allowed:
        raise Invalid(gettext("The option %(name)r cannot be %(value)r; choose one of "
                              "%(allowed)s.", name=name, value=value[:40],
                              allowed=", ".join(repr(v) for v in allowed if v)))
    return value


def scope_of(programme: Programme) -> tuple[list, bool, list, str]:
    """The cohorts reported on (all the caller may see, or the one asked for)."""
    every, protect = access.outcome_cohorts(current_user, programme, None)
    scope = request.args.get("scope", "all")
    if scope != "all":
        if not is_whole_number(scope):
            raise Invalid(gettext("The option 'scope' cannot be %(value)r; choose 'all' or a "
                                  "cohort's id.", value=scope[:40]))
        chosen, protect = access.outcome_cohorts(current_user, programme, [int(scope)])
    else:
        chosen = every
    return chosen, protect, every, scope


def chosen() -> tuple[Programme, tuple[list, bool, list, str]] | None:
    """The programme and the cohorts the page reports on (``scope_of``), or None when the
    caller has nothing to see."""
    programme = visible_programme()
    if programme is None:
        return None
    scope = scope_of(programme)
    return (programme, scope) if scope[0] else None


def scope_query(cohorts, breakdown: str) -> dict[str, str]:
    """The chart and download options that name the page's cohorts and breakdown."""
    return {"cohorts": ",".join(str(c.id) for c in cohorts),
            **({"breakdown": breakdown} if breakdown else {})}


def figures(report: dict[str, Any], comparison: str) -> list[dict[str, Any]]:
    """One line per row of the report: its label, the comparison's figures (or why not), the
    same in a sentence, and the row's reliability and reliable change."""
    titles = chart_data.theme_titles() if report["level"] == "theme" else {}
    return [{"code": row["code"], "group": row["group_label"], "cell": row[comparison],
             "title": titles.get(row["code"]), "shows_group": row["group"] is not None
             or report["breakdown"] is not None,
             "themes": row["themes"],
             "headline": wording.headline(row[comparison], comparison,
                                          source=report.get("source", "self")),
             "reliability": row["reliability"], "reliable_change": row["reliable_change"]}
            for row in report["rows"]]


def scope_items(every: list, scope: str) -> list[dict[str, Any]]:
    """The cohorts the page can show, as the select component's items."""
    return select_items({"all": gettext("Every cohort you can see (%(count)d)",
                                        count=len(every)),
                         **{str(c.id): c.name for c in every}}, scope)


def suppressed_on_page(report: dict[str, Any], comparison: str, effects: dict[str, Any],
                       likert: dict[str, Any], behaviours: dict[str, Any]) -> dict[str, int]:
    """How many figures the page shows as suppressed: in its table (the chosen comparison of
    each row) and in each chart, so that the notice counts what the reader sees."""
    return {
        "table": sum(row[comparison]["suppressed"] for row in report["rows"]),
        "effects": effects["left_out"]["suppressed"],
        "likert": likert["left_out"]["suppressed"] * 2 + sum(
            row["distribution"][phase]["suppressed"] for row in likert["rows"]
            for phase in ("pre", "post")),
        "behaviours": sum(row["post_pre"]["suppressed"] for row in behaviours["rows"]),
    }


@bp.get("/outcomes")
@page("sponsor", "tutor", "admin")
@reads_from_replica
def outcomes():
    """Outcome charts, text alternatives and figures, with a comparison and a breakdown."""
    if choice("source", SOURCE_NAMES, "self") == "others":
        return others_outcomes()
    comparison = choice("comparison", COMPARISON_TITLES, "post_pre")
    breakdown = choice("breakdown", BREAKDOWN_NAMES, "")
    linked = choice("framework", FRAMEWORK_NAMES, "")
    level = "linked" if linked else "theme"
    found = chosen()
    if found is None:
        return render_template("outcomes/none.html")
    programme, (cohorts, protect, every, scope) = found
    report = outcomes_service.outcomes(cohorts, programme, level, breakdown or None, protect,
                                       linked or None)
    effects = chart_data.effects_data(cohorts, programme, protect, comparison, level,
                                      breakdown or None, linked or None)
    likert = chart_data.likert_data(cohorts, programme, protect, None, breakdown or None)
    behaviours = chart_data.behaviours_data(cohorts, programme, protect)
    engaged = chart_data.engagement_data(cohorts, programme, protect, breakdown or None)
    query = scope_query(cohorts, breakdown)
    return render_template(
        "outcomes/outcomes.html", programme=programme,
        summary=evaluation.summary_of(cohorts, programme, protect), cohorts=cohorts, every=every,
        scope=scope, protect=protect, report=report, comparison=comparison,
        breakdown=breakdown, comparisons=COMPARISON_TITLES, breakdowns=BREAKDOWN_NAMES,
        level=level, linked=linked, frameworks=FRAMEWORK_NAMES,
        framework_items=select_items(FRAMEWORK_NAMES, linked), wording=wording,
        effects_query={**query, "comparison": comparison, "level": level,
                       **({"framework": linked} if linked else {})},
        scope_items=scope_items(every, scope),
        comparison_items=select_items(COMPARISON_TITLES, comparison),
        source_items=select_items(SOURCE_NAMES, "self"),
        breakdown_items=select_items(BREAKDOWN_NAMES, breakdown),
        rows=figures(report, comparison), query=query,
        hidden=suppressed_on_page(report, comparison, effects, likert, behaviours),
        engagement=engagement.engagement(cohorts, programme, protect, breakdown or None),
        names={c.id: c.name for c in every},
        descriptions={"engagement": DESCRIBE["engagement"](engaged),
                      "effects": DESCRIBE["effects"](effects),
                      "likert": DESCRIBE["likert"](likert),
                      "behaviours": DESCRIBE["behaviours"](behaviours)})


def others_outcomes():
    """The change seen by others: each participant's figures from their 360 raters (as
    their reports show them), paired pre and post, and the gap between self and others."""
    found = chosen()
    if found is None:
        return render_template("outcomes/none.html")
    programme, (cohorts, protect, every, scope) = found
    levels = ({k: v for k, v in LEVEL_NAMES.items() if k != "behaviour"} if protect
              else LEVEL_NAMES)
    level = choice("level", levels, "theme")
    breakdown = choice("breakdown", {"": "", "cohort": ""} if protect else BREAKDOWN_NAMES, "")
    report = outcomes_service.outcomes(cohorts, programme, level, breakdown or None, protect,
                                       None, "others")
    effects = chart_data.effects_data(cohorts, programme, protect, "post_pre", level,
                                      breakdown or None, None, "others")
    query = scope_query(cohorts, breakdown)
    allowed = ({k: v for k, v in BREAKDOWN_NAMES.items() if k in ("", "cohort")} if protect
               else BREAKDOWN_NAMES)
    return render_template(
        "outcomes/others.html", programme=programme, cohorts=cohorts, scope=scope,
        protect=protect, report=report, level=level, breakdown=breakdown,
        breakdowns=BREAKDOWN_NAMES, rows=figures(report, "post_pre"),
        gaps=gap_rows(report), names={c.id: c.name for c in every}, wording=wording,
        effects_query={**query, "comparison": "post_pre", "level": level, "source": "others"},
        description=DESCRIBE["effects"](effects),
        scope_items=scope_items(every, scope),
        source_items=select_items(SOURCE_NAMES, "others"),
        level_items=select_items(levels, level),
        breakdown_items=select_items(allowed, breakdown),
        csv_query={**query, "level": level, "source": "others"})


def gap_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The self–others gaps as table rows: per theme (and the framework), pre and post."""
    titles = chart_data.theme_titles()
    by_unit: dict[str, dict[str, Any]] = {}
    for gap in report["gaps"]:
        row = by_unit.setdefault(gap["unit"], {
            "unit": gap["unit"], "title": titles.get(gap["unit"],
                                                     gettext("The whole framework"))})
        row[gap["phase"]] = gap
    return list(by_unit.values())


@bp.get("/outcomes/report")
@page("sponsor", "tutor", "admin")
@reads_from_replica
def printable_report():
    """The evaluation report as a page to print (the same document as its PDF)."""
    breakdown = choice("breakdown", BREAKDOWN_NAMES, "")
    found = chosen()
    if found is None:
        return render_template("outcomes/none.html")
    programme, (cohorts, protect, _every, _scope) = found
    return evaluation.html(
        evaluation.gather(cohorts, programme, protect, breakdown or None), printable_page=True,
        stylesheet=url_for("static", filename=evaluation.STYLESHEET),
        pdf_url=url_for("outcomes.get_programme_report_pdf", programme_id=programme.id,
                        **scope_query(cohorts, breakdown)))
