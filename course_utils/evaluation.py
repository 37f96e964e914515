"""Reproducibility and evaluation: seed every random number generator, score a policy."""

from __future__ import annotations

import random
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import torch

from course_utils._validation import positive_int, seed_int
from course_utils.envs import TorchEnv

__all__ = ["seed_everything", "evaluate"]


def seed_everything(env: gym.Env, seed: int) -> None:
    """Seeds Python's ``random``, NumPy, torch, ``env`` and its action space with ``seed``.

    With the same seed, a training run on the CPU is bit-for-bit repeatable: the
    environment's first ``reset`` (done here, with ``seed``), ``env.action_space.sample()``
    (for exploration), ``torch`` (network initialisation, replay sampling) and ``random`` /
    ``numpy`` all produce the same numbers. Later ``env.reset()`` calls, without a seed,
    continue the environment's seeded generator.

    Example:
        >>> import gymnasium as gym
        >>> import torch
        >>> env = TorchEnv(gym.make("CartPole-v1"))
        >>> seed_everything(env, 42)
        >>> first = (torch.rand(1).item(), env.action_space.sample(), env.reset()[0])
        >>> seed_everything(env, 42)
        >>> second = (torch.rand(1).item(), env.action_space.sample(), env.reset()[0])
        >>> first[:2] == second[:2] and torch.equal(first[2], second[2])
        True
    """
    if not isinstance(env, gym.Env):
        raise TypeError(f"Expected `env` to be a gymnasium.Env, got {type(env).__name__}")
    seed_int(seed, "seed")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 (the legacy global generator is what we seed)
    torch.manual_seed(seed)
    env.reset(seed=seed)
    env.action_space.seed(seed)


def evaluate(
    env: TorchEnv,
    policy: Callable[[torch.Tensor], torch.Tensor],
    episodes: int = 100,
    seed: int = 0,
) -> np.ndarray:
    """Runs ``policy`` for ``episodes`` episodes and returns their returns.

    Episode ``i`` starts from ``env.reset(seed=seed + i)``, so two policies evaluated with
    the same ``seed`` face the same starting states. ``policy(state)`` maps a ``(1, D)``
    state to a ``(1, 1)`` action; pass the greedy policy, not the exploring one. It runs
    under ``torch.no_grad()``. Evaluation reseeds ``env``: use an environment separate from
    the one you train on.

    Returns:
        a float array of shape ``(episodes,)``, the undiscounted return of each episode.

    Example:
        >>> import gymnasium as gym
        >>> import torch
        >>> env = TorchEnv(gym.make("CartPole-v1"))
        >>> always_right = lambda state: torch.tensor([[1]])
        >>> returns = evaluate(env, always_right, episodes=3)
        >>> returns.shape, bool(returns.max() < 500)
        ((3,), True)
    """
    if not isinstance(env, TorchEnv):
        raise TypeError(
            f"Expected `env` to be a course_utils.TorchEnv (wrap it: TorchEnv(env)), "
            f"got {type(env).__name__}"
        )
    if not callable(policy):
        raise TypeError(f"Expected `policy` to be callable, state -> action, got {policy!r}")
    positive_int(episodes, "episodes")
    seed_int(seed, "seed")
    returns = np.zeros(episodes)
    with torch.no_grad():
        for episode in range(episodes):
            state, _ = env.reset(seed=seed + episode)
            episode_return, done = 0.0, False
            while not done:
                state, reward, terminated, truncated, _ = env.step(policy(state))
                episode_return += reward.item()
                done = terminated.item() or truncated.item()
            returns[episode] = episode_return
    return returns
