"""Liveness and readiness: is the service up, and can it reach its database."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from lms.core.errors import rollback_quietly
from lms.core.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database answers a trivial query, 503 when it does not."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        rollback_quietly()
        return jsonify(status="unavailable", database="unreachable"), 503, {"Retry-After": "5"}
    return jsonify(status="ok", database="reachable")
