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
from collections.abc import Iterable, Mapping, Sequence
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


def weighted_mean(counts: Mapping[float, int], total: int) -> float:
    """The mean of values given as value → how many times it occurs."""
    return math.fsum(value * count for value, count in counts.items()) / total


def signed_rank_sums(changes: Mapping[float, int]) -> tuple[float, float]:
    """T+ and T− over Pratt ranks: every change ranked by its size (zeros too, ties sharing
    the average of the ranks they span), then the zeros left out of both sums."""
    sizes: Counter[float] = Counter()
    for change, count in changes.items():
        sizes[abs(change)] += count
    rank_of, position = {}, 0
    for size in sorted(sizes):
        count = sizes[size]
        rank_of[size] = position + (count + 1) / 2
        position += count
    plus = math.fsum(rank_of[c] * k for c, k in changes.items() if c > 0)
    minus = math.fsum(rank_of[abs(c)] * k for c, k in changes.items() if c < 0)
    return plus, minus


def wilcoxon_pratt_p(changes: Mapping[float, int], n: int) -> float:
    """Two-sided p of the signed-rank test, Pratt zeros, tie-corrected normal approximation."""
    zeros = changes.get(0.0, 0)
    if zeros == n:
        return 1.0
    plus, _minus = signed_rank_sums(changes)
    expected = (n * (n + 1) - zeros * (zeros + 1)) / 4
    variance = n * (n + 1) * (2 * n + 1) - zeros * (zeros + 1) * (2 * zeros + 1)
    # Ties among the non-zero changes reduce the variance; the zeros' own variance has
    # already been taken out above (Cureton 1967), so their tie group is not counted again.
    ties: Counter[float] = Counter()
    for change, count in changes.items():
        if change != 0:
            ties[abs(change)] += count
    variance -= math.fsum(k**3 - k for k in ties.values()) / 2
    z = (plus - expected) / math.sqrt(variance / 24)
    return float(min(1.0, 2 * norm.sf(abs(z))))


def rank_biserial(changes: Sequence[float]) -> float | None:
    """(T+ − T−) / (T+ + T−) on Pratt ranks; 0 when every change is zero."""
    if not changes:
        return None
    return rank_biserial_of(Counter(changes))


def rank_biserial_of(changes: Mapping[float, int]) -> float:
    """The matched-pairs rank-biserial correlation of counted changes."""
    plus, minus = signed_rank_sums(changes)
    return 0.0 if plus + minus == 0 else (plus - minus) / (plus + minus)


def paired(pairs: Iterable[tuple[float, float]]) -> PairedResult:
    """Every figure of one comparison from (before, after) pairs."""
    return paired_counts(Counter(pairs))


def paired_counts(pairs: Mapping[tuple[float, float], int]) -> PairedResult:
    """Every figure of one comparison from (before, after) → how many people gave that pair.

    Likert answers take few values, so a report's pairs are counted in SQL and the figures
    worked out from the counts: the work no longer grows with the number of people.
    """
    pairs = {pair: count for pair, count in pairs.items() if count}
    n = sum(pairs.values())
    if n == 0:
        return PairedResult(n=0)
    before: Counter[float] = Counter()
    after: Counter[float] = Counter()
    changes: Counter[float] = Counter()
    for (b, a), count in pairs.items():
        before[b] += count
        after[a] += count
        changes[a - b] += count
    change = weighted_mean(changes, n)
    result = {
        "n": n, "mean_before": weighted_mean(before, n), "mean_after": weighted_mean(after, n),
        "mean_change": change,
        "improved": sum(k for c, k in changes.items() if c > 0) / n,
        "same": changes.get(0.0, 0) / n,
        "declined": sum(k for c, k in changes.items() if c < 0) / n,
        "rank_biserial": rank_biserial_of(changes),
    }
    if n >= 2:
        sd = math.sqrt(math.fsum(k * (c - change) ** 2 for c, k in changes.items()) / (n - 1))
        if sd > 0:
            half = t.ppf(0.975, n - 1) * sd / math.sqrt(n)
            low, high = change - half, change + half
        else:
            low = high = change
        result.update(sd_change=sd, ci_low=low, ci_high=high,
                      d_z=change / sd if sd > 0 else None,
                      wilcoxon_p=wilcoxon_pratt_p(changes, n))
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
