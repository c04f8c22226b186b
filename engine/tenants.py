"""Services (tenants) and their API keys.

A key is 192 random bits, shown once when created and stored only as its SHA-256 (a fast
hash is enough for a random secret of this size: there is nothing to guess from). The
public key id, the first 12 hex digits of that hash, names it in listings and logs.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from engine import errors, ids, keys, scripts, webhooks

PLANS = ("free", "commercial")
KEY_PREFIX = "tt_"
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_\-]{16,128}")
_KEY_ID_SHAPE = re.compile(r"[0-9a-f]{12}")
CREATE_ATTEMPTS = 3

_create = scripts.load("create_api_key")


@dataclass(frozen=True)
class ApiKey:
    """What the service knows of one key (never the key itself)."""

    key_id: str
    service: str
    plan: str
    rate: float | None  # requests per second; None: the configured default; 0: unlimited
    burst: int | None
    created_ms: int
    revoked_ms: int | None

    @property
    def active(self) -> bool:
        return self.revoked_ms is None

    def limits(self, default_rate: float, default_burst: int) -> tuple[float, int]:
        """(rate, burst) in force: the key's own, else the defaults; a key with its own rate
        and no burst may burst two seconds' worth."""
        if self.rate is None:
            return default_rate, self.burst or default_burst
        return self.rate, self.burst or max(1, math.ceil(2 * self.rate))

    @classmethod
    def from_hash(cls, stored: dict[str, str]) -> ApiKey:
        return cls(
            key_id=stored["key_id"],
            service=stored["service"],
            plan=stored["plan"],
            rate=float(stored["rate"]) if stored.get("rate") else None,
            burst=int(stored["burst"]) if stored.get("burst") else None,
            created_ms=int(stored["created_ms"]),
            revoked_ms=int(stored["revoked_ms"]) if stored.get("revoked_ms") else None,
        )


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def well_formed(key: str) -> bool:
    """Could this be a key at all? (Saves a Redis lookup for junk.)"""
    return bool(_KEY_SHAPE.fullmatch(key))


MIN_RATE, MAX_RATE, MAX_BURST = 0.001, 1_000_000, 1_000_000_000


def _check_limits(rate: float | None, burst: int | None) -> None:
    if rate is not None and not (rate == 0 or MIN_RATE <= rate <= MAX_RATE):
        raise errors.InvalidValue(f"rate must be 0 (unlimited) or from {MIN_RATE} to {MAX_RATE:,} a second")
    if burst is not None and not 1 <= burst <= MAX_BURST:
        raise errors.InvalidValue(f"burst must be a whole number from 1 to {MAX_BURST:,}")


def create_key(
    r,
    service: str,
    plan: str,
    *,
    rate: float | None = None,
    burst: int | None = None,
    now_ms: int,
    new_secret=lambda: secrets.token_urlsafe(24),
) -> tuple[str, ApiKey]:
    """Create a key for `service` (which exists from its first key on); returns the key,
    to be shown once, and its record."""
    ids.service_name(service, "service name")
    if plan not in PLANS:
        raise errors.InvalidValue(f"plan must be one of {', '.join(PLANS)}")
    _check_limits(rate, burst)
    for _ in range(CREATE_ATTEMPTS):
        key = KEY_PREFIX + new_secret()
        key_hash = hash_key(key)
        key_id = key_hash[:12]
        args = [key_id, key_hash, service, plan, "" if rate is None else repr(rate), burst or "", now_ms]
        if _create(r, [keys.api_key(key_hash), keys.api_key_ids()], args) == 1:
            return key, ApiKey(key_id, service, plan, rate, burst, now_ms, None)
    raise errors.Conflict("could not draw an unused key; try again")


def lookup(r, key: str) -> ApiKey | None:
    """The record of `key`, revoked or not; None when there is no such key."""
    if not well_formed(key):
        return None
    stored = r.hgetall(keys.api_key(hash_key(key)))
    return ApiKey.from_hash(stored) if stored else None


def list_keys(r) -> list[ApiKey]:
    """Every key ever created, oldest first."""
    hashes = r.hgetall(keys.api_key_ids())
    pipe = r.pipeline(transaction=False)
    for key_hash in hashes.values():
        pipe.hgetall(keys.api_key(key_hash))
    records = [ApiKey.from_hash(stored) for stored in pipe.execute() if stored]
    return sorted(records, key=lambda record: (record.created_ms, record.key_id))


def count_keys(r) -> int:
    return r.hlen(keys.api_key_ids())


def _find(r, key_or_id: str) -> str:
    """The hash of a key given as the key itself or as its key id."""
    if _KEY_ID_SHAPE.fullmatch(key_or_id):
        key_hash = r.hget(keys.api_key_ids(), key_or_id)
    else:
        key_hash = hash_key(key_or_id) if well_formed(key_or_id) else None
        if key_hash and not r.exists(keys.api_key(key_hash)):
            key_hash = None
    if not key_hash:
        raise errors.NotFound(f"no API key {key_or_id}")
    return key_hash


def revoke_key(r, key_or_id: str, *, now_ms: int) -> ApiKey:
    """Revoke a key (by the key or its id); the first revocation time is kept."""
    record = keys.api_key(_find(r, key_or_id))
    r.hsetnx(record, "revoked_ms", now_ms)
    return ApiKey.from_hash(r.hgetall(record))


def set_limits(r, key_or_id: str, *, rate: float | None, burst: int | None) -> ApiKey:
    """Set a key's rate limit; None leaves that part as it is."""
    _check_limits(rate, burst)
    record = keys.api_key(_find(r, key_or_id))
    changes = {}
    if rate is not None:
        changes["rate"] = repr(rate)
    if burst is not None:
        changes["burst"] = burst
    if changes:
        r.hset(record, mapping=changes)
    return ApiKey.from_hash(r.hgetall(record))


class KeyCache:
    """key -> ApiKey, each answer kept for `ttl` seconds, so a revocation or a new limit
    takes effect within `ttl` seconds. Unknown keys are not kept (nothing to evict good
    entries with); at most `max_entries` keys, the least recently refreshed dropped first."""

    def __init__(self, ttl: float, max_entries: int = 10_000, clock=time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[str, tuple[float, ApiKey]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: str) -> ApiKey | None:
        """The cached record of `key` while it is fresh; None otherwise (no Redis)."""
        entry = self._entries.get(key)
        return entry[1] if entry and entry[0] > self.clock() else None

    def resolve(self, r, key: str) -> ApiKey | None:
        now = self.clock()
        entry = self._entries.get(key)  # a dict read needs no lock
        if entry and entry[0] > now:
            return entry[1]
        record = lookup(r, key)
        if record is not None and self.ttl > 0:
            with self._lock:
                self._entries.pop(key, None)
                self._entries[key] = (now + self.ttl, record)  # refreshed entries go last
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)  # the longest unrefreshed goes first
        return record


# Webhook secrets: one per service, made on first use; a rotation keeps the replaced
# secret signing alongside the new one for ROTATION_OVERLAP_MS.

ROTATION_OVERLAP_MS = 24 * 3600 * 1000
_rotate = scripts.load("rotate_webhook_secret")


@dataclass(frozen=True)
class WebhookSecrets:
    current: str
    previous: str | None  # still signing until previous_until_ms
    previous_until_ms: int | None

    def signing(self) -> list[str]:
        """The secrets every delivery is signed with now: the current one, and during a
        rotation the one it replaced."""
        return [self.current, self.previous] if self.previous else [self.current]


def webhook_secrets(r, service: str, *, now_ms: int) -> WebhookSecrets:
    """The service's webhook secrets (the first is made now if it has none)."""
    ids.service_name(service, "service name")
    record = keys.service_record(service)
    stored = r.hgetall(record)
    if not stored.get("webhook_secret"):
        r.hsetnx(record, "webhook_secret", webhooks.new_secret())
        stored = r.hgetall(record)
    until = int(stored["previous_until"]) if stored.get("previous_until") else None
    if until is None or until <= now_ms:
        return WebhookSecrets(stored["webhook_secret"], None, None)
    return WebhookSecrets(stored["webhook_secret"], stored["previous_secret"], until)


def reveal_webhook_secret(r, service: str, *, now_ms: int) -> WebhookSecrets | None:
    """The service's webhook secrets if the current one was never shown (it is then marked
    shown: a secret is shown once, when it is made or first asked for), else None."""
    found = webhook_secrets(r, service, now_ms=now_ms)
    fingerprint = hashlib.sha256(found.current.encode()).hexdigest()[:16]
    if not r.hsetnx(keys.service_record(service), f"shown:{fingerprint}", now_ms):
        return None
    return found


def rotate_webhook_secret(r, service: str, *, now_ms: int) -> WebhookSecrets:
    """A new webhook secret for the service; the old one also signs for a day."""
    ids.service_name(service, "service name")
    _rotate(r, [keys.service_record(service)], [webhooks.new_secret(), now_ms + ROTATION_OVERLAP_MS])
    return webhook_secrets(r, service, now_ms=now_ms)


def services(r) -> list[str]:
    """Every service that has (or had) an API key."""
    return sorted({record.service for record in list_keys(r)})
