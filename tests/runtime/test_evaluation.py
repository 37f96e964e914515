"""seed_everything makes runs repeatable; evaluate scores a greedy policy on seeded episodes."""

from __future__ import annotations

import random

import gymnasium as gym
import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import ReplayMemory, TorchEnv, evaluate, seed_everything


def balance(state: torch.Tensor) -> torch.Tensor:
    """A good hand-written CartPole policy: push towards where the pole falls."""
    angle, angular_velocity = state[0, 2], state[0, 3]
    return (angle + 0.5 * angular_velocity > 0).long().view(1, 1)


def tiny_training(seed: int) -> tuple[list[float], torch.Tensor]:
    """A few hundred steps of DQN-like training, touching every random number generator."""
    env = TorchEnv(gym.make("CartPole-v1"))
    seed_everything(env, seed)
    q_network = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    optimizer = torch.optim.Adam(q_network.parameters(), lr=1e-2)
    memory = ReplayMemory(capacity=500)
    losses, state = [], env.reset()[0]
    for _ in range(80):
        if random.random() < 0.5 or np.random.rand() < 0.1:  # noqa: NPY002
            action = torch.tensor([[env.action_space.sample()]])
        else:
            action = q_network(state).argmax(dim=-1, keepdim=True)
        next_state, reward, terminated, truncated, _ = env.step(action)
        memory.insert([state, action, reward, terminated, next_state])
        state = env.reset()[0] if terminated.item() or truncated.item() else next_state
        if memory.can_sample(16):
            state_b, action_b, reward_b, terminated_b, next_state_b = memory.sample(16)
            with torch.no_grad():
                target_b = reward_b + ~terminated_b * 0.99 * q_network(next_state_b).amax(-1, True)
            loss = F.mse_loss(q_network(state_b).gather(1, action_b), target_b)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses, torch.cat([p.flatten() for p in q_network.parameters()])


@pytest.fixture
def one_thread():
    """Small networks train faster on one thread than on two contended ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_same_seed_gives_bit_identical_training_and_evaluation(one_thread):
    losses_a, weights_a = tiny_training(seed=3)
    losses_b, weights_b = tiny_training(seed=3)
    losses_c, _ = tiny_training(seed=4)
    assert losses_a == losses_b and torch.equal(weights_a, weights_b)
    assert losses_a != losses_c
    env = TorchEnv(gym.make("CartPole-v1"))
    assert np.array_equal(evaluate(env, balance, 3, seed=5), evaluate(env, balance, 3, seed=5))


def test_seed_everything_only_seeds():
    env = TorchEnv(gym.make("CartPole-v1"))
    before = (
        torch.get_default_dtype(),
        torch.are_deterministic_algorithms_enabled(),
        torch.get_num_threads(),
        dict(matplotlib.rcParams),
    )
    seed_everything(env, 0)
    after = (
        torch.get_default_dtype(),
        torch.are_deterministic_algorithms_enabled(),
        torch.get_num_threads(),
        dict(matplotlib.rcParams),
    )
    assert before == after


def test_seed_everything_seeds_each_generator():
    env = TorchEnv(gym.make("MountainCar-v0"))

    def draws():
        seed_everything(env, 11)
        return (
            random.random(),
            np.random.rand(),  # noqa: NPY002
            torch.rand(1).item(),
            env.action_space.sample(),
            env.reset()[0].tolist(),
        )

    assert draws() == draws()


def test_evaluate_returns_one_float_per_episode():
    env = TorchEnv(gym.make("CartPole-v1"))
    returns = evaluate(env, balance, episodes=4, seed=0)
    assert isinstance(returns, np.ndarray)
    assert returns.shape == (4,) and returns.dtype == np.float64
    assert returns.min() > 100  # the hand-written policy balances well
    always_left = evaluate(env, lambda state: torch.tensor([[0]]), episodes=4, seed=0)
    assert always_left.max() < 20


def test_evaluate_seeds_episode_i_with_seed_plus_i():
    env = TorchEnv(gym.make("CartPole-v1"))
    seen = []

    def policy(state):
        seen.append(state)
        return torch.tensor([[0]])

    evaluate(env, policy, episodes=3, seed=10)
    for i in range(3):
        start = env.reset(seed=10 + i)[0]
        assert any(torch.equal(start, state) for state in seen)


def test_evaluate_runs_the_policy_without_gradients():
    env = TorchEnv(gym.make("CartPole-v1"))
    grad_enabled = []

    def policy(state):
        grad_enabled.append(torch.is_grad_enabled())
        return torch.tensor([[0]])

    evaluate(env, policy, episodes=1)
    assert grad_enabled and not any(grad_enabled)
    assert torch.is_grad_enabled()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"env": gym.make("CartPole-v1")},
            TypeError,
            r"`env` to be a course_utils.TorchEnv .* got",
        ),
        ({"policy": "greedy"}, TypeError, r"`policy` to be callable"),
        ({"episodes": 0}, ValueError, r"`episodes` to be a positive int, got 0"),
        ({"episodes": 2.0}, ValueError, r"`episodes` to be a positive int, got 2.0"),
        ({"episodes": -3}, ValueError, r"`episodes` to be a positive int, got -3"),
        ({"episodes": True}, ValueError, r"`episodes` to be a positive int, got True"),
        ({"seed": -1}, ValueError, r"`seed` to be a non-negative int below 2\*\*32, got -1"),
        ({"seed": "0"}, ValueError, r"`seed` to be a non-negative int .* got '0'"),
    ],
    ids=[
        "raw-env",
        "policy",
        "no-episodes",
        "float-episodes",
        "negative-episodes",
        "bool-episodes",
        "negative-seed",
        "str-seed",
    ],
)
def test_evaluate_rejects_bad_input(kwargs, error, message):
    arguments = {"env": TorchEnv(gym.make("CartPole-v1")), "policy": balance, **kwargs}
    with pytest.raises(error, match=message):
        evaluate(**arguments)


@pytest.mark.parametrize(
    ("env", "seed", "error", "message"),
    [
        ("CartPole-v1", 0, TypeError, r"`env` to be a gymnasium.Env, got str"),
        (None, 1.5, ValueError, r"`seed` to be a non-negative int .* got 1.5"),
        (None, 2**32, ValueError, r"`seed` to be a non-negative int .* got 4294967296"),
        (None, -1, ValueError, r"`seed` to be a non-negative int .* got -1"),
        (None, False, ValueError, r"`seed` to be a non-negative int .* got False"),
    ],
    ids=["env-name", "float-seed", "seed-too-large", "negative-seed", "bool-seed"],
)
def test_seed_everything_rejects_bad_input(env, seed, error, message):
    env = TorchEnv(gym.make("CartPole-v1")) if env is None else env
    with pytest.raises(error, match=message):
        seed_everything(env, seed)


@pytest.mark.parametrize("seed", [0, 2**32 - 1])
def test_every_seeded_function_accepts_the_same_seeds(seed):
    """One bound everywhere: any int NumPy's legacy seeding takes (0 to 2**32 - 1)."""
    env = TorchEnv(gym.make("CartPole-v1"))
    seed_everything(env, seed)
    assert evaluate(env, balance, episodes=1, seed=seed).shape == (1,)


# --- issue 27: an evaluation always ends, and says why it cannot run --------------------------


class Endless(gym.Env):
    """An environment whose episodes never end by themselves: reward 1 per step."""

    observation_space = gym.spaces.Box(-1, 1, (4,), np.float32)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(4, np.float32), {}

    def step(self, action):
        return np.zeros(4, np.float32), 1.0, False, False, {}


def test_evaluate_needs_a_step_limit_where_the_environment_has_none():
    env = TorchEnv(Endless(), allow_no_time_limit=True)
    with pytest.raises(ValueError, match=r"Expected `max_steps`.* `env` has no time limit"):
        evaluate(env, lambda state: torch.tensor([[0]]), episodes=1)
    returns = evaluate(env, lambda state: torch.tensor([[0]]), episodes=2, max_steps=25)
    assert returns.tolist() == [25.0, 25.0]


def test_evaluate_stops_at_the_time_limit_by_default_and_at_max_steps_if_given():
    env = TorchEnv(gym.make("CartPole-v1"))
    assert evaluate(env, balance, episodes=2).tolist() == [500.0, 500.0]  # CartPole-v1's limit
    assert evaluate(env, balance, episodes=2, max_steps=30).tolist() == [30.0, 30.0]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=r"`max_steps` to be a positive int"):
            evaluate(env, balance, episodes=1, max_steps=bad)


def test_a_network_of_the_wrong_input_size_is_named_with_the_state_it_got():
    env = TorchEnv(gym.make("CartPole-v1"))
    q_network = nn.Linear(3, 2)  # CartPole has 4 state variables
    with pytest.raises(
        ValueError, match=r"`policy` to take a state of `env`, a \(1, 4\).* 4 inputs"
    ):
        evaluate(env, lambda state: q_network(state).argmax(dim=-1, keepdim=True), episodes=1)
