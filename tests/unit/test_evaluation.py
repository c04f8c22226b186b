"""The evaluation protocol's parts: numpy's draws without numpy, the split, the metrics."""

import pytest

from engine import evaluation


def test_the_draws_are_numpys_for_seed_42():
    # numpy.random.seed(42); numpy.random.rand(3)
    assert evaluation.numpy_rand(42, 3) == [0.3745401188473625, 0.9507143064099162, 0.7319939418114051]
    assert evaluation.numpy_rand(42, 100_000)[-1] == evaluation.numpy_rand(42, 100_000)[-1]


def test_each_user_trains_on_three_quarters_of_their_rows_rounded():
    rows = [(user, item, 3, item) for user in (1, 2) for item in range(user * 5)]  # 5 and 10 rows
    train, test = evaluation.split(rows)
    assert sum(1 for row in train if row[0] == 1) == 4  # round(3.75)
    assert sum(1 for row in train if row[0] == 2) == 8  # round(7.5): to even
    assert sorted(train + test) == sorted(rows)


def test_the_metrics_are_microsoft_recommenders():
    relevant = {1: {10, 20, 30}, 2: {40}}
    top = {1: [10, 99, 20], 2: [98, 97]}
    found = evaluation.score(top, relevant, k=3)
    assert found.precision == pytest.approx((2 / 3 + 0) / 2)
    assert found.recall == pytest.approx((2 / 3 + 0) / 2)
    import math

    dcg = 1 / math.log(2) + 1 / math.log(4)
    ideal = 1 / math.log(2) + 1 / math.log(3) + 1 / math.log(4)
    assert found.ndcg == pytest.approx(dcg / ideal / 2)
    assert found.map == pytest.approx((1 + 2 / 3) / 3 / 2)
    assert found.users == 2


def test_the_table_has_the_published_figures_beside_the_runs():
    scores = evaluation.Scores(0.4, 0.2, 0.45, 0.13, 943)
    text = evaluation.table(evaluation.Report(scores, scores, 75_000, 1.0, 1.0))
    assert "| tanktop (this run) | 0.4000 | 0.2000 | 0.4500 | 0.1300 |" in text
    assert "0.3795" in text and "0.4241" in text
