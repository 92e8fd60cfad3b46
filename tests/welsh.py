"""What a Welsh page must not hold: the catalog's English sentences, or English text that was
never put in the catalog (shown outside an element marked ``lang="en"``)."""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser

from babel.messages.pofile import read_po

from tests.fixtures import PROJECT_ROOT

CATALOG = PROJECT_ROOT / "lms" / "translations" / "cy" / "LC_MESSAGES" / "messages.po"
#: Short English words that no Welsh sentence uses: two of them in one text means English.
ENGLISH_WORDS = frozenset((
    "the", "and", "of", "to", "your", "you", "are", "has", "have", "not", "for", "with", "this",
    "that", "who", "what", "each", "be", "was", "been", "their", "they", "them", "when",
    "which", "will", "can", "may", "how", "there", "here"))
# ("is" is missing on purpose: it is Welsh too, "lower"; "then" is the retrospective
# rating's name in both languages.)
#: Elements whose text is not read as the page's language.
HIDDEN = {"script", "style", "template", "code", "pre"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


@cache
def catalog_english() -> tuple[str, ...]:
    """The catalog's English sentences of more than two words, without placeholders (and
    not those Welsh writes the same: "p, p (Holm)")."""
    with CATALOG.open("rb") as file:
        messages = [m for m in read_po(file) if m.id]
    found = []
    for message in messages:
        english = message.id if isinstance(message.id, str) else message.id[0]
        welsh = message.string if isinstance(message.string, str) else message.string[1]
        if len(english.split()) > 2 and "%(" not in english and welsh != english:
            found.append(english)
    return tuple(found)


class WelshText(HTMLParser):
    """The texts a reader meets outside parts marked as another language."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def skipping(self) -> bool:
        """Whether the current element is marked English, or is not read as text."""
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag, attrs) -> None:
        """Enter an element; note the words of its ``alt`` and ``aria-label``."""
        attributes = dict(attrs)
        marked = attributes.get("lang") not in (None, "cy")
        if not (self.skipping() or marked):
            self.texts += [attributes[a] for a in ("alt", "aria-label") if attributes.get(a)]
        if tag not in VOID:
            self.stack.append((tag, marked or tag in HIDDEN))

    def handle_endtag(self, tag) -> None:
        """Leave the element (and any left unclosed inside it)."""
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data) -> None:
        """Keep text read as Welsh."""
        if data.strip() and not self.skipping():
            self.texts.append(data)


def english_left(page: str, data: tuple[str, ...] = ()) -> list[str]:
    """The English a Welsh page still shows outside the parts marked ``lang="en"``: the
    catalog's sentences, and any text with two or more common English words. ``data`` are
    names and other stored words the test put there (they are nobody's language)."""
    parser = WelshText()
    parser.feed(page.split("<body", 1)[-1])
    texts = []
    for text in parser.texts:
        for name in data:
            text = text.replace(name, "")
        texts.append(re.sub(r"\s+", " ", text).strip())
    read = " ".join(texts)
    found = [msgid for msgid in catalog_english() if msgid in read]
    for text in texts:
        words = re.findall(r"[a-z']+", text.lower())
        if len([w for w in words if w in ENGLISH_WORDS]) >= 2:
            found.append(text)
        elif re.search(r"</?[a-z]+>", text):  # markup escaped into words: a sentence's
            found.append(text)                # <strong> shown as text
    return found
