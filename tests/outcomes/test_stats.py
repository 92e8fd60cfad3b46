"""Every figure of lms.outcomes.stats against scipy and numpy, on random and hand-made data.

The references are computed here, independently of the code under test: scipy's own
``wilcoxon`` wherever it is exact (its default for n ≤ 13 with ties or zeros, which enumerates
every sign flip; its exact table without ties or zeros, up to 50), and elsewhere a brute-force
enumeration of sums written below, itself checked against scipy where both apply; the d_z
interval by inverting ``scipy.stats.nct`` with ``brentq``; Welch's interval by
``scipy.stats.ttest_ind``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sp
from scipy.optimize import brentq

from lms.outcomes.stats import (
    EXACT_MAX_N,
    PairedResult,
    distribution,
    holm,
    paired,
    rank_biserial,
    welch_difference,
)


def enumerated_signed_rank_p(d) -> float:
    """The exact two-sided Pratt signed-rank p by enumerating the sums: every non-zero change
    adds its mid-rank to T+ or not, each way with probability ½ (a dictionary of exact
    sums, counted in whole numbers)."""
    d = np.asarray(d, float)
    ranks = sp.rankdata(np.abs(d))  # Pratt: zeros ranked with the others
    observed = ranks[d > 0].sum()
    ways = {0.0: 1}
    for rank in ranks[d != 0]:
        grown = dict(ways)
        for total, count in ways.items():
            grown[total + rank] = grown.get(total + rank, 0) + count
        ways = grown
    everything = 2 ** int((d != 0).sum())
    below = sum(c for s, c in ways.items() if s <= observed + 1e-9)
    above = sum(c for s, c in ways.items() if s >= observed - 1e-9)
    return min(1.0, 2 * min(below, above) / everything)


def reference_signed_rank_p(d) -> tuple[float, str]:
    """scipy's exact p where scipy has one, the enumeration otherwise; the normal
    approximation above 50."""
    d = np.asarray(d, float)
    if len(d) > EXACT_MAX_N:
        return sp.wilcoxon(d, zero_method="pratt", correction=False,
                           method="asymptotic").pvalue, "normal"
    if (d == 0).all():
        return 1.0, "exact"
    ties = len(np.unique(np.abs(d))) < len(d)
    if len(d) <= 13 or not (ties or (d == 0).any()):
        return sp.wilcoxon(d, zero_method="pratt").pvalue, "exact"  # scipy's exact default
    return enumerated_signed_rank_p(d), "exact"


def noncentral_dz_interval(d_z: float, n: int) -> tuple[float, float]:
    """Invert the noncentral t directly, one bound at a time (Cumming & Finch 2001)."""
    t_obs, df = d_z * np.sqrt(n), n - 1

    def bound(quantile):
        def gap(delta):
            return sp.nct.cdf(t_obs, df, delta) - quantile
        width = 1.0
        while gap(t_obs - width) * gap(t_obs + width) > 0:  # widen until it brackets
            width *= 2
        return brentq(gap, t_obs - width, t_obs + width, xtol=1e-13)

    return bound(0.975) / np.sqrt(n), bound(0.025) / np.sqrt(n)


def reference(before, after) -> dict:
    """The same figures, computed independently with numpy and scipy."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    d = after - before
    ci = sp.ttest_rel(after, before).confidence_interval(0.95)
    ranks = sp.rankdata(np.abs(d))  # Pratt: zeros ranked with the others
    plus, minus = ranks[d > 0].sum(), ranks[d < 0].sum()
    p, method = reference_signed_rank_p(d)
    d_z = d.mean() / d.std(ddof=1)
    low, high = noncentral_dz_interval(d_z, len(d))
    return {
        "n": len(d), "mean_before": before.mean(), "mean_after": after.mean(),
        "mean_change": d.mean(), "median_change": np.median(d), "sd_change": d.std(ddof=1),
        "ci_low": ci.low, "ci_high": ci.high, "d_z": d_z, "d_z_ci_low": low,
        "d_z_ci_high": high,
        "d_av": d.mean() / ((before.std(ddof=1) + after.std(ddof=1)) / 2),
        "wilcoxon_p": p, "wilcoxon_method": method,
        "rank_biserial": (plus - minus) / (plus + minus),
        "improved": (d > 0).mean(), "same": (d == 0).mean(), "declined": (d < 0).mean(),
    }


def assert_matches(result: PairedResult, expected: dict) -> None:
    for name, value in expected.items():
        if isinstance(value, str):
            assert getattr(result, name) == value, name
        else:
            assert getattr(result, name) == pytest.approx(value, rel=1e-9, abs=1e-12), name


likert = st.integers(min_value=1, max_value=5)


@pytest.mark.slow
@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(likert, likert), min_size=3, max_size=60).filter(
    lambda pairs: len({a - b for b, a in pairs}) > 1))  # changes that vary
def test_random_likert_pairs_match_scipy(pairs):
    before, after = zip(*pairs, strict=True)
    assert_matches(paired(pairs), reference(before, after))


@pytest.mark.parametrize("seed", range(5))
def test_large_random_samples_match_scipy(seed):
    rng = np.random.default_rng(seed)
    before = rng.integers(1, 6, size=400)
    after = np.clip(before + rng.integers(-1, 3, size=400), 1, 5)
    result = paired(zip(before.tolist(), after.tolist(), strict=True))
    assert_matches(result, reference(before, after))


def test_a_hand_made_example():
    # Changes: +1 +1 0 +2 −1 0 +1 +3 +1 0 +2 (computed by hand: mean 10/11).
    before = [3] * 11
    after = [4, 4, 3, 5, 2, 3, 4, 6, 4, 3, 5]
    result = paired(zip(before, after, strict=True))
    assert result.n == 11
    assert result.mean_change == pytest.approx(10 / 11)
    assert (result.improved, result.same, result.declined) == pytest.approx((7 / 11, 3 / 11,
                                                                             1 / 11))
    # 11 pairs with ties and zeros: scipy 1.17's default (a permutation test enumerating
    # all 2^11 sign flips) printed 0.046875 = 96/2048; the normal approximation gave 0.0287.
    assert result.wilcoxon_p == pytest.approx(0.046875, abs=1e-12)
    assert result.wilcoxon_method == "exact"
    assert result.ci_low == pytest.approx(0.14579358738043635)
    assert result.ci_high == pytest.approx(1.6723882308013818)


def test_no_pairs_gives_no_figures():
    assert paired([]) == PairedResult(n=0)


def test_one_pair_gives_means_but_no_spread():
    result = paired([(2, 4)])
    assert (result.n, result.mean_before, result.mean_after, result.mean_change) == (1, 2, 4, 2)
    assert (result.sd_change, result.ci_low, result.d_z, result.wilcoxon_p) == (None,) * 4
    assert result.rank_biserial == 1.0 and result.improved == 1.0


def test_all_changes_zero():
    result = paired([(3, 3)] * 6)
    assert (result.mean_change, result.sd_change, result.ci_low, result.ci_high) == (0, 0, 0, 0)
    assert result.d_z is None
    assert result.wilcoxon_p == 1.0
    assert result.rank_biserial == 0.0
    assert result.same == 1.0


def test_everyone_moved_by_the_same_amount():
    result = paired([(2, 3), (3, 4), (1, 2), (4, 5)])
    assert result.sd_change == 0 and result.d_z is None
    assert (result.ci_low, result.ci_high) == (1, 1)
    assert result.rank_biserial == 1.0
    expected = sp.wilcoxon([1, 1, 1, 1], zero_method="pratt").pvalue  # exact: 2 / 16
    assert result.wilcoxon_p == pytest.approx(expected) == 0.125


def test_rank_biserial_extremes():
    assert rank_biserial([1, 2, 3]) == 1.0
    assert rank_biserial([-1, -2]) == -1.0
    assert rank_biserial([]) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(min_value=0, max_value=1)), max_size=40))
def test_holm_matches_statsmodels_formula(p_values):
    adjusted = holm(p_values)
    present = [(p, i) for i, p in enumerate(p_values) if p is not None]
    m = len(present)
    # Reference: Holm (1979), adjusted p_(k) = max over j <= k of min(1, (m − j + 1) p_(j)).
    ordered = sorted(present)
    expected = {}
    for k, (_p, index) in enumerate(ordered):
        expected[index] = max(min(1.0, (m - j) * ordered[j][0]) for j in range(k + 1))
    for i, p in enumerate(p_values):
        if p is None:
            assert adjusted[i] is None
        else:
            assert adjusted[i] == pytest.approx(expected[i])
            assert adjusted[i] >= p


def test_holm_hand_made():
    # Sorted: 0.01×3 = 0.03; 0.03×2 = 0.06; 0.04×1 = 0.04, raised to 0.06 to stay monotone.
    adjusted = holm([0.01, 0.04, None, 0.03])
    assert adjusted[2] is None
    assert [adjusted[0], adjusted[1], adjusted[3]] == pytest.approx([0.03, 0.06, 0.06])


def test_distribution_counts_every_point_and_na():
    assert distribution([1, 3, 3, None, 5], [1, 2, 3, 4, 5]) == {
        "1": 1, "2": 0, "3": 2, "4": 0, "5": 1, "na": 1}


def test_results_are_finite_numbers_or_none():
    result = paired([(1, 5), (5, 1), (3, 3)])
    for name, value in vars(result).items():
        if name == "wilcoxon_method":
            assert value == "exact"
        else:
            assert value is None or math.isfinite(value)


def test_five_who_all_improved_get_the_exact_p_not_the_normal_one():
    # The case that started it: the normal approximation said 0.033, "significant".
    result = paired([(2, 3), (3, 4), (2, 4), (1, 3), (3, 5)])
    assert result.wilcoxon_p == pytest.approx(0.0625, abs=1e-12)  # 2 / 2^5
    assert result.wilcoxon_p == pytest.approx(sp.wilcoxon([1, 1, 2, 2, 2]).pvalue, abs=1e-12)
    assert result.wilcoxon_method == "exact"


@pytest.mark.slow
def test_the_enumeration_reference_agrees_with_scipy_where_scipy_is_exact():
    rng = np.random.default_rng(11)
    for _ in range(15):
        d = rng.integers(-3, 4, size=int(rng.integers(2, 14))).astype(float)
        if (d == 0).all():
            continue
        assert enumerated_signed_rank_p(d) == pytest.approx(
            sp.wilcoxon(d, zero_method="pratt", method=sp.PermutationMethod()).pvalue,
            abs=1e-12)


pairs_up_to_50 = st.lists(st.tuples(likert, likert), min_size=2, max_size=EXACT_MAX_N)


@pytest.mark.slow
@settings(max_examples=40, deadline=None)
@given(pairs_up_to_50)
def test_exact_p_with_ties_and_zeros_matches_the_references(pairs):
    before, after = zip(*pairs, strict=True)
    d = np.subtract(after, before, dtype=float)
    expected, method = reference_signed_rank_p(d)
    result = paired(pairs)
    assert result.wilcoxon_method == method == "exact"
    assert result.wilcoxon_p == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("n", [5, 13, 14, 30, 50])
def test_exact_p_without_ties_matches_scipys_exact_default(n):
    # Theme scores are means, so their changes need not tie: scipy's exact table applies.
    rng = np.random.default_rng(n)
    d = rng.permutation(np.arange(1, n + 1)) * rng.choice([-1, 1], size=n) / 7
    result = paired([(0.0, float(change)) for change in d])
    assert result.wilcoxon_p == pytest.approx(sp.wilcoxon(d).pvalue, abs=1e-9)


@pytest.mark.parametrize("n", [2, 9, pytest.param(13, marks=pytest.mark.slow)])
def test_exact_p_matches_scipys_permutation_method(n):
    rng = np.random.default_rng(100 + n)
    before = rng.integers(1, 6, size=n)
    after = np.clip(before + rng.integers(-2, 3, size=n), 1, 5)
    d = (after - before).astype(float)
    result = paired(zip(before.tolist(), after.tolist(), strict=True))
    if (d == 0).all():
        assert result.wilcoxon_p == 1.0
        return
    permutation = sp.wilcoxon(d, zero_method="pratt", method=sp.PermutationMethod())
    assert result.wilcoxon_p == pytest.approx(permutation.pvalue, abs=1e-9)


def test_above_fifty_pairs_the_normal_approximation_is_used():
    pairs = [(3, 4)] * 30 + [(3, 3)] * 11 + [(4, 3)] * 10
    result = paired(pairs)
    assert result.wilcoxon_method == "normal"
    d = [1.0] * 30 + [0.0] * 11 + [-1.0] * 10
    assert result.wilcoxon_p == pytest.approx(sp.wilcoxon(
        d, zero_method="pratt", correction=False, method="asymptotic").pvalue, rel=1e-9)


@pytest.mark.parametrize(("d_z", "n"), [(0.5, 10), (-1.2, 6), (0.05, 30), (2.5, 12),
                                        (0.8, 1000), (0.3, 20000)])
def test_the_dz_interval_inverts_the_noncentral_t(d_z, n):
    from lms.outcomes.stats import dz_intervals
    [(low, high)] = dz_intervals([(d_z, n)])
    assert (low, high) == pytest.approx(noncentral_dz_interval(d_z, n), rel=1e-7)
    assert low < d_z < high


def test_median_and_d_av_by_hand():
    # before 1 2 3 4, after 2 4 3 5: changes 1 2 0 1 (median 1); SDs 1.291 and 1.291.
    result = paired([(1, 2), (2, 4), (3, 3), (4, 5)])
    assert result.median_change == 1.0
    sd = np.std([1, 2, 3, 4], ddof=1)
    assert result.d_av == pytest.approx(1.0 / ((sd + np.std([2, 4, 3, 5], ddof=1)) / 2))


def test_no_spread_in_either_phase_gives_no_d_av():
    result = paired([(3, 4)] * 6)
    assert result.d_av is None and result.d_z_ci_low is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(4, 20).map(lambda x: x / 4), min_size=2, max_size=40),
       st.lists(st.integers(4, 20).map(lambda x: x / 4), min_size=2, max_size=40))
def test_welch_matches_scipy(first, second):  # scores: means of a few answers
    result = welch_difference(first, second)
    assert result.difference == pytest.approx(np.mean(first) - np.mean(second), abs=1e-9)
    if np.std(first) > 0 and np.std(second) > 0:
        ci = sp.ttest_ind(first, second, equal_var=False).confidence_interval()
        assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-6,
                                                                abs=1e-9)


def test_welch_needs_someone_in_each_group():
    result = welch_difference([3.0, 4.0], [])
    assert result.mean_first == 3.5 and result.mean_second is None
    assert result.difference is None and result.ci_low is None
