"""The plain-language summary at the top of the outcomes page and the evaluation report, in
the reader's language. Pure: reports' dictionaries in, sentences out, so the same figures
always give the same words (in the same language).

Every sentence is made from figures the reader's own report shows; a suppressed figure has
none (the report gives only its reason), so nothing suppressed can be described. No sentence
works out a count by subtraction (the people missing from a comparison are said as reasons,
never as a number), since such a difference could be a group under the minimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext, ngettext
from markupsafe import Markup

from lms.core.i18n import gettext_markup, ngettext_markup, untranslated
from lms.outcomes import reasons
from lms.outcomes.publication import NOT_RELEASED
from lms.outcomes.wording import attrition_sentence, points, strength

#: |then − pre| below this reads as no response shift (a twentieth of a scale point).
NO_SHIFT = 0.05


@dataclass
class Summary:
    """The summary's paragraphs, each a list of sentences."""

    headline: str
    themes: list[str] = field(default_factory=list)
    response_shift: str = ""
    who: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def sentences(self) -> list[str]:
        """Every sentence, in reading order."""
        return [self.headline, *self.themes, self.response_shift, *self.who, *self.hidden]


def size_of(d_z: float | None) -> str:
    """Cohen's usual words for an effect size: small from 0.2, medium from 0.5, large from
    0.8 (Cohen 1988)."""
    if d_z is None:
        return gettext("a change that cannot be sized (everyone changed by the same amount)")
    size = abs(d_z)
    if size < 0.2:
        return gettext("a negligible change")
    if size < 0.5:
        return gettext("a small change")
    return gettext("a medium-sized change") if size < 0.8 else gettext("a large change")


def interval_words(cell: Mapping[str, Any]) -> str:
    """" (the true average most likely lies between 0.68 and 1.37)", or nothing without an
    interval."""
    if cell.get("ci_low") is None or cell.get("n", 0) < 2:
        return ""
    return " " + gettext("(the true average most likely lies between %(low).2f and "
                         "%(high).2f)", low=cell["ci_low"], high=cell["ci_high"])


def size_and_strength(d_z: float | None, p: float | None) -> str:
    """"It is a small change, and unlikely to be chance alone." """
    return gettext("It is %(size)s, and %(strength)s.", size=size_of(d_z), strength=strength(p))


def theme_sentence(title: str | Markup, cell: Mapping[str, Any]) -> Markup:
    """One sentence on one theme's programme effect (post − pre) a non-statistician reads,
    as HTML (the theme's title may be marked as English)."""
    if cell.get("suppressed"):
        return gettext_markup("%(title)s: not shown, to protect small groups (%(reason)s).",
                              title=title, reason=reasons.said(cell["reason"]))
    n = cell.get("n") or 0
    if n == 0:
        return gettext_markup("%(title)s: nobody has yet rated themselves both at the start "
                              "and at the end.", title=title)
    words = dict(title=title, interval=interval_words(cell), n=n,
                 improved=round((cell.get("improved") or 0) * n))
    change = cell["mean_change"]
    if change > 0:
        said = gettext_markup("%(title)s: participants rated themselves %(points)s higher on "
                              "average at the end than at the start%(interval)s; "
                              "%(improved)d of %(n)d improved.", points=points(change), **words)
    elif change < 0:
        said = gettext_markup("%(title)s: participants rated themselves %(points)s lower on "
                              "average at the end than at the start%(interval)s; "
                              "%(improved)d of %(n)d improved.", points=points(change), **words)
    else:
        said = gettext_markup("%(title)s: participants rated themselves the same on average "
                              "at the end as at the start%(interval)s; %(improved)d of %(n)d "
                              "improved.", **words)
    return said + " " + size_and_strength(cell.get("d_z"), cell.get("p_holm",
                                                                     cell.get("wilcoxon_p")))


def headline_sentence(cell: Mapping[str, Any] | None, scale: Sequence[int]) -> str:
    """The summary's first sentence: the whole framework's programme effect."""
    if cell is None or cell.get("suppressed"):
        if cell is None:
            return gettext("The change over the whole framework is not shown, to protect "
                           "small groups.")
        return gettext("The change over the whole framework is not shown, to protect small "
                       "groups (%(reason)s).", reason=reasons.said(cell["reason"]))
    n = cell.get("n") or 0
    if n == 0:
        return gettext("Nobody has yet rated themselves both at the start and at the end of "
                       "the programme, so there is no change to report.")
    span = (gettext("the %(low)s to %(high)s scale", low=scale[0], high=scale[-1]) if scale
            else gettext("the scale"))
    words = dict(n=n, span=span, interval=interval_words(cell),
                 improved=round((cell.get("improved") or 0) * n))
    change = cell["mean_change"]
    if change > 0:
        said = gettext("Across all the framework's behaviours, the %(n)d participants who "
                       "rated themselves at the start and at the end moved %(points)s higher "
                       "on %(span)s%(interval)s; %(improved)d of them improved.",
                       points=points(change), **words)
    elif change < 0:
        said = gettext("Across all the framework's behaviours, the %(n)d participants who "
                       "rated themselves at the start and at the end moved %(points)s lower "
                       "on %(span)s%(interval)s; %(improved)d of them improved.",
                       points=points(change), **words)
    else:
        said = gettext("Across all the framework's behaviours, the %(n)d participants who "
                       "rated themselves at the start and at the end stayed the same on "
                       "%(span)s%(interval)s; %(improved)d of them improved.", **words)
    return said + " " + gettext("That is %(size)s, and %(strength)s.",
                                size=size_of(cell.get("d_z")),
                                strength=strength(cell.get("p_holm")))


def against_then(post_then: Mapping[str, Any] | None) -> str:
    """The post − then change, as a sentence to follow the response shift's (or nothing)."""
    if not post_then or post_then.get("suppressed") or not post_then.get("n"):
        return ""
    change = post_then["mean_change"]
    if change > 0:
        said = gettext("Measured against that look-back (post − then), they rated themselves "
                       "%(points)s higher at the end.", points=points(change))
    elif change < 0:
        said = gettext("Measured against that look-back (post − then), they rated themselves "
                       "%(points)s lower at the end.", points=points(change))
    else:
        said = gettext("Measured against that look-back (post − then), they rated themselves "
                       "the same at the end.")
    return " " + said


def shift_sentence(then_pre: Mapping[str, Any] | None,
                   post_then: Mapping[str, Any] | None) -> str:
    """What the response shift (then − pre) means for how to read the programme effect."""
    if then_pre is None or then_pre.get("suppressed"):
        return gettext("The response shift (how participants, looking back at the end, rate "
                       "where they started) is not shown, to protect small groups.")
    if not then_pre.get("n"):
        return gettext("No one has yet given the look-back (“then”) rating at the end, so "
                       "the response shift cannot be judged yet: read the change above with "
                       "that in mind.")
    shift = then_pre["mean_change"]
    against = against_then(post_then)
    if abs(shift) < NO_SHIFT:
        return gettext("Looking back at the end, participants placed where they had started "
                       "about where they had put it at the time (no response shift), so the "
                       "change can be read as it stands.") + against
    if shift < 0:
        return gettext("Looking back at the end, participants placed where they had started "
                       "%(points)s lower than they had at the time (the response shift): "
                       "having learnt what the behaviours ask, they judged their starting "
                       "point more strictly, so the change from start to end probably "
                       "understates what they gained.", points=points(shift)) + against
    return gettext("Looking back at the end, participants placed where they had started "
                   "%(points)s higher than they had at the time (the response shift), so the "
                   "change from start to end may overstate what they gained.",
                   points=points(shift)) + against


def count_words(value: int | None, minimum: int) -> str:
    """A count as shown, or "fewer than 5" where the report hides it."""
    return gettext("fewer than %(minimum)d", minimum=minimum) if value is None else str(value)


def who_sentences(flow: Mapping[str, Any], minimum: int) -> list[str]:
    """How many people the figures rest on, and why some are missing, never working a
    count out by subtraction."""
    enrolled, paired = flow.get("enrolled"), flow["paired"].get("post_pre")
    said = [gettext("The start-to-end figures rest on the %(paired)s participants who rated "
                    "themselves both at the start and at the end, of %(enrolled)s enrolled.",
                    paired=count_words(paired, minimum),
                    enrolled=count_words(enrolled, minimum))]
    reasons_missing = []
    post = flow["phases"]["post"]
    if post.get("submitted") != enrolled or post.get("submitted") is None:
        reasons_missing.append(gettext("some had not rated themselves at the end when the "
                                       "figures were made"))
    if flow.get("withdrawn"):
        reasons_missing.append(gettext("%(count)s withdrew (what they submitted before "
                                       "leaving still counts)", count=flow["withdrawn"]))
    reopened = [flow["phases"][p].get("reopened") for p in ("pre", "post")]
    if any(reopened):
        reasons_missing.append(gettext("a tutor reopened some self-assessments, which are out "
                                       "of the figures until they are submitted again"))
    if reasons_missing and paired != enrolled:
        said.append(gettext("Others are not in them because %(reasons)s.",
                            reasons="; ".join(reasons_missing)))
    if flow.get("attrition"):
        said.append(attrition_sentence(flow["attrition"]))
    return said


def listed(names: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C"."""
    if len(names) == 1:
        return names[0]
    return gettext("%(names)s and %(last)s", names=", ".join(names[:-1]), last=names[-1])


def hidden_sentences(report: Mapping[str, Any], cohort_names: Mapping[int, str]) -> list[str]:
    """What disclosure control hides from this reader, or that nothing is hidden from
    them."""
    if not report.get("disclosure_control"):
        return [gettext("These figures are not under disclosure control: as a tutor or "
                        "administrator you see every figure, however few people it rests on. "
                        "Share them with care.")]
    minimum = report["min_group_size"]
    said = [gettext("To protect small groups, a figure about fewer than %(minimum)d people is "
                    "never shown, nor one from which such a group could be worked out from "
                    "the others.", minimum=minimum)]
    hidden = report.get("suppressed_cells", 0)
    if hidden:
        said.append(ngettext("Of this report's comparisons, %(num)d is held back for that "
                             "reason; it is marked where it would be.",
                             "Of this report's comparisons, %(num)d are held back for that "
                             "reason; each is marked where it would be.", hidden))
    unreleased = [cohort_names.get(e["cohort_id"],
                                   gettext("cohort %(id)d", id=e["cohort_id"]))
                  for e in report.get("held_back", []) if e["reason"] == NOT_RELEASED]
    if unreleased:
        said.append(ngettext("%(cohorts)s has no released figures yet and is not in them.",
                             "%(cohorts)s have no released figures yet and are not in them.",
                             len(unreleased), cohorts=listed(unreleased)))
    return said


def summarise(themes: Mapping[str, Any], framework: Mapping[str, Any],
              titles: Mapping[str, str], scale: Sequence[int],
              cohort_names: Mapping[int, str]) -> Summary:
    """The summary of a theme-level report and the framework-level report of the same
    scope (both without a breakdown)."""
    whole = framework["rows"][0] if framework["rows"] else None
    return Summary(
        headline=headline_sentence(whole["post_pre"] if whole else None, scale),
        themes=[theme_sentence(Markup("{} ({})").format(
            untranslated(titles.get(row["code"], row["code"])), row["code"]), row["post_pre"])
            for row in themes["rows"]],
        response_shift=shift_sentence(whole["then_pre"] if whole else None,
                                      whole["post_then"] if whole else None),
        who=who_sentences(framework["flow"], framework["min_group_size"]),
        hidden=hidden_sentences(themes, cohort_names))


def my_themes(behaviours: Sequence[Mapping[str, Any]],
              titles: Mapping[str, str]) -> list[dict[str, Any]]:
    """A participant's own profile per theme, for a small screen: the mean of the points
    they gave in each phase ("not applicable" left out), and in words how many behaviours
    they rated higher at the end than at the start."""
    found = []
    for theme in dict.fromkeys(row["theme"] for row in behaviours):
        rows = [row for row in behaviours if row["theme"] == theme]
        means = {phase: own_mean(rows, phase) for phase in ("pre", "then", "post")}
        both = [row for row in rows if isinstance(row["pre"], int)
                and isinstance(row["post"], int)]
        higher = sum(row["post"] > row["pre"] for row in both)
        title = untranslated(titles.get(theme, theme))
        if means["pre"] is None:
            said = gettext_markup("%(title)s: you have not rated yourself on it yet.",
                                  title=title)
        elif means["post"] is None:
            said = gettext_markup("%(title)s: %(pre).1f on average at the start.", title=title,
                                  pre=means["pre"])
        else:
            said = ngettext_markup(
                "%(title)s: from %(pre).1f at the start to %(post).1f at the end on average; "
                "higher on %(higher)d of %(num)d behaviour.",
                "%(title)s: from %(pre).1f at the start to %(post).1f at the end on average; "
                "higher on %(higher)d of %(num)d behaviours.", len(both), title=title,
                pre=means["pre"], post=means["post"], higher=higher)
        found.append({"code": theme, "title": title, **means, "higher": higher,
                      "compared": len(both), "sentence": said})
    return found


def own_mean(rows: Sequence[Mapping[str, Any]], phase: str) -> float | None:
    """The mean of the points given in ``phase`` (None if none)."""
    points = [row[phase] for row in rows if isinstance(row[phase], int)]
    return sum(points) / len(points) if points else None
