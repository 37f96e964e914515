"""Acrobot-v1 and MountainCar-v0 as vector environments: every episode's step in one NumPy operation.

gymnasium ships a native vector implementation for CartPole only; its other classic-control
tasks run as a ``SyncVectorEnv``, one Python ``step`` per episode. Acrobot's step integrates
the dynamics with four Runge-Kutta stages, about 40 µs per episode and step on a laptop core:
notebook 06's ablation (25 agents, and 250 evaluation episodes at a time) spent more time in
it than in learning; notebook 03's greedy checks play MountainCar episodes by the hundred.
:class:`AcrobotVectorEnv` and :class:`MountainCarVectorEnv` run gymnasium's ``step`` (gymnasium
1.x, ``envs/classic_control/acrobot.py`` and ``mountain_car.py``) on arrays, operation for
operation in the same order, so every sub-environment follows exactly the trajectory of its
own ``gym.make``: the same observations, rewards, terminations and truncations, bit for bit
(the tests compare them over thousands of steps). Each sub-environment keeps its own random
generator, seeded as the environment's ``reset(seed=...)`` seeds it, so its later episodes
start where that environment's would.

>>> envs = AcrobotVectorEnv(num_envs=3)
>>> state, _ = envs.reset(seed=[0, 1, 2])
>>> state.shape, state.dtype
((3, 6), dtype('float32'))
>>> import gymnasium as gym
>>> single = gym.make("Acrobot-v1")
>>> bool((single.reset(seed=1)[0] == state[1]).all())
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.envs.classic_control.acrobot import AcrobotEnv
from gymnasium.envs.classic_control.mountain_car import MountainCarEnv
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from course_utils._validation import positive_int, seed_int

__all__ = ["AcrobotVectorEnv", "MountainCarVectorEnv"]

_PI = np.pi


class _SeededVectorEnv(VectorEnv):
    """The machinery the course's vector environments share: one random generator per
    sub-environment, seeded as that environment's own ``reset(seed=...)`` seeds it, a time
    limit, and same-step autoreset. A subclass gives the start state, the dynamics on arrays
    and the observation; its ``_single`` is the gymnasium environment it reproduces."""

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}
    _name = ""

    def __init__(self, single: gym.Env, num_envs: int, max_episode_steps: int):
        self.num_envs = positive_int(num_envs, "num_envs")
        self.max_episode_steps = positive_int(max_episode_steps, "max_episode_steps")
        self._single = single
        self.single_observation_space = single.observation_space
        self.single_action_space = single.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._generators: list[np.random.Generator] = []
        self.state: np.ndarray | None = None  # one row per sub-environment
        self._steps = np.zeros(self.num_envs, dtype=np.int64)

    def reset(
        self, *, seed: int | Sequence[int] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if options is not None:
            raise ValueError(f"{type(self).__name__} takes no reset `options`, got {options!r}")
        if seed is None:
            if not self._generators:
                self._generators = [seeding.np_random()[0] for _ in range(self.num_envs)]
        else:
            seeds = range(seed, seed + self.num_envs) if isinstance(seed, int) else list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(
                    f"Expected `seed` to hold one seed per sub-environment, {self.num_envs}, "
                    f"got {len(seeds)}"
                )
            self._generators = [seeding.np_random(seed_int(s, "seed"))[0] for s in seeds]
        starts = np.stack([self._start(generator) for generator in self._generators])
        self.state = starts.astype(np.float64)
        self._steps[:] = 0
        return self._observation(starts), {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self.state is None:
            raise RuntimeError("Call reset before step: the sub-environments have no state yet")
        actions = np.asarray(actions)
        n = self.single_action_space.n
        if (
            actions.shape != (self.num_envs,)
            or not np.issubdtype(actions.dtype, np.integer)
            or not self.action_space.contains(actions.astype(np.int64))
        ):
            raise ValueError(
                f"Expected `actions` to be {self.num_envs} actions in {{0, ..., {n - 1}}}, "
                f"got {actions!r}"
            )
        self.state, reward, terminated = self._dynamics(self.state, actions)
        self._steps += 1
        truncated = self._steps >= self.max_episode_steps
        observation, info = self._observation(self.state), {}
        done = terminated | truncated
        if done.any():
            final = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):
                final[i] = observation[i].copy()
                start = self._start(self._generators[i])
                self.state[i] = start
                observation[i] = self._observation(start[None])[0]
            self._steps[done] = 0
            info = {"final_obs": final, "_final_obs": done.copy()}
        return observation, reward.astype(np.float32), terminated, truncated, info

    def _start(self, generator: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _dynamics(
        self, state: np.ndarray, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _observation(self, state: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._name}, num_envs={self.num_envs})"


class AcrobotVectorEnv(_SeededVectorEnv):
    """``num_envs`` Acrobot-v1 episodes stepped together, with a time limit and same-step autoreset.

    ``step(action)`` takes one action per sub-environment (0, 1 or 2: torque −1, 0, +1) and
    returns the batched observation ``(num_envs, 6)`` float32, reward (−1 per step, 0 on the
    step that reaches the line), ``terminated`` and ``truncated`` (after ``max_episode_steps``
    steps, gymnasium's ``TimeLimit``). A sub-environment whose episode ended starts a new one at
    once, as a ``SyncVectorEnv`` in ``AutoresetMode.SAME_STEP`` does: the observation returned
    is the new episode's first, and the episode's last is ``info["final_obs"][i]`` (where
    ``info["_final_obs"][i]`` is true).

    ``reset(seed=...)`` takes one seed per sub-environment (a list), or an int ``s`` for the
    seeds ``s, s + 1, ...`` (gymnasium's convention), or ``None`` to continue every
    sub-environment's generator.
    """

    _name = "Acrobot-v1"

    def __init__(self, num_envs: int = 1, max_episode_steps: int = 500):
        super().__init__(AcrobotEnv(), num_envs, max_episode_steps)
        self._torques = np.array(AcrobotEnv.AVAIL_TORQUE, dtype=np.float64)

    def _start(self, generator: np.random.Generator) -> np.ndarray:
        """AcrobotEnv.reset's start state, float32 as there: its first observation takes the cos
        and sin of float32 angles; its first step works in float64, as ``self.state`` does."""
        return generator.uniform(low=-0.1, high=0.1, size=(4,)).astype(np.float32)

    def _dynamics(
        self, state: np.ndarray, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """AcrobotEnv.step: theta1, theta2, dtheta1, dtheta2 per row, float64."""
        state = _rk4(state, self._torques[actions])
        state[:, 0] = _wrap(state[:, 0])
        state[:, 1] = _wrap(state[:, 1])
        state[:, 2] = np.minimum(
            np.maximum(state[:, 2], -AcrobotEnv.MAX_VEL_1), AcrobotEnv.MAX_VEL_1
        )
        state[:, 3] = np.minimum(
            np.maximum(state[:, 3], -AcrobotEnv.MAX_VEL_2), AcrobotEnv.MAX_VEL_2
        )
        terminated = -np.cos(state[:, 0]) - np.cos(state[:, 1] + state[:, 0]) > 1.0
        return state, np.where(terminated, 0.0, -1.0), terminated

    def _observation(self, state: np.ndarray) -> np.ndarray:
        """AcrobotEnv._get_ob for every row: cos and sin of both angles, both velocities, computed
        in the state's own precision (float32 right after a reset, float64 after a step)."""
        columns = [
            np.cos(state[:, 0]),
            np.sin(state[:, 0]),
            np.cos(state[:, 1]),
            np.sin(state[:, 1]),
        ]
        return np.stack([*columns, state[:, 2], state[:, 3]], axis=1).astype(np.float32)


class MountainCarVectorEnv(_SeededVectorEnv):
    """``num_envs`` MountainCar-v0 episodes stepped together (position and velocity per row), with
    a time limit (200 steps, as MountainCar-v0's) and same-step autoreset, as AcrobotVectorEnv.

    gymnasium's ``MountainCarEnv.step`` on arrays, in its order of operations; its ``math.cos``
    stays Python's, element by element, so no vectorised cosine can round differently.
    """

    _name = "MountainCar-v0"

    def __init__(self, num_envs: int = 1, max_episode_steps: int = 200):
        super().__init__(MountainCarEnv(), num_envs, max_episode_steps)

    def _start(self, generator: np.random.Generator) -> np.ndarray:
        """MountainCarEnv.reset: a position drawn in [-0.6, -0.4), at rest; float64 as there."""
        return np.array([generator.uniform(low=-0.6, high=-0.4), 0])

    def _dynamics(
        self, state: np.ndarray, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        env = self._single
        position, velocity = state[:, 0], state[:, 1]
        cosine = np.fromiter(map(math.cos, 3 * position), dtype=np.float64, count=len(position))
        velocity = velocity + ((actions - 1) * env.force + cosine * (-env.gravity))
        velocity = np.clip(velocity, -env.max_speed, env.max_speed)
        position = np.clip(position + velocity, env.min_position, env.max_position)
        velocity = np.where((position == env.min_position) & (velocity < 0), 0.0, velocity)
        terminated = (position >= env.goal_position) & (velocity >= env.goal_velocity)
        return np.stack([position, velocity], axis=1), np.full(len(position), -1.0), terminated

    def _observation(self, state: np.ndarray) -> np.ndarray:
        return state.astype(np.float32)


def _wrap(x: np.ndarray) -> np.ndarray:
    """acrobot.wrap(x, -pi, pi): whole turns subtracted or added one at a time, as there."""
    diff = _PI - (-_PI)
    x = x.copy()
    while (above := x > _PI).any():
        x[above] = x[above] - diff
    while (below := x < -_PI).any():
        x[below] = x[below] + diff
    return x


def _square(x: np.ndarray) -> np.ndarray:
    """x**2 as a NumPy float64 scalar computes it, with C's pow: an array's ``x**2`` is ``x * x``,
    which differs from pow(x, 2) in the last bit for about 1 in 1,000 values."""
    return np.float_power(x, 2)


def _dsdt(s: np.ndarray, a: np.ndarray) -> np.ndarray:
    """AcrobotEnv._dsdt ("book" dynamics) for every row of s (theta1, theta2, dtheta1, dtheta2)."""
    m1, m2 = AcrobotEnv.LINK_MASS_1, AcrobotEnv.LINK_MASS_2
    l1, lc1, lc2 = AcrobotEnv.LINK_LENGTH_1, AcrobotEnv.LINK_COM_POS_1, AcrobotEnv.LINK_COM_POS_2
    I1 = I2 = AcrobotEnv.LINK_MOI  # noqa: N806 (the source's names)
    g = 9.8
    theta1, theta2, dtheta1, dtheta2 = s[:, 0], s[:, 1], s[:, 2], s[:, 3]
    d1 = m1 * lc1**2 + m2 * (l1**2 + lc2**2 + 2 * l1 * lc2 * np.cos(theta2)) + I1 + I2
    d2 = m2 * (lc2**2 + l1 * lc2 * np.cos(theta2)) + I2
    phi2 = m2 * lc2 * g * np.cos(theta1 + theta2 - _PI / 2.0)
    phi1 = (
        -m2 * l1 * lc2 * _square(dtheta2) * np.sin(theta2)
        - 2 * m2 * l1 * lc2 * dtheta2 * dtheta1 * np.sin(theta2)
        + (m1 * lc1 + m2 * l1) * g * np.cos(theta1 - _PI / 2)
        + phi2
    )
    ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * _square(dtheta1) * np.sin(theta2) - phi2) / (
        m2 * lc2**2 + I2 - _square(d2) / d1
    )
    ddtheta1 = -(d2 * ddtheta2 + phi1) / d1
    return np.stack([dtheta1, dtheta2, ddtheta1, ddtheta2], axis=1)


def _rk4(y0: np.ndarray, torque: np.ndarray) -> np.ndarray:
    """acrobot.rk4 over one step of dt = 0.2 for every row; the torque is held constant."""
    dt = 0.2 - 0
    dt2 = dt / 2.0
    k1 = _dsdt(y0, torque)
    k2 = _dsdt(y0 + dt2 * k1, torque)
    k3 = _dsdt(y0 + dt2 * k2, torque)
    k4 = _dsdt(y0 + dt * k3, torque)
    return y0 + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
