import redis


def test_healthz_answers_without_redis(app, monkeypatch):
    monkeypatch.setattr(app.extensions["tanktop"], "redis", None)
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_pings_redis(app):
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready"}


def test_readyz_is_503_when_redis_is_unreachable(app, monkeypatch):
    class Down:
        def ping(self):
            raise redis.ConnectionError("refused")

    monkeypatch.setattr(app.extensions["tanktop"], "redis", Down())
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
