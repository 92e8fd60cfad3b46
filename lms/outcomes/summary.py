"""The plain-English summary at the top of the outcomes page and the evaluation report. Pure:
reports' dictionaries in, sentences out, so the same figures always give the same words.

Every sentence is made from figures the reader's own report shows; a suppressed figure has
none (the report gives only its reason), so nothing suppressed can be described. No sentence
works out a count by subtraction (the people missing from a comparison are said as reasons,
never as a number), since such a difference could be a group under the minimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lms.core.i18n import gettext_markup, ngettext_markup, untranslated
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
        return "a change that cannot be sized (everyone changed by the same amount)"
    size = abs(d_z)
    if size < 0.2:
        return "a negligible change"
    return f"a {'small' if size < 0.5 else 'medium-sized' if size < 0.8 else 'large'} change"


def change_words(cell: Mapping[str, Any]) -> str:
    """"1.02 points higher" or "the same" for a comparison's mean change."""
    change = cell["mean_change"]
    if change == 0:
        return "the same"
    return f"{points(change)} {'higher' if change > 0 else 'lower'}"


def interval_words(cell: Mapping[str, Any]) -> str:
    """" (most likely between 0.68 and 1.37 points)", or nothing without an interval."""
    if cell.get("ci_low") is None or cell.get("n", 0) < 2:
        return ""
    return f" (the true average most likely lies between {cell['ci_low']:.2f} and " \
           f"{cell['ci_high']:.2f})"


def theme_sentence(title: str, cell: Mapping[str, Any], who: str = "participants") -> str:
    """One sentence on one theme's programme effect (post − pre) a non-statistician reads."""
    if cell.get("suppressed"):
        return f"{title}: not shown, to protect small groups ({cell['reason']})."
    n = cell.get("n") or 0
    if n == 0:
        return f"{title}: nobody has yet rated themselves both at the start and at the end."
    improved = round((cell.get("improved") or 0) * n)
    p = cell.get("p_holm", cell.get("wilcoxon_p"))
    return (f"{title}: {who} rated themselves {change_words(cell)} on average at the end "
            f"than at the start{interval_words(cell)}; {improved} of {n} improved. It is "
            f"{size_of(cell.get('d_z'))}, and {strength(p)}.")


def headline_sentence(cell: Mapping[str, Any] | None, scale: Sequence[int]) -> str:
    """The summary's first sentence: the whole framework's programme effect."""
    span = f"the {scale[0]} to {scale[-1]} scale" if scale else "the scale"
    if cell is None or cell.get("suppressed"):
        reason = f" ({cell['reason']})" if cell else ""
        return f"The change over the whole framework is not shown, to protect small " \
               f"groups{reason}."
    n = cell.get("n") or 0
    if n == 0:
        return ("Nobody has yet rated themselves both at the start and at the end of the "
                "programme, so there is no change to report.")
    improved = round((cell.get("improved") or 0) * n)
    return (f"Across all the framework's behaviours, the {n} participants who rated "
            f"themselves at the start and at the end moved {change_words(cell)} on "
            f"{span}{interval_words(cell)}; {improved} of them improved. That is "
            f"{size_of(cell.get('d_z'))}, and {strength(cell.get('p_holm'))}.")


def shift_sentence(then_pre: Mapping[str, Any] | None,
                   post_then: Mapping[str, Any] | None) -> str:
    """What the response shift (then − pre) means for how to read the programme effect."""
    if then_pre is None or then_pre.get("suppressed"):
        return ("The response shift (how participants, looking back at the end, rate where "
                "they started) is not shown, to protect small groups.")
    if not then_pre.get("n"):
        return ("No one has yet given the look-back (“then”) rating at the end, so the "
                "response shift cannot be judged yet: read the change above with that in "
                "mind.")
    shift = then_pre["mean_change"]
    against = ""
    if post_then and not post_then.get("suppressed") and post_then.get("n"):
        against = (f" Measured against that look-back (post − then), they rated themselves "
                   f"{change_words(post_then)} at the end.")
    if abs(shift) < NO_SHIFT:
        return ("Looking back at the end, participants placed where they had started about "
                "where they had put it at the time (no response shift), so the change can be "
                "read as it stands." + against)
    if shift < 0:
        return (f"Looking back at the end, participants placed where they had started "
                f"{points(shift)} lower than they had at the time (the response shift): "
                f"having learnt what the behaviours ask, they judged their starting point "
                f"more strictly, so the change from start to end probably understates what "
                f"they gained." + against)
    return (f"Looking back at the end, participants placed where they had started "
            f"{points(shift)} higher than they had at the time (the response shift), so the "
            f"change from start to end may overstate what they gained." + against)


def count_words(value: int | None, minimum: int) -> str:
    """A count as shown, or "fewer than 5" where the report hides it."""
    return f"fewer than {minimum}" if value is None else str(value)


def who_sentences(flow: Mapping[str, Any], minimum: int) -> list[str]:
    """How many people the figures rest on, and why some are missing, never working a
    count out by subtraction."""
    enrolled, paired = flow.get("enrolled"), flow["paired"].get("post_pre")
    said = [f"The start-to-end figures rest on the {count_words(paired, minimum)} "
            f"participants who rated themselves both at the start and at the end, of "
            f"{count_words(enrolled, minimum)} enrolled."]
    reasons = []
    post = flow["phases"]["post"]
    if post.get("submitted") != enrolled or post.get("submitted") is None:
        reasons.append("some had not rated themselves at the end when the figures were "
                       "made")
    if flow.get("withdrawn"):
        reasons.append(f"{flow['withdrawn']} withdrew (what they submitted before leaving "
                       f"still counts)")
    reopened = [flow["phases"][p].get("reopened") for p in ("pre", "post")]
    if any(reopened):
        reasons.append("a tutor reopened some self-assessments, which are out of the "
                       "figures until they are submitted again")
    if reasons and paired != enrolled:
        said.append("Others are not in them because " + "; ".join(reasons) + ".")
    if flow.get("attrition"):
        said.append(attrition_sentence(flow["attrition"]))
    return said


def hidden_sentences(report: Mapping[str, Any], cohort_names: Mapping[int, str]) -> list[str]:
    """What disclosure control hides from this reader, or that nothing is hidden from
    them."""
    if not report.get("disclosure_control"):
        return ["These figures are not under disclosure control: as a tutor or administrator "
                "you see every figure, however few people it rests on. Share them with care."]
    minimum = report["min_group_size"]
    said = [f"To protect small groups, a figure about fewer than {minimum} people is never "
            f"shown, nor one from which such a group could be worked out from the others."]
    hidden = report.get("suppressed_cells", 0)
    if hidden:
        said.append(f"Of this report's comparisons, {hidden} "
                    f"{'is' if hidden == 1 else 'are'} held back for that reason; each is "
                    f"marked where it would be.")
    unreleased = [cohort_names.get(e["cohort_id"], f"cohort {e['cohort_id']}")
                  for e in report.get("held_back", []) if e["reason"] == NOT_RELEASED]
    if unreleased:
        said.append(f"{' and '.join(unreleased)} {'has' if len(unreleased) == 1 else 'have'} "
                    f"no released figures yet and {'is' if len(unreleased) == 1 else 'are'} "
                    f"not in them.")
    return said


def summarise(themes: Mapping[str, Any], framework: Mapping[str, Any],
              titles: Mapping[str, str], scale: Sequence[int],
              cohort_names: Mapping[int, str]) -> Summary:
    """The summary of a theme-level report and the framework-level report of the same
    scope (both without a breakdown)."""
    whole = framework["rows"][0] if framework["rows"] else None
    return Summary(
        headline=headline_sentence(whole["post_pre"] if whole else None, scale),
        themes=[theme_sentence(f"{titles.get(row['code'], row['code'])} ({row['code']})",
                               row["post_pre"]) for row in themes["rows"]],
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
