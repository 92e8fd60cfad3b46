"""English and Welsh (Cymraeg): which language a request is answered in (the switch itself
is ``lms.web.language``).

Pages: the language chosen with the "Cymraeg / English" link (kept in the session, and as the
person's ``language`` when signed in), else the language recorded for the page's reader (a
360 rater's, see ``answer_in``), else the signed-in person's language, else the browser's
``Accept-Language``, else English. The API: the language chosen on the pages when
a page calls it (a chart in a Welsh page is Welsh), else ``Accept-Language`` when the caller
sends it, else the person's language. Every answer says which in ``Content-Language``.

Catalogs live in ``lms/translations/<language>/LC_MESSAGES/messages.po``; ``make`` compiles
them (``pybabel compile``), so no compiled catalog is committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from flask import (
    Flask,
    Response,
    g,
    has_app_context,
    has_request_context,
    request,
    session,
    url_for,
)
from flask_babel import Babel, format_date, get_locale, get_translations, gettext, refresh
from flask_login import current_user
from markupsafe import Markup, escape

#: The languages the service speaks, English first (the default).
LANGUAGES = ("en", "cy")
#: The value of ``<html lang>`` for each.
HTML_LANG = {"en": "en-GB", "cy": "cy"}
#: Each language's name in itself, for the link that switches to it.
NAMES = {"en": "English", "cy": "Cymraeg"}


def signed_in_language() -> str | None:
    """The signed-in person's language, if someone is signed in."""
    if current_user and current_user.is_authenticated:
        return current_user.language if current_user.language in LANGUAGES else None
    return None


def select_language() -> str:
    """The language of this request's answer (English outside a request: a worker's job
    names its recipient's language with ``flask_babel.force_locale``)."""
    if not has_request_context():
        return "en"
    asked = request.accept_languages.best_match(LANGUAGES) if request.accept_languages else None
    # Only a browser (with cookies) has a session to read: token callers leave it untouched.
    chosen = session.get("language") if request.cookies else None
    if request.path.startswith("/api/"):
        # A page's own calls (its charts, say) follow the language its reader chose there;
        # any other caller gets what it asks for.
        return (chosen if chosen in LANGUAGES else None) or asked or signed_in_language() or "en"
    if chosen in LANGUAGES:
        return chosen
    return request.environ.get(READER_LANGUAGE) or signed_in_language() or asked or "en"


#: Where a page keeps the language recorded for its reader (with the request: an application
#: context, and ``g``, can outlive one request).
READER_LANGUAGE = "lms.reader_language"


def answer_in(language: str) -> None:
    """Answer this page in ``language`` (someone without an account, whose language was
    chosen for them), unless its reader chose one with the language link."""
    request.environ[READER_LANGUAGE] = language if language in LANGUAGES else None
    refresh()


def current_language() -> str:
    """The language being spoken now (``en`` outside a request)."""
    return str(get_locale() or "en")


def say_which(response: Response) -> Response:
    """Name the answer's language (``Content-Language``), for pages and the API alike."""
    if not request.path.startswith("/static/"):
        response.headers.setdefault("Content-Language", current_language())
        response.vary.add("Accept-Language")
    return response


def language_context() -> dict:
    """What the layout needs: the page's language and the link to the other one."""
    language = current_language()
    if not has_request_context():  # an e-mail rendered by the worker
        return {"html_lang": HTML_LANG[language], "language": language}
    other = "en" if language == "cy" else "cy"
    here = request.full_path.rstrip("?")
    return {"html_lang": HTML_LANG[language], "language": language,
            "other_language": {"code": other, "name": NAMES[other],
                               "href": url_for("language.switch", code=other, next=here)}}


#: Readers of stored content that has Welsh words (modules, the framework): each returns
#: ``{English text: Welsh text}`` for what is translated. Features register theirs, since
#: this module may not import them.
WELSH_SOURCES: list[Callable[[], dict[str, str]]] = []


def register_welsh_source(reader: Callable[[], dict[str, str]]) -> None:
    """Let ``untranslated`` find the Welsh of a feature's stored texts."""
    WELSH_SOURCES.append(reader)


def welsh_content() -> tuple[dict[str, str], set[str]]:
    """The stored content's Welsh by its English, and the Welsh texts themselves: read once
    per request (a few short queries), only for a Welsh page; outside a request (a worker
    writing e-mails), once per application context."""
    if not has_app_context():
        return {}, set()
    # Kept with the request, not on ``g``: an application context can outlive a request
    # (a test's, a worker's), and content saved in between must be read afresh.
    holder = request.environ if has_request_context() else g.__dict__
    if "lms.welsh_content" not in holder:
        found: dict[str, str] = {}
        for reader in WELSH_SOURCES:
            found.update(reader())
        holder["lms.welsh_content"] = (found, set(found.values()))
    return holder["lms.welsh_content"]


def untranslated(text: str) -> Markup:
    """Stored content written in English (a module's title, a behaviour): on a Welsh page,
    its Welsh edition where one exists, else the English marked ``lang="en"``, so that a
    screen reader speaks it as English (WCAG 3.1.2)."""
    if current_language() == "en" or not text:
        return escape(text)
    welsh, welsh_texts = welsh_content()
    if text in welsh:
        return escape(welsh[text])
    if text in welsh_texts:  # already the Welsh edition
        return escape(text)
    return Markup('<span lang="en">{}</span>').format(text)


def in_reader_language(text: str) -> str:
    """Stored content as plain text in the language being written (an e-mail's): its Welsh
    edition where one exists, else the English."""
    if current_language() == "en" or not text:
        return text
    return welsh_content()[0].get(text, text)


def in_language(english: str, welsh: str | None) -> str:
    """The page's language's edition of a text that may have a Welsh one."""
    return welsh if welsh and current_language() == "cy" else english


def is_english_only(welsh: str | None) -> bool:
    """Whether a Welsh page shows this text in English (it has no Welsh edition)."""
    return current_language() != "en" and not welsh


def long_date(day: dt.date | None) -> str:
    """A date as people write it, in the language being written: "11 December 2026",
    "11 Rhagfyr 2026" (empty for no date)."""
    return format_date(day, "d MMMM y") if day else ""


def gettext_markup(message: str, **variables) -> Markup:
    """A translated sentence as HTML whose variables may carry markup of their own (an
    ``untranslated`` title); plain variables are escaped."""
    return escape(gettext(message)) % variables


def ngettext_markup(singular: str, plural: str, num: int, **variables) -> Markup:
    """``gettext_markup`` for a sentence with a count (``num``), in the language's plural
    form for it (Welsh has six)."""
    sentence = get_translations().ungettext(singular, plural, num)  # not yet formatted
    return escape(sentence) % {"num": num, **variables}


def english_attribute() -> Markup:
    """`` lang="en"`` for an element holding English-only content on a Welsh page."""
    return Markup(' lang="en"') if current_language() != "en" else Markup("")


def choose_afresh() -> None:
    """Choose the request's language now, forgetting one chosen earlier in the same
    application context (Flask-Babel keeps it on ``g``, which a request shares with an app
    context pushed around it: a test's, a command's). Choosing it at the start, not when the
    answer is sent, reads the signed-in person before the request's commit expires them."""
    refresh()
    if not request.path.startswith("/static/"):
        get_locale()


def init_i18n(app: Flask) -> None:
    """Choose a language per request, give the templates what the switch link and English-only
    content need, and say which language answered."""
    Babel(app, locale_selector=select_language, default_translation_directories="translations")
    app.before_request(choose_afresh)
    app.after_request(say_which)
    app.context_processor(language_context)
    app.jinja_env.globals["untranslated"] = untranslated
    app.jinja_env.filters["untranslated"] = untranslated
    app.jinja_env.globals["in_language"] = in_language
    app.jinja_env.filters["in_reader_language"] = in_reader_language
    app.jinja_env.globals["is_english_only"] = is_english_only
    app.jinja_env.globals["english_attribute"] = english_attribute
