"""The whole key schema: every Redis key the engine uses is built here and nowhere else.

Per-user keys carry the hash tag `{<service>:<user>}`, so all of one user's state lives in
one cluster slot and each per-user script touches one slot. Service names, user ids and
key ids cannot contain `{`, `}` or `:` (see engine.ids), so the tag is unambiguous.
Tenant records share the tag `{tenants}`, so a key and its index change in one script.
"""

from collections.abc import Iterable

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


def service_tag(service: str) -> str:
    """The hash tag of one service's own keys (its event log, its settings)."""
    return f"{{{service}}}"


def event_times(service: str, uid: str, item_type: str, event: str) -> str:
    """ZSET one list of one user: item -> event time (ms) while the item is in the list,
    -(ms + 1) once deleted at ms (a tombstone, so that an older event arriving late cannot
    bring it back). Newest first is a reverse range over scores >= 0. No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:ev:{item_type}:{event}:t"


def event_values(service: str, uid: str, item_type: str, event: str) -> str:
    """HASH one list's values: item -> number text, for the items whose event has one
    (ratings, progress, start/end times). No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:ev:{item_type}:{event}:v"


def event_lists(service: str, uid: str) -> str:
    """SET "<itemtype>|<event>" of every list the user has had an event in: how a purge
    and the all-lists read find the per-list keys. No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:ev:lists"


def activity_stats(service: str, uid: str) -> str:
    """HASH seed 003 viewing stats: "<asset>|<stat>" -> number, stat one of play_count,
    view_time, pause_time, last_played_on. No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:stats"


def bookmarks(service: str, uid: str) -> str:
    """ZSET the user's bookmarks (continue watching): "<itemtype>|<itemid>" of a movie or
    programme (or any item the catalogue does not know) -> its last activity (ms). No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:bookmarks"


def bookmark_marks(service: str, uid: str) -> str:
    """HASH "<itemtype>|<itemid>" -> the bookmark's record, tab-separated: state (w
    watching, n next episode up, d dismissed, x finished), ms, position (minutes), episode
    ("<itemtype>|<itemid>" or ''), episode order (season * 100000 + number, or ''). The d
    and x records are tombstones: they keep older events from bringing a bookmark back.
    No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:bookmark-marks"


def live_session(service: str, uid: str) -> str:
    """STRING the user's open live-TV session: "<channel>\t<start ms>". Gone when closed."""
    return f"{PREFIX}:{user_tag(service, uid)}:live"


def live_sessions(service: str) -> str:
    """ZSET "<user>\t<channel>\t<start ms>" -> start ms: the open live sessions, for the
    periodic job that closes those left open too long. No TTL."""
    return f"{PREFIX}:{{{service}|live}}:sessions"


def live_services() -> str:
    """SET services that have had live sessions (what the periodic job visits)."""
    return f"{PREFIX}:live-services"


def bookmark_config(service: str) -> str:
    """STRING JSON: the service's own bookmark settings (overrides of the defaults). No TTL."""
    return f"{PREFIX}:{service_tag(service)}:bookmark-config"


def event_log(service: str) -> str:
    """STREAM the service's analytics log: one entry per accepted event (user, event,
    item_type, item, value, ts), trimmed to about TANKTOP_EVENT_LOG_MAX entries."""
    return f"{PREFIX}:{service_tag(service)}:log"


def weights(service: str) -> str:
    """STRING JSON: the service's own event weights (overrides of the defaults). No TTL."""
    return f"{PREFIX}:{service_tag(service)}:weights"


def log_purges(service: str) -> str:
    """HASH user -> ms of a purge whose analytics log entries are still to be deleted."""
    return f"{PREFIX}:{service_tag(service)}:log-purges"


def log_purge_services() -> str:
    """SET services with pending log purges (what the periodic sweep visits)."""
    return f"{PREFIX}:log-purge-services"


def clock_lock(job: str) -> str:
    """STRING held for one period by the clock process that enqueued periodic `job`
    (lives in RQ's Redis). Expires after the period."""
    return f"{PREFIX}:clock:{job}"


def rec_history(service: str, uid: str) -> str:
    """ZSET "<itemtype>|<itemid>" -> when the item first counted for the user's
    recommendations (ms of its first positive event): each item makes its co-occurrence
    pairs once. No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:rec-history"


def learn_pending(service: str, uid: str) -> str:
    """LIST the user's items newly counted for recommendations whose co-occurrence pairs are
    still to be made, oldest first: "<itemtype>|<itemid>\t<ms>". The learner (engine/
    learning.py) trims them once stored. No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:learn"


def learn_queue(service: str, bucket: int) -> str:
    """ZSET user -> times marked for learning (one bucket of the service's users, by a hash
    of the user id): the users with pending learning. The learner removes a user only if
    the count is unchanged since it read it. No TTL."""
    return f"{PREFIX}:{{{service}|learn|{bucket}}}:users"


def learn_lock(service: str, bucket: int) -> str:
    """STRING the learner working on one learn_queue bucket (a redis-py Lock). Expires."""
    return f"{PREFIX}:{{{service}|learn|{bucket}}}:lock"


def learn_services() -> str:
    """SET services whose users may have pending learning (what the learner visits). No TTL."""
    return f"{PREFIX}:learn-services"


def section_instances(service: str, uid: str) -> str:
    """HASH the user's section instances: "k:<instance>" -> instance id, "i:<id>" ->
    <instance>, which is "<def>|<type>|<epoch>|<basis type>|<basis id>" (basis '' for
    types without one), "t:<id>"
    -> when its boost was last changed (ms), "g" -> section_def_deletions when last
    cleaned. No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:sections"


def section_boosts(service: str, uid: str) -> str:
    """ZSET section instance id -> how far the user's section events have moved its score
    from the definition's weight, as of its "t:<id>" (decaying towards 0 from then): only
    instances with events. No TTL."""
    return f"{PREFIX}:{user_tag(service, uid)}:section-boosts"


def user_keys(service: str, uid: str, lists: Iterable[str] = ()) -> list[str]:
    """Every key that holds state of one user, given the user's lists ("<itemtype>|<event>",
    from event_lists): what a purge deletes."""
    per_list = []
    for name in lists:
        item_type, _, event = name.partition("|")
        per_list += [
            event_times(service, uid, item_type, event),
            event_values(service, uid, item_type, event),
        ]
    return [
        profile(service, uid),
        event_lists(service, uid),
        activity_stats(service, uid),
        bookmarks(service, uid),
        bookmark_marks(service, uid),
        live_session(service, uid),
        rec_history(service, uid),
        learn_pending(service, uid),
        section_instances(service, uid),
        section_boosts(service, uid),
        *per_list,
    ]


# Service-level data lives under tags that hold a "|", which no user id has: no user's
# slot is ever shared with them.


def catalog_item(service: str, item_type: str, item_id: str) -> str:
    """HASH one catalogue item: doc (its JSON text), programme (the programme id of an
    episode, '' otherwise), updated_ms, and what bookmarks read without parsing the
    document: name, duration (minutes), order (an episode's season * 100000 + number),
    each '' when it has none. No TTL."""
    return f"{PREFIX}:{{{service}|item|{item_type}|{item_id}}}:item"


def cooccurrence(service: str, item_type: str, item_id: str) -> str:
    """ZSET "<itemtype>|<itemid>" -> weighted co-occurrence with this item (users who had
    both, each counting 1/sqrt(their item count)): the most co-occurring, 4 to 8 times the
    neighbour cap. No TTL."""
    return f"{PREFIX}:{{{service}|item|{item_type}|{item_id}}}:co"


def neighbours(service: str, item_type: str, item_id: str) -> str:
    """ZSET "<itemtype>|<itemid>" -> co-occurrence / sqrt(users of that item, as of the
    pair's last update): this item's most similar items, at most the neighbour cap. No TTL."""
    return f"{PREFIX}:{{{service}|item|{item_type}|{item_id}}}:nbr"


def _rec(service: str) -> str:
    return f"{PREFIX}:{{{service}|rec}}"


def item_users(service: str) -> str:
    """HASH "<itemtype>|<itemid>" -> how many users the item counts for (positive events).
    No TTL."""
    return f"{_rec(service)}:users"


def rec_types(service: str) -> str:
    """SET item types with recommendation data (what similar and popular know). No TTL."""
    return f"{_rec(service)}:types"


def rec_config(service: str) -> str:
    """STRING JSON: the service's own recommendation settings (overrides). No TTL."""
    return f"{PREFIX}:{service_tag(service)}:rec-config"


def popularity(service: str, item_type: str) -> str:
    """ZSET item id -> forward-decayed popularity relative to the landmark. No TTL."""
    return f"{PREFIX}:{{{service}|popular|{item_type}}}:scores"


def popularity_landmark(service: str, item_type: str) -> str:
    """STRING the landmark (ms) of popularity(service, item_type). No TTL."""
    return f"{PREFIX}:{{{service}|popular|{item_type}}}:landmark"


def popularity_index() -> str:
    """SET "<service>\t<itemtype>" of every popularity set: what the landmark job visits.
    No TTL."""
    return f"{PREFIX}:popularity-index"


def section_defs(service: str) -> str:
    """HASH section definition id -> its JSON text (seed 002 "Section Definition"). No TTL."""
    return f"{PREFIX}:{service_tag(service)}:sectiondefs"


def section_def_ids(service: str) -> str:
    """STRING the last section definition id given out (INCR). No TTL."""
    return f"{PREFIX}:{service_tag(service)}:sectiondef-id"


def section_def_deletions(service: str) -> str:
    """STRING how many section definitions have been deleted (INCR): a user whose instances
    were last cleaned at a lower count may hold instances of deleted ones. No TTL."""
    return f"{PREFIX}:{service_tag(service)}:sectiondef-deletions"


def section_def_epochs(service: str) -> str:
    """HASH section definition id -> its epoch: the deletion count when its type last
    changed (absent: 0). Instance keys carry it, so a change of type retires them. No TTL."""
    return f"{PREFIX}:{service_tag(service)}:sectiondef-epochs"


def section_config(service: str) -> str:
    """STRING JSON: the service's own section settings (overrides). No TTL."""
    return f"{PREFIX}:{service_tag(service)}:section-config"


def section_instance_ids(service: str) -> str:
    """STRING the last section instance id given out (INCRBY): instance ids are unique in
    the service, so `section/<id>/` finds its user. No TTL."""
    return f"{PREFIX}:{service_tag(service)}:section-instance-id"


OWNER_BUCKETS = 256


def section_owners(service: str, instance_id: int) -> str:
    """HASH section instance id -> its user, for the ids of one of OWNER_BUCKETS buckets
    (id mod OWNER_BUCKETS), so no one key holds every user's instances. No TTL."""
    return f"{PREFIX}:{{{service}|section-owners|{instance_id % OWNER_BUCKETS}}}:owners"


def section_boosted(service: str) -> str:
    """ZSET user -> when the periodic job should next compact the user's section boosts
    (ms): the users with boosts, and only they. No TTL."""
    return f"{PREFIX}:{{{service}|sections}}:boosted"


def section_services() -> str:
    """SET services that have had section boosts (what the periodic job visits). No TTL."""
    return f"{PREFIX}:section-services"


def facet(service: str, name: str, value: str) -> str:
    """ZSET "<itemtype>|<itemid>" -> when the item was last written (ms): the catalogue
    items with `value` among their `name` (categories, cast), for Category and
    BecauseYouActor sections. No TTL."""
    return f"{PREFIX}:{{{service}|facet|{name}}}:{value}"


def episodes(service: str, programme_id: str) -> str:
    """ZSET one programme's episodes: "<itemtype>|<itemid>" -> season * 100000 + episode
    (the order to watch them in). No TTL."""
    return f"{PREFIX}:{{{service}|programme|{programme_id}}}:episodes"


def schedule(service: str, channel: str) -> str:
    """ZSET one channel's programme guide: "<start ms>|<end ms>|<itemtype>|<itemid>" ->
    start ms. No TTL."""
    return f"{PREFIX}:{{{service}|channel|{channel}}}:schedule"


def _notify(service: str) -> str:
    return f"{PREFIX}:{{{service}|notify}}"


def notify_requests(service: str, item_type: str, item_id: str) -> str:
    """HASH the open notification requests on one item (or sport, or team: follows stay
    open): user -> the request, tab-separated: url, max price ('' any), hd (0/1), sources
    (',' joined, '' any), created ms, delivery id ('' until matched; a follow's latest),
    notified ms ('' never). Matching reads only these. No TTL."""
    return f"{_notify(service)}:req:{item_type}:{item_id}"


def notify_done(service: str, item_type: str, item_id: str) -> str:
    """HASH the requests on one item that have their delivery (moved here from
    notify_requests by the match): user -> the request, as there. No TTL."""
    return f"{_notify(service)}:done:{item_type}:{item_id}"


def notify_user(service: str, uid: str) -> str:
    """SET "<itemtype>|<itemid>" of every request of one user. No TTL."""
    return f"{_notify(service)}:user:{uid}"


def notify_count(service: str) -> str:
    """STRING how many notification requests the service holds, open or matched (the
    per-service limit's count; requests made before it existed are not in it). No TTL."""
    return f"{_notify(service)}:count"


def deliveries(service: str) -> str:
    """HASH delivery id -> the delivery, tab-separated: status (pending, delivered, failed),
    attempts, last error, lease until ms (its sender's token), url, user, request item type
    and id, item type and id, source, price, hd, created ms, done ms. An item request's
    delivery lives as long as the request; of a follow's, the pending ones and the latest."""
    return f"{_notify(service)}:deliveries"


def delivery_outcomes(service: str) -> str:
    """HASH outcome (delivered, retry, failed) -> how many delivery attempts ended so, ever
    (what /metrics shows). No TTL."""
    return f"{_notify(service)}:outcomes"


def outbox(service: str) -> str:
    """ZSET delivery id -> when it is due (ms): every pending delivery, written with the
    match; the sweep sends what is overdue, so a crash between match and enqueue loses
    nothing."""
    return f"{_notify(service)}:outbox"


def available(service: str) -> str:
    """HASH "<itemtype>|<itemid>" -> since when (ms) the catalogue item has offers (what a
    programme request asks of its episodes). No TTL."""
    return f"{_notify(service)}:available"


def announced(service: str) -> str:
    """HASH "<itemtype>|<itemid>" -> the token of the write that first made the catalogue
    item available: that write, and no other, tells the sport and team follows. No TTL."""
    return f"{_notify(service)}:announced"


def service_record(service: str) -> str:
    """HASH one service: webhook_secret, previous_secret, previous_until (ms), and
    `shown:<fingerprint>` -> ms for each secret `tanktop keys webhook-secret` has shown (each is
    shown once). No TTL."""
    return f"{TENANTS}:service:{service}"
