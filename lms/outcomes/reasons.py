"""Why a figure is not shown, in the reader's language.

Reports keep their reasons in English: they are compared (``reason == NOT_RELEASED``),
frozen into releases and served by the API as data. Pages, charts and sentences say them
through ``said``, which knows each reason's wording (and the group size it names).
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import lazy_gettext as _l

from lms.outcomes import disclosure, engagement, flow, others, publication, service

#: Each reason's English (with ``{k}`` or ``{minimum}`` for the group size) and its words.
WORDS = {
    disclosure.PRIMARY: _l("fewer than %(k)s paired participants"),
    disclosure.SECONDARY: _l("hidden so that a smaller group cannot be worked out from the "
                             "total"),
    disclosure.FEW_ANSWERS: _l("fewer than %(k)s people answered"),
    disclosure.FEW_COMPLETE: _l("fewer than %(k)s people answered every behaviour of the "
                                "theme"),
    engagement.COMPLEMENT: _l("fewer than %(k)s people did, or did not"),
    engagement.SMALL_ROW: _l("fewer than %(k)s people"),
    engagement.NOT_KEPT: _l("not in this release (made before releases kept completed "
                            "modules)"),
    engagement.NOT_FOLLOWED: _l("not in this cohort's curriculum"),
    flow.FEW_PEOPLE: _l("fewer than %(k)s people"),
    others.NOT_RELEASED: _l("no figures from others' ratings released yet"),
    others.TOO_FEW: _l("fewer than %(k)s participants have figures from others on every "
                       "theme in both rounds"),
    others.NO_GAP: _l("not shown to sponsors: it would set two different sets of people "
                      "side by side"),
    publication.HELD_BACK: _l("held back to protect small groups"),
    publication.NOT_RELEASED: _l("no figures released yet"),
    publication.CORE_SCORES: _l("scored over the behaviours everyone in the comparison "
                                "rated, to protect small groups"),
    service.FEW_BESIDES: _l("fewer than %(k)s paired participants besides you"),
}


@cache
def patterns() -> list[tuple[re.Pattern[str], object]]:
    """Each English reason as a pattern whose group is the size it names, if any."""
    found = []
    for english, words in WORDS.items():
        escaped = re.escape(english)
        for slot in (re.escape("{k}"), re.escape("{minimum}")):
            escaped = escaped.replace(slot, r"(\d+)")
        found.append((re.compile(f"^{escaped}$"), words))
    return found


def said(reason: str | None) -> str:
    """A report's reason in the reader's language (unknown text is returned as it is)."""
    if not reason:
        return reason or ""
    for pattern, words in patterns():
        if match := pattern.match(reason):
            return str(words) % {"k": match.group(1)} if match.groups() else str(words)
    return reason
