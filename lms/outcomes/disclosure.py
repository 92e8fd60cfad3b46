"""Disclosure control for what sponsors (and participants) see. Pure: rows in, rows out.

A cell (one comparison of one row for one group) about fewer than ``minimum`` paired
participants is suppressed: it carries no figures, not even n, and says why. Because every
figure of a breakdown can be set against the same row without a breakdown (another answer
the sponsor may ask for), the suppressed cells of one code and comparison must not add up to
a group under the minimum either: while their combined n is above 0 and below the minimum,
the smallest cell still shown is suppressed too. Distributions of answers are treated the
same way, by the number of people (not answers) who answered in that phase, and a scale's
reliability (alpha) by the number of complete self-assessments behind it. Reliable change
counts follow their row's post − pre comparison.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from lms.outcomes.report import COMPARISONS, PHASES, Row

PRIMARY = "fewer than {k} paired participants"
SECONDARY = "hidden so that a smaller group cannot be worked out from the total"
FEW_ANSWERS = "fewer than {k} people answered"
FEW_COMPLETE = "fewer than {k} people answered every behaviour of the theme"


def suppress(rows: Sequence[Row], minimum: int) -> list[Row]:
    """Apply primary and complementary suppression to a report's rows (in place)."""
    by_code: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        by_code[(row.level, row.code)].append(row)
    for same_code in by_code.values():
        for name in COMPARISONS:
            suppress_cells(same_code, name, minimum)
        for phase in PHASES:
            suppress_groups(same_code, minimum, lambda r, p=phase: answered(r, p),
                            lambda r, p=phase: r.hidden_distributions, phase, FEW_ANSWERS)
            if same_code[0].reliability is not None:
                suppress_groups(same_code, minimum, lambda r, p=phase: r.reliability[p].n,
                                lambda r: r.hidden_reliability, phase, FEW_COMPLETE)
    return list(rows)


def suppress_cells(rows: Sequence[Row], name: str, minimum: int) -> None:
    """Suppress one comparison across the groups of one code."""
    cells = [row.cells[name] for row in rows]
    for cell in cells:
        if cell.result.n < minimum and not cell.suppressed:
            cell.suppressed, cell.reason = True, PRIMARY.format(k=minimum)
    hidden = sum(cell.result.n for cell in cells if cell.suppressed)
    shown = sorted((c for c in cells if not c.suppressed), key=lambda c: c.result.n)
    while 0 < hidden < minimum and shown:
        cell = shown.pop(0)
        cell.suppressed, cell.reason = True, SECONDARY
        hidden += cell.result.n


def answered(row: Row, phase: str) -> int:
    """How many people answered in ``phase`` (people, not answers: a theme pools several)."""
    return row.respondents[phase]


def suppress_groups(rows: Sequence[Row], minimum: int, size: Callable[[Row], int],
                    hidden: Callable[[Row], dict[str, str]], phase: str, reason: str) -> None:
    """Hide one phase's figure (a distribution, an alpha) of groups too small to show, and
    enough others that the hidden ones cannot be worked out from the total."""
    for row in rows:
        if size(row) < minimum:
            hidden(row).setdefault(phase, reason.format(k=minimum))
    total_hidden = sum(size(r) for r in rows if phase in hidden(r))
    shown = sorted((r for r in rows if phase not in hidden(r)), key=size)
    while 0 < total_hidden < minimum and shown:
        row = shown.pop(0)
        hidden(row)[phase] = SECONDARY
        total_hidden += size(row)
