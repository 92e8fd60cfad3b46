"""Figures said in plain words, for the pages (and anything else that prints them), in the
reader's language. Pure: a report's dictionaries in, sentences out.

Each sentence is one message of the catalog; what is put into it is a number or a phrase
that stands on its own (a comparison's "after the programme than before it"), never a
fragment of grammar.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from lms.outcomes import reasons
from lms.outcomes.publication import CORE_SCORES

#: How each comparison's change is said, after "higher" or "lower".
SAID = {
    "post_pre": _l("after the programme than before it"),
    "post_then": _l("after the programme than they now think they were before it (the "
                    "retrospective “then” rating)"),
    "then_pre": _l("looking back (“then”) than they did at the start: the response shift"),
}
#: Cronbach's alpha in words (George & Mallery 2003's rules of thumb), best first.
ALPHA_WORDS = ((0.9, _l("excellent")), (0.8, _l("good")), (0.7, _l("acceptable")),
               (0.6, _l("questionable")), (0.5, _l("poor")))


def points(value: float) -> str:
    """0.8 → "0.80 points"; 1 → "1.00 point"."""
    return ngettext("%(value)s point", "%(value)s points", 1 if abs(value) == 1 else 2,
                    value=f"{abs(value):.2f}")


def moved_words(change: float, compared: str, source: str) -> str:
    """The main clause of a headline: who rated whom how much higher or lower."""
    if source == "others":
        if change > 0:
            return gettext("On average others rated participants %(points)s higher "
                           "%(compared)s", points=points(change), compared=compared)
        if change < 0:
            return gettext("On average others rated participants %(points)s lower "
                           "%(compared)s", points=points(change), compared=compared)
        return gettext("On average others rated participants the same %(compared)s",
                       compared=compared)
    if change > 0:
        return gettext("On average participants rated themselves %(points)s higher "
                       "%(compared)s", points=points(change), compared=compared)
    if change < 0:
        return gettext("On average participants rated themselves %(points)s lower "
                       "%(compared)s", points=points(change), compared=compared)
    return gettext("On average participants rated themselves the same %(compared)s",
                   compared=compared)


def headline(cell: dict[str, Any], comparison: str, source: str = "self") -> str:
    """One sentence for one comparison of one row: the mean change with its interval, and
    how many improved; or why there is nothing to say. ``source="others"``: as rated by
    their 360 raters."""
    if cell.get("suppressed"):
        return gettext("Not shown: %(reason)s.", reason=reasons.said(cell["reason"]))
    n = cell.get("n") or 0
    if n == 0:
        return gettext("No participants have both ratings yet.")
    moved = moved_words(cell["mean_change"], str(SAID[comparison]), source)
    improved = round(cell["improved"] * n)
    if n >= 2 and cell.get("ci_low") is not None:
        return gettext("%(moved)s (95%% interval %(low).2f to %(high).2f); %(improved)d of "
                       "%(n)d improved.", moved=moved, low=cell["ci_low"],
                       high=cell["ci_high"], improved=improved, n=n)
    return gettext("%(moved)s; %(improved)d of %(n)d improved.", moved=moved,
                   improved=improved, n=n)


def strength(p: float | None) -> str:
    """How a p value reads to someone deciding on funding."""
    if p is None:
        return gettext("too few people to test")
    if p < 0.01:
        return gettext("very unlikely to be chance alone")
    if p < 0.05:
        return gettext("unlikely to be chance alone")
    return gettext("could well be chance")


def alpha_reading(alpha: float | None) -> str:
    """The usual reading of Cronbach's alpha (George & Mallery 2003's rules of thumb)."""
    if alpha is None:
        return gettext("cannot be worked out")
    for bound, word in ALPHA_WORDS:
        if alpha >= bound:
            return str(word)
    return gettext("unacceptable")


def attrition_sentence(attrition: dict[str, Any]) -> str:
    """Whether those who completed started out differently from those who did not."""
    if attrition.get("suppressed"):
        return gettext("The comparison of completers with the others is not shown: "
                       "%(reason)s.", reason=reasons.said(attrition["reason"]))
    first, second = attrition["with_post"], attrition["without_post"]
    if not second["n"]:
        return gettext("Everyone who rated themselves at the start also did so at the end.")
    if not first["n"]:
        return gettext("No one has rated themselves at the end yet.")
    starts = dict(finished=first["n"], finished_mean=first["mean_pre"], others=second["n"],
                  others_mean=second["mean_pre"])
    if attrition["ci_low"] is None:
        return gettext("The %(finished)d who rated themselves at the end started at "
                       "%(finished_mean).2f on average; the %(others)d who did not, at "
                       "%(others_mean).2f.", **starts)
    difference = dict(difference=attrition["difference"], low=attrition["ci_low"],
                      high=attrition["ci_high"], **starts)
    if attrition["ci_low"] <= 0 <= attrition["ci_high"]:
        return gettext("The %(finished)d who rated themselves at the end started at "
                       "%(finished_mean).2f on average; the %(others)d who did not, at "
                       "%(others_mean).2f: a difference of %(difference).2f (95%% interval "
                       "%(low).2f to %(high).2f). That is within what chance would give, so "
                       "the figures are unlikely to be skewed by who finished.", **difference)
    return gettext("The %(finished)d who rated themselves at the end started at "
                   "%(finished_mean).2f on average; the %(others)d who did not, at "
                   "%(others_mean).2f: a difference of %(difference).2f (95%% interval "
                   "%(low).2f to %(high).2f). Those who finished started out differently, "
                   "so the figures may not speak for everyone who enrolled.", **difference)


#: A breakdown as the held-back sentence names it.
BREAKDOWN_WORDS = {"leadership_level": _l("leadership level"),
                   "organisation_type": _l("organisation type"), "sector": _l("sector"),
                   "cohort": _l("cohort")}


def held_back_sentence(entry: dict[str, Any]) -> str:
    """What one cohort's entry of a report's ``held_back`` list means, after its name."""
    if entry["breakdown"]:
        return gettext("its people are left out of the breakdown by %(breakdown)s",
                       breakdown=BREAKDOWN_WORDS.get(entry["breakdown"], entry["breakdown"]))
    rows = ", ".join(entry["rows"][:6]) + (", …" if len(entry["rows"]) > 6 else "")
    if entry["reason"] == CORE_SCORES:
        return ngettext(
            "in the comparisons of %(num)d row (%(rows)s), each person's score is their mean "
            "over the behaviours that everyone compared rated, before and after (a behaviour "
            "asked of one sector, or one person's “not applicable”, is left out of it)",
            "in the comparisons of %(num)d rows (%(rows)s), each person's score is their mean "
            "over the behaviours that everyone compared rated, before and after (a behaviour "
            "asked of one sector, or one person's “not applicable”, is left out of it)",
            len(entry["rows"]), rows=rows)
    return ngettext("some or all of its people are left out of figures of %(num)d row "
                    "(%(rows)s)",
                    "some or all of its people are left out of figures of %(num)d rows "
                    "(%(rows)s)", len(entry["rows"]), rows=rows)
