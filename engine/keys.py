"""The whole key schema: every Redis key the engine uses is built here and nowhere else.

Per-user keys carry the hash tag `{<service>:<user>}`, so all of one user's state lives in
one cluster slot and each per-user script touches one slot. Service names, user ids and
key ids cannot contain `{`, `}` or `:` (see engine.ids), so the tag is unambiguous.
Tenant records share the tag `{tenants}`, so a key and its index change in one script.
"""

PREFIX = "tt"
TENANTS = f"{PREFIX}:{{tenants}}"


def user_tag(service: str, uid: str) -> str:
    """The hash tag of one user of one service."""
    return f"{{{service}:{uid}}}"


def profile(service: str, uid: str) -> str:
    """HASH top-level profile key -> its JSON text, plus the `_etag` and `_deactivated`
    metadata fields (user keys starting `_` are reserved, so they cannot collide). No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:profile"


def api_key(key_hash: str) -> str:
    """HASH one API key, found by the SHA-256 of the key: service, plan, rate, burst,
    created_ms, revoked_ms (absent while valid). The key itself is never stored. No TTL."""
    return f"{TENANTS}:key:{key_hash}"


def api_key_ids() -> str:
    """HASH public key id -> SHA-256 of the key: the list behind `tanktop keys list`. No TTL."""
    return f"{TENANTS}:key-ids"


def rate_bucket(key_id: str) -> str:
    """HASH token bucket of one API key: tokens, ts (ms). Expires once it would be full."""
    return f"{PREFIX}:ratelimit:{{{key_id}}}"
