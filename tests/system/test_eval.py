"""Recommendation quality on MovieLens 100K, the SAR quick-start protocol (issue 6's
target: NDCG@10 >= 0.43), through the same command a developer runs. Slow: about two
minutes. The data is never committed: MOVIELENS_DIR, else ../shared/data/ml-100k."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(os.environ.get("MOVIELENS_DIR", Path(__file__).parents[3] / "shared" / "data" / "ml-100k"))


@pytest.mark.skipif(not (DATA / "u.data").is_file(), reason=f"no MovieLens 100K at {DATA}")
def test_the_engine_beats_the_published_figures_on_movielens():
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli", "eval", "movielens", "--data", str(DATA)],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert done.returncode == 0, done.stderr
    row = re.search(
        r"^\| tanktop \(this run\) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", done.stdout, re.M
    )
    baseline = re.search(
        r"^\| most popular \(this run\) \| [\d.]+ \| [\d.]+ \| ([\d.]+) \|", done.stdout, re.M
    )
    assert row and baseline, done.stdout
    precision, recall, ndcg, average = map(float, row.groups())
    assert ndcg >= 0.43, done.stdout
    assert precision > 0.3311 and recall > 0.1768 and average > 0.1070  # SAR's published figures
    assert abs(float(baseline.group(1)) - 0.2499) < 0.002  # the protocol reproduces the published split
    assert "74,992 events" in done.stdout
