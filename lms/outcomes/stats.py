"""Paired statistics for self-ratings. Pure: numbers in, dataclasses out; no Flask, no SQL.

For pairs (before, after) of one comparison (post − pre, post − then or then − pre):

- ``n``: pairs; ``mean_before``, ``mean_after``; ``mean_change`` = mean(after − before);
  ``median_change``: the median of the changes (the mean of the middle two for even n);
- ``ci_low``, ``ci_high``: the 95% t confidence interval of the mean change;
- ``sd_change``: the sample standard deviation of the changes (n − 1 denominator);
- ``d_z``: Cohen's d_z = mean_change / sd_change, with ``d_z_ci_low``, ``d_z_ci_high``, its
  95% interval from the noncentral t distribution (Cumming & Finch 2001; Algina & Keselman
  2003): t = d_z·√n has a noncentral t distribution with n − 1 degrees of freedom and
  noncentrality δ·√n, so the interval is the δ whose distribution puts the observed t at its
  97.5th and 2.5th percentiles, each found by root-finding (all of a report's at once);
- ``d_av``: mean_change / ((SD_before + SD_after) / 2), the standardised change over the
  average SD of the two phases (Lakens 2013), comparable with between-group effect sizes
  because it does not shrink the denominator by the correlation of the phases as d_z does;
- ``wilcoxon_p``: two-sided Wilcoxon signed-rank test, zero differences handled by Pratt's
  method (ranked with the others, then left out of the rank sums). ``wilcoxon_method`` says
  how p was found:
  ``exact`` for n ≤ 50: the exact null distribution of T+ conditional on the observed ties
  and zeros, every non-zero change's sign flipped with probability ½ over the mid-ranks
  actually observed, worked out by a dynamic programme over the doubled mid-ranks (whole
  numbers); p = 2·min(P(T+ ≤ t), P(T+ ≥ t)), at most 1. This is the permutation
  distribution scipy's ``wilcoxon`` enumerates (``method=PermutationMethod()``, its default
  for n ≤ 13 with ties or zeros) and, without ties or zeros, its ``exact`` table.
  ``normal`` for n > 50: the normal approximation, mean and variance adjusted for the zeros
  (Cureton 1967) and the variance for ties, without continuity correction (scipy's
  ``method="asymptotic"``, ``correction=False``);
- ``rank_biserial``: the matched-pairs rank-biserial correlation (T+ − T−) / (T+ + T−) on the
  same Pratt ranks (Kerby 2014), from −1 (all declined) to 1 (all improved);
- ``improved``, ``same``, ``declined``: shares of the pairs, 0–1.

Degenerate input never raises. With n = 0 every figure is None. With n = 1 the means, the
change and its median are given; the SD, intervals, d_z, d_av and p-value are None (one pair
has no spread). When every change is zero: SD 0, interval [0, 0], d_z and its interval None,
d_av 0 when the phases vary (None when they do not), p = 1.0, rank-biserial 0. When the SD is
zero but the changes are not (everyone moved by the same amount): interval [change, change]
and d_z None (undefined, not infinite).

``welch_difference`` compares two independent groups' means (the attrition check: completers
against the rest) with Welch's t interval (unequal variances, Welch–Satterthwaite degrees of
freedom). ``holm`` adjusts one report's p values across its rows (Holm 1979).
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import elementwise
from scipy.stats import nct, t

#: Up to this many pairs the signed-rank p is exact; above it, the normal approximation.
EXACT_MAX_N = 50
CONFIDENCE = 0.95


@dataclass(frozen=True)
class PairedResult:
    """The paired statistics of one comparison for one row of a report."""

    n: int
    mean_before: float | None = None
    mean_after: float | None = None
    mean_change: float | None = None
    median_change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    sd_change: float | None = None
    d_z: float | None = None
    d_z_ci_low: float | None = None
    d_z_ci_high: float | None = None
    d_av: float | None = None
    wilcoxon_p: float | None = None
    wilcoxon_method: str | None = None
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


def weighted_sd(counts: Mapping[float, int], total: int) -> float:
    """The sample SD (n − 1) of values given as value → count; needs total ≥ 2."""
    centre = weighted_mean(counts, total)
    return math.sqrt(math.fsum(k * (v - centre) ** 2 for v, k in counts.items()) / (total - 1))


def weighted_median(counts: Mapping[float, int], total: int) -> float:
    """The median of values given as value → count (the middle two averaged for even n)."""
    middle = ((total - 1) // 2, total // 2)
    found: list[float] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        found += [value for position in middle[len(found):] if position < seen]
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def doubled_ranks(changes: Mapping[float, int]) -> dict[float, int]:
    """Twice the Pratt mid-rank of each size of change (zeros ranked too): whole numbers, so
    exact sums of ranks can index an array."""
    sizes: Counter[float] = Counter()
    for change, count in changes.items():
        sizes[abs(change)] += count
    ranks, position = {}, 0
    for size in sorted(sizes):
        ranks[size] = 2 * position + sizes[size] + 1
        position += sizes[size]
    return ranks


def signed_rank_sums(changes: Mapping[float, int]) -> tuple[float, float]:
    """T+ and T− over Pratt ranks: every change ranked by its size (zeros too, ties sharing
    the average of the ranks they span), then the zeros left out of both sums."""
    rank2 = doubled_ranks(changes)
    plus = sum(rank2[c] * k for c, k in changes.items() if c > 0)
    minus = sum(rank2[-c] * k for c, k in changes.items() if c < 0)
    return plus / 2, minus / 2


def wilcoxon_pratt_normal_p(changes: Mapping[float, int], n: int) -> float:
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
    # 2·P(Z > |z|) = erfc(|z| / √2): the normal tail scipy's norm.sf computes, without the
    # cost of a distribution object's call (a report asks for a hundred of these).
    return float(min(1.0, math.erfc(abs(z) / math.sqrt(2))))


def signed_rank_null(changes: Mapping[float, int]) -> np.ndarray:
    """P(2·T+ = s) for s = 0, 1, …, when each non-zero change's sign is flipped with
    probability ½ and the ranks stay as observed. Each change adds its doubled rank to the
    sum or not: one shift-and-average of the distribution per person."""
    rank2 = doubled_ranks(changes)
    steps = [rank2[abs(c)] for c, k in changes.items() if c != 0 for _ in range(k)]
    probability = np.zeros(sum(steps) + 1)
    probability[0] = 1.0
    reach = 0
    for step in steps:
        probability[step:reach + step + 1] += probability[:reach + 1].copy()
        probability[:reach + step + 1] /= 2
        reach += step
    return probability


def wilcoxon_pratt_exact_p(changes: Mapping[float, int]) -> float:
    """Two-sided exact p of the signed-rank test conditional on the observed ties and zeros."""
    probability = signed_rank_null(changes)
    plus, _minus = signed_rank_sums(changes)
    observed = round(2 * plus)
    lower = math.fsum(probability[:observed + 1])
    upper = math.fsum(probability[observed:])
    return float(min(1.0, 2 * min(lower, upper)))


def wilcoxon_pratt_p(changes: Mapping[float, int], n: int) -> tuple[float, str]:
    """Two-sided signed-rank p with Pratt zeros, and the method: exact up to 50 pairs."""
    if n <= EXACT_MAX_N:
        return wilcoxon_pratt_exact_p(changes), "exact"
    return wilcoxon_pratt_normal_p(changes, n), "normal"


def rank_biserial(changes: Sequence[float]) -> float | None:
    """(T+ − T−) / (T+ + T−) on Pratt ranks; 0 when every change is zero."""
    if not changes:
        return None
    return rank_biserial_of(Counter(changes))


def rank_biserial_of(changes: Mapping[float, int]) -> float:
    """The matched-pairs rank-biserial correlation of counted changes."""
    plus, minus = signed_rank_sums(changes)
    return 0.0 if plus + minus == 0 else (plus - minus) / (plus + minus)


@functools.lru_cache(maxsize=4096)
def t_critical(df: float) -> float:
    """The t distribution's two-sided 95% critical value for ``df`` degrees of freedom
    (remembered: a report's rows mostly share a handful of sizes)."""
    return float(t.ppf(1 - (1 - CONFIDENCE) / 2, df))


def noncentrality_bound(t_values: np.ndarray, df: np.ndarray,
                        quantile: np.ndarray) -> np.ndarray:
    """The noncentrality δ at which each of ``t_values`` sits at its ``quantile`` of the
    noncentral t with ``df`` degrees of freedom, for many at once (scipy's elementwise
    bracket and root finder: a report's intervals cost a few vectorised passes, not one
    search each)."""
    def gap(delta, t_value, freedom, wanted):
        return nct.cdf(t_value, freedom, delta) - wanted
    args = (t_values, df, quantile)
    bracket = elementwise.bracket_root(gap, t_values, args=args)
    root = elementwise.find_root(gap, bracket.bracket, args=args)
    return np.where(bracket.success & root.success, root.x, np.nan)


def dz_intervals(effects: Sequence[tuple[float, int]]) -> list[tuple[float, float] | None]:
    """The noncentral-t 95% interval of each (d_z, n); None where it cannot be found."""
    if not effects:
        return []
    d_z = np.array([d for d, _n in effects], float)
    n = np.array([n for _d, n in effects], float)
    observed, df = d_z * np.sqrt(n), n - 1
    tail = (1 - CONFIDENCE) / 2
    # Both ends in one search: the lower bound puts t at the upper quantile, and back.
    quantiles = np.concatenate([np.full(len(n), 1 - tail), np.full(len(n), tail)])
    bounds = noncentrality_bound(np.tile(observed, 2), np.tile(df, 2), quantiles)
    low, high = np.split(bounds / np.tile(np.sqrt(n), 2), 2)
    return [None if math.isnan(lo) or math.isnan(hi) else (float(lo), float(hi))
            for lo, hi in zip(low, high, strict=True)]


def paired(pairs: Iterable[tuple[float, float]]) -> PairedResult:
    """Every figure of one comparison from (before, after) pairs."""
    return paired_counts(Counter(pairs))


def paired_counts(pairs: Mapping[tuple[float, float], int]) -> PairedResult:
    """Every figure of one comparison from (before, after) → how many people gave that pair."""
    return paired_many([pairs])[0]


def paired_many(tallies: Sequence[Mapping[tuple[float, float], int]]) -> list[PairedResult]:
    """Every figure of many comparisons (a report's cells), the d_z intervals found together.

    Likert answers take few values, so a report's pairs are counted in SQL and the figures
    worked out from the counts: the work no longer grows with the number of people.
    """
    results = [paired_without_dz_interval(pairs) for pairs in tallies]
    wanted = [i for i, r in enumerate(results) if r.d_z is not None]
    intervals = dz_intervals([(results[i].d_z, results[i].n) for i in wanted])
    for index, interval in zip(wanted, intervals, strict=True):
        if interval is not None:
            results[index] = replace(results[index], d_z_ci_low=interval[0],
                                     d_z_ci_high=interval[1])
    return results


def paired_without_dz_interval(pairs: Mapping[tuple[float, float], int]) -> PairedResult:
    """Every figure of one comparison but the d_z interval (see ``paired_many``)."""
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
        "mean_change": change, "median_change": weighted_median(changes, n),
        "improved": sum(k for c, k in changes.items() if c > 0) / n,
        "same": changes.get(0.0, 0) / n,
        "declined": sum(k for c, k in changes.items() if c < 0) / n,
        "rank_biserial": rank_biserial_of(changes),
    }
    if n >= 2:
        result.update(spread_figures(changes, change, n))
        average_sd = (weighted_sd(before, n) + weighted_sd(after, n)) / 2
        result["d_av"] = change / average_sd if average_sd > 0 else None
        result["wilcoxon_p"], result["wilcoxon_method"] = wilcoxon_pratt_p(changes, n)
    return PairedResult(**result)


def spread_figures(changes: Mapping[float, int], change: float, n: int) -> dict[str, float]:
    """The SD of the changes, the t interval of their mean, and d_z (n ≥ 2)."""
    sd = weighted_sd(changes, n)
    if sd == 0:
        return {"sd_change": sd, "ci_low": change, "ci_high": change, "d_z": None}
    half = t_critical(n - 1) * sd / math.sqrt(n)
    return {"sd_change": sd, "ci_low": change - half, "ci_high": change + half,
            "d_z": change / sd}


@dataclass(frozen=True)
class Difference:
    """Two independent groups' means and the difference of the first from the second."""

    n_first: int
    mean_first: float | None
    n_second: int
    mean_second: float | None
    difference: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None


def welch_difference(first: Sequence[float], second: Sequence[float]) -> Difference:
    """mean(first) − mean(second) with Welch's 95% t interval."""
    return welch_from_sums(*moments(first), *moments(second))


def moments(values: Sequence[float]) -> tuple[int, float, float]:
    """(n, sum, sum of squares) of some values."""
    return len(values), math.fsum(values), math.fsum(v * v for v in values)


def welch_from_sums(n1: int, sum1: float, squares1: float,
                    n2: int, sum2: float, squares2: float) -> Difference:
    """Welch's comparison from each group's n, sum and sum of squares (as SQL counts them).
    The interval needs two people in each group and some spread."""
    mean1 = sum1 / n1 if n1 else None
    mean2 = sum2 / n2 if n2 else None
    if not n1 or not n2:
        return Difference(n1, mean1, n2, mean2)
    difference = mean1 - mean2
    if n1 < 2 or n2 < 2:
        return Difference(n1, mean1, n2, mean2, difference)
    var1 = max(0.0, (squares1 - sum1 * sum1 / n1) / (n1 - 1))
    var2 = max(0.0, (squares2 - sum2 * sum2 / n2) / (n2 - 1))
    se2 = var1 / n1 + var2 / n2
    if se2 == 0:
        return Difference(n1, mean1, n2, mean2, difference, difference, difference)
    df = se2**2 / ((var1 / n1) ** 2 / (n1 - 1) + (var2 / n2) ** 2 / (n2 - 1))
    half = t_critical(df) * math.sqrt(se2)
    return Difference(n1, mean1, n2, mean2, difference, difference - half, difference + half)


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
