"""Reproducibility and evaluation: seed every random number generator, score a policy.

An evaluation plays all its episodes at once, on one of gymnasium's vector environments (one
sub-environment per episode): one forward pass of the policy per time step for every episode,
instead of one per episode and step. The episodes are those of a one-at-a-time evaluation:
episode ``i`` starts from ``reset(seed=seed + i)`` and returns the same return.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from collections.abc import Callable, Sequence

import gymnasium as gym
import numpy as np
import torch
from gymnasium.envs.classic_control.cartpole import CartPoleVectorEnv
from gymnasium.utils import seeding

from course_utils._validation import positive_int, seed_int, torch_device
from course_utils.envs import TorchEnv, time_limit
from course_utils.progress import warn_if_interrupted
from course_utils.vector_envs import AcrobotVectorEnv, MountainCarVectorEnv

__all__ = ["seed_everything", "evaluate", "vector_env", "play_episodes"]

Policy = Callable[[torch.Tensor], torch.Tensor]
# gymnasium's own vector implementations whose episodes can be seeded one by one (_reset):
# CartPole's steps every episode in one NumPy operation. Acrobot and MountainCar run on the
# course's own vector environments (the same episodes, bit for bit), the others as a SyncVectorEnv.
NATIVE_VECTOR_ENVS = ("gymnasium.envs.classic_control.cartpole:CartPoleVectorEnv",)
COURSE_VECTOR_ENVS = {
    "gymnasium.envs.classic_control.acrobot:AcrobotEnv": AcrobotVectorEnv,
    "gymnasium.envs.classic_control.mountain_car:MountainCarEnv": MountainCarVectorEnv,
}


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
    env: str | gym.Env,
    policy: Policy,
    episodes: int = 100,
    seed: int = 0,
    max_steps: int | None = None,
    *,
    device: str | torch.device | None = None,
) -> np.ndarray:
    """Runs ``policy`` for ``episodes`` episodes, all at once, and returns their returns.

    Episode ``i`` starts from ``reset(seed=seed + i)``, so two policies evaluated with the same
    ``seed`` face the same starting states. At every time step ``policy`` gets the states of
    all the episodes, a ``(episodes, D)`` float32 batch, and returns one action per row,
    ``(episodes, 1)`` int64: pass the greedy policy, not the exploring one. It runs under
    ``torch.no_grad()``. The episodes run on their own vector environment (:func:`vector_env`),
    made from ``env``'s specification: ``env`` itself is not stepped or reseeded.

    An episode ends when it terminates, is truncated, or after ``max_steps`` steps, by
    default the environment's time limit (``gym.make`` sets it from the spec; an
    environment without one needs ``max_steps``).

    If the last training run shown by :func:`~course_utils.progress.training_progress` was
    interrupted, a warning says that the network being evaluated is only partly trained.

    Args:
        env: the environment, as an id (``"CartPole-v1"``), a gymnasium environment or a
            :class:`~course_utils.TorchEnv`.
        device: where the states go; by default a TorchEnv's device, else the CPU.

    Returns:
        a float array of shape ``(episodes,)``, the undiscounted return of each episode.

    Example:
        >>> import torch
        >>> always_right = lambda state_b: torch.ones(len(state_b), 1, dtype=torch.int64)
        >>> returns = evaluate("CartPole-v1", always_right, episodes=3)
        >>> returns.shape, bool(returns.max() < 500)
        ((3,), True)
    """
    if not callable(policy):
        raise TypeError(f"Expected `policy` to be callable, state -> action, got {policy!r}")
    positive_int(episodes, "episodes")
    seed_int(seed, "seed")
    envs = vector_env(env, episodes)  # checks `env`
    try:
        if device is None:
            device = env.device if isinstance(env, TorchEnv) else "cpu"
        device = torch_device(device)
        max_steps = _max_steps(env, max_steps)
        warn_if_interrupted("evaluate")
        return play_episodes(envs, policy, seed, max_steps, device)[0]
    finally:
        envs.close()


def vector_env(env: str | gym.Env, num_envs: int) -> gym.vector.VectorEnv:
    """``num_envs`` copies of ``env`` as one of gymnasium's vector environments.

    ``env`` is an id or an environment made by ``gym.make`` (or a TorchEnv around one): the
    copies are made from its specification (its time limit and keyword arguments, without
    ``render_mode``), with gymnasium's native vector implementation where the course can seed
    its episodes one by one (CartPole's), the course's own for Acrobot and MountainCar
    (:mod:`course_utils.vector_envs`), else a ``SyncVectorEnv``. An environment without a
    specification is deep-copied into a ``SyncVectorEnv``.

    Example:
        >>> vector_env("CartPole-v1", 3), vector_env("Pendulum-v1", 2)
        (CartPoleVectorEnv(CartPole-v1, num_envs=3), SyncVectorEnv(Pendulum-v1, num_envs=2))
        >>> vector_env("Acrobot-v1", 4), vector_env("MountainCar-v0", 2)
        (AcrobotVectorEnv(Acrobot-v1, num_envs=4), MountainCarVectorEnv(MountainCar-v0, num_envs=2))
    """
    positive_int(num_envs, "num_envs")
    if isinstance(env, str):
        spec = gym.spec(env)
    elif isinstance(env, gym.Env):
        inner = env.env if isinstance(env, TorchEnv) else env  # TorchEnv is not for copies
        if inner.spec is None:
            return gym.vector.SyncVectorEnv([lambda: copy.deepcopy(inner)] * num_envs)
        spec = inner.spec
    else:
        raise TypeError(
            "Expected `env` to be an environment id such as 'CartPole-v1', a gymnasium.Env or "
            f"a course_utils.TorchEnv, got {type(env).__name__}"
        )
    kwargs = {key: value for key, value in spec.kwargs.items() if key != "render_mode"}
    spec = dataclasses.replace(spec, kwargs=kwargs)
    plain = not spec.additional_wrappers and not kwargs
    course = COURSE_VECTOR_ENVS.get(spec.entry_point)
    if course is not None and plain and spec.max_episode_steps is not None:
        return course(num_envs, max_episode_steps=spec.max_episode_steps)
    native = spec.vector_entry_point in NATIVE_VECTOR_ENVS and not spec.additional_wrappers
    mode = "vector_entry_point" if native else "sync"
    return gym.make_vec(spec, num_envs=num_envs, vectorization_mode=mode)


def play_episodes(
    envs: gym.vector.VectorEnv,
    policy: Policy,
    seed: int | Sequence[int],
    max_steps: int,
    device: torch.device,
) -> tuple[np.ndarray, np.ndarray]:
    """One episode in each sub-environment of ``envs``, all at once; their returns and lengths.

    Episode ``i`` starts from ``reset(seed=seed + i)``, or from ``reset(seed=seed[i])`` when
    ``seed`` is a sequence of one seed per sub-environment (several agents playing the same
    episodes side by side, say); each time step calls ``policy`` once,
    on the states of all the episodes (``(num_envs, D)`` on ``device``), under
    ``torch.no_grad()``. gymnasium's vector environments start a new episode in a
    sub-environment by themselves, at the step after its episode ended (autoreset): from its
    end on, an episode is masked, so each is counted once, up to ``max_steps`` steps.

    Returns:
        the return of each episode (float64) and its number of steps (int64), ``(num_envs,)``.
    """
    num_envs = envs.num_envs
    state = _reset(envs, seed)
    returns = np.zeros(num_envs)
    lengths = np.zeros(num_envs, dtype=np.int64)
    running = np.ones(num_envs, dtype=bool)
    with torch.no_grad():
        while running.any():
            action = _act(policy, torch.as_tensor(state, dtype=torch.float32, device=device), envs)
            state, reward, terminated, truncated, _ = envs.step(action)
            returns += np.where(running, reward, 0.0)  # a finished episode's sub-environment
            lengths += running  # has moved on to another episode: not counted
            running &= ~(terminated | truncated) & (lengths < max_steps)
    return returns, lengths


def _reset(envs: gym.vector.VectorEnv, seed: int | Sequence[int]) -> np.ndarray:
    """Starts episode ``i`` of ``envs`` as ``reset(seed=seed + i)`` (or ``seed[i]``) would; the states."""
    if isinstance(seed, int):
        seeds = [seed + i for i in range(envs.num_envs)]
    else:
        seeds = [seed_int(s, "seed") for s in seed]
        if len(seeds) != envs.num_envs:
            raise ValueError(
                f"Expected `seed` to hold one seed per sub-environment, {envs.num_envs}, got {len(seeds)}"
            )
        seed = seeds[0]
    native = envs.unwrapped
    if not isinstance(native, CartPoleVectorEnv):
        return envs.reset(seed=seeds)[0]
    # CartPoleVectorEnv draws all its start states from one generator. Episode i must start
    # where CartPoleEnv.reset(seed=seed + i) does: from its own generator, seeded with seed + i.
    envs.reset(seed=seed)
    starts = [seeding.np_random(s)[0].uniform(native.low, native.high, size=(4,)) for s in seeds]
    native.state = np.stack(starts, axis=1)  # (4, num_envs), float64 like CartPoleEnv's state
    return native.state.T.astype(np.float32)


def _act(policy: Policy, state_b: torch.Tensor, envs: gym.vector.VectorEnv) -> np.ndarray:
    """``policy(state_b)`` as one action per row, or an error that says what went wrong."""
    try:
        action_b = policy(state_b)
    except RuntimeError as error:  # torch's shape, dtype and device errors
        raise ValueError(
            f"Expected `policy` to take a state of `env`, a {tuple(state_b.shape)} "
            f"{state_b.dtype} tensor on {state_b.device}, but it failed: {error}. Does the "
            f"network have {state_b.shape[-1]} inputs, one per state variable, and live on "
            "the same device?"
        ) from error
    count = len(state_b)
    if not isinstance(action_b, torch.Tensor) or action_b.shape not in ((count, 1), (count,)):
        got = tuple(action_b.shape) if isinstance(action_b, torch.Tensor) else repr(action_b)
        raise ValueError(
            f"Expected `policy` to return one action per state, a ({count}, 1) int64 tensor "
            f"for the {tuple(state_b.shape)} batch of states it was given, got {got}: an "
            "evaluation plays all its episodes at once, so the policy gets one row per episode"
        )
    if action_b.is_floating_point() or action_b.is_complex() or action_b.dtype == torch.bool:
        raise TypeError(f"Expected `policy` to return int64 actions, got {action_b.dtype}")
    action = action_b.reshape(-1).cpu().numpy()
    space = envs.single_action_space
    if ((action < space.start) | (action >= space.start + space.n)).any():
        raise ValueError(f"Expected `policy` to return actions in {space}, got {action.tolist()}")
    return action


def _max_steps(env: str | gym.Env, max_steps: int | None) -> int:
    """``max_steps``, or by default the time limit of ``env``; an error if it has none."""
    if max_steps is None:
        max_steps = gym.spec(env).max_episode_steps if isinstance(env, str) else time_limit(env)
        if max_steps is None:
            raise ValueError(
                "Expected `max_steps`, the most steps of an evaluation episode, since `env` has "
                "no time limit: without one an episode of a policy that never reaches a "
                "terminal state never ends; pass max_steps=500, say"
            )
    return positive_int(max_steps, "max_steps")
