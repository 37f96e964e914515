"""The benchmarked tasks: which notebook trains which environment, and what "solved" means.

Nothing here restates a threshold: "solved" is gymnasium's ``reward_threshold`` for the
environment, and the course's own learning target is read from the notebook's constants
(``TARGET_FLAG_FRACTION``, ``TARGET_MEAN_RETURN``), the one place it is written. So is the
notebook's protocol of greedy checks during training (``CHECK_EVERY``, ``CHECK_EPISODES``,
``GOOD_ENOUGH`` or ``CHECK_RETURN``), which the "SB3 + the course's protocol" row replays
with the notebooks' own :class:`course_utils.GreedyChecks` (the checks' seeds, keep-best, stop).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import gymnasium as gym
import numpy as np

from tools.cells import notebook_constants

REPO_ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS_DIR = REPO_ROOT / "notebooks" / "solutions"

# Greedy evaluation protocol shared by the course and the reference: for training seed SEED,
# episode i is reset with EVAL_SEED_OFFSET + SEED + i (the notebooks call
# `evaluate(..., episodes=100, seed=10_000 + SEED)`: seeds no training episode used).
EVAL_EPISODES = 100
EVAL_SEED_OFFSET = 10_000
# The seeds of the greedy checks during training are course_utils.GreedyChecks's, written there
# once for the notebooks and for the reference agent.


@dataclass(frozen=True)
class CheckProtocol:
    """A notebook's greedy checks during training: when, on how many episodes, when to stop.

    Either periodic (notebook 03: every `every` steps once `warmup` steps are done) or
    triggered by a good training episode (notebook 04: after each episode whose return is at
    least `after_return`). What a check does is :class:`course_utils.GreedyChecks`'s: it keeps
    the weights when its mean return is the best so far (ties go to the later check), and
    training stops once a check's mean reaches `stop_at`.
    """

    episodes: int
    stop_at: float
    every: int | None = None
    warmup: int = 0
    after_return: float | None = None

    def due_after_step(self, step: int) -> bool:
        """Whether a periodic check is due after environment step `step` (counted from 1)."""
        return self.every is not None and step % self.every == 0 and step >= self.warmup

    def due_after_episode(self, episode_return: float) -> bool:
        """Whether a triggered check is due after a training episode with this return."""
        return self.after_return is not None and episode_return >= self.after_return

    def tiny(self) -> CheckProtocol:
        """A version that fires within a tiny budget (for the test): 2 episodes, often."""
        if self.every is not None:
            return replace(self, episodes=2, every=128, warmup=0)
        return replace(self, episodes=2, after_return=0.0)

    def describe(self) -> str:
        """One sentence for the report."""
        if self.every is not None:
            when = f"every {self.every:,} steps from step {self.warmup:,}"
        else:
            when = f"after each training episode with return ≥ {self.after_return:g}"
        return (
            f"a greedy check of {self.episodes} episodes {when}; the best check's weights are "
            f"kept; training stops once a check averages ≥ {self.stop_at:g}"
        )


@dataclass(frozen=True)
class Task:
    """One environment, the course notebook that solves it, and its success criteria."""

    name: str
    env_id: str
    notebook: str
    solved_threshold: float
    # The course's own target, stricter in what it asks of each episode (None: same as solved).
    flag_fraction: float | None = None
    course_mean_threshold: float | None = None
    protocol: CheckProtocol | None = None

    @property
    def notebook_path(self) -> Path:
        """The solution notebook executed for this task."""
        return SOLUTIONS_DIR / self.notebook

    def solved(self, returns: Sequence[float]) -> bool:
        """Gymnasium's criterion: the mean greedy return reaches the reward threshold."""
        return bool(len(returns)) and float(np.mean(returns)) >= self.solved_threshold

    def course_target(self, returns: Sequence[float]) -> bool | None:
        """The course's target for this task, or None where it has none beyond `solved`."""
        if self.flag_fraction is None or self.course_mean_threshold is None:
            return None
        returns = np.asarray(returns, dtype=float)
        if returns.size == 0:
            return False
        # MountainCar gives -1 per step and truncates at 200: a return above -200 reached the flag.
        reached = float(np.mean(returns > -200.0))
        return reached >= self.flag_fraction and float(returns.mean()) >= self.course_mean_threshold


def check_protocol(constants: dict, env_id: str) -> CheckProtocol | None:
    """The greedy-check protocol a notebook's constants define (None: the notebook has none).

    ``CHECK_EVERY`` and ``GOOD_ENOUGH``: periodic checks from ``WARMUP_STEPS`` on, stop at
    ``GOOD_ENOUGH`` (notebook 03). ``CHECK_RETURN`` instead: a check after each training
    episode with at least that return, stop when the check is perfect, i.e. every episode
    lasts the time limit (notebook 04: ``check >= env.spec.max_episode_steps``).
    """
    if "CHECK_EPISODES" not in constants:
        return None
    episodes = int(constants["CHECK_EPISODES"])
    if "CHECK_EVERY" in constants:
        return CheckProtocol(
            episodes=episodes,
            stop_at=float(constants["GOOD_ENOUGH"]),
            every=int(constants["CHECK_EVERY"]),
            warmup=int(constants.get("WARMUP_STEPS", 0)),
        )
    return CheckProtocol(
        episodes=episodes,
        stop_at=float(gym.spec(env_id).max_episode_steps),
        after_return=float(constants["CHECK_RETURN"]),
    )


def _task(name: str, notebook: str) -> Task:
    constants = notebook_constants(SOLUTIONS_DIR / notebook)
    env_id = constants["ENV_ID"]
    return Task(
        name=name,
        env_id=env_id,
        notebook=notebook,
        solved_threshold=float(gym.spec(env_id).reward_threshold),
        flag_fraction=constants.get("TARGET_FLAG_FRACTION"),
        course_mean_threshold=constants.get("TARGET_MEAN_RETURN"),
        protocol=check_protocol(constants, env_id),
    )


TASKS: dict[str, Task] = {
    "cartpole": _task("cartpole", "04_deep_q_learning_cartpole.ipynb"),
    "mountaincar": _task("mountaincar", "03_deep_sarsa_mountaincar.ipynb"),
}
