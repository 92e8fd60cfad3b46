"""The WSGI entry point for a production server, e.g. ``gunicorn wsgi:app``."""

from lms import create_app

app = create_app()
