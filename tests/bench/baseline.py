"""Bare Flask handlers with the API's route shapes: the yardsticks the benchmarks measure
the real API against (same WSGI server, same worker count). The profile routes answer a
constant; the event route does one Redis write (a SET), as the issue's baseline asks."""

import os

import redis
from flask import Flask, Response, request

app = Flask(__name__)
app.url_map.strict_slashes = False
_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
_redis = (
    redis.RedisCluster.from_url(_url.replace("redis+cluster://", "redis://"))
    if _url.startswith("redis+cluster://")
    else redis.Redis.from_url(_url)
)

_BODY = '{"id":"7","name":"Bob"}'


@app.get("/api/1/<apikey>/user/<uid>/")
def get_user(apikey: str, uid: str):
    return Response(_BODY, mimetype="application/json", headers={"ETag": '"0123456789abcdef"'})


@app.patch("/api/1/<apikey>/user/<uid>/")
def patch_user(apikey: str, uid: str):
    request.get_data()
    return Response(_BODY, mimetype="application/json", headers={"ETag": '"0123456789abcdef"'})


@app.post("/api/1/<apikey>/event/<uid>/<event>/<itemtype>/<itemid>/")
@app.post("/api/1/<apikey>/event/<uid>/<event>/<itemtype>/<itemid>/<value>/")
def record_event(apikey: str, uid: str, event: str, itemtype: str, itemid: str, value: str = ""):
    _redis.set(f"baseline:{uid}:{event}:{itemtype}:{itemid}", "1")
    return Response(status=204)


@app.get("/api/1/<apikey>/bookmark/<uid>/")
def list_bookmarks(apikey: str, uid: str):
    return Response('{"bookmarks":[]}', mimetype="application/json")


@app.get("/api/1/<apikey>/recommend/<uid>/")
def recommend(apikey: str, uid: str):
    return Response('{"items":[]}', mimetype="application/json")


@app.get("/api/1/<apikey>/sectionlist/user/<uid>/")
def section_list(apikey: str, uid: str):
    return Response('{"sections":[]}', mimetype="application/json")


@app.get("/api/1/<apikey>/event/<uid>/<event>/<itemtype>/")
def list_events(apikey: str, uid: str, event: str, itemtype: str):
    return Response('{"seen":{},"items":[]}', mimetype="application/json")
