"""The hottest route without Flask's per-request machinery: recording one event.

`POST event/<uid>/<event>/<itemtype>/<itemid>/[<value>/]` is most of a TV app's traffic.
Flask spends about as much time setting up and tearing down a request (contexts, hooks,
signals, a Response object) as the engine spends recording the event, so this WSGI
middleware records it directly when everything is ordinary: a key already in the cache,
active and under its rate limit, ids and value valid, at most a `ts` in the query.
Anything else, and every refusal but the rate limit's, goes on to Flask untouched, whose
route makes the same engine call and answers with the usual errors; over the rate limit,
a Redis failure or a bug, this answers with the same error body as Flask's handlers.
tests/api/test_fastpath.py runs the same requests both ways and compares the answers and
what was stored.
"""

from __future__ import annotations

import json
import logging
import time
from http import HTTPStatus
from urllib.parse import unquote_plus

from flask import Flask

from api import observe
from api.auth import admit
from api.context import AppState
from api.errors import error_body, internal_error, retry_after, unavailable_error
from engine import events, intake
from engine.clock import now_ms
from engine.errors import UNAVAILABLE, EngineError, RateLimited

log = logging.getLogger(__name__)


class EventFastPath:
    def __init__(self, app: Flask):
        self.state: AppState = app.extensions["tanktop"]
        self.flask = app.wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST":
            return self.flask(environ, start_response)
        started = time.perf_counter()
        rid = observe.request_id(environ.get("HTTP_X_REQUEST_ID"))

        def answer(status: str, headers: list) -> None:  # every answer here: its id and metrics
            observe.observe(observe.EVENT_ROUTE, "POST", int(status[:3]), time.perf_counter() - started)
            start_response(status, [*headers, ("X-Request-Id", rid)])

        try:
            made = self._event(environ)
            if made is not None:
                refused = intake.record(
                    self.state.redis, made[0], [made[1]], log_max=self.state.settings.event_log_max
                )
                if refused:  # what Flask's handler answers
                    error = refused[0]
                    return self._error(answer, error.status, error.code, error.message, fields=error.fields)
        except RateLimited as error:
            headers = {"Retry-After": retry_after(error.retry_after)}
            return self._error(answer, 429, error.code, error.message, headers)
        except UNAVAILABLE as error:
            return self._error(answer, **unavailable_error(error))
        except Exception:  # as Flask's handler would: logged, and a JSON 500
            log.exception("unhandled error recording an event", extra={"request_id": rid})
            return self._error(answer, **internal_error())
        if made is None:
            return self.flask(environ, start_response)
        observe.EVENTS_STORED.inc()
        answer("204 NO CONTENT", [])
        return []

    def _event(self, environ) -> tuple[str, events.Event] | None:
        """(service, event) when this request is an ordinary event POST, else None."""
        parts = environ.get("PATH_INFO", "").split("/")
        if parts[-1] == "":
            parts.pop()
        if len(parts) not in (9, 10) or parts[1:3] != ["api", "1"] or parts[4] != "event":
            return None
        query = environ.get("QUERY_STRING", "")
        if query and (not query.startswith("ts=") or "&" in query):
            return None
        state = self.state
        record = state.key_cache.peek(parts[3])
        if record is None or not record.active:
            return None
        now = now_ms()
        try:
            value = parts[9] if len(parts) == 10 else None
            made = events.make(*parts[5:9], value, unquote_plus(query[3:]) if query else None, now_ms=now)
        except EngineError:
            return None
        admit(state, record, now)
        return record.service, made

    @staticmethod
    def _error(
        start_response,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        fields: dict[str, list[str]] | None = None,
    ):
        body = json.dumps(error_body(status, code, message, fields), separators=(",", ":")).encode() + b"\n"
        start_response(
            f"{status} {HTTPStatus(status).phrase.upper()}",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                *(headers or {}).items(),
            ],
        )
        return [body]
