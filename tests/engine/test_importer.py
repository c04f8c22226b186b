import json

import pytest

from engine import events, importer, keys, notifications

SVC = "acme"
NOW = 1_763_800_000_000


def write(path, lines):
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines))
    return path


def line(user, item, event="seen", **extra):
    return {"user_id": user, "event": event, "item_type": "movie", "item_id": item, **extra}


def test_an_import_stores_good_lines_and_files_bad_ones(r, tmp_path):
    path = write(
        tmp_path / "events.ndjson",
        [
            line("7", "1"),
            line("7", "2", "rated", value=4),
            "not json",
            line("8", "1", "rated"),
            "",
            line("8", "3", ts=1763000000),
            {"user_id": "9"},
        ],
    )
    done = importer.import_events(r, SVC, path, now_ms=NOW, chunk=2)
    assert (done.stored, done.rejected, done.last_line) == (3, 3, 7)
    assert events.values_of(r, SVC, "7", "rated", "movie", ["2"]) == {"2": "4"}
    assert events.values_of(r, SVC, "8", "seen", "movie", ["3"]) == {"3": ""}
    rejected = [json.loads(text) for text in importer.rejected_path(path).read_text().splitlines()]
    assert [entry["line"] for entry in rejected] == [3, 4, 7]
    assert "needs a value" in rejected[1]["error"]
    assert not importer.checkpoint_path(path).exists()
    assert r.xlen(keys.event_log(SVC)) == 3


def test_no_log_leaves_the_analytics_log_alone(r, tmp_path):
    path = write(tmp_path / "events.ndjson", [line("7", str(i)) for i in range(5)])
    importer.import_events(r, SVC, path, now_ms=NOW, log=False)
    assert r.xlen(keys.event_log(SVC)) == 0
    assert not importer.rejected_path(path).exists()


def test_an_interrupted_import_resumes_after_the_last_stored_line(r, tmp_path):
    path = write(tmp_path / "events.ndjson", [line(str(i % 3), str(i)) for i in range(10)])

    def interrupt(progress):
        if progress.last_line >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        importer.import_events(r, SVC, path, now_ms=NOW, chunk=4, on_progress=interrupt)
    assert importer.resume_line(path, SVC) == 5
    assert importer.resume_line(path, "rival") == 1  # another service starts over
    done = importer.import_events(r, SVC, path, now_ms=NOW, chunk=4, start_line=5)
    assert done.stored == 6
    stored = sum(
        len(events.values_of(r, SVC, user, "seen", "movie", [str(i) for i in range(10)])) for user in "012"
    )
    assert stored == 10
    assert importer.resume_line(path, SVC) == 1  # finished: the checkpoint is gone


def test_a_changed_file_is_not_resumed(r, tmp_path):
    path = write(tmp_path / "events.ndjson", [line("7", "1")])
    importer.checkpoint_path(path).write_text(json.dumps({"service": SVC, "size": 1, "last_line": 9}))
    assert importer.resume_line(path, SVC) == 1


@pytest.mark.real_redis
def test_several_jobs_store_the_same_as_one(redis_server, tmp_path):
    from engine import redis as engine_redis

    r = engine_redis.connect(redis_server.url)
    r.flushall()
    rows = [line(f"u{i % 50}", str(i % 70), ts=1763000000 + i) for i in range(3000)] + ["junk"]
    path = write(tmp_path / "events.ndjson", rows)
    done = importer.import_events(r, SVC, path, now_ms=NOW, chunk=250, jobs=2, redis_url=redis_server.url)
    assert (done.stored, done.rejected, done.last_line) == (3000, 1, 3001)
    newest = {}
    for row in rows[:-1]:
        newest[row["user_id"], row["item_id"]] = row["ts"]
    for user in ("u0", "u7"):
        entries, _ = events.page(r, SVC, user, "seen", "movie", limit=1000)
        assert {e.item: e.ms for e in entries} == {
            item: ts * 1000 for (u, item), ts in newest.items() if u == user
        }


@pytest.mark.parametrize(
    ("text", "chunks"),
    [
        ("", [(1, 0)]),
        ("a\n", [(1, 1)]),
        ("a\nb", [(1, 2)]),
        ("a\nb\nc\n", [(1, 2), (3, 1)]),
        ("a\nb\nc\nd\n", [(1, 2), (3, 2)]),
    ],
)
def test_chunks_cover_every_line_once(tmp_path, text, chunks):
    path = tmp_path / "lines"
    path.write_bytes(text.encode())
    found = list(importer._chunks(path, 1, 2))
    assert [(c.first_line, c.count) for c in found] == chunks
    data = path.read_bytes()
    assert b"".join(data[c.start : c.end] for c in found) == data


def test_chunks_start_at_the_resume_line(tmp_path):
    path = tmp_path / "lines"
    path.write_bytes(b"a\nb\nc\nd\ne")
    found = list(importer._chunks(path, 3, 2))
    assert [(c.first_line, c.count) for c in found] == [(3, 2), (5, 1)]
    assert path.read_bytes()[found[0].start : found[1].end] == b"c\nd\ne"
    assert [(c.first_line, c.count) for c in importer._chunks(path, 9, 2)] == [(9, 0)]


@pytest.mark.real_redis
def test_equal_times_end_the_same_however_many_jobs(redis_server, tmp_path):
    from engine import redis as engine_redis

    r = engine_redis.connect(redis_server.url)
    rows = []
    for value in (3, 5, 1, 4, 2, 0):  # the same (user, item, time) rated again in later chunks
        rows += [line("7", str(i), "rated", value=value, ts=1763000000) for i in range(40)]
    path = write(tmp_path / "events.ndjson", rows)
    results = []
    for jobs in (1, 3):
        r.flushall()
        importer.import_events(r, SVC, path, now_ms=NOW, chunk=30, jobs=jobs, redis_url=redis_server.url)
        results.append(events.values_of(r, SVC, "7", "rated", "movie", [str(i) for i in range(40)]))
    assert results[0] == results[1] == {str(i): "5" for i in range(40)}


def test_a_resumed_import_keeps_the_earlier_rejections(r, tmp_path):
    path = write(tmp_path / "events.ndjson", ["junk", line("7", "1"), line("7", "2")])

    def interrupt(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        importer.import_events(r, SVC, path, now_ms=NOW, chunk=2, on_progress=interrupt)
    importer.import_events(r, SVC, path, now_ms=NOW, chunk=2, start_line=importer.resume_line(path, SVC))
    assert [json.loads(t)["line"] for t in importer.rejected_path(path).read_text().splitlines()] == [1]
    importer.import_events(r, SVC, write(path, [line("7", "1")]), now_ms=NOW)  # a fresh run starts anew
    assert not importer.rejected_path(path).exists()


def test_the_first_line_is_line_one(r, tmp_path):
    from engine import errors

    with pytest.raises(errors.InvalidValue):
        importer.import_events(r, SVC, write(tmp_path / "e", [line("7", "1")]), now_ms=NOW, start_line=0)


def test_odd_lines_are_rejected_and_the_import_goes_on(r, tmp_path):
    path = write(
        tmp_path / "events.ndjson",
        [
            line("7", "1"),
            {"user_id": "7", "event": ["x"], "item_type": "movie", "item_id": "1", "value": "5"},
            line("7", "2", ts="1e9999999999999999999"),
            line("7", "3", "rated", value=int("1" + "0" * 301)),
            line("7", "4"),
        ],
    )
    done = importer.import_events(r, SVC, path, now_ms=NOW)
    assert (done.stored, done.rejected) == (2, 3)


def test_a_byte_order_mark_is_not_part_of_line_one(r, tmp_path):
    path = tmp_path / "events.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(line("7", "1")).encode() + b"\r\n")
    assert importer.import_events(r, SVC, path, now_ms=NOW).stored == 1


def test_imported_items_leave_their_notifications_due_for_the_sweep(r, tmp_path):
    request = notifications.Request("https://h.example.com/", (), None, False)
    notifications.save(r, "acme", "7", "movie", "1", request, now_ms=NOW)
    path = tmp_path / "items.ndjson"
    path.write_text('{"item_type":"movie","item_id":"1","availability":[{"source_id":7,"price":0}]}\n')
    done = importer.import_items(r, "acme", path, now_ms=NOW + 5)
    assert (done.stored, done.rejected, done.last_line) == (1, 0, 1)
    assert notifications.claim_due(r, "acme", now_ms=NOW + 5) == ["r|movie|1|7|1763800000000"]
