"""The extension objects, created here and bound to the app in create_app."""

import sqlalchemy as sa
from flask import current_app
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

from lms.core.openapi_rules import SchemaRulesPlugin
from lms.core.replica import RoutingSession

# Named constraints let Alembic create, compare and drop them the same way on SQLite and
# PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Reports may read from a replica (lms.core.replica): the session routes their SELECTs.
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
# SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
migrate = Migrate(render_as_batch=True, compare_type=True)
api = Api(spec_kwargs={"extra_plugins": [SchemaRulesPlugin()]})
login_manager = LoginManager()
csrf = CSRFProtect()
# Expensive answers (outcome reports, drawn charts), keyed on the data version: in Redis when
# LMS_REDIS_URL is set, so every server process shares them; otherwise in this process.
cache = Cache()

def caller_key() -> str:
    """Throttle a signed-in caller as themself, anyone else by their address."""
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"address:{get_remote_address()}"


def default_limit() -> str:
    """Every route's limit per caller (LMS_RATE_LIMIT), against floods and runaway scripts."""
    return current_app.config["LMS_RATE_LIMIT"]


# Sign-in adds stricter limits of its own. Storage comes from the config: Redis when
# LMS_REDIS_URL is set, so several server processes share the counters.
limiter = Limiter(key_func=caller_key, default_limits=[default_limit])


def write_limit() -> str:
    """How often one person may save their own work (LMS_WRITE_LIMIT), over every route that
    saves it, so one account cannot grow the database or hold the writer at will."""
    return current_app.config["LMS_WRITE_LIMIT"]


#: Put on each route that saves a person's notes or answers (with or beside the default).
person_writes = limiter.shared_limit(write_limit, scope="person-writes",
                                     methods=["POST", "PUT"], override_defaults=False)
