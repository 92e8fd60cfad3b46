"""Outcome reports as CSV: one row per figure, safe to open in a spreadsheet, with numbers
rounded for people (means and other decimals to 2 places, p values to 3 significant
figures); the JSON API keeps full precision.

The columns, levels, comparisons and figures are keys, the same in every language (analyses
are built on them); the notes, which people read, are in the reader's language."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from lms.outcomes.reasons import said
from lms.outcomes.report import COMPARISONS, PHASES
from lms.outcomes.service import FIGURES, LABELS

HEADER = ("level", "code", "group", "group_label", "comparison", "figure", "value", "note")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


#: Why reliable change has no figures yet.
TOO_FEW_FOR_RELIABLE_CHANGE = _l("fewer than 20 complete pre self-assessments in the "
                                 "programme")

#: Figures that are p values: rounded to significant figures, not decimal places (a p of
#: 0.0004 is not 0.00).
P_VALUES = ("wilcoxon_p", "p_holm")


def for_people(figure: str, value: Any) -> Any:
    """A figure's value as a spreadsheet reader wants it: a p value to 3 significant figures,
    any other decimal to 2 places; whole numbers, words and blanks as they are. Still a
    number (a negative one is not taken for a formula)."""
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if figure in P_VALUES:
        return float(f"{value:.3g}")
    return round(value, 2)


def rounded(line: tuple) -> tuple:
    """A report line for people: its value (the seventh cell) rounded by its figure, and its
    note (the eighth) in the reader's language."""
    return (*line[:6], for_people(line[5], line[6]), said(line[7]))


def figure_rows(row: dict[str, Any]) -> list[tuple]:
    """The CSV lines of one report row: every figure of every comparison, and distributions."""
    head = (row["level"], row["code"], row["group"] or "", row["group_label"] or "")
    lines = []
    for name in COMPARISONS:
        cell = row[name]
        if cell["suppressed"]:
            lines.append((*head, name, "", "suppressed", cell["reason"]))
            continue
        lines += [(*head, name, figure, "" if cell[figure] is None else cell[figure], "")
                  for figure in (*FIGURES, *LABELS)]
    for phase in PHASES:
        counts = row["distribution"][phase]
        if counts["suppressed"]:
            lines.append((*head, f"distribution_{phase}", "", "suppressed", counts["reason"]))
            continue
        lines += [(*head, f"distribution_{phase}", point, count, "")
                  for point, count in counts["counts"].items()]
    return lines + scale_rows(head, row)


def blank(value: Any) -> Any:
    """None as an empty cell."""
    return "" if value is None else value


def scale_rows(head: tuple, row: dict[str, Any]) -> list[tuple]:
    """A scale row's alpha per phase and its reliable change counts."""
    lines = []
    for phase, alpha in (row.get("reliability") or {}).items():
        if alpha["suppressed"]:
            lines.append((*head, f"reliability_{phase}", "", "suppressed", alpha["reason"]))
            continue
        lines += [(*head, f"reliability_{phase}", figure, blank(alpha[figure]), "")
                  for figure in ("n", "behaviours", "alpha", "ci_low", "ci_high")]
    change = row.get("reliable_change")
    if change is None:
        return lines
    if change["suppressed"]:
        return [*lines, (*head, "reliable_change", "", "suppressed", change["reason"])]
    if not change["available"]:
        return [*lines, (*head, "reliable_change", "", "not available",
                         str(TOO_FEW_FOR_RELIABLE_CHANGE))]
    return lines + [(*head, "reliable_change", figure, blank(change[figure]), "")
                    for figure in ("improved", "none", "declined", "improved_share",
                                   "none_share", "declined_share")]


def flow_rows(flow: dict[str, Any]) -> list[tuple]:
    """The participant flow and the attrition check, as lines of level "flow"."""
    head = ("flow", "", "", "")
    lines = [(*head, "flow", name, blank(flow[name]), "")
             for name in ("enrolled", "withdrawn", "erased")]
    for phase, counts in flow["phases"].items():
        lines += [(*head, "flow", f"{phase}_{what}", blank(count), "")
                  for what, count in counts.items()]
    lines += [(*head, "flow", f"paired_{name}", blank(count), "")
              for name, count in flow["paired"].items()]
    lines = [(*line[:6], line[6], gettext("suppressed: %(reason)s", reason=said(flow["reason"])))
             if line[6] == "" and flow["reason"] else line for line in lines]
    attrition = flow["attrition"]
    if attrition["suppressed"]:
        return [*lines, (*head, "attrition", "", "suppressed", attrition["reason"])]
    return lines + [
        (*head, "attrition", "with_post_n", attrition["with_post"]["n"], ""),
        (*head, "attrition", "with_post_mean_pre", blank(attrition["with_post"]["mean_pre"]), ""),
        (*head, "attrition", "without_post_n", attrition["without_post"]["n"], ""),
        (*head, "attrition", "without_post_mean_pre",
         blank(attrition["without_post"]["mean_pre"]), ""),
        *[(*head, "attrition", name, blank(attrition[name]), "")
          for name in ("difference", "ci_low", "ci_high")]]


def held_back_rows(held_back: list[dict[str, Any]]) -> list[tuple]:
    """What disclosure control keeps out, as lines of level "held_back": one per cohort and
    breakdown or row list."""
    lines = []
    for entry in held_back:
        what = (f"breakdown {entry['breakdown']}" if entry["breakdown"]
                else "rows " + " ".join(entry["rows"]))
        lines.append(("held_back", "", str(entry["cohort_id"]), "", "held_back", "", what,
                      entry["reason"]))
    return lines


#: A participant's own file's columns: named for them in their language (the English are the
#: names the file has always had).
PROFILE_HEADER = (_l("code"), _l("theme"), _l("pre"), _l("then"), _l("post"),
                  _l("cohort_mean_pre"), _l("cohort_mean_post"), _l("cohort_note"))


def profile_csv(profile: dict[str, Any]) -> str:
    """A participant's profile as CSV: their answers and the cohort's means per behaviour."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([str(column) for column in PROFILE_HEADER])
    for row in profile["behaviours"]:
        cohort = row["cohort"]
        writer.writerow([neutralise(value) for value in (
            row["code"], row["theme"], row["pre"], row["then"], row["post"],
            for_people("mean", cohort.get("mean_pre", "")),
            for_people("mean", cohort.get("mean_post", "")), said(cohort.get("reason")))])
    return out.getvalue()


def report_csv(report: dict[str, Any]) -> str:
    """A whole report as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for line in flow_rows(report["flow"]) if report["flow"] else []:
        writer.writerow([neutralise(value) for value in rounded(line)])
    for line in held_back_rows(report.get("held_back", [])):
        writer.writerow([neutralise(value) for value in (*line[:7], said(line[7]))])
    for row in report["rows"]:
        for line in figure_rows(row):
            writer.writerow([neutralise(value) for value in rounded(line)])
    return out.getvalue()


def table_csv(header: list[str], rows: list[list[Any]]) -> str:
    """Any table as CSV, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[neutralise(cell) for cell in row] for row in rows])
    return out.getvalue()
