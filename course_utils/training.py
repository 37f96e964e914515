"""The course's greedy checks during training: held-out seeds, keep the best, stop on a pass.

A Q-learning agent's greedy policy gets better and worse again while it trains, so the
notebooks test it now and then on a few episodes of their own and keep the best network.
:class:`GreedyChecks` is that protocol, written once for notebooks 03 and 04 and for the
benchmark's reference agent: when to check is the training loop's decision, what a check
does is this class's.
"""

from __future__ import annotations

import copy
import math
import numbers
import time

import gymnasium as gym
import torch
from torch import nn

from course_utils._validation import positive_int, seed_int
from course_utils.evaluation import _max_steps, play_episodes, vector_env
from course_utils.i18n import label

__all__ = ["GreedyChecks", "CHECK_SEED_OFFSET"]

# Check k of training seed SEED resets its episode i with
# CHECK_SEED_OFFSET + 1_000 * SEED + k * episodes + i: seeds that no training episode and no
# final evaluation (10_000 + SEED + i) use.
CHECK_SEED_OFFSET = 100_000


class GreedyChecks:
    """Greedy checks of a Q-network during training, on episodes no one else plays.

    Each call of :meth:`check` plays ``episodes`` episodes of the greedy policy
    ``argmax_a q(s, a)``, all at once (:func:`~course_utils.evaluation.play_episodes`), on new
    seeds every time. A check whose mean return is the best so far keeps a copy of the
    weights (ties go to the later check); :meth:`load_best` puts them back at the end. The
    check answers whether its mean reached ``stop_at``, where training may stop. It counts the
    environment steps and the seconds the checks take, apart from the training's.

    Example:
        >>> from torch import nn
        >>> greedy_checks = GreedyChecks("CartPole-v1", episodes=5, seed=0, stop_at=500.0)
        >>> greedy_checks.check(nn.Linear(4, 2)), greedy_checks.done, greedy_checks.check_seed(1)
        (False, 1, 100005)
    """

    def __init__(self, env: str | gym.Env, *, episodes: int, seed: int, stop_at: float) -> None:
        self.episodes = positive_int(episodes, "episodes")
        self.first_seed = CHECK_SEED_OFFSET + 1_000 * seed_int(seed, "seed")
        self.stop_at = _threshold(stop_at)
        self.envs = vector_env(env, episodes)  # one sub-environment per episode, kept
        self.max_steps = _max_steps(env, None)
        self.means: list[float] = []  # the mean return of every check so far
        self.steps = 0  # the environment steps of all the checks
        self.seconds = 0.0  # and their wall-clock time
        self.best, self.best_weights = -math.inf, None

    @property
    def done(self) -> int:
        """How many checks ran."""
        return len(self.means)

    def check_seed(self, k: int) -> int:
        """The reset seed of episode 0 of check ``k`` (counted from 0); episode i adds i."""
        return self.first_seed + k * self.episodes

    def check(self, q_network: nn.Module) -> bool:
        """One greedy check of ``q_network``: keep its weights if best; True if it passes."""
        start, device = time.perf_counter(), next(q_network.parameters()).device

        def greedy(state_b: torch.Tensor) -> torch.Tensor:
            return q_network(state_b).argmax(dim=-1, keepdim=True)

        seed = self.check_seed(self.done)
        returns, lengths = play_episodes(self.envs, greedy, seed, self.max_steps, device)
        mean = float(returns.mean())
        self.means.append(mean)
        self.steps += int(lengths.sum())
        if mean >= self.best:
            self.best, self.best_weights = mean, copy.deepcopy(q_network.state_dict())
        self.seconds += time.perf_counter() - start
        return mean >= self.stop_at

    def load_best(self, q_network: nn.Module) -> None:
        """Load the best check's weights into ``q_network`` (unchanged if no check ran)."""
        if self.best_weights is not None:
            q_network.load_state_dict(self.best_weights)

    def summary(self) -> str:
        """One line, e.g. ``best greedy check -99.9 after 26 checks (120,394 steps of checks)``."""
        if self.done == 1:
            template = label(
                "best greedy check {best:.1f} after {done} check ({steps:,} steps of checks)"
            )
        else:
            template = label(
                "best greedy check {best:.1f} after {done} checks ({steps:,} steps of checks)"
            )
        return template.format(best=self.best, done=self.done, steps=self.steps)


def _threshold(value: object) -> float:
    """``float(value)`` for a real number that is not nan (±inf: never or always stop)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ValueError(
            f"Expected `stop_at`, the mean return at which a check passes, to be a number, "
            f"got {value!r}"
        )
    return float(value)
