"""A user as a whole: everything the engine keeps about one user of one service."""

from __future__ import annotations

from engine import events, ids, keys, notifications, recommend, section_lists


def purge(r, service: str, uid: str) -> None:
    """Erase every trace of the user: profile, events, lists and viewing stats at once (one
    transaction in the user's slot, retried if a new list appears meanwhile), the user's
    share of the items' users counts and popularity, their notification requests
    (deliveries not yet sent are not sent), the owner records of their section instances,
    and their analytics log entries by the periodic sweep."""
    ids.user_id(uid)
    lists_key = keys.event_lists(service, uid)
    history_key = keys.rec_history(service, uid)
    sections_key = keys.section_instances(service, uid)
    pending_key = keys.learn_pending(service, uid)
    learnt: list[tuple[str, float]] = []
    instance_ids: list[str] = []

    def erase(pipe) -> None:
        doomed = keys.user_keys(service, uid, pipe.smembers(lists_key))
        # items still pending were never counted for their items: nothing to take back
        unlearnt = {line.rpartition("\t")[0] for line in pipe.lrange(pending_key, 0, -1)}
        learnt[:] = [(this, ms) for this, ms in pipe.zrange(history_key, 0, -1, withscores=True)
                     if this not in unlearnt]  # fmt: skip
        instance_ids[:] = [f[2:] for f in pipe.hkeys(sections_key) if f.startswith("i:")]
        pipe.multi()
        pipe.delete(*doomed)

    r.transaction(erase, lists_key, history_key, sections_key, pending_key)
    # after the user's keys are gone: a crash between leaves the user counted, never twice
    recommend.forget_user(r, service, learnt)
    section_lists.forget_user(r, service, uid, instance_ids)
    notifications.cancel(r, service, uid)
    events.request_log_purge(r, service, uid)
