"""Sign-in throttling that counts an attempt before the password is checked.

Counting after the check (Flask-Limiter's ``deduct_when``) lets parallel attempts all pass
the test before any of them is counted: 34 of 40 sent at once were checked. Here each
attempt takes one unit from the account's and the address's allowance first, atomically
(an INCR in Redis, a locked increment in memory), and only attempts that got one are
checked; a sign-in that succeeds gives its units back, so signing in often is never
throttled.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import redis
from flask import current_app
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

from lms.core.extensions import limiter

log = logging.getLogger(__name__)

#: Where counting goes while Redis cannot be reached: this process's memory, as
#: Flask-Limiter does for every other route (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
FALLBACK = FixedWindowRateLimiter(MemoryStorage())
STORAGE_ERRORS = (redis.exceptions.RedisError, OSError)


@dataclass
class Reservation:
    """The allowances one attempt took, so a successful sign-in can give them back."""

    taken: list[tuple[FixedWindowRateLimiter, RateLimitItem, tuple[str, ...]]] = field(
        default_factory=list)

    def give_back(self) -> None:
        """Return what this attempt took (it succeeded, so it does not count)."""
        for strategy, item, identifiers in self.taken:
            try:
                strategy.storage.incr(item.key_for(*identifiers), item.get_expiry(), amount=-1)
            except STORAGE_ERRORS:
                log.warning("could not give back a sign-in allowance", exc_info=True)


def sign_in_limits(email: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each limit on a sign-in attempt with the identifiers of what it counts."""
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    account = "account:" + email.strip().lower()[:320]
    return [
        (current_app.config["LMS_SIGN_IN_LIMIT_PER_ACCOUNT"], (prefix, "sign-in-account",
                                                               account)),
        (current_app.config["LMS_SIGN_IN_LIMIT_PER_ADDRESS"], (prefix, "sign-in-address",
                                                               get_remote_address())),
    ]


def password_reset_limits(email: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each limit on asking for a password reset, with what it counts: the typed address
    (known or not, so the limit says nothing about which addresses exist) and the network
    address."""
    prefix = current_app.config["RATELIMIT_KEY_PREFIX"]
    account = "account:" + email.strip().lower()[:320]
    return [
        (current_app.config["LMS_RESET_LIMIT_PER_ACCOUNT"], (prefix, "reset-account", account)),
        (current_app.config["LMS_RESET_LIMIT_PER_ADDRESS"], (prefix, "reset-address",
                                                             get_remote_address())),
    ]


def reserve_sign_in(email: str) -> Reservation:
    """Count this attempt against every sign-in limit; TooManyRequests (with Retry-After)
    if any of them is spent, before anything about the password is looked at."""
    return reserve(sign_in_limits(email))


def reserve(limits: list[tuple[str, tuple[str, ...]]]) -> Reservation:
    """Take one unit of every allowance in ``limits``; TooManyRequests if one is spent."""
    reservation = Reservation()
    for text, identifiers in limits:
        for item in parse_many(text):
            strategy = counting_strategy()
            try:
                allowed = strategy.hit(item, *identifiers)
            except STORAGE_ERRORS:
                log.warning("rate-limit storage unreachable; counting in memory", exc_info=True)
                strategy = FALLBACK
                allowed = strategy.hit(item, *identifiers)
            if not allowed:
                raise too_many(strategy, item, identifiers)
            reservation.taken.append((strategy, item, identifiers))
    return reservation


def counting_strategy() -> FixedWindowRateLimiter:
    """Flask-Limiter's strategy over its storage (Redis when configured, else memory)."""
    strategy = limiter.limiter
    if isinstance(strategy, FixedWindowRateLimiter):
        return strategy
    return FixedWindowRateLimiter(limiter.storage)


def too_many(strategy: FixedWindowRateLimiter, item: RateLimitItem,
             identifiers: tuple[str, ...]) -> TooManyRequests:
    """The 429 for a spent allowance, saying when the window ends."""
    try:
        reset_at = strategy.get_window_stats(item, *identifiers).reset_time
    except STORAGE_ERRORS:
        reset_at = time.time() + item.get_expiry()
    retry_after = max(1, math.ceil(reset_at - time.time()))
    what = "this account" if {"sign-in-account", "reset-account"} & set(identifiers) \
        else "this network address"
    attempts = "password resets" if "reset-account" in identifiers or \
        "reset-address" in identifiers else "sign-in attempts"
    return TooManyRequests(
        description=f"Too many {attempts} for {what} ({item}); try again in "
                    f"{retry_after} s.",
        retry_after=retry_after,
    )
