"""Schemathesis fuzzes every operation of the OpenAPI document, in-process against the WSGI
app, as each role and anonymously, with its default checks: no 5xx, responses that match the
documented schemas, status codes and content types, and invalid input refused.

`make test` runs a few examples per operation, each sent by every caller (LMS_FUZZ_EXAMPLES,
default 3); `make fuzz` runs many more. The world is built once for the module: the fuzzer's
own writes (new users, renamed cohorts, revoked tokens) pile up in it as in a real service.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from lms import create_app
from lms.accounts.models import ApiToken, User
from lms.accounts.service import create_token
from lms.core.extensions import db
from lms.curriculum.seed import sync_modules
from lms.framework.seed import sync_framework
from tests.fixtures import app_settings, empty_tables
from tests.worlds import World, build_world

if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under pytest-xdist every operation's test gets the same node id and only one of the 66
    # would run; `make test` runs this file in a pytest of its own for that reason.
    pytest.fail("run tests/test_fuzz_api.py without -n (make test does)", pytrace=False)

EXAMPLES = int(os.environ.get("LMS_FUZZ_EXAMPLES", "3"))
CALLERS = ("anonymous", "participant", "tutor", "sponsor", "admin")


@pytest.fixture(scope="module")
def fuzz_app(database_url, seed_data, module_files):
    """One app for the whole module, with the framework, the modules and the access world."""
    app = create_app(app_settings(database_url, RATELIMIT_ENABLED=False))
    with app.app_context():
        sync_framework(copy.deepcopy(seed_data))
        sync_modules(copy.deepcopy(module_files))
        db.session.commit()
        app.config["FUZZ_WORLD"] = build_world()
    yield app
    with app.app_context():
        db.session.remove()
        empty_tables()
        db.engine.dispose()


def load_schema():
    """The service's own OpenAPI document, read from an app that needs no database for it."""
    app = create_app(app_settings("sqlite://"))
    config = SchemathesisConfig.from_path(Path(__file__).with_name("schemathesis.toml"))
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=config)


schema = load_schema()


def caller_headers(app, caller: str) -> dict[str, str]:
    """The Authorization header of ``caller``, whose account is put back as it was (the
    fuzzer, as an administrator, may have disabled it, changed its role or revoked its
    token), so every case is sent by the role it is meant to test."""
    if caller == "anonymous":
        return {}
    world: World = app.config["FUZZ_WORLD"]
    tokens = app.config.setdefault("FUZZ_TOKENS", {})
    with app.app_context():
        user = db.session.get(User, world.user_ids[caller])
        user.active, user.role = True, caller
        token_id = tokens.get(caller, (None, None))[0]
        alive = token_id is not None and db.session.scalar(
            sa.select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None)))
        if not alive:
            token, secret = create_token(user, "fuzz", 30)
            tokens[caller] = (token.id, secret)
        db.session.commit()
        return {"Authorization": f"Bearer {tokens[caller][1]}"}


@pytest.fixture
def callers(fuzz_app) -> dict[str, dict[str, str]]:
    """Each caller's headers, their accounts put back before every operation is fuzzed."""
    return {caller: caller_headers(fuzz_app, caller) for caller in CALLERS}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck), derandomize=EXAMPLES <= 10)
def test_api_holds_its_document(case, callers, fuzz_app):
    """Every generated request, sent by each role and by nobody, gets a documented, non-5xx
    answer; invalid ones a 4xx. (One test per operation, every caller inside it: generating
    the coverage cases once per operation keeps collection short.)"""
    for caller, headers in callers.items():
        try:
            case.call_and_validate(app=fuzz_app, headers=headers)
        except BaseException as failure:
            failure.add_note(f"Sent as: {caller}")
            raise
