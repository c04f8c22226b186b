"""Redis stops: the API answers 503 with Retry-After, never 500; Redis comes back (from its
AOF): the same app serves again by itself, with the data intact."""

import pytest

from api import create_app
from engine import redis as engine_redis
from engine import servers
from engine.settings import Settings
from tests.conftest import Api, make_key

pytestmark = pytest.mark.system


def test_api_answers_503_while_redis_is_down_and_recovers_on_its_own(tmp_path):
    server = servers.RedisServer(tmp_path, port=servers.free_port(), persist=True)
    server.start()
    try:
        r = engine_redis.connect(server.url, timeout=2)
        app = create_app(Settings(key_cache_seconds=0), redis=r)
        client = app.test_client()
        api = Api(client, make_key(r))
        assert api.put("user/7/", json={"name": "Bob"}).status_code == 201

        server.stop()
        for response in (api.get("user/7/"), api.put("user/8/", json={}), client.get("/readyz")):
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "1"
            assert response.get_json()["error"]["code"] == "unavailable"
        assert client.get("/healthz").status_code == 200

        server.start()
        assert client.get("/readyz").status_code == 200
        response = api.get("user/7/")
        assert response.status_code == 200
        assert response.get_json() == {"id": "7", "name": "Bob"}
    finally:
        server.stop()
