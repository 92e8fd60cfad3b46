"""The WSGI entry point for a production server, e.g. ``gunicorn wsgi:app``."""

from lms import create_app
from lms.core.serving import freeze_loaded_objects

app = create_app()
freeze_loaded_objects()
