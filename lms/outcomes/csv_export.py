"""Outcome reports as CSV: one row per figure, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from lms.outcomes.report import COMPARISONS, PHASES
from lms.outcomes.service import FIGURES

HEADER = ("level", "code", "group", "group_label", "comparison", "figure", "value", "note")
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula, prefixed with ' so it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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
                  for figure in FIGURES]
    for phase in PHASES:
        counts = row["distribution"][phase]
        if counts["suppressed"]:
            lines.append((*head, f"distribution_{phase}", "", "suppressed", counts["reason"]))
            continue
        lines += [(*head, f"distribution_{phase}", point, count, "")
                  for point, count in counts["counts"].items()]
    return lines


PROFILE_HEADER = ("code", "theme", "pre", "then", "post", "cohort_mean_pre",
                  "cohort_mean_post", "cohort_note")


def profile_csv(profile: dict[str, Any]) -> str:
    """A participant's profile as CSV: their answers and the cohort's means per behaviour."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PROFILE_HEADER)
    for row in profile["behaviours"]:
        cohort = row["cohort"]
        writer.writerow([neutralise(value) for value in (
            row["code"], row["theme"], row["pre"], row["then"], row["post"],
            cohort.get("mean_pre", ""), cohort.get("mean_post", ""), cohort.get("reason") or "")])
    return out.getvalue()


def report_csv(report: dict[str, Any]) -> str:
    """A whole report as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in report["rows"]:
        for line in figure_rows(row):
            writer.writerow([neutralise(value) for value in line])
    return out.getvalue()


def table_csv(header: list[str], rows: list[list[Any]]) -> str:
    """Any table as CSV, every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([[neutralise(cell) for cell in row] for row in rows])
    return out.getvalue()
