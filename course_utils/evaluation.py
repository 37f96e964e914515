"""Reproducibility and evaluation: seed every random number generator, score a policy."""

from __future__ import annotations

import random
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import torch

from course_utils._validation import positive_int, seed_int
from course_utils.envs import TorchEnv, time_limit
from course_utils.progress import warn_if_interrupted

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
    max_steps: int | None = None,
) -> np.ndarray:
    """Runs ``policy`` for ``episodes`` episodes and returns their returns.

    Episode ``i`` starts from ``env.reset(seed=seed + i)``, so two policies evaluated with
    the same ``seed`` face the same starting states. ``policy(state)`` maps a ``(1, D)``
    state to a ``(1, 1)`` action; pass the greedy policy, not the exploring one. It runs
    under ``torch.no_grad()``. Evaluation reseeds ``env``: use an environment separate from
    the one you train on.

    An episode ends when it terminates, is truncated, or after ``max_steps`` steps, by
    default the environment's time limit (``gym.make`` sets it from the spec; an
    environment without one needs ``max_steps``).

    If the last training run shown by :func:`~course_utils.progress.training_progress` was
    interrupted, a warning says that the network being evaluated is only partly trained.

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
    if max_steps is None:
        max_steps = time_limit(env)
        if max_steps is None:
            raise ValueError(
                "Expected `max_steps`, the most steps of an evaluation episode, since `env` has "
                "no time limit: without one an episode of a policy that never reaches a "
                "terminal state never ends; pass max_steps=500, say"
            )
    positive_int(max_steps, "max_steps")
    warn_if_interrupted("evaluate")
    returns = np.zeros(episodes)
    with torch.no_grad():
        for episode in range(episodes):
            state, _ = env.reset(seed=seed + episode)
            episode_return, done, steps = 0.0, False, 0
            while not done and steps < max_steps:
                state, reward, terminated, truncated, _ = env.step(_act(policy, state, env))
                episode_return += reward.item()
                done = terminated.item() or truncated.item()
                steps += 1
            returns[episode] = episode_return
    return returns


def _act(policy: Callable[[torch.Tensor], torch.Tensor], state: torch.Tensor, env: TorchEnv):
    """``policy(state)``, or an error that says which state the policy could not take."""
    try:
        return policy(state)
    except RuntimeError as error:  # torch's shape, dtype and device errors
        raise ValueError(
            f"Expected `policy` to take a state of `env`, a {tuple(state.shape)} {state.dtype} "
            f"tensor on {state.device}, but it failed: {error}. Does the network have "
            f"{state.shape[-1]} inputs, one per state variable, and live on the same device?"
        ) from error
