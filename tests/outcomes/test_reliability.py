"""Cronbach's alpha, Feldt's interval and reliable change against references written here:
alpha as pingouin.cronbach_alpha computes it (item variances against the variance of the
total, over complete rows), the interval from scipy's F distribution as pingouin does."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sp

from lms.outcomes.reliability import (
    RCI_MIN_RESPONDENTS,
    Alpha,
    Moments,
    change_threshold,
    classify,
    cronbach_alpha,
    reliable_change_index,
)


def reference_alpha(matrix: np.ndarray) -> tuple[float, float, float]:
    """pingouin 0.5's cronbach_alpha, re-written: rows are people, columns items."""
    n, k = matrix.shape
    covariance = np.cov(matrix, rowvar=False, ddof=1)
    alpha = (k / (k - 1)) * (1 - np.trace(covariance) / covariance.sum())
    df1, df2 = n - 1, (n - 1) * (k - 1)
    low = 1 - (1 - alpha) * sp.f.isf(0.025, df1, df2)
    high = 1 - (1 - alpha) * sp.f.isf(0.975, df1, df2)
    return alpha, low, high


def alpha_of(matrix: np.ndarray) -> Alpha:
    """What the service gives the pure function: each item's and the total's moments."""
    items = [Moments(len(col), float(col.sum()), float((col * col).sum())) for col in matrix.T]
    totals = matrix.sum(axis=1)
    return cronbach_alpha(items, Moments(len(totals), float(totals.sum()),
                                         float((totals * totals).sum())))


@pytest.mark.parametrize(("n", "k", "seed"), [(8, 7, 1), (30, 12, 2), (12, 9, 3),
                                              (500, 35, 4), (3, 2, 5)])
def test_alpha_and_feldt_interval_match_the_reference(n, k, seed):
    rng = np.random.default_rng(seed)
    trait = rng.normal(3, 0.8, size=(n, 1))  # people differ, so the items agree
    matrix = np.clip(np.rint(trait + rng.normal(0, 0.7, size=(n, k))), 1, 5)
    result = alpha_of(matrix)
    alpha, low, high = reference_alpha(matrix)
    assert (result.alpha, result.ci_low, result.ci_high) == pytest.approx((alpha, low, high),
                                                                          rel=1e-9)
    assert result.sd_score == pytest.approx(matrix.mean(axis=1).std(ddof=1))
    assert (result.n, result.items) == (n, k)


def test_alpha_needs_two_people_two_items_and_spread():
    assert alpha_of(np.array([[3.0, 4.0]])).alpha is None
    assert alpha_of(np.array([[3.0], [4.0]])).alpha is None
    flat = alpha_of(np.full((6, 4), 3.0))
    assert flat.alpha is None and flat.sd_score == 0


def test_reliable_change_follows_jacobson_and_truax():
    pre = Alpha(n=40, items=7, alpha=0.84, sd_score=0.6)
    threshold = change_threshold(pre)
    assert threshold == pytest.approx(math.sqrt(2) * 0.6 * math.sqrt(0.16))  # 0.3394
    assert classify(reliable_change_index(0.7, threshold)) == "improved"  # RCI 2.06
    assert classify(reliable_change_index(0.6, threshold)) == "none"  # 1.77
    assert classify(reliable_change_index(-0.7, threshold)) == "declined"


def test_reliable_change_is_not_available_on_too_few_or_unreliable_answers():
    assert change_threshold(Alpha(n=RCI_MIN_RESPONDENTS - 1, items=7, alpha=0.9,
                                  sd_score=0.5)) is None
    assert change_threshold(Alpha(n=100, items=7, alpha=-0.1, sd_score=0.5)) is None
    assert change_threshold(Alpha(n=100, items=7)) is None
    assert classify(reliable_change_index(1.0, None)) is None
