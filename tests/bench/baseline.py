"""A bare Flask app with the profile routes' shape and nothing behind them: the yardstick
the benchmarks measure the real API against (same WSGI server, same worker count)."""

from flask import Flask, Response, request

app = Flask(__name__)
app.url_map.strict_slashes = False

_BODY = '{"id":"7","name":"Bob"}'


@app.get("/api/1/<apikey>/user/<uid>/")
def get_user(apikey: str, uid: str):
    return Response(_BODY, mimetype="application/json", headers={"ETag": '"0123456789abcdef"'})


@app.patch("/api/1/<apikey>/user/<uid>/")
def patch_user(apikey: str, uid: str):
    request.get_data()
    return Response(_BODY, mimetype="application/json", headers={"ETag": '"0123456789abcdef"'})
