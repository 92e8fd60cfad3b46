"""Every figure of lms.outcomes.stats against scipy and numpy, on random and hand-made data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sp

from lms.outcomes.stats import PairedResult, distribution, holm, paired, rank_biserial


def reference(before, after) -> dict:
    """The same figures, computed independently with numpy and scipy."""
    before, after = np.asarray(before, float), np.asarray(after, float)
    d = after - before
    ci = sp.ttest_rel(after, before).confidence_interval(0.95)
    ranks = sp.rankdata(np.abs(d))  # Pratt: zeros ranked with the others
    plus, minus = ranks[d > 0].sum(), ranks[d < 0].sum()
    return {
        "n": len(d), "mean_before": before.mean(), "mean_after": after.mean(),
        "mean_change": d.mean(), "sd_change": d.std(ddof=1), "ci_low": ci.low,
        "ci_high": ci.high, "d_z": d.mean() / d.std(ddof=1),
        "wilcoxon_p": sp.wilcoxon(d, zero_method="pratt", correction=False,
                                  method="asymptotic").pvalue,
        "rank_biserial": (plus - minus) / (plus + minus),
        "improved": (d > 0).mean(), "same": (d == 0).mean(), "declined": (d < 0).mean(),
    }


def assert_matches(result: PairedResult, expected: dict) -> None:
    for name, value in expected.items():
        assert getattr(result, name) == pytest.approx(value, rel=1e-9, abs=1e-12), name


likert = st.integers(min_value=1, max_value=5)


@settings(max_examples=200, deadline=None)
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
    assert result.wilcoxon_p == pytest.approx(0.028707868753658248)  # scipy 1.17 printed
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
    expected = sp.wilcoxon([1, 1, 1, 1], zero_method="pratt", correction=False,
                           method="asymptotic").pvalue
    assert result.wilcoxon_p == pytest.approx(expected)


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
    for value in vars(result).values():
        assert value is None or math.isfinite(value)
