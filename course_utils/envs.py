"""A gymnasium wrapper that speaks torch: states, rewards and flags as ``(1, ...)`` tensors."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch

from course_utils._validation import torch_device

__all__ = ["TorchEnv"]


class TorchEnv(gym.Wrapper):
    """Wraps a Box-observation, Discrete-action environment so it returns torch tensors.

    Every tensor has a batch dimension of 1, ready for a network and for
    :class:`~course_utils.ReplayMemory`:

    - ``reset()`` returns ``(state, info)`` with ``state`` shaped ``(1, D)``, float32;
    - ``step(action)`` returns ``(next_state, reward, terminated, truncated, info)``:
      ``next_state`` ``(1, D)`` float32, ``reward`` ``(1, 1)`` float32, ``terminated`` and
      ``truncated`` ``(1, 1)`` bool. They stay apart: ``terminated`` means the episode
      reached a terminal state (no future reward to bootstrap); ``truncated`` means it was
      cut by a time limit (the state still has a future).

    ``action`` may be a ``(1, 1)`` int64 tensor (what ``q_values.argmax(dim=-1, keepdim=True)``
    gives), any one-element integer tensor, or a Python int.

    Args:
        env: a gymnasium environment with a 1-D ``Box`` observation space and a
            ``Discrete`` action space, e.g. ``gym.make("CartPole-v1")``.
        device: where the returned tensors live.

    Example:
        >>> import gymnasium as gym
        >>> import torch
        >>> env = TorchEnv(gym.make("CartPole-v1"))
        >>> state, info = env.reset(seed=0)
        >>> state.shape, state.dtype
        (torch.Size([1, 4]), torch.float32)
        >>> next_state, reward, terminated, truncated, info = env.step(torch.tensor([[1]]))
        >>> reward, terminated, truncated
        (tensor([[1.]]), tensor([[False]]), tensor([[False]]))
    """

    def __init__(self, env: gym.Env, device: str | torch.device = "cpu") -> None:
        if isinstance(env, TorchEnv) or not isinstance(env, gym.Env):
            raise TypeError(
                f"Expected `env` to be a gymnasium.Env (not yet a TorchEnv), got {env!r}"
            )
        observation_space, action_space = env.observation_space, env.action_space
        if not isinstance(observation_space, gym.spaces.Box):
            raise TypeError(
                "Expected `env.observation_space` to be a gymnasium.spaces.Box, "
                f"got {observation_space!r}"
            )
        if len(observation_space.shape) != 1:
            raise ValueError(
                "Expected `env.observation_space` to be 1-D (a vector of features), "
                f"got shape {observation_space.shape}"
            )
        if not isinstance(action_space, gym.spaces.Discrete):
            raise TypeError(
                f"Expected `env.action_space` to be a gymnasium.spaces.Discrete, got {action_space!r}"
            )
        self.device = torch_device(device)
        super().__init__(env)
        self._first_action = int(action_space.start)
        self._end_action = int(action_space.start + action_space.n)
        self._on_cpu = self.device.type == "cpu"

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """Starts an episode; returns ``(state, info)``, ``state`` shaped ``(1, D)``."""
        state, info = self.env.reset(seed=seed, options=options)
        return self._to_tensor(state), info

    def step(
        self, action: torch.Tensor | int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict[str, Any]]:
        """Takes ``action``; returns ``(next_state, reward, terminated, truncated, info)``."""
        next_state, reward, terminated, truncated, info = self.env.step(self._to_int(action))
        # Fresh tensors at every step (about 1 µs each): cached constants would be faster
        # but shared, and one in-place `terminated |= ...` would corrupt every later step.
        reward = torch.full((1, 1), float(reward), dtype=torch.float32)
        terminated = torch.full((1, 1), bool(terminated))  # a Python bool gives torch.bool
        truncated = torch.full((1, 1), bool(truncated))
        if not self._on_cpu:
            reward, terminated, truncated = (
                reward.to(self.device),
                terminated.to(self.device),
                truncated.to(self.device),
            )
        return self._to_tensor(next_state), reward, terminated, truncated, info

    def _to_tensor(self, state: np.ndarray) -> torch.Tensor:
        # from_numpy shares the array's memory instead of copying it (gymnasium's classic
        # control environments return a fresh array at every step).
        tensor = torch.from_numpy(np.asarray(state, dtype=np.float32).reshape(1, -1))
        return tensor if self._on_cpu else tensor.to(self.device)

    def _to_int(self, action: torch.Tensor | int) -> int:
        if isinstance(action, torch.Tensor):
            if action.numel() != 1:
                raise ValueError(
                    "Expected `action` to hold one action, shaped (1, 1), "
                    f"got a tensor of shape {tuple(action.shape)}"
                )
            if action.is_floating_point() or action.is_complex() or action.dtype == torch.bool:
                raise TypeError(
                    f"Expected `action` to be an integer tensor (torch.int64), got {action.dtype}"
                )
            value = int(action.item())
        elif isinstance(action, int | np.integer) and not isinstance(action, bool):
            value = int(action)
        else:
            raise TypeError(
                f"Expected `action` to be a (1, 1) int64 tensor or an int, got {action!r}"
            )
        if not self._first_action <= value < self._end_action:
            raise ValueError(
                f"Expected `action` in {self.action_space} (an int from {self._first_action} to "
                f"{self._end_action - 1}), got {value}"
            )
        return value
