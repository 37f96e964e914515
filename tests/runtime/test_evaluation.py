"""seed_everything makes runs repeatable; evaluate scores a greedy policy on seeded episodes,
all at once on a vector environment, with the returns of a one-at-a-time evaluation."""

from __future__ import annotations

import random

import gymnasium as gym
import matplotlib
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from course_utils import AcrobotVectorEnv, ReplayMemory, TorchEnv, evaluate, seed_everything
from course_utils.evaluation import play_episodes, vector_env
from course_utils.vector_envs import MountainCarVectorEnv


def balance(state_b: torch.Tensor) -> torch.Tensor:
    """A good hand-written CartPole policy: push towards where the pole falls, row by row."""
    angle, angular_velocity = state_b[:, 2:3], state_b[:, 3:4]
    return (angle + 0.5 * angular_velocity > 0).long()


def always(action: int):
    """A policy that takes `action` in every state of the batch."""
    return lambda state_b: torch.full((len(state_b), 1), action)


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
    always_left = evaluate(env, always(0), episodes=4, seed=0)
    assert always_left.max() < 20


def test_evaluate_seeds_episode_i_with_seed_plus_i():
    env = TorchEnv(gym.make("CartPole-v1"))
    seen = []

    def policy(state_b):
        seen.append(state_b)
        return always(0)(state_b)

    evaluate(env, policy, episodes=3, seed=10)
    assert seen[0].shape == (3, 4)  # all three episodes at once
    for i in range(3):
        assert torch.equal(seen[0][i : i + 1], env.reset(seed=10 + i)[0])


def test_evaluate_runs_the_policy_without_gradients():
    env = TorchEnv(gym.make("CartPole-v1"))
    grad_enabled = []

    def policy(state_b):
        grad_enabled.append(torch.is_grad_enabled())
        return always(0)(state_b)

    evaluate(env, policy, episodes=1)
    assert grad_enabled and not any(grad_enabled)
    assert torch.is_grad_enabled()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"env": 42},
            TypeError,
            r"`env` to be an environment id .* course_utils.TorchEnv, got int",
        ),
        ({"env": "CartPole-v9"}, gym.error.Error, r"version `v9` for environment `CartPole`"),
        ({"policy": "greedy"}, TypeError, r"`policy` to be callable"),
        ({"episodes": 0}, ValueError, r"`episodes` to be a positive int, got 0"),
        ({"episodes": 2.0}, ValueError, r"`episodes` to be a positive int, got 2.0"),
        ({"episodes": -3}, ValueError, r"`episodes` to be a positive int, got -3"),
        ({"episodes": True}, ValueError, r"`episodes` to be a positive int, got True"),
        ({"seed": -1}, ValueError, r"`seed` to be a non-negative int below 2\*\*32, got -1"),
        ({"seed": "0"}, ValueError, r"`seed` to be a non-negative int .* got '0'"),
    ],
    ids=[
        "not-an-env",
        "unknown-id",
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
        evaluate(env, always(0), episodes=1)
    returns = evaluate(env, always(0), episodes=2, max_steps=25)
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


# --- issue 28: all the episodes at once, the same episodes as one at a time -------------------


def one_at_a_time(env_id: str, policy, episodes: int, seed: int) -> np.ndarray:
    """The course's evaluation before issue 28: episode after episode, one state per call."""
    env = TorchEnv(gym.make(env_id))
    returns = np.zeros(episodes)
    with torch.no_grad():
        for episode in range(episodes):
            state, _ = env.reset(seed=seed + episode)
            done = False
            while not done:
                state, reward, terminated, truncated, _ = env.step(policy(state))
                returns[episode] += reward.item()
                done = terminated.item() or truncated.item()
    return returns


def linear_network(weight: list[list[float]], bias: list[float] | None = None) -> nn.Linear:
    """A fixed Q-network, q(s, .) = weight @ s + bias: hand-made, so its returns are known."""
    layer = nn.Linear(len(weight[0]), len(weight), bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        if bias is not None:
            layer.bias.copy_(torch.tensor(bias))
    return layer


def greedy(q_network: nn.Module):
    return lambda state_b: q_network(state_b).argmax(dim=-1, keepdim=True)


# Fixed networks whose greedy episodes both end early and run into the time limit (CartPole-v1
# truncates at 500 steps, MountainCar-v0 at 200, Acrobot-v1 at 500), and one MLP per task.
FIXED_NETWORKS = {
    "CartPole-v1": linear_network([[0.03, 0.02, -1, -0.1], [-0.03, -0.02, 1, 0.1]]),
    "MountainCar-v0": linear_network([[0, -100], [0, 0], [0, 100]], bias=[0, 0.2, 0]),
    "Acrobot-v1": linear_network([[0, 0, 0, 0, -1, -0.5], [0] * 6, [0, 0, 0, 0, 1, 0.5]]),
}


@pytest.mark.parametrize("env_id", sorted(FIXED_NETWORKS))
def test_evaluate_returns_what_one_episode_at_a_time_returns(env_id, one_thread):
    policy = greedy(FIXED_NETWORKS[env_id])
    limit = gym.spec(env_id).max_episode_steps
    expected = one_at_a_time(env_id, policy, episodes=30, seed=7)
    cut = {"CartPole-v1": 500.0, "MountainCar-v0": -200.0, "Acrobot-v1": -500.0}[env_id]
    assert (expected == cut).any() and (expected != cut).any(), "truncated and finished both"
    returns = evaluate(TorchEnv(gym.make(env_id)), policy, episodes=30, seed=7)
    assert returns.tolist() == expected.tolist()
    assert limit in (200, 500)
    # an untrained MLP too, on more episodes than the vector environment's first batch
    torch.manual_seed(0)
    env = gym.make(env_id)
    mlp = nn.Sequential(
        nn.Linear(env.observation_space.shape[0], 32), nn.ReLU(), nn.Linear(32, env.action_space.n)
    )
    assert evaluate(env_id, greedy(mlp), episodes=12, seed=3).tolist() == (
        one_at_a_time(env_id, greedy(mlp), episodes=12, seed=3).tolist()
    )


def test_cartpole_and_acrobot_run_on_native_vector_environments_others_in_sync():
    assert type(vector_env("CartPole-v1", 4).unwrapped).__name__ == "CartPoleVectorEnv"
    assert isinstance(vector_env("MountainCar-v0", 4), MountainCarVectorEnv)
    assert isinstance(vector_env(TorchEnv(gym.make("Acrobot-v1")), 4), AcrobotVectorEnv)
    # with a changed time limit too (gym.make's max_episode_steps lands in the spec)
    assert vector_env(gym.make("Acrobot-v1", max_episode_steps=60), 2).max_episode_steps == 60
    assert isinstance(vector_env("Pendulum-v1", 2), gym.vector.SyncVectorEnv)
    # render_mode is a display setting, not part of the task: the copies render nothing
    envs = vector_env(gym.make("Pendulum-v1", render_mode="rgb_array", max_episode_steps=50), 2)
    assert envs.envs[0].render_mode is None and envs.envs[0].spec.max_episode_steps == 50
    assert vector_env(gym.make("MountainCar-v0", max_episode_steps=50), 2).max_episode_steps == 50
    # a changed task (here MountainCar's goal velocity) is not the course's copy: a SyncVectorEnv
    assert isinstance(
        vector_env(gym.make("MountainCar-v0", goal_velocity=0.01), 2), gym.vector.SyncVectorEnv
    )


def test_one_forward_pass_per_time_step_for_all_the_episodes():
    calls = []

    def policy(state_b):
        calls.append(len(state_b))
        return balance(state_b)

    envs = vector_env("CartPole-v1", 5)
    returns, lengths = play_episodes(envs, policy, 0, 500, torch.device("cpu"))
    assert calls == [5] * int(lengths.max())  # the longest episode's steps, 5 states each
    assert returns.tolist() == lengths.tolist()  # +1 per step: each step counted once


def test_finished_episodes_are_masked_while_the_others_go_on():
    """gymnasium restarts a finished sub-environment by itself (autoreset): its new episode
    must count neither in the return nor in the length."""
    envs = vector_env("CartPole-v1", 3)
    returns, lengths = play_episodes(envs, always(0), 0, 500, torch.device("cpu"))
    assert returns.tolist() == one_at_a_time("CartPole-v1", always(0), 3, 0).tolist()
    assert (lengths < 20).all()
    # one balanced episode runs for 500 steps; the quick ones beside it stay at their length
    returns, lengths = play_episodes(envs, balance, 0, 500, torch.device("cpu"))
    assert lengths.tolist() == [500, 500, 500]
    returns, lengths = play_episodes(envs, balance, 0, 40, torch.device("cpu"))
    assert lengths.tolist() == [40, 40, 40] and returns.tolist() == [40.0, 40.0, 40.0]


def test_evaluate_leaves_the_environment_it_was_given_alone():
    env = TorchEnv(gym.make("CartPole-v1"))
    env.reset(seed=1)
    follows = TorchEnv(gym.make("CartPole-v1"))
    follows.reset(seed=1)
    evaluate(env, balance, episodes=3, seed=99)
    assert torch.equal(env.reset()[0], follows.reset()[0])  # its generator was not reseeded


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        (
            lambda state_b: torch.tensor([[0]]),
            r"one action per state, a \(3, 1\) int64 .* \(1, 1\)",
        ),
        (lambda state_b: 0, r"one action per state, a \(3, 1\) int64 .* got 0"),
        (lambda state_b: torch.full((3, 1), 2), r"actions in Discrete\(2\), got \[2, 2, 2\]"),
    ],
    ids=["one-action-for-the-batch", "int", "out-of-range"],
)
def test_a_policy_for_one_state_is_told_it_gets_a_batch(policy, message):
    with pytest.raises(ValueError, match=message):
        evaluate("CartPole-v1", policy, episodes=3)
    with pytest.raises(TypeError, match=r"int64 actions, got torch.float32"):
        evaluate("CartPole-v1", lambda state_b: torch.zeros(len(state_b), 1), episodes=3)


def test_an_environment_without_a_specification_is_copied():
    env = gym.wrappers.TimeLimit(Endless(), max_episode_steps=7)
    assert env.spec is None
    assert evaluate(env, always(1), episodes=3).tolist() == [7.0, 7.0, 7.0]


@pytest.mark.parametrize("env_id", ["CartPole-v1", "MountainCar-v0", "Acrobot-v1"])
def test_play_episodes_takes_one_seed_per_episode(env_id, one_thread):
    policy = greedy(FIXED_NETWORKS[env_id])
    limit = gym.spec(env_id).max_episode_steps
    expected = one_at_a_time(env_id, policy, episodes=3, seed=7)
    # two agents playing the same three episodes side by side: seeds 7, 8, 9, 7, 8, 9
    returns, _ = play_episodes(
        vector_env(env_id, 6), policy, [7, 8, 9] * 2, limit, torch.device("cpu")
    )
    assert returns.tolist() == expected.tolist() * 2
    with pytest.raises(ValueError, match="`seed`.*6, got 2"):
        play_episodes(vector_env(env_id, 6), policy, [7, 8], limit, torch.device("cpu"))
