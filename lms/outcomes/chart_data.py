"""What each chart draws, built from the same reports the outcomes API serves.

The ETag of a chart is derived from the data version (lms.core.data_version, one query) and what
is drawn, never from the rendered bytes, so a request whose ``If-None-Match`` matches is
answered 304 without building or drawing anything, and any change in what would be drawn (a
new submitted rating, a completed activity) changes the tag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import format_date, gettext, ngettext
from flask_babel import lazy_gettext as _l

from lms.cohorts.models import Cohort, Enrolment, Programme
from lms.core import data_version
from lms.core.errors import Invalid
from lms.core.extensions import db
from lms.core.i18n import current_language, in_reader_language
from lms.curriculum.models import ActivityRecord
from lms.framework.models import Behaviour, Theme
from lms.outcomes import engagement, service
from lms.outcomes.charts import COMPARISON_TITLES, MOST_ENGAGEMENT_ROWS
from lms.ratings.models import Assessment

#: How a chart's title says what it is broken down by.
BY = {"leadership_level": _l("by leadership level"), "sector": _l("by sector"),
      "organisation_type": _l("by organisation type"), "cohort": _l("by cohort")}


def scale_of(programme: Programme) -> tuple[list[int], list[str]]:
    """The scale's points and labels."""
    return ([p["value"] for p in programme.rating_scale],
            [in_reader_language(p["label"]) for p in programme.rating_scale])


def theme_titles() -> dict[str, str]:
    """Theme titles by code, in the reader's language where they have it: one query."""
    title = (sa.func.coalesce(Theme.title_cy, Theme.title) if current_language() == "cy"
             else Theme.title)
    return dict(db.session.execute(sa.select(Theme.code, title)).all())


def behaviour_statements() -> dict[str, str]:
    """Behaviour statements by code, in the framework's order and the reader's language
    where they have it: one query."""
    statement = (sa.func.coalesce(Behaviour.statement_cy, Behaviour.statement)
                 if current_language() == "cy" else Behaviour.statement)
    return dict(db.session.execute(sa.select(Behaviour.code, statement)
                                   .join(Theme).order_by(Theme.position, Behaviour.position)).all())


def names_in_english(level: str) -> bool:
    """Whether a Welsh reader sees some theme titles (or behaviour statements) in English,
    for want of their Welsh: one query, and none for an English reader."""
    if current_language() == "en" or level not in ("theme", "behaviour"):
        return False
    missing = Theme.title_cy if level == "theme" else Behaviour.statement_cy
    return bool(db.session.scalar(sa.select(sa.func.count()).select_from(
        Theme if level == "theme" else Behaviour).where(missing.is_(None))))


def scope_name(cohorts: Sequence[Cohort], programme: Programme) -> str:
    """How a chart's title names what it covers."""
    if len(cohorts) == 1:
        return cohorts[0].name
    return ngettext("%(programme)s (%(num)d cohort)", "%(programme)s (%(num)d cohorts)",
                    len(cohorts), programme=programme.name)


def group_suffix(row: dict[str, Any]) -> str:
    """" · manager" for a row of a breakdown, nothing otherwise."""
    return f" · {row['group_label']}" if row["group"] is not None else ""


def likert_data(cohorts, programme, protect, theme: str | None,
                breakdown: str | None = None) -> dict[str, Any]:
    """Answers per scale point, pre and post, per theme (or per behaviour of one theme),
    split by group when a breakdown is asked for."""
    level = "behaviour" if theme else "theme"
    report = service.outcomes(cohorts, programme, level, breakdown, protect)
    titles = theme_titles()
    if theme:
        if theme not in titles:
            raise Invalid(gettext("Unknown theme %(code)s.", code=repr(theme)),
                          errors={"query": {"theme": [
                              gettext("One of %(choices)s.", choices=", ".join(titles))]}})
        report["rows"] = [r for r in report["rows"] if r["code"].split(".")[0] == theme]
    scale, labels = scale_of(programme)
    # Beside each code its title (a theme) or statement (a behaviour), cut to fit when
    # drawn; a breakdown's rows keep the code alone, so that the group is never cut off.
    names = titles if not theme else behaviour_statements()
    rows = [{"label": (r["code"] if breakdown else f"{r['code']} {names[r['code']]}")
             + group_suffix(r), "distribution": r["distribution"]} for r in report["rows"]]
    phases = ("pre", "post")
    shown = [r for r in rows if not all(r["distribution"][p]["suppressed"] for p in phases)
             and not all(answered(r["distribution"][p]) == 0 for p in phases)]
    hidden = sum(all(r["distribution"][p]["suppressed"] for p in phases) for r in rows)
    scope = scope_name(cohorts, programme)
    title = (gettext("%(scope)s: self-ratings before (pre) and after (post), the behaviours "
                     "of %(theme)s", scope=scope, theme=f"{theme} {titles[theme]}") if theme
             else gettext("%(scope)s: self-ratings before (pre) and after (post), each theme",
                          scope=scope))
    return {"title": title + by(breakdown), "scale": scale, "scale_labels": labels,
            "rows": shown, "note": left_out_note(len(rows) - len(shown) - hidden, hidden),
            "named": not breakdown and names_in_english("behaviour" if theme else "theme"),
            "left_out": {"suppressed": hidden, "empty": len(rows) - len(shown) - hidden},
            "empty": (gettext("Nothing can be shown: every row rests on too few people.")
                      if hidden else gettext("No answers yet: nobody has submitted a "
                                             "self-assessment here."))}


def answered(distribution: dict[str, Any]) -> int:
    """How many people a shown distribution rests on (0 when suppressed)."""
    return 0 if distribution["suppressed"] else distribution.get("people", 0)


def left_out_note(empty: int, hidden: int) -> str | None:
    """What a chart leaves out rather than drawing: rows with no answers, and rows whose every
    figure is suppressed (the table beside the chart lists them)."""
    if hidden and empty:
        return gettext("Left out: rows with too few people to show (%(hidden)d) and rows with "
                       "no answers (%(empty)d).", hidden=hidden, empty=empty)
    if hidden:
        return ngettext("Left out: %(num)d row with too few people to show.",
                        "Left out: %(num)d rows with too few people to show.", hidden)
    if empty:
        return ngettext("Left out: %(num)d row with no answers.",
                        "Left out: %(num)d rows with no answers.", empty)
    return None


def by(breakdown: str | None) -> str:
    """", by leadership level" for a chart split by groups."""
    return ", " + str(BY[breakdown]) if breakdown else ""


def behaviours_data(cohorts, programme, protect) -> dict[str, Any]:
    """Mean pre → post (and then) per behaviour, grouped by theme."""
    report = service.outcomes(cohorts, programme, "behaviour", None, protect)
    statements = behaviour_statements()
    rows, boundaries, previous = [], [], None
    for index, row in enumerate(report["rows"]):
        theme = row["code"].split(".")[0]
        if previous is not None and theme != previous:
            boundaries.append(index)
        previous = theme
        n = "suppressed" if row["post_pre"]["suppressed"] else row["post_pre"]["n"]
        rows.append({"code": row["code"], "statement": statements[row["code"]], "n": n,
                     "post_pre": row["post_pre"], "post_then": row["post_then"]})
    scale, labels = scale_of(programme)
    return {"title": gettext("%(scope)s: mean self-rating per behaviour, pre → post (then "
                             "marked)", scope=scope_name(cohorts, programme)),
            "rows": rows, "theme_boundaries": boundaries,
            "scale": scale, "scale_labels": labels}


def effects_data(cohorts, programme, protect, comparison: str, level: str,
                 breakdown: str | None = None, linked: str | None = None,
                 source: str = "self") -> dict[str, Any]:
    """d_z with intervals per theme (or behaviour, the framework, or the headings of a
    linked framework) for one comparison, split by group when a breakdown is asked for;
    from the self-ratings, or from others' (360) figures."""
    report = service.outcomes(cohorts, programme, level, breakdown, protect, linked, source)
    names = {"theme": theme_titles, "behaviour": behaviour_statements}.get(level, dict)()
    rows, hidden, empty = [], 0, 0
    for row in report["rows"]:
        cell = row[comparison]
        if cell["suppressed"]:
            hidden += 1
            continue
        if not cell["n"]:
            empty += 1
            continue
        rows.append({"label": (row["code"] if row["code"] not in names or breakdown else
                               f"{row['code']} {names[row['code']]}") + group_suffix(row),
                     "n": cell["n"], comparison: cell})
    title = gettext("%(scope)s: effect size, %(comparison)s", scope=scope_name(cohorts, programme),
                    comparison=COMPARISON_TITLES[comparison]) + by(breakdown)
    if source == "others":
        title = gettext("%(title)s, from others’ ratings (360)", title=title)
    return {"title": title,
            "comparison": comparison, "rows": rows, "note": left_out_note(empty, hidden),
            "named": bool(names) and not breakdown and names_in_english(level),
            "left_out": {"suppressed": hidden, "empty": empty},
            "empty": (gettext("Nothing can be shown: every row rests on too few people.")
                      if hidden else no_pairs_yet(cohorts, comparison))}


def no_pairs_yet(cohorts: Sequence[Cohort], _comparison: str) -> str:
    """Why an effects chart has nothing to draw: no one has answered both phases yet, and
    when the later phase opens, if it is still to come."""
    # Every comparison needs the end of the programme: "then" is given with "post".
    upcoming = sorted(c.post_opens_on for c in cohorts
                      if c.post_opens_on and c.post_opens_on > dt.date.today())
    if upcoming:
        return gettext("No paired answers yet: the post self-assessment opens on %(date)s.",
                       date=format_date(upcoming[0], "d MMMM y"))
    return gettext("No paired answers yet.")


def engagement_data(cohorts, programme, protect: bool,
                    breakdown: str | None = None) -> dict[str, Any]:
    """The engagement table's rows as the chart draws them: every row when there are few,
    else their total (or the first few groups)."""
    table = engagement.engagement(cohorts, programme, protect, breakdown)
    rows = [{**row, "label": row["cohort"] + (f" · {row['group_label']}"
                                              if row["group"] is not None else "")}
            for row in table["rows"] if not row["suppressed"]]
    hidden = sum(row["suppressed"] for row in table["rows"])
    note = left_out_note(0, hidden)
    if len(rows) > MOST_ENGAGEMENT_ROWS:
        totals = [row for row in rows if row["cohort_id"] is None]
        note = (gettext("%(rows)d rows: their total is drawn; the table has each.",
                        rows=len(rows) - len(totals)) if totals else
                gettext("%(rows)d rows: the first %(drawn)d are drawn; the table has each.",
                        rows=len(rows), drawn=MOST_ENGAGEMENT_ROWS))
        rows = totals or rows[:MOST_ENGAGEMENT_ROWS]
    return {"title": gettext("%(scope)s: who submitted each self-assessment and completed "
                             "each module", scope=scope_name(cohorts, programme))
            + by(breakdown),
            "figures": table["figures"], "rows": rows, "note": note,
            "left_out": {"suppressed": hidden, "empty": 0},
            "empty": (gettext("Nothing can be shown: every row rests on too few people.")
                      if hidden else gettext("No participants yet."))}


def week_of(moment: dt.datetime | dt.date) -> dt.date:
    """The Monday of the week a moment falls in."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return day - dt.timedelta(days=day.weekday())


def progress_data(cohorts, programme) -> dict[str, Any]:
    """Activities completed and assessments submitted per week: two queries."""
    ids = [c.id for c in cohorts]
    participants = sa.select(Enrolment.user_id).where(Enrolment.cohort_id.in_(ids),
                                                      Enrolment.role == "participant")
    completions = db.session.scalars(sa.select(ActivityRecord.completed_at).where(
        ActivityRecord.user_id.in_(participants), ActivityRecord.cohort_id.in_(ids),
        ActivityRecord.completed_at.is_not(None)))
    submissions = db.session.scalars(sa.select(Assessment.submitted_at).where(
        Assessment.cohort_id.in_(ids), Assessment.submitted_at.is_not(None)))
    weeks: dict[dt.date, dict[str, int]] = {}
    for name, moments in (("completions", completions), ("submissions", submissions)):
        for moment in moments:
            weeks.setdefault(week_of(moment), {"completions": 0, "submissions": 0})[name] += 1
    if weeks:  # every week from the first to the last, so gaps show as gaps
        week, last = min(weeks), max(weeks)
        while week <= last:
            weeks.setdefault(week, {"completions": 0, "submissions": 0})
            week += dt.timedelta(days=7)
    rows = [{"week": str(week), **counts} for week, counts in sorted(weeks.items())]
    people = db.session.scalar(sa.select(sa.func.count()).select_from(participants.subquery()))
    return {"title": gettext("%(scope)s: progress per week (n = %(people)d participants)",
                             scope=scope_name(cohorts, programme), people=people),
            "weeks": rows}


def profile_data(profile: dict[str, Any], cohort: Cohort) -> dict[str, Any]:
    """A participant's own answers against the cohort's means (n: the most paired people
    behind any shown mean; none when every mean is suppressed)."""
    scale, labels = scale_of(cohort.programme)
    shown = [r["cohort"]["n"] for r in profile["behaviours"] if not r["cohort"]["suppressed"]]
    title = (gettext("Your self-ratings in %(cohort)s, against the cohort's means (cohort n = "
                     "%(n)d)", cohort=cohort.name, n=max(shown)) if shown else
             gettext("Your self-ratings in %(cohort)s, against the cohort's means (the "
                     "cohort's means are suppressed)", cohort=cohort.name))
    statements = behaviour_statements()
    return {"title": title,
            "behaviours": [{**row, "statement": statements.get(row["code"])}
                           for row in profile["behaviours"]],
            "scale": scale, "scale_labels": labels}


def fingerprint(cohort_ids: Sequence[int], programme_id: int,
                extra: dict[str, Any] | None = None,
                versions: tuple[str, ...] = (data_version.OUTCOMES,)) -> dict[str, Any]:
    """What a chart's data depends on: its data versions (one query; outcomes move with any
    submission, import, enrolment or change to the programme, progress with any recorded
    work, releases with a release), the cohorts in scope and who is asking."""
    return {"version": data_version.scoped(versions, cohort_ids), "cohorts": list(cohort_ids),
            "programme": programme_id, **(extra or {})}


def etag_of(name: str, basis: dict[str, Any], options: dict[str, Any]) -> str:
    """A strong ETag from what the chart's data depends on and how it is drawn."""
    tagged = {"chart": name, "basis": basis, "options": options, "version": 1}
    if (language := current_language()) != "en":  # its words are in the reader's language
        tagged["language"] = language
    payload = json.dumps(tagged, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]
