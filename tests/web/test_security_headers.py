"""Security headers on every kind of answer: pages, API, errors, files, downloads."""

from __future__ import annotations

import re

import pytest

from lms.core.extensions import db
from tests import builders as b

EVERYWHERE = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY",
              "Referrer-Policy": "same-origin"}


def directives(response) -> dict[str, str]:
    """The response's Content-Security-Policy, directive by directive."""
    policy = response.headers["Content-Security-Policy"]
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in policy.split(";")) if part}


def check_headers(response) -> dict[str, str]:
    """The headers every answer carries; the policy's directives."""
    for name, value in EVERYWHERE.items():
        assert response.headers.get(name) == value, (response.request.path, name)
    policy = directives(response)
    assert policy["frame-ancestors"] == "'none'"
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    for kind in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in policy[kind] and "'unsafe-eval'" not in policy[kind]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here
    return policy


@pytest.mark.parametrize("path", ["/sign-in", "/api/v1/docs", "/healthz", "/no-such-page",
                                  "/api/v1/framework", "/api/v1/no-such-thing",
                                  "/api/v1/openapi.json", "/static/lms.js"])
def test_every_answer_carries_the_headers(seeded, client, path):
    response = client.get(path)
    check_headers(response)
    response.close()


def test_inline_scripts_run_only_with_this_responses_nonce(seeded, client):
    nonces = []
    for _ in range(2):
        response = client.get("/sign-in")
        policy = check_headers(response)
        nonce = re.fullmatch(r"'self' 'nonce-([\w-]+)'", policy["script-src"]).group(1)
        html = response.get_data(as_text=True)
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
        assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
        assert "style=" not in html  # no inline styles: style-src is 'self' only
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_signed_in_pages_and_downloads_carry_the_headers(seeded, client):
    cohort = b.make_cohort()
    person = b.make_user("participant", password=b.PASSWORD)
    b.enrol(person, cohort)
    db.session.commit()
    assert b.sign_in(client, person.email).status_code in (200, 302)
    for path in ("/", "/account", "/progress", "/api/v1/me", "/api/v1/me/export"):
        response = client.get(path)
        assert response.status_code == 200, path
        check_headers(response)
        assert "no-store" in response.headers["Cache-Control"]  # personal data


def test_hsts_is_sent_over_https_only(seeded, client):
    secure = client.get("/sign-in", base_url="https://lms.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
