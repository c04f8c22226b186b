"""Bulk import of an NDJSON file of events (`tanktop import events FILE`).

The file is cut into chunks of lines; each chunk is parsed, validated like a POST events/
line and stored in one round trip (engine.events.apply groups it by list); then what the
chunk taught is learnt at once (engine/learning.py), as the worker would. With `jobs` > 1
that many processes parse and store chunks side by side. The order in which chunks land
does not change the result: the newest event time wins, and at equal times the rule does
not look at arrival either (engine.events).

After every chunk, the number of the last line of the stored prefix of the file is written
to a checkpoint file beside it, so an interrupted import resumes where it stopped. Lines
stored again on a resume leave the lists as they were, but for events without a `ts`,
which take the time of the new run; their analytics log entries are written again.
Rejected lines go, with their numbers and reasons, to `<file>.rejected`.
"""

from __future__ import annotations

import collections
import json
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from engine import catalog, errors, events, exactjson, learning, notifications, recommend
from engine import redis as engine_redis

CHUNK = 200_000
LEARN_SECONDS = 120  # at most spent learning after a chunk (live traffic may add more)


@dataclass
class Progress:
    """Where an import stands; handed to the progress callback after every chunk."""

    path: Path
    total_bytes: int
    bytes_read: int = 0
    last_line: int = 0  # every line up to this one (1-based) is stored: the checkpoint
    stored: int = 0
    rejected: int = 0
    first_errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Chunk:
    """Lines first_line .. first_line + count - 1, at bytes start .. end of the file (what a
    job is handed: it reads them itself, so no line crosses a process boundary)."""

    first_line: int
    count: int
    start: int
    end: int


def checkpoint_path(path: Path) -> Path:
    return path.with_name(path.name + ".checkpoint")


def rejected_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejected")


def resume_line(path: Path, service: str) -> int:
    """The line after the last one stored by an earlier, interrupted import of this file."""
    try:
        state = json.loads(checkpoint_path(path).read_text())
    except (OSError, ValueError):
        return 1
    if state.get("service") != service or state.get("size") != path.stat().st_size:
        return 1  # another service, or the file changed: start over
    return int(state.get("last_line", 0)) + 1


def _save_checkpoint(path: Path, service: str, last_line: int) -> None:
    state = {"service": service, "size": path.stat().st_size, "last_line": last_line}
    temporary = checkpoint_path(path).with_name(checkpoint_path(path).name + ".tmp")
    temporary.write_text(json.dumps(state))
    os.replace(temporary, checkpoint_path(path))


def _line_ends(path: Path) -> Iterator[int]:
    """The byte offset just past every line of the file (its newline, or the end of a last
    line without one), found by scanning blocks rather than line by line."""
    offset = 0
    with open(path, "rb") as source:
        while block := source.read(1 << 20):
            at = block.find(b"\n")
            while at != -1:
                yield offset + at + 1
                at = block.find(b"\n", at + 1)
            offset += len(block)
            last_newline_missing = not block.endswith(b"\n")
        if offset and last_newline_missing:
            yield offset


def _chunks(path: Path, start_line: int, size: int) -> Iterator[_Chunk]:
    first, start, count = start_line, 0, 0
    end = 0
    for number, end in enumerate(_line_ends(path), start=1):
        if number < start_line:
            start = end
            continue
        count += 1
        if count == size:
            yield _Chunk(first, count, start, end)
            first, start, count = number + 1, end, 0
    if count or first == start_line:
        yield _Chunk(first, count, start, end)


def _parse(path: str, chunk: _Chunk, now_ms: int) -> tuple[list[events.Event], list[tuple[int, str]]]:
    """Read, parse and validate one chunk: (events, [(line, reason)] rejected)."""
    with open(path, "rb") as source:
        source.seek(chunk.start)
        lines = source.read(chunk.end - chunk.start).split(b"\n")
    if chunk.first_line == 1 and lines[0].startswith(b"\xef\xbb\xbf"):
        lines[0] = lines[0][3:]  # a byte order mark, as some editors write: not part of line 1
    good, rejected = [], []
    for number, raw in enumerate(lines[: chunk.count], start=chunk.first_line):
        if not raw.strip():
            continue
        try:
            good.append(events.from_line(exactjson.loads(raw, lean=True), now_ms=now_ms))
        except (exactjson.JSONError, errors.InvalidValue) as error:
            rejected.append((number, getattr(error, "message", str(error))))
    return good, rejected


_worker_redis = None


def _start_worker(redis_url: str, cluster: bool) -> None:
    global _worker_redis
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C for all
    _worker_redis = engine_redis.connect(redis_url, cluster=cluster)


def _store(r, service: str, path: str, chunk: _Chunk, now_ms: int, log: bool, log_max: int):
    """Parse, validate and store one chunk: (events stored, [(line, reason)] rejected)."""
    good, rejected = _parse(path, chunk, now_ms)
    recommend.apply(r, service, good, log=log, log_max=log_max)
    learning.run(r, service, seconds=LEARN_SECONDS)  # the chunk's pairs, as the worker would
    return len(good), rejected


def _work(job: tuple) -> tuple[int, list[tuple]]:
    return _store(_worker_redis, *job)


def import_events(
    r,
    service: str,
    path: Path,
    *,
    now_ms: int,
    start_line: int = 1,
    chunk: int = CHUNK,
    log: bool = True,
    log_max: int = events.LOG_MAX,
    jobs: int = 1,
    redis_url: str | None = None,
    cluster: bool = False,
    on_progress: Callable[[Progress], None] = lambda progress: None,
) -> Progress:
    """Import `path` from `start_line` (1-based) on, with `jobs` processes (more than one
    needs `redis_url`); returns the final Progress. The checkpoint file is removed once the
    whole file is in."""
    if start_line < 1:
        raise errors.InvalidValue("the first line is line 1")
    progress = Progress(path, path.stat().st_size, last_line=start_line - 1)
    pool = None
    if jobs > 1:
        if not redis_url:
            raise ValueError("several jobs need the Redis URL, to connect on their own")
        pool = multiprocessing.get_context("fork").Pool(jobs, _start_worker, (redis_url, cluster))
    try:
        # A fresh import starts the list of rejected lines anew; a resumed one adds to it.
        with open(rejected_path(path), "w" if start_line == 1 else "a", encoding="utf-8") as rejects:

            def finish(outcome: tuple[int, list[tuple]], done: _Chunk) -> None:
                stored, rejected = outcome
                for number, reason in rejected:
                    rejects.write(json.dumps({"line": number, "error": reason}) + "\n")
                    if len(progress.first_errors) < 5:
                        progress.first_errors.append(f"line {number}: {reason}")
                progress.stored += stored
                progress.rejected += len(rejected)
                progress.bytes_read = done.end
                progress.last_line = done.first_line + done.count - 1
                _save_checkpoint(path, service, progress.last_line)
                on_progress(progress)

            # Results are taken in file order, so the checkpoint is always a stored prefix;
            # at most two chunks a job are in flight, so memory stays bounded.
            in_flight: collections.deque = collections.deque()
            for piece in _chunks(path, start_line, chunk):
                job = (service, str(path), piece, now_ms, log, log_max)
                if pool is None:
                    finish(_store(r, *job), piece)
                    continue
                in_flight.append((pool.apply_async(_work, (job,)), piece))
                while len(in_flight) >= 2 * jobs:
                    outcome, done = in_flight.popleft()
                    finish(outcome.get(), done)
            while in_flight:
                outcome, done = in_flight.popleft()
                finish(outcome.get(), done)
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    checkpoint_path(path).unlink(missing_ok=True)
    if not rejected_path(path).stat().st_size:  # no line refused, in this run or a resumed one
        rejected_path(path).unlink()
    return progress


# Catalogue items (`tanktop import items FILE`)

ITEM_BATCH = 1000


def import_items(
    r, service: str, path: Path, *, now_ms: int, on_progress: Callable[[Progress], None] | None = None
) -> Progress:
    """Store an NDJSON file of catalogue items (one object a line, with item_type and
    item_id), a thousand a round trip. Storing an item again changes nothing, so an
    interrupted import is simply run again. Notifications that the items satisfy are left
    due at once in the outbox, for the workers' sweep to send (a command cannot enqueue)."""
    progress = Progress(path, path.stat().st_size)
    pending: list = []

    def store() -> None:
        notifications.put_items(r, service, pending, now_ms=now_ms, due_ms=now_ms)
        progress.stored += len(pending)
        pending.clear()

    number = 0
    with path.open("rb") as lines, rejected_path(path).open("w") as rejected:
        for number, raw in enumerate(lines, 1):
            progress.bytes_read += len(raw)
            if raw.strip():
                try:
                    pending.append(catalog.from_line(exactjson.loads(raw)))
                except (exactjson.JSONError, errors.InvalidValue) as error:
                    reason = error.message if isinstance(error, errors.InvalidValue) else f"not JSON: {error}"
                    if isinstance(error, errors.InvalidValue) and error.fields:
                        reason += " " + json.dumps(error.fields)
                    rejected.write(f"line {number}: {reason}\n")
                    progress.rejected += 1
                    if len(progress.first_errors) < 5:
                        progress.first_errors.append(f"line {number}: {reason}")
            if len(pending) >= ITEM_BATCH:
                store()
                progress.last_line = number
                if on_progress:
                    on_progress(progress)
        if pending:
            store()
        progress.last_line = number
    if on_progress:
        on_progress(progress)
    return progress
