"""The one place a Redis client is built: for a standalone URL, a Redis Cluster, or the
embedded server (engine.servers runs that one)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry

from engine.settings import Settings, SettingsError

#: URL schemes that name a Redis Cluster; the client is given the plain scheme.
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

Client = redis.Redis | RedisCluster


def is_cluster_url(url: str) -> bool:
    return urlsplit(url).scheme in CLUSTER_SCHEMES


def connect(url: str, *, cluster: bool = False, timeout: float = 5.0, decode: bool = True) -> Client:
    """A client for `url`; a cluster client when `cluster` is set or the URL says so.

    No command is ever sent twice: a script whose reply was lost may have run, and running
    it again could apply it twice. A pooled connection that died with a Redis restart is
    noticed when it is taken from the pool and replaced, so recovery needs no retry; the
    cluster client still follows MOVED/ASK redirections on its own.
    """
    parts = urlsplit(url)
    if parts.scheme in CLUSTER_SCHEMES:
        cluster = True
        url = urlunsplit(parts._replace(scheme=CLUSTER_SCHEMES[parts.scheme]))
    options = {
        "decode_responses": decode,
        "socket_timeout": timeout,
        "socket_connect_timeout": min(timeout, 2.0),
        "retry": Retry(NoBackoff(), 0),
    }
    if cluster:
        return _scripts_routed_locally(RedisCluster.from_url(url, **options))
    return redis.Redis.from_url(url, **options)


def _scripts_routed_locally(client: RedisCluster) -> RedisCluster:
    """Have the cluster client read a script call's keys from the call itself. redis-py's
    cluster pipeline otherwise asks a node (COMMAND GETKEYS) before every queued EVALSHA:
    a round trip per script call, which made an event POST four round trips, not one. The
    pipelines share the client's command parser, so they route locally too."""
    parser = client.commands_parser
    asks_a_node = parser.get_keys

    def get_keys(redis_conn, *args):
        if len(args) > 2 and str(args[0]).upper() in ("EVAL", "EVALSHA"):
            return list(args[3 : 3 + int(args[2])])
        return asks_a_node(redis_conn, *args)

    parser.get_keys = get_keys
    return client


def connect_settings(settings: Settings, *, decode: bool = True) -> Client:
    """The engine's client for the configured Redis."""
    if not settings.redis_url:
        raise SettingsError(
            "REDIS_URL is unset: run the service with `tanktop run` (it starts an embedded "
            "Redis) or point REDIS_URL at your Redis"
        )
    return connect(
        settings.redis_url,
        cluster=settings.redis_cluster,
        timeout=settings.redis_timeout,
        decode=decode,
    )


def rq_url(settings: Settings) -> str:
    """The standalone Redis that holds RQ's queues (RQ does not run on a cluster)."""
    if settings.rq_redis_url:
        return settings.rq_redis_url
    if settings.redis_url and not settings.redis_cluster and not is_cluster_url(settings.redis_url):
        return settings.redis_url
    raise SettingsError("RQ_REDIS_URL must name a standalone Redis when REDIS_URL is a cluster")
