import threading

from engine import keys, ratelimit


def test_bucket_grants_its_burst_then_refuses_with_a_wait(r):
    now = 1_000_000
    for _ in range(3):
        assert ratelimit.take(r, "k1", rate=1, burst=3, wanted=1, now_ms=now) == (1, 0)
    granted, wait = ratelimit.take(r, "k1", rate=1, burst=3, wanted=1, now_ms=now)
    assert granted == 0 and wait == 1000
    assert ratelimit.take(r, "k1", rate=1, burst=3, wanted=1, now_ms=now + 1000) == (1, 0)


def test_bucket_refills_at_its_rate_up_to_its_burst(r):
    for _ in range(5):
        assert ratelimit.take(r, "k1", rate=10, burst=5, wanted=1, now_ms=0) == (1, 0)
    assert ratelimit.take(r, "k1", rate=10, burst=5, wanted=1, now_ms=0)[0] == 0
    assert ratelimit.take(r, "k1", rate=10, burst=5, wanted=1, now_ms=200) == (1, 0)
    assert ratelimit.take(r, "k1", rate=10, burst=5, wanted=1, now_ms=200) == (1, 0)
    assert ratelimit.take(r, "k1", rate=10, burst=5, wanted=1, now_ms=200)[0] == 0


def test_leases_come_only_out_of_the_upper_half_of_the_bucket(r):
    assert ratelimit.take(r, "k1", rate=10, burst=100, wanted=30, now_ms=0) == (30, 0)  # 100 -> 70
    assert ratelimit.take(r, "k1", rate=10, burst=100, wanted=30, now_ms=0) == (20, 0)  # 70 -> 50
    assert ratelimit.take(r, "k1", rate=10, burst=100, wanted=30, now_ms=0) == (1, 0)  # below half: one


def test_bucket_expires_when_it_would_be_full(r):
    ratelimit.take(r, "k1", rate=10, burst=5, wanted=1, now_ms=0)
    assert 0 < r.pttl(keys.rate_bucket("k1")) <= 1500


def test_a_clock_behind_the_bucket_adds_no_tokens(r):
    ratelimit.take(r, "k1", rate=1, burst=1, wanted=1, now_ms=10_000)
    granted, _ = ratelimit.take(r, "k1", rate=1, burst=1, wanted=1, now_ms=5_000)
    assert granted == 0


def test_limiter_leases_tokens_so_most_requests_skip_redis(r, monkeypatch):
    limiter = ratelimit.Limiter()
    calls = []
    real = ratelimit.take

    def counting(*args, **kwargs):
        calls.append(kwargs["wanted"])
        return real(*args, **kwargs)

    monkeypatch.setattr(ratelimit, "take", counting)
    for _ in range(100):
        assert limiter.admit(r, "k1", rate=1000, burst=2000, now_ms=0) == 0
    assert calls == [50, 50]  # 1000/s leases 50 tokens (50 ms worth) at a time


def test_limiter_never_admits_more_than_the_bucket_across_processes(r):
    processes = [ratelimit.Limiter() for _ in range(4)]
    admitted = sum(
        1 for i in range(400) if processes[i % 4].admit(r, "k1", rate=1000, burst=400, now_ms=0) == 0
    )
    assert admitted == 400


def test_small_bursts_are_exact_however_requests_spread(r):
    processes = [ratelimit.Limiter() for _ in range(8)]
    spread = [0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 7, 7]  # a burst, its tail all on one process
    admitted = [i for i in spread if processes[i].admit(r, "k1", rate=200, burst=10, now_ms=0) == 0]
    assert len(admitted) == 10


def test_unspent_leases_refuse_at_most_a_twentieth_of_the_burst_per_process(r):
    processes = [ratelimit.Limiter() for _ in range(4)]
    for limiter in processes:  # each leases burst / 20 and spends one
        assert limiter.admit(r, "k1", rate=1000, burst=400, now_ms=0) == 0
    admitted = 4 + sum(
        1 for _ in range(1000) if processes[0].admit(r, "k1", rate=1000, burst=400, now_ms=0) == 0
    )
    assert 400 - 3 * (400 // 20 - 1) <= admitted <= 400


def test_limiter_is_exact_for_slow_keys_and_says_how_long_to_wait(r):
    limiter = ratelimit.Limiter()
    assert limiter.admit(r, "k1", rate=1, burst=2, now_ms=0) == 0
    assert limiter.admit(r, "k1", rate=1, burst=2, now_ms=0) == 0
    assert limiter.admit(r, "k1", rate=1, burst=2, now_ms=0) == 1.0
    assert limiter.admit(r, "k1", rate=1, burst=2, now_ms=1000) == 0


def test_rate_zero_is_unlimited_and_touches_nothing(r):
    limiter = ratelimit.Limiter()
    assert all(limiter.admit(r, "k1", rate=0, burst=1, now_ms=0) == 0 for _ in range(10))
    assert not r.exists(keys.rate_bucket("k1"))


def test_unspent_leases_lapse(r):
    limiter = ratelimit.Limiter()
    limiter.admit(r, "k1", rate=1000, burst=2000, now_ms=0)  # leases 50, spends 1
    r.delete(keys.rate_bucket("k1"))
    later = ratelimit.LEASE_TTL_MS
    while ratelimit.take(r, "k1", rate=1000, burst=2000, wanted=1, now_ms=later)[0]:
        pass  # empty the bucket
    assert limiter.admit(r, "k1", rate=1000, burst=2000, now_ms=later) > 0


def test_threads_of_one_process_share_a_single_lease(r):
    limiter = ratelimit.Limiter()
    barrier = threading.Barrier(8)

    def burst():
        barrier.wait()
        for _ in range(10):
            limiter.admit(r, "k1", rate=1000, burst=2000, now_ms=0)

    threads = [threading.Thread(target=burst) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held, _ = limiter._leases["k1"]
    left = float(r.hget(keys.rate_bucket("k1"), "tokens"))
    assert held < 50  # never more than one lease of 50 (rate x 50 ms) unspent
    assert left + held + 80 == 2000  # and every token accounted for


def test_extreme_limits_keep_a_bounded_expiry(r):
    ratelimit.take(r, "k1", rate=0.001, burst=1_000_000_000, wanted=1, now_ms=0)
    assert 0 < r.pttl(keys.rate_bucket("k1")) <= 86_400_000
