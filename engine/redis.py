"""The one place a Redis client is built: for a standalone URL, a Redis Cluster, or the
embedded server (engine.servers runs that one)."""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterPipeline, PipelineStrategy, RedisCluster
from redis.crc import key_slot
from redis.exceptions import (
    AskError,
    ConnectionError,
    MovedError,
    RedisClusterException,
    RedisError,
    TimeoutError,
    TryAgainError,
)
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
        return _scripts_routed_locally(_Cluster.from_url(url, **options))
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


#: Commands that name one key, first: a pipeline of these (and of script calls) is routed
#: by _Pipeline without redis-py's per-command routing. Commands that may name several keys
#: count when they name one.
_ONE_KEY = frozenset(
    """GET SET SETNX SETEX PSETEX GETDEL INCR INCRBY DECR DECRBY EXPIRE PEXPIRE EXPIREAT PEXPIREAT
    TTL PTTL PERSIST TYPE STRLEN HGET HSET HSETNX HMSET HMGET HGETALL HDEL HEXISTS HINCRBY
    HINCRBYFLOAT HKEYS HVALS HLEN LPUSH RPUSH LPOP RPOP LRANGE LLEN LTRIM LREM LINDEX SADD SREM
    SMEMBERS SISMEMBER SMISMEMBER SCARD SRANDMEMBER ZADD ZINCRBY ZREM ZRANGE ZREVRANGE
    ZRANGEBYSCORE ZREVRANGEBYSCORE ZSCORE ZMSCORE ZCARD ZCOUNT ZRANK ZREVRANK ZREMRANGEBYRANK
    ZREMRANGEBYSCORE ZRANDMEMBER XADD XLEN XRANGE XREVRANGE XTRIM XDEL""".split()  # noqa: SIM905 (a word list)
)
_SOME_KEYS = frozenset({"DEL", "EXISTS", "UNLINK", "TOUCH", "MGET"})
#: Replies that say a command did not run where it was sent: sent again, it is run once.
_NOT_RUN = (MovedError, AskError, TryAgainError)


class _Cluster(RedisCluster):
    """A cluster client whose non-transactional pipelines are _Pipeline."""

    def pipeline(self, transaction=None, shard_hint=None):
        pipe = super().pipeline(transaction, shard_hint)
        pipe.__class__ = _Pipeline  # built by redis-py as ever: only execute() differs
        return pipe


class _Pipeline(ClusterPipeline):
    """A cluster pipeline that sends each command once.

    redis-py's cluster pipeline sends again, one by one, every command whose node answered
    with a connection error or a timeout, though such a command may have run (a script
    twice is an event counted twice). This one raises those errors as a standalone
    pipeline does, and sends again only what a node refused without running it (MOVED,
    ASK, TRYAGAIN), through the client, which follows the redirection. Its routing is
    also cheaper: slots from the keys, grouped by node, written to every node before any
    reply is read (an event POST costs about 15% less CPU). A pipeline
    with a command it cannot route by one key goes to redis-py's own.
    """

    def execute(self, raise_on_error: bool = True) -> list:
        strategy = self._execution_strategy
        if type(strategy) is not PipelineStrategy:  # a transaction
            return super().execute(raise_on_error)
        stack = strategy.command_queue
        if not stack:
            return []
        try:
            by_node = self._route(stack)
        except (RedisError, RedisClusterException):  # a slot not covered, say: redis-py's way
            by_node = None
        if by_node is None:
            return super().execute(raise_on_error)
        try:
            results = self._send(stack, by_node)
            for c in stack:
                if isinstance(results[c.position], _NOT_RUN):
                    try:
                        results[c.position] = self.parent_execute_command(*c.args, **c.options)
                    except RedisError as error:
                        results[c.position] = error
            if raise_on_error:
                for c in stack:
                    if isinstance(results[c.position], Exception):
                        self.annotate_exception(results[c.position], c.position + 1, c.args)
                        raise results[c.position]
            return results
        finally:
            self.reset()

    def _route(self, stack) -> dict | None:
        """{node name: (node client, commands)}, or None when a command is not routed here."""
        encode, manager, by_node = self.encoder.encode, self.nodes_manager, {}
        for c in stack:
            name = c.args[0].upper()
            if name in ("EVALSHA", "EVAL"):
                keys = c.args[3 : 3 + int(c.args[2])]
            elif name in _ONE_KEY or (name in _SOME_KEYS and len(c.args) == 2):
                keys = c.args[1:2]
            else:
                return None
            slots = {key_slot(encode(key)) for key in keys}
            if len(slots) != 1 or c.options.get("target_nodes") or name in self.cluster_response_callbacks:
                return None
            node = manager.get_node_from_slot(slots.pop())
            entry = by_node.get(node.name)
            if entry is None:
                entry = by_node[node.name] = (self.get_redis_connection(node), [])
            entry[1].append(c)
        return by_node

    def _send(self, stack, by_node: dict) -> list:
        """Each command's reply (an error as a value) by position; a connection error or a
        timeout is raised, and every connection this used is closed (none is left with
        replies unread)."""
        results: list = [None] * len(stack)
        taken = []
        try:
            for client, commands in by_node.values():
                taken.append((client, client.connection_pool.get_connection(), commands))
            for _, conn, commands in taken:
                conn.send_packed_command(conn.pack_commands([c.args for c in commands]))
            for client, conn, commands in taken:
                for c in commands:
                    try:
                        results[c.position] = client.parse_response(conn, c.args[0], **c.options)
                    except (ConnectionError, TimeoutError):
                        raise
                    except RedisError as error:
                        results[c.position] = error
        except BaseException as error:
            for _, conn, _ in taken:
                conn.disconnect()
            if isinstance(error, (ConnectionError, TimeoutError)):
                with contextlib.suppress(RedisError):  # a node may be gone: learn the cluster again
                    self.nodes_manager.initialize()
            raise
        finally:
            for client, conn, _ in taken:
                client.connection_pool.release(conn)
        return results


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
