"""`tanktop eval movielens`: recommendation quality on MovieLens 100K, through the engine.

The protocol is Microsoft Recommenders' SAR quick-start (../shared/data/README.md): every
rating row gets `numpy.random.seed(42); numpy.random.rand(rows)`, rows are sorted by user
then by that number, and the first round(0.75 * count) of each user's rows train. The
training rows are replayed in time order through the engine's event path (as `rated`
events, the rating as value) into a real Redis; each user with test rows then asks the
engine's recommendation call for 10 movies (items rated in training never come back), and
every test row counts as relevant. A most-popular baseline (training rows per movie) is
scored in the same run.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine import bookmarks, events, learning, recommend

TOP = 10
TRAIN_SHARE = 0.75
SEED = 42
BATCH = 1000  # events per call of the event path during the replay

#: Published figures (../shared/data/README.md): model -> (P@10, R@10, NDCG@10, MAP).
PUBLISHED = {
    "most popular (published)": (0.2246, None, 0.2499, None),
    "SAR, Jaccard, 30-day half-life": (0.3311, 0.1768, 0.3795, 0.1070),
    "item-kNN, cosine, 50 neighbours": (None, None, 0.4241, None),
    "BPR (cornac, per-item split)": (0.3887, None, 0.4450, None),
}


def numpy_rand(seed: int, count: int) -> list[float]:
    """What `numpy.random.seed(seed); numpy.random.rand(count)` gives (numpy's legacy
    MT19937 seeding; Python's generator makes doubles the same way), without numpy."""
    state = [seed & 0xFFFFFFFF]
    for index in range(1, 624):
        previous = state[-1]
        state.append((1812433253 * (previous ^ (previous >> 30)) + index) & 0xFFFFFFFF)
    generator = random.Random()
    generator.setstate((3, (*state, 624), None))
    return [generator.random() for _ in range(count)]


Row = tuple[int, int, int, int]  # user, item, rating, unix seconds


def read_ratings(data: Path) -> list[Row]:
    """u.data's rows, in file order."""
    rows = []
    with open(data / "u.data", encoding="utf-8") as lines:
        for line in lines:
            user, item, rating, ts = line.split("\t")
            rows.append((int(user), int(item), int(rating), int(ts)))
    return rows


def split(rows: list[Row]) -> tuple[list[Row], list[Row]]:
    """(train, test) by the protocol."""
    draws = numpy_rand(SEED, len(rows))
    order = sorted(range(len(rows)), key=lambda k: (rows[k][0], draws[k]))
    by_user: dict[int, list[int]] = defaultdict(list)
    for k in order:
        by_user[rows[k][0]].append(k)
    train, test = [], []
    for picks in by_user.values():
        cut = round(TRAIN_SHARE * len(picks))
        train += [rows[k] for k in picks[:cut]]
        test += [rows[k] for k in picks[cut:]]
    return train, test


@dataclass
class Scores:
    precision: float
    recall: float
    ndcg: float
    map: float
    users: int


def score(top: dict[int, list[int]], relevant: dict[int, set[int]], k: int = TOP) -> Scores:
    """Precision, recall, NDCG and MAP at k as Microsoft Recommenders computes them (MAP
    divides by the number of relevant items; NDCG's ideal ranks min(relevant, k) hits)."""
    totals = [0.0, 0.0, 0.0, 0.0]
    users = 0
    for user, wanted in relevant.items():
        if user not in top:
            continue
        users += 1
        hits = [item in wanted for item in top[user][:k]]
        found = sum(hits)
        totals[0] += found / k
        totals[1] += found / len(wanted)
        dcg = sum(1 / math.log(rank + 2) for rank, hit in enumerate(hits) if hit)
        ideal = sum(1 / math.log(rank + 2) for rank in range(min(len(wanted), k)))
        totals[2] += dcg / ideal
        seen, average = 0, 0.0
        for rank, hit in enumerate(hits):
            if hit:
                seen += 1
                average += seen / (rank + 1)
        totals[3] += average / len(wanted)
    return Scores(*(total / max(users, 1) for total in totals), users)


@dataclass
class Report:
    engine: Scores
    popular: Scores
    train_events: int
    replay_seconds: float
    recommend_seconds: float


def run(
    r,
    data: Path,
    *,
    service: str = "movielens-eval",
    progress: Callable[[str], None] = lambda message: None,
) -> Report:
    """Replay the training rows into `r` (an empty Redis, or at least an unused service),
    then score the engine and the most-popular baseline."""
    train, test = split(read_ratings(data))
    progress(f"{len(train):,} training and {len(test):,} test ratings")
    replay = sorted(train, key=lambda row: row[3])  # the sort is stable: file order within a second
    started = time.perf_counter()
    for first in range(0, len(replay), BATCH):
        made = [
            events.Event(str(user), events.RATING, "movie", str(item), str(rating), ts * 1000)
            for user, item, rating, ts in replay[first : first + BATCH]
        ]
        refused = bookmarks.record(r, service, made, log_max=len(replay))
        if refused:
            raise RuntimeError(f"the engine refused a rating: {next(iter(refused.values()))}")
        learning.run(r, service, seconds=3600)  # as the worker's learning job, batch by batch
    replay_seconds = time.perf_counter() - started
    progress(f"replayed in {replay_seconds:.1f} s ({len(replay) / replay_seconds:,.0f} events/s)")

    relevant: dict[int, set[int]] = defaultdict(set)
    for user, item, _, _ in test:
        relevant[user].add(item)
    now = max(row[3] for row in train) * 1000
    started = time.perf_counter()
    top = {
        user: [
            int(pick.item_id)
            for pick in recommend.recommend(r, service, str(user), item_type="movie", limit=TOP, now_ms=now)
        ]
        for user in sorted(relevant)
    }
    recommend_seconds = time.perf_counter() - started

    counts = Counter(item for _, item, _, _ in train)
    ranked = sorted(counts, key=lambda item: (-counts[item], item))
    had: dict[int, set[int]] = defaultdict(set)
    for user, item, _, _ in train:
        had[user].add(item)
    baseline = {user: [item for item in ranked if item not in had[user]][:TOP] for user in relevant}
    engine_scores, popular_scores = score(top, relevant), score(baseline, relevant)
    return Report(engine_scores, popular_scores, len(train), replay_seconds, recommend_seconds)


def table(report: Report) -> str:
    """The figures beside the published ones, as a Markdown table."""

    def cell(value: float | None) -> str:
        return "-" if value is None else f"{value:.4f}"

    rows = [
        "| model | precision@10 | recall@10 | NDCG@10 | MAP |",
        "|---|---|---|---|---|",
    ]
    measured = {"tanktop (this run)": report.engine, "most popular (this run)": report.popular}
    for name, s in measured.items():
        rows.append(
            f"| {name} | " + " | ".join(cell(v) for v in (s.precision, s.recall, s.ndcg, s.map)) + " |"
        )
    for name, figures in PUBLISHED.items():
        rows.append(f"| {name} | " + " | ".join(cell(value) for value in figures) + " |")
    return "\n".join(rows)
