"""lms: the service that runs the Leadership for Empowered and Healthy Communities Programme."""

from lms.app import create_app

__all__ = ["create_app"]
