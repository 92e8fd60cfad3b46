"""Paired statistics for self-ratings. Pure: numbers in, dataclasses out; no Flask, no SQL.

For pairs (before, after) of one comparison (post − pre, post − then or then − pre):

- ``n``: pairs; ``mean_before``, ``mean_after``; ``mean_change`` = mean(after − before);
- ``ci_low``, ``ci_high``: the 95% t confidence interval of the mean change;
- ``sd_change``: the sample standard deviation of the changes (n − 1 denominator);
- ``d_z``: Cohen's d_z = mean_change / sd_change;
- ``wilcoxon_p``: two-sided Wilcoxon signed-rank test, zero differences handled by Pratt's
  method (ranked with the others, then left out of the rank sums, with the mean and variance
  adjusted), the variance corrected for ties, the normal approximation without continuity
  correction (Likert data are full of ties, where exact tables do not apply);
- ``rank_biserial``: the matched-pairs rank-biserial correlation (T+ − T−) / (T+ + T−) on the
  same Pratt ranks (Kerby 2014), from −1 (all declined) to 1 (all improved);
- ``improved``, ``same``, ``declined``: shares of the pairs, 0–1.

Degenerate input never raises. With n = 0 every figure is None. With n = 1 the means and the
change are given; the SD, interval, d_z, p-value are None (one pair has no spread). When every
change is zero: SD 0, interval [0, 0], d_z None, p = 1.0, rank-biserial 0. When the SD is zero
but the changes are not (everyone moved by the same amount): interval [change, change] and
d_z None (undefined, not infinite).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scipy.stats import norm, t


@dataclass(frozen=True)
class PairedResult:
    """The paired statistics of one comparison for one row of a report."""

    n: int
    mean_before: float | None = None
    mean_after: float | None = None
    mean_change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    sd_change: float | None = None
    d_z: float | None = None
    wilcoxon_p: float | None = None
    rank_biserial: float | None = None
    improved: float | None = None
    same: float | None = None
    declined: float | None = None


def mean(values: Sequence[float]) -> float:
    """The arithmetic mean of a non-empty sequence."""
    return math.fsum(values) / len(values)


def sample_sd(values: Sequence[float]) -> float:
    """The sample standard deviation (n − 1 denominator) of two or more values."""
    centre = mean(values)
    return math.sqrt(math.fsum((v - centre) ** 2 for v in values) / (len(values) - 1))


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, ties sharing the average of the ranks they span."""
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def signed_rank_sums(changes: Sequence[float]) -> tuple[float, float, list[float]]:
    """T+ and T− over Pratt ranks (zeros ranked, then left out), and the ranks."""
    ranks = average_ranks([abs(c) for c in changes])
    plus = math.fsum(r for r, c in zip(ranks, changes, strict=True) if c > 0)
    minus = math.fsum(r for r, c in zip(ranks, changes, strict=True) if c < 0)
    return plus, minus, ranks


def wilcoxon_pratt_p(changes: Sequence[float]) -> float | None:
    """Two-sided p of the signed-rank test, Pratt zeros, tie-corrected normal approximation."""
    n = len(changes)
    if n == 0:
        return None
    if all(c == 0 for c in changes):
        return 1.0
    plus, _minus, _ranks = signed_rank_sums(changes)
    zeros = sum(1 for c in changes if c == 0)
    expected = (n * (n + 1) - zeros * (zeros + 1)) / 4
    variance = n * (n + 1) * (2 * n + 1) - zeros * (zeros + 1) * (2 * zeros + 1)
    # Ties among the non-zero changes reduce the variance; the zeros' own variance has
    # already been taken out above (Cureton 1967), so their tie group is not counted again.
    ties = Counter(abs(c) for c in changes if c != 0)
    variance -= math.fsum(k**3 - k for k in ties.values()) / 2
    z = (plus - expected) / math.sqrt(variance / 24)
    return float(min(1.0, 2 * norm.sf(abs(z))))


def rank_biserial(changes: Sequence[float]) -> float | None:
    """(T+ − T−) / (T+ + T−) on Pratt ranks; 0 when every change is zero."""
    if not changes:
        return None
    plus, minus, _ranks = signed_rank_sums(changes)
    return 0.0 if plus + minus == 0 else (plus - minus) / (plus + minus)


def t_interval(changes: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """The t confidence interval of the mean of two or more changes."""
    centre, sd = mean(changes), sample_sd(changes)
    half = t.ppf(0.5 + confidence / 2, len(changes) - 1) * sd / math.sqrt(len(changes))
    return centre - half, centre + half


def paired(pairs: Iterable[tuple[float, float]]) -> PairedResult:
    """Every figure of one comparison from (before, after) pairs."""
    pairs = list(pairs)
    n = len(pairs)
    if n == 0:
        return PairedResult(n=0)
    before = [b for b, _a in pairs]
    after = [a for _b, a in pairs]
    changes = [a - b for b, a in pairs]
    change = mean(changes)
    result = {
        "n": n, "mean_before": mean(before), "mean_after": mean(after), "mean_change": change,
        "improved": sum(c > 0 for c in changes) / n, "same": sum(c == 0 for c in changes) / n,
        "declined": sum(c < 0 for c in changes) / n,
        "wilcoxon_p": wilcoxon_pratt_p(changes), "rank_biserial": rank_biserial(changes),
    }
    if n >= 2:
        sd = sample_sd(changes)
        low, high = t_interval(changes) if sd > 0 else (change, change)
        result.update(sd_change=sd, ci_low=low, ci_high=high,
                      d_z=change / sd if sd > 0 else None)
    else:
        result.update(wilcoxon_p=None)
    return PairedResult(**result)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment across one report's rows; None stays None."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(indexed)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, index) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[index] = running
    return adjusted


def distribution(values: Iterable[int | None], scale: Sequence[int]) -> dict[str, int]:
    """How many answers fell on each point of the scale, and how many were "na"."""
    counts = Counter("na" if v is None else str(v) for v in values)
    return {**{str(point): counts.get(str(point), 0) for point in scale},
            "na": counts.get("na", 0)}
