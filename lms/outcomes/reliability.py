"""How consistent a theme's behaviours are as a scale, and whose change is larger than the
scale's own noise. Pure: counts in, dataclasses out; no Flask, no SQL.

- **Cronbach's α** (Cronbach 1951) over k behaviours answered by n people, each with a point
  of the scale on every one of them: α = k / (k − 1) · (1 − Σ var(item) / var(total)), the
  variances with the n − 1 denominator, worked out from each item's and the total's sum and
  sum of squares (what SQL counts). Its 95% interval is Feldt's (1965): with
  F the F distribution on n − 1 and (n − 1)(k − 1) degrees of freedom,
  [1 − (1 − α)·F⁻¹(0.975), 1 − (1 − α)·F⁻¹(0.025)], as ``pingouin.cronbach_alpha`` gives it.
  α needs n ≥ 2, k ≥ 2 and some spread in the totals; otherwise it is None.
- **Reliable change** (Jacobson & Truax 1991): RCI = (post − pre) / S_diff, where
  S_diff = √2 · SEM and SEM = SD_pre · √(1 − α_pre), from the programme's pre answers. A person
  whose |RCI| exceeds 1.96 has changed by more than the scale's measurement error would
  explain 95% of the time: "reliably improved" or "reliably declined"; otherwise "no reliable
  change". Below ``RCI_MIN_RESPONDENTS`` complete pre answers, or with α ≤ 0, there is no
  S_diff and reliable change is "not available".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy.stats import f

CONFIDENCE = 0.95
#: Fewer complete pre answers than this give no trustworthy SD and α to judge change by.
RCI_MIN_RESPONDENTS = 20
RCI_CRITICAL = 1.96
IMPROVED, NO_CHANGE, DECLINED = "improved", "none", "declined"


@dataclass(frozen=True)
class Moments:
    """n, sum and sum of squares of some values (exact integers when the values are)."""

    n: int
    total: float
    squares: float

    def variance(self) -> float:
        """The sample variance (n − 1 denominator); needs n ≥ 2."""
        return max(0.0, (self.squares - self.total * self.total / self.n) / (self.n - 1))


@dataclass(frozen=True)
class Alpha:
    """Cronbach's α of one scale in one phase, with Feldt's interval."""

    n: int
    items: int
    alpha: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    #: The SD of the scale's score (the mean of its items) over the same people.
    sd_score: float | None = None


def cronbach_alpha(items: list[Moments], totals: Moments) -> Alpha:
    """α from each item's moments and the moments of each person's total over the items,
    all over the same complete respondents."""
    n, k = totals.n, len(items)
    if n < 2 or k < 2:
        return Alpha(n, k)
    total_variance = totals.variance()
    sd_score = math.sqrt(total_variance) / k
    if total_variance == 0:
        return Alpha(n, k, sd_score=sd_score)
    alpha = k / (k - 1) * (1 - math.fsum(item.variance() for item in items) / total_variance)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    tail = (1 - CONFIDENCE) / 2
    low = 1 - (1 - alpha) * f.isf(tail, df1, df2)
    high = 1 - (1 - alpha) * f.isf(1 - tail, df1, df2)
    return Alpha(n, k, alpha, float(low), float(high), sd_score)


def change_threshold(pre: Alpha) -> float | None:
    """S_diff = √2 · SD_pre · √(1 − α_pre), or None when the pre answers cannot give one."""
    if (pre.n < RCI_MIN_RESPONDENTS or pre.alpha is None or pre.sd_score is None
            or pre.alpha <= 0):
        return None
    return math.sqrt(2) * pre.sd_score * math.sqrt(max(0.0, 1 - pre.alpha))


def reliable_change_index(change: float, threshold: float | None) -> float | None:
    """(post − pre) / S_diff; None without a threshold (or when it is zero: α = 1)."""
    if not threshold:
        return None
    return change / threshold


def classify(index: float | None) -> str | None:
    """"improved", "none" or "declined" by the 1.96 criterion; None when not available."""
    if index is None:
        return None
    if index > RCI_CRITICAL:
        return IMPROVED
    return DECLINED if index < -RCI_CRITICAL else NO_CHANGE
