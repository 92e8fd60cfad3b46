"""Figures said in plain English, for the pages (and anything else that prints them). Pure:
a report's dictionaries in, sentences out."""

from __future__ import annotations

from typing import Any

from lms.outcomes.publication import CORE_SCORES

#: How each comparison's change is said: (what moved, the later rating, the earlier one).
SAID = {
    "post_pre": "after the programme than before it",
    "post_then": "after the programme than they now think they were before it (the "
                 "retrospective “then” rating)",
    "then_pre": "looking back (“then”) than they did at the start: the response shift",
}


def points(value: float) -> str:
    """0.8 → "0.80 points"; 1 → "1.00 point"."""
    return f"{abs(value):.2f} point{'' if abs(value) == 1 else 's'}"


def headline(cell: dict[str, Any], comparison: str, who: str = "participants",
             source: str = "self") -> str:
    """One sentence for one comparison of one row: the mean change with its interval, and
    how many improved; or why there is nothing to say. ``source="others"``: as rated by
    their 360 raters."""
    if cell.get("suppressed"):
        return f"Not shown: {cell['reason']}."
    n = cell.get("n") or 0
    if n == 0:
        return f"No {who} have both ratings yet."
    change = cell["mean_change"]
    direction = "higher" if change > 0 else "lower"
    rated = (f"others rated {who}" if source == "others"
             else f"{who} rated themselves")
    moved = (f"On average {rated} {points(change)} {direction} "
             f"{SAID[comparison]}" if change != 0 else
             f"On average {rated} the same {SAID[comparison]}")
    interval = (f" (95% interval {cell['ci_low']:.2f} to {cell['ci_high']:.2f})"
                if n >= 2 and cell.get("ci_low") is not None else "")
    improved = round(cell["improved"] * n)
    return f"{moved}{interval}; {improved} of {n} improved."


def strength(p: float | None) -> str:
    """How a p value reads to someone deciding on funding."""
    if p is None:
        return "too few people to test"
    if p < 0.01:
        return "very unlikely to be chance alone"
    if p < 0.05:
        return "unlikely to be chance alone"
    return "could well be chance"


def alpha_reading(alpha: float | None) -> str:
    """The usual reading of Cronbach's alpha (George & Mallery 2003's rules of thumb)."""
    if alpha is None:
        return "cannot be worked out"
    for bound, word in ((0.9, "excellent"), (0.8, "good"), (0.7, "acceptable"),
                        (0.6, "questionable"), (0.5, "poor")):
        if alpha >= bound:
            return word
    return "unacceptable"


def attrition_sentence(attrition: dict[str, Any]) -> str:
    """Whether those who completed started out differently from those who did not."""
    if attrition.get("suppressed"):
        return f"The comparison of completers with the others is not shown: {attrition['reason']}."
    first, second = attrition["with_post"], attrition["without_post"]
    if not second["n"]:
        return "Everyone who rated themselves at the start also did so at the end."
    if not first["n"]:
        return "No one has rated themselves at the end yet."
    text = (f"The {first['n']} who rated themselves at the end started at "
            f"{first['mean_pre']:.2f} on average; the {second['n']} who did not, at "
            f"{second['mean_pre']:.2f}")
    if attrition["ci_low"] is None:
        return text + "."
    covers_zero = attrition["ci_low"] <= 0 <= attrition["ci_high"]
    return (f"{text}: a difference of {attrition['difference']:.2f} (95% interval "
            f"{attrition['ci_low']:.2f} to {attrition['ci_high']:.2f}). "
            + ("That is within what chance would give, so the figures are unlikely to be "
               "skewed by who finished." if covers_zero else
               "Those who finished started out differently, so the figures may not speak "
               "for everyone who enrolled."))


def held_back_sentence(entry: dict[str, Any]) -> str:
    """What one cohort's entry of a report's ``held_back`` list means, after its name."""
    if entry["breakdown"]:
        return (f"its people are left out of the breakdown by "
                f"{entry['breakdown'].replace('_', ' ')}")
    rows = ", ".join(entry["rows"][:6]) + (", …" if len(entry["rows"]) > 6 else "")
    plural = "s" if len(entry["rows"]) != 1 else ""
    if entry["reason"] == CORE_SCORES:
        return (f"in the comparisons of {len(entry['rows'])} row{plural} ({rows}), each "
                f"person's score is their mean over the behaviours that everyone compared "
                f"rated, before and after (a behaviour asked of one sector, or one person's "
                f"“not applicable”, is left out of it)")
    return (f"some or all of its people are left out of figures of {len(entry['rows'])} "
            f"row{plural} ({rows})")
