"""The one reader of environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name}={raw!r}: expected 1/0, true/false, yes/no or on/off")


def _number(
    env: Mapping[str, str], name: str, default: float, *, minimum: float = 0, maximum: float = 1e12
) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r}: expected a number") from None
    if not minimum <= value <= maximum:
        raise SettingsError(f"{name}={raw!r}: must be a number from {minimum} to {maximum:g}")
    return value


def _integer(
    env: Mapping[str, str], name: str, default: int, *, minimum: int = 0, maximum: int = 10**9
) -> int:
    value = _number(env, name, default, minimum=minimum, maximum=maximum)
    if value != int(value):
        raise SettingsError(f"{name}={env.get(name)!r}: expected a whole number")
    return int(value)


def _rate(env: Mapping[str, str]) -> float:
    rate = _number(env, "TANKTOP_RATE_LIMIT", Settings.rate_limit, maximum=1e6)
    if 0 < rate < 0.001:
        raise SettingsError(f"TANKTOP_RATE_LIMIT={rate}: must be 0 (unlimited) or at least 0.001")
    return rate


@dataclass(frozen=True)
class Settings:
    """Everything configurable, read once from the environment (see README, Configuration)."""

    redis_url: str | None = None
    redis_cluster: bool = False
    rq_redis_url: str | None = None
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"
    port: int = 8000
    web_server: str = "granian"
    web_workers: int = 2
    web_threads: int = 4
    key_cache_seconds: float = 5.0
    rate_limit: float = 1000.0
    rate_burst: int = 2000
    redis_timeout: float = 5.0
    event_log_max: int = 1_000_000
    webhook_timeout: float = 10.0
    webhook_allow_private: bool = False
    access_log: bool = False
    learn_duty: float = 0.5  # the share of its time the learning job may work (engine/learning.py)
    metrics_dir: Path | None = None  # PROMETHEUS_MULTIPROC_DIR: every process's metrics

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        web_server = env.get("TANKTOP_WEB_SERVER") or cls.web_server
        if web_server not in ("gunicorn", "granian"):
            raise SettingsError(f"TANKTOP_WEB_SERVER={web_server!r}: expected gunicorn or granian")
        return cls(
            redis_url=env.get("REDIS_URL") or None,
            redis_cluster=_flag(env, "REDIS_CLUSTER", False),
            rq_redis_url=env.get("RQ_REDIS_URL") or None,
            data_dir=Path(env.get("TANKTOP_DATA_DIR") or cls.data_dir),
            host=env.get("TANKTOP_HOST") or cls.host,
            port=_integer(env, "TANKTOP_PORT", cls.port, minimum=1, maximum=65535),
            web_server=web_server,
            web_workers=_integer(env, "TANKTOP_WEB_WORKERS", cls.web_workers, minimum=1),
            web_threads=_integer(env, "TANKTOP_WEB_THREADS", cls.web_threads, minimum=1),
            key_cache_seconds=_number(env, "TANKTOP_KEY_CACHE_SECONDS", cls.key_cache_seconds),
            rate_limit=_rate(env),
            rate_burst=_integer(env, "TANKTOP_RATE_BURST", cls.rate_burst, minimum=1, maximum=10**9),
            redis_timeout=_number(env, "TANKTOP_REDIS_TIMEOUT", cls.redis_timeout, minimum=0.1),
            event_log_max=_integer(env, "TANKTOP_EVENT_LOG_MAX", cls.event_log_max, minimum=1000),
            webhook_timeout=_number(
                env, "TANKTOP_WEBHOOK_TIMEOUT", cls.webhook_timeout, minimum=0.1, maximum=120
            ),
            webhook_allow_private=_flag(env, "TANKTOP_WEBHOOK_ALLOW_PRIVATE", cls.webhook_allow_private),
            access_log=_flag(env, "TANKTOP_ACCESS_LOG", cls.access_log),
            learn_duty=_number(env, "TANKTOP_LEARN_DUTY", cls.learn_duty, minimum=0.05, maximum=1),
            metrics_dir=Path(env["PROMETHEUS_MULTIPROC_DIR"])
            if env.get("PROMETHEUS_MULTIPROC_DIR")
            else None,
        )
