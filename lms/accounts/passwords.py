"""Password policy (in the spirit of OWASP ASVS 5) and Argon2id hashing.

The policy: at least 12 characters, up to 128, no composition rules, and no password that is
common or easy to guess. "Common" is judged by zxcvbn, whose dictionaries include the 30,000
most frequent passwords of public leaks plus names and English words, and which also sees
keyboard walks, repeats, sequences and dates; a password it scores below 3 ("safely
unguessable: moderate protection from offline slow-hash scenario") is refused.
"""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext
from zxcvbn import zxcvbn

from lms.core.i18n import current_language

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_ZXCVBN_SCORE = 3
# zxcvbn refuses longer input; a password that is strong in its first 72 characters is
# strong.
ZXCVBN_INPUT_LIMIT = 72


def policy_problems(password: str, context: tuple[str, ...] = ()) -> list[str]:
    """Every reason ``password`` is refused, empty when it is acceptable.

    ``context`` holds words a guesser would try first for this person (their e-mail, name).
    """
    if len(password) < MIN_LENGTH:
        return [gettext("Use at least %(least)d characters; a few ordinary words make a good "
                        "one.", least=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [gettext("Use at most %(most)d characters.", most=MAX_LENGTH)]
    if "\x00" in password:
        return [gettext("The password contains a NUL character.")]
    words = context_words(context)
    if built_from(password, words):
        return [gettext("Do not build the password from your name, your email address or the "
                        "programme's name. Choose something less obvious, such as a few "
                        "unrelated words.")]
    verdict = zxcvbn(password[:ZXCVBN_INPUT_LIMIT], user_inputs=words)
    if verdict["score"] < MIN_ZXCVBN_SCORE:
        advice = gettext("Choose something less common, such as a few unrelated words.")
        # zxcvbn says why in English only: a Welsh reader gets the general reason.
        warning = (verdict["feedback"].get("warning") if current_language() == "en" else None
                   ) or gettext("This password is too easy to guess.")
        return [f"{warning.rstrip('.')}. {advice}"]
    return []


#: Words of the programme a guesser would try for anyone on it.
PROGRAMME_WORDS = ("leadership", "empowered", "healthy", "communities", "community",
                   "programme", "program", "lms", "nhs")


def built_from(password: str, words: list[str]) -> bool:
    """Whether the password's letters are nothing but the person's words run together
    ("AishaKhan2026!!", "aisha.khan@example.org!"): digits and punctuation add little."""
    letters = re.sub(r"[^a-z]", "", password.lower())
    pieces = {w for w in (re.sub(r"[^a-z]", "", word) for word in words) if len(w) > 2}
    if not letters or not pieces:
        return False
    # reachable[i]: the first i letters are whole words of the person's.
    reachable = [True] + [False] * len(letters)
    for end in range(1, len(letters) + 1):
        reachable[end] = any(reachable[end - len(w)] and letters.endswith(w, 0, end)
                             for w in pieces if len(w) <= end)
    return reachable[-1]


def context_words(context: tuple[str, ...]) -> list[str]:
    """The words a guesser would try first for a person: their name and address, whole, in
    pieces and run together ("Hamid Rahman" gives hamid, rahman and hamidrahman), and the
    programme's own words."""
    words: set[str] = set(PROGRAMME_WORDS)
    for item in context:
        words.add(item.lower())
        text = item.lower()
        local = text.split("@", 1)[0]
        pieces = re.split(r"[^a-z0-9]+", text)
        words.update(piece for piece in pieces if len(piece) > 2)
        words.add(re.sub(r"[^a-z0-9]", "", local))
    return sorted(word for word in words if word)


def hasher() -> PasswordHasher:
    """The Argon2id hasher: RFC 9106's low-memory profile, or a cheap one under test."""
    return current_app.extensions["lms_password_hasher"]


def hash_password(password: str) -> str:
    """Hash a password for storage."""
    return hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash`` (False when no password is set)."""
    if not stored_hash:
        # Spend the same effort as a real check, so timing does not reveal unknown accounts.
        hasher().hash(password)
        return False
    try:
        return hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether a stored hash uses weaker parameters than the current ones."""
    return hasher().check_needs_rehash(stored_hash)
