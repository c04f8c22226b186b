"""HTTP only: parse the request, make one engine call, serialise the answer."""

from __future__ import annotations

from flask import Blueprint, Flask
from werkzeug.routing import BaseConverter

from api import auth, errors, health, observe, openapi
from api.activity.routes import bp as activity
from api.bookmarks.routes import bp as bookmarks
from api.catalog.routes import bp as catalog
from api.context import AppState, Enqueue
from api.events.routes import bp as events
from api.fastpath import EventFastPath
from api.notifications.routes import bp as notifications
from api.recommendations.routes import bp as recommendations
from api.sections.routes import bp as sections
from api.users.routes import bp as users
from engine.settings import Settings


class IdConverter(BaseConverter):
    """One path segment, possibly empty, so that an empty id gets a 400 that says so."""

    regex = "[^/]*"


def create_app(
    settings: Settings | None = None, *, redis=None, fast_path: bool = True, enqueue: Enqueue | None = None
) -> Flask:
    """The WSGI app. `redis` defaults to a client for the configured Redis; `fast_path`
    (api.fastpath) records ordinary event POSTs without Flask's per-request machinery;
    `enqueue` hands webhook deliveries to the workers (default: RQ)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.url_map.converters["id"] = IdConverter
    app.url_map.strict_slashes = False  # every route answers with and without the slash
    app.url_map.merge_slashes = False  # user//: an empty id, not a redirect
    app.json.sort_keys = False
    app.extensions["tanktop"] = AppState(settings, redis, enqueue)
    errors.register(app)
    observe.install(app)

    keyed = Blueprint("api", __name__, url_prefix="/api/1/<apikey>")
    auth.protect(keyed)
    keyed.register_blueprint(users)
    keyed.register_blueprint(events)
    keyed.register_blueprint(catalog)
    keyed.register_blueprint(notifications)
    keyed.register_blueprint(bookmarks)
    keyed.register_blueprint(recommendations)
    keyed.register_blueprint(sections)
    app.register_blueprint(keyed)
    app.register_blueprint(activity)
    app.register_blueprint(health.bp)
    app.register_blueprint(openapi.blueprint)
    if fast_path:
        app.wsgi_app = EventFastPath(app)
    return app
