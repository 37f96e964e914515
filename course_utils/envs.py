"""A gymnasium wrapper that speaks torch: states, rewards and flags as ``(1, ...)`` tensors."""

from __future__ import annotations

import math
import os
from typing import Any

import gymnasium as gym
import numpy as np
import torch

from course_utils._validation import torch_device

__all__ = ["TorchEnv", "time_limit"]


def time_limit(env: gym.Env) -> int | None:
    """The most steps an episode of ``env`` lasts (its TimeLimit), or None if unlimited.

    Example:
        >>> import gymnasium as gym
        >>> time_limit(gym.make("CartPole-v1")), time_limit(gym.make("CartPole-v1").unwrapped)
        (500, None)
    """
    layer = env
    while isinstance(layer, gym.Wrapper):
        if isinstance(layer, gym.wrappers.TimeLimit):
            return layer._max_episode_steps
        layer = layer.env
    return None  # a spec's max_episode_steps is only a limit where TimeLimit enforces it


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
        device: where the returned tensors live; a device this machine has.
        allow_no_time_limit: ``TorchEnv`` refuses an environment without a time limit
            (``gym.make`` gives one from the environment's spec), since an episode of a
            policy that never reaches a terminal state would never end; pass ``True`` for
            an environment whose episodes always terminate.

    A state or reward that is nan or infinite raises an error at once, naming the step:
    stored in a replay memory it would silently spoil every batch drawn from it.

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

    def __init__(
        self,
        env: gym.Env,
        device: str | torch.device = "cpu",
        *,
        allow_no_time_limit: bool = False,
    ) -> None:
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
        if not isinstance(allow_no_time_limit, bool):
            raise TypeError(
                f"Expected `allow_no_time_limit` to be True or False, got {allow_no_time_limit!r}"
            )
        if time_limit(env) is None and not allow_no_time_limit:
            raise ValueError(
                "Expected `env` to have a time limit, but it has none (env.spec.max_episode_steps "
                "is None and no TimeLimit wrapper): an episode that never reaches a terminal "
                "state would never end. Wrap it, gymnasium.wrappers.TimeLimit(env, "
                "max_episode_steps=500), or pass allow_no_time_limit=True if its episodes "
                "always terminate"
            )
        super().__init__(env)
        self._steps = 0  # steps of the current episode, for error messages
        self._first_action = int(action_space.start)
        self._end_action = int(action_space.start + action_space.n)
        self._on_cpu = self.device.type == "cpu"

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[torch.Tensor, dict[str, Any]]:
        """Starts an episode; returns ``(state, info)``, ``state`` shaped ``(1, D)``."""
        state, info = self.env.reset(seed=seed, options=options)
        self._steps = 0
        return self._to_tensor(state, "reset()"), info

    def step(
        self, action: torch.Tensor | int
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, dict[str, Any]]:
        """Takes ``action``; returns ``(next_state, reward, terminated, truncated, info)``."""
        next_state, reward, terminated, truncated, info = self.env.step(self._to_int(action))
        self._steps += 1
        if not math.isfinite(reward):
            raise ValueError(
                f"The environment returned a reward of {reward} at step {self._steps} of the "
                "episode: rewards must be finite numbers (a nan or inf reward would spoil every "
                "target computed from it)"
            )
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
        where = f"step {self._steps} of the episode"
        return self._to_tensor(next_state, where), reward, terminated, truncated, info

    def render(self) -> Any:
        """``env.render()``; an ``rgb_array`` frame is drawn with SDL's display-less driver
        where no other was chosen, so a server without a screen prints no SDL error."""
        if self.env.render_mode in ("rgb_array", "rgb_array_list"):
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        return self.env.render()

    def _to_tensor(self, state: np.ndarray, where: str) -> torch.Tensor:
        array = np.asarray(state, dtype=np.float32).reshape(1, -1)
        if not np.isfinite(array).all():
            raise ValueError(
                f"The environment returned a state holding nan or inf at {where}: {array[0]}; "
                "states must be finite (a network given nan returns nan)"
            )
        # from_numpy shares the array's memory instead of copying it (gymnasium's classic
        # control environments return a fresh array at every step).
        tensor = torch.from_numpy(array)
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
