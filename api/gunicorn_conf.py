"""gunicorn settings, from the same environment variables as everything else."""

from engine.settings import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_workers
threads = _settings.web_threads
worker_class = "gthread" if _settings.web_threads > 1 else "sync"
# The API key sits in the URL path: no access log (it would print every key).
accesslog = None
keepalive = 5
# One control socket per user home would clash between instances; nothing here uses it.
control_socket_disable = True
