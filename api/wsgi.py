"""The gunicorn entry point: ``gunicorn api.wsgi:app``."""

from api.app import create_app
from core.logging import configure_logging
from core.settings import Settings

settings = Settings.from_env()
configure_logging(settings)
app = create_app(settings)
