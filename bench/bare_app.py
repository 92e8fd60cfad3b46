"""The ceiling: a bare Flask app answering a constant JSON document of the same size as the
framework's, served by the same gunicorn settings as lms. Whatever lms does per request
(routing through flask-smorest, throttling in Redis, the data version, the cache) is measured
against this."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from flask import Flask, Response

SEED = Path(__file__).resolve().parent.parent / "seeds" / "framework.yaml"
DOCUMENT = json.dumps(yaml.safe_load(SEED.read_text(encoding="utf-8")), default=str)

app = Flask(__name__)


@app.get("/api/v1/framework")
def framework() -> Response:
    """The constant document."""
    return Response(DOCUMENT, mimetype="application/json")
