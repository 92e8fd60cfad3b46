"""Turning text into HTML safely.

Module and activity texts are Markdown written by the programme team: rendered with raw HTML
disabled, then sanitised, so even a careless edit cannot put script on a page. Participants'
reflections are plain text and are only ever escaped.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# CommonMark with raw HTML off: "<script>" in a module file is shown as text, not run.
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "code", "pre",
    "blockquote", "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Only links people can follow safely: no javascript:, data: or vbscript: URLs.
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> str:
    """Markdown source as sanitised HTML."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer",
    )


def render_plain_text(text: str | None) -> Markup:
    """A participant's own words as HTML: every character escaped, line breaks kept."""
    if not text:
        return Markup("")
    return Markup("<br>\n").join(escape(line) for line in text.splitlines())
