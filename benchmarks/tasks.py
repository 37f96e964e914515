"""The benchmarked tasks: which notebook trains which environment, and what "solved" means.

Nothing here restates a threshold: "solved" is gymnasium's ``reward_threshold`` for the
environment, and the course's own learning target is read from the notebook's constants
(``TARGET_FLAG_FRACTION``, ``TARGET_MEAN_RETURN``), the one place it is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
    )


TASKS: dict[str, Task] = {
    "cartpole": _task("cartpole", "04_deep_q_learning_cartpole.ipynb"),
    "mountaincar": _task("mountaincar", "03_deep_sarsa_mountaincar.ipynb"),
}
