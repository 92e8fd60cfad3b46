"""Security headers on every answer: what a browser may load, frame, send and remember.

The Content-Security-Policy allows scripts from this site only, plus the one inline script
of the NHS.UK page template (it marks the page as having JavaScript), which carries a nonce
made afresh for each response; no inline script or style runs without it, and no page may be
framed by another site. HSTS is sent only over HTTPS, where it means something.
"""

from __future__ import annotations

import secrets

from flask import Flask, Response, g, request

#: One year, the usual value for HSTS once a site is HTTPS only.
HSTS = "max-age=31536000; includeSubDomains"
POLICY = ("default-src 'self'; script-src 'self'{nonce}; style-src 'self'; "
          "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
          "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def csp_nonce() -> str:
    """This response's nonce for inline scripts, made when a template first asks for it."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def forget_nonce() -> None:
    """Start every request without a nonce (returns None: a value would be the answer)."""
    g.pop("csp_nonce", None)


def add_security_headers(response: Response) -> Response:
    """Set the headers on every response (an existing value is kept: a view knows best)."""
    nonce = g.get("csp_nonce")
    headers = {
        "Content-Security-Policy": POLICY.format(nonce=f" 'nonce-{nonce}'" if nonce else ""),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if request.is_secure:
        headers["Strict-Transport-Security"] = HSTS
    for name, value in headers.items():
        response.headers.setdefault(name, value)
    return response


def init_security(app: Flask) -> None:
    """Give templates the nonce (the NHS.UK template reads ``cspNonce``) and add the headers
    to every response, errors included."""
    app.context_processor(lambda: {"cspNonce": csp_nonce()})
    # First of all: a context reused by a test or script must not carry the last nonce.
    app.before_request_funcs.setdefault(None, []).insert(0, forget_nonce)
    app.after_request(add_security_headers)
