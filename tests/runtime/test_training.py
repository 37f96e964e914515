"""GreedyChecks: the course's greedy checks during training, written once (issue 23)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from course_utils import GreedyChecks, evaluate, i18n


def linear_network(weight: list[list[float]]) -> nn.Linear:
    layer = nn.Linear(len(weight[0]), len(weight), bias=False)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
    return layer


BALANCE = [[0.0, 0.0, -1.0, -0.5], [0.0, 0.0, 1.0, 0.5]]  # balances CartPole to 500 steps
WOBBLE = [[0.03, 0.02, -1, -0.1], [-0.03, -0.02, 1, 0.1]]  # some episodes fall, some do not
LEFT = [[0.0, 0.0, 0.0, 1e-3], [0.0, 0.0, 0.0, 0.0]]  # mostly pushes left: falls at once


def greedy(q_network):
    return lambda state_b: q_network(state_b).argmax(dim=-1, keepdim=True)


def test_each_check_plays_new_held_out_seeds_and_counts_its_steps():
    checks = GreedyChecks("CartPole-v1", episodes=6, seed=2, stop_at=math.inf)
    q_network = linear_network(WOBBLE)
    for k in range(3):
        expected = evaluate("CartPole-v1", greedy(q_network), episodes=6, seed=checks.check_seed(k))
        assert not checks.check(q_network)
        assert checks.means[k] == expected.mean()
    assert [checks.check_seed(k) for k in range(3)] == [102_000, 102_006, 102_012]
    assert checks.done == 3 and len(set(checks.means)) > 1  # other episodes, other returns
    # +1 per CartPole step: the steps of the checks are the sum of their returns
    assert checks.steps == round(6 * sum(checks.means))
    assert checks.seconds > 0


def test_the_best_check_is_kept_and_loaded_back_ties_going_to_the_later_one():
    checks = GreedyChecks("CartPole-v1", episodes=3, seed=0, stop_at=math.inf)
    good, bad = linear_network(BALANCE), linear_network(LEFT)
    checks.check(bad)
    assert checks.best == checks.means[0] < 20
    checks.check(good)
    assert checks.best == 500.0
    kept = checks.best_weights
    with torch.no_grad():
        good.weight.zero_()  # training goes on: the kept copy must not follow
    assert torch.equal(kept["weight"], torch.tensor(BALANCE))
    checks.check(bad)
    assert checks.best == 500.0 and checks.best_weights is kept  # a worse check keeps it
    network = linear_network(LEFT)
    checks.load_best(network)
    assert torch.equal(network.weight, torch.tensor(BALANCE))
    again = linear_network(BALANCE)
    checks.check(again)  # as good as the best: the later check's weights are kept
    assert checks.best_weights is not kept


def test_a_check_passes_once_its_mean_reaches_stop_at():
    checks = GreedyChecks("CartPole-v1", episodes=4, seed=0, stop_at=500)
    assert not checks.check(linear_network(LEFT))
    assert checks.check(linear_network(BALANCE))  # every episode lasts the 500 steps
    assert checks.steps == round(4 * checks.means[0]) + 4 * 500
    assert checks.summary() == (
        f"best greedy check 500.0 after 2 checks ({checks.steps:,} steps of checks)"
    )


def test_without_a_check_nothing_is_loaded():
    checks = GreedyChecks("MountainCar-v0", episodes=2, seed=0, stop_at=-110.0)
    network = linear_network([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    before = network.weight.clone()
    checks.load_best(network)
    assert torch.equal(network.weight, before) and checks.best == -math.inf
    checks.check(network)
    assert checks.summary().endswith("after 1 check (400 steps of checks)")  # both truncated


def test_the_summary_speaks_the_course_language():
    checks = GreedyChecks("MountainCar-v0", episodes=2, seed=0, stop_at=-110.0)
    checks.check(linear_network([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    i18n.set_language("ko")
    try:
        assert checks.summary() == "가장 좋은 탐욕 검사 -200.0, 검사 1번 뒤(검사에 쓴 스텝 400)"
    finally:
        i18n.set_language("en")
    assert checks.summary() == "best greedy check -200.0 after 1 check (400 steps of checks)"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"episodes": 0}, ValueError, r"`episodes` to be a positive int, got 0"),
        ({"seed": -1}, ValueError, r"`seed` to be a non-negative int below 2\*\*32, got -1"),
        ({"stop_at": float("nan")}, ValueError, r"`stop_at`, the mean return .* got nan"),
        ({"stop_at": "500"}, ValueError, r"`stop_at`, the mean return .* got '500'"),
        ({"env": 3}, TypeError, r"`env` to be an environment id"),
    ],
    ids=["no-episodes", "negative-seed", "nan-threshold", "str-threshold", "not-an-env"],
)
def test_bad_input_is_named(kwargs, error, message):
    arguments = {"env": "CartPole-v1", "episodes": 2, "seed": 0, "stop_at": 500.0, **kwargs}
    env = arguments.pop("env")
    with pytest.raises(error, match=message):
        GreedyChecks(env, **arguments)


def test_the_checks_of_a_numpy_threshold_and_of_a_torch_env_work_alike():
    import gymnasium as gym

    from course_utils import TorchEnv

    a = GreedyChecks(TorchEnv(gym.make("CartPole-v1")), episodes=2, seed=1, stop_at=np.float64(9))
    b = GreedyChecks("CartPole-v1", episodes=2, seed=1, stop_at=9.0)
    q_network = linear_network(WOBBLE)
    assert a.check(q_network) == b.check(q_network) and a.means == b.means
