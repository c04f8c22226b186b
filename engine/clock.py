"""The current time, read at the edges (API requests, CLI commands) and passed inward."""

import time


def now_ms() -> int:
    return int(time.time() * 1000)
