"""The WSGI entry point: `gunicorn api.wsgi:app` (settings from the environment)."""

from api import create_app, observe

observe.configure_logging()
app = create_app()
