"""Per-key rate limits: a token bucket per API key in Redis (lua/take_tokens-1.lua).

Each process takes tokens from the shared bucket in small leases and spends them locally,
so most requests cost no Redis round trip. Leased tokens have left the shared bucket, so
all processes together never admit more than the limit. A lease is at most what the key
earns in LEASE_SECONDS and at most a twentieth of its burst, it comes only out of the upper
half of the bucket, and it lapses after LEASE_TTL_MS: tokens held unspent in other
processes can refuse at most burst / 20 requests per process, and only once the key is
near its limit. Keys under 2 / LEASE_SECONDS requests a second or with bursts under 40 take
one token per request, which is exact.
"""

from __future__ import annotations

import threading

from engine import keys, scripts

LEASE_SECONDS = 0.05
LEASE_TTL_MS = 1000

_take = scripts.load("take_tokens")


def take(r, key_id: str, *, rate: float, burst: int, wanted: int, now_ms: int) -> tuple[int, int]:
    """Take up to `wanted` tokens; returns (granted, ms until a token is there if none)."""
    granted, retry_after_ms = _take(r, [keys.rate_bucket(key_id)], [repr(rate), burst, now_ms, wanted])
    return granted, retry_after_ms


class Limiter:
    """One process's gate in front of the per-key buckets."""

    def __init__(self):
        self._leases: dict[str, tuple[int, int]] = {}  # key id -> (tokens, lapses at ms)
        self._refilling: set[str] = set()  # key ids whose lease one thread is renewing
        self._lock = threading.Lock()

    def admit(self, r, key_id: str, *, rate: float, burst: int, now_ms: int) -> float:
        """0 when the request may go ahead, else the seconds to wait (rate 0: unlimited)."""
        if rate <= 0:
            return 0
        with self._lock:
            tokens, lapses = self._leases.get(key_id, (0, 0))
            if tokens > 0 and lapses > now_ms:
                self._leases[key_id] = (tokens - 1, lapses)
                return 0
            # One thread renews the lease; the others meanwhile take a single token each, so
            # a process never holds more than one lease.
            renewing = key_id not in self._refilling
            if renewing:
                self._refilling.add(key_id)
        wanted = max(1, min(int(rate * LEASE_SECONDS), burst // 20)) if renewing else 1
        try:
            granted, retry_after_ms = take(r, key_id, rate=rate, burst=burst, wanted=wanted, now_ms=now_ms)
        finally:
            if renewing:
                with self._lock:
                    self._refilling.discard(key_id)
        if granted == 0:
            return max(retry_after_ms, 1) / 1000
        if granted > 1:
            with self._lock:
                tokens, lapses = self._leases.get(key_id, (0, 0))
                tokens = tokens if lapses > now_ms else 0
                self._leases[key_id] = (tokens + granted - 1, now_ms + LEASE_TTL_MS)
        return 0
