"""The benchmarks read wrk's report: every kind of error counts."""

from __future__ import annotations

from tests.bench.profiles import parse_wrk

REPORT = """Running 10s test @ http://127.0.0.1:8000/api/1/k
  1 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    3.02ms  61.09ms   95.12%
  Latency Distribution
     50%    1.89ms
     75%    2.20ms
     90%    3.10ms
     99%   22.23ms
  10004 requests in 10.01s, 3.85MB read
{extra}Requests/sec:    999.40
Transfer/sec:    393.80KB
"""


def test_a_clean_run_has_no_errors():
    found = parse_wrk(REPORT.format(extra=""))
    assert (found.rps, found.p50_ms, found.p99_ms, found.errors) == (999.4, 1.89, 22.23, 0)


def test_socket_errors_count_beside_refused_answers():
    extra = "  Socket errors: connect 0, read 2, write 0, timeout 12\n  Non-2xx or 3xx responses: 5\n"
    assert parse_wrk(REPORT.format(extra=extra)).errors == 19


def test_socket_errors_alone_count_each():
    extra = "  Socket errors: connect 3, read 0, write 1, timeout 0\n"
    assert parse_wrk(REPORT.format(extra=extra)).errors == 4


def test_latencies_in_microseconds_and_seconds():
    report = REPORT.format(extra="").replace("1.89ms", "890.00us").replace("22.23ms", "1.20s")
    found = parse_wrk(report)
    assert (found.p50_ms, found.p99_ms) == (0.89, 1200.0)
