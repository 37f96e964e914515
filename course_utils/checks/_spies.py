"""The spies of the ``dqn_episode`` check (:mod:`course_utils.checks.training_loop`).

:class:`_Run` holds everything they saw, with the global environment-step count as the
clock; :class:`_SpyEnv` is a tiny deterministic environment with TorchEnv's interface,
:class:`_SpyMemory` a ReplayMemory that records inserts and samples, :class:`_SpyOptimizer`
plain SGD that records when it steps. The constants are the run's settings, shared with the
check that reads the records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn
from torch.func import functional_call

from course_utils.checks._i18n import _
from course_utils.checks._inputs import N_ACTIONS, STATE_DIM, _state
from course_utils.checks.harness import Check, show
from course_utils.replay import ReplayMemory

__all__ = [
    "BATCH_SIZE",
    "EPISODES",
    "EXPLORE_UNTIL",
    "MAX_GRAD_NORM",
    "MAX_STEPS",
    "SYNC_EVERY",
    "TRAIN_EVERY",
    "WARMUP_STEPS",
    "_Run",
    "_SpyEnv",
    "_SpyMemory",
    "_SpyOptimizer",
    "_epsilon_at",
]

# The check's run: small enough to take well under a second, long enough for statistics.
MAX_STEPS = 300
WARMUP_STEPS = 30
TRAIN_EVERY = 3
SYNC_EVERY = 25
BATCH_SIZE = 8
EXPLORE_UNTIL = 100  # ε = 1 before this global step, 0 from it on
MAX_GRAD_NORM = 10.0
# (length, how it ends): episodes end alternately by termination and by truncation.
EPISODES = [(7, "terminated"), (12, "truncated"), (5, "terminated"), (16, "truncated"), (9, "terminated"), (11, "truncated")]  # fmt: skip


def _epsilon_at(step: int) -> float:
    return 1.0 if step < EXPLORE_UNTIL else 0.0


def _holds(network: nn.Module, state: dict[str, Tensor]) -> bool:
    """Whether ``network``'s weights equal ``state`` (compared in place, nothing copied)."""
    return all(torch.equal(v, state[k]) for k, v in network.state_dict().items())


class _Run:
    """Everything the spies saw, with the global environment-step count as the clock."""

    def __init__(self, chk: Check, q_network: nn.Module, target_q_network: nn.Module) -> None:
        self.chk = chk
        self.q_network = q_network
        self.target_q_network = target_q_network
        self.steps = 0  # env.step calls so far
        self.inserts: list[tuple[int, Any]] = []  # (steps, transition)
        self.samples: list[tuple[int, Any]] = []  # (steps, batch_size)
        self.updates: list[int] = []  # steps at each optimizer.step()
        self.syncs: list[int] = []  # steps at each synchronisation seen
        self.transitions: list[dict[str, Tensor]] = []  # what env.step returned, per step
        self.greedy: list[bool] = []  # whether each action was greedy
        self.actions: list[int] = []
        self.episode_ends: list[int] = []  # steps at which an episode ended
        self.online = _state(q_network)  # the online weights as the optimizer left them
        self.online_since: list[dict[str, Tensor]] = [self.online]  # since the last look
        self._shift_target()

    def _shift_target(self) -> None:
        """Move θ_targ away from θ, so that the next synchronisation is visible."""
        with torch.no_grad():
            for p in self.target_q_network.parameters():
                p.add_(0.5)
        self.shifted = _state(self.target_q_network)

    def after_update(self) -> None:
        self.updates.append(self.steps)
        self.online = _state(self.q_network)
        self.online_since.append(self.online)

    def look(self) -> None:
        """Compare the networks with what the spies expect; record a synchronisation."""
        if not _holds(self.q_network, self.online):
            raise self.chk.fail(
                _("only the optimizer changes the online network"),
                expected=_("q_network's weights changed by optimizer.step() alone"),
                got=_("they changed between steps, around environment step {steps}").format(
                    steps=self.steps
                ),
                cause=_(
                    "the online network was overwritten: the arguments of "
                    "`update_target_network(target_q_network, q_network)` are swapped, or the "
                    "weights were copied the wrong way."
                ),
                hint=_(
                    "synchronise θ_targ ← θ: the target network receives, the online one gives."
                ),
            )
        self.chk.holds(_("only the optimizer changes the online network"))
        if not _holds(self.target_q_network, self.shifted):
            if not any(_holds(self.target_q_network, online) for online in self.online_since):
                raise self.chk.fail(
                    _("synchronisation copies the online weights"),
                    expected=_("target_q_network equal to q_network after a synchronisation"),
                    got=_("target_q_network changed, but not into a copy of q_network"),
                    cause=_(
                        "the target network was modified in some other way (trained, partly "
                        "copied, or averaged)."
                    ),
                    hint=_("only the synchronisation (exercise 3.3) touches the target network."),
                )
            self.chk.holds(_("synchronisation copies the online weights"))
            self.syncs.append(self.steps)
            self._shift_target()
        self.online_since = [self.online]


class _SpyEnv:
    """A deterministic environment with TorchEnv's interface that reports to a _Run."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.action_space = gym.spaces.Discrete(N_ACTIONS)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (STATE_DIM,), np.float32)
        self.episode = -1
        self.t = 0
        self.ended: str | None = "not started"
        self.state = torch.zeros(1, STATE_DIM)
        self.resets = 0

    def _observation(self) -> Tensor:
        generator = torch.Generator().manual_seed(1000 * self.episode + self.t)
        return torch.randn(1, STATE_DIM, generator=generator)

    def reset(self, seed: int | None = None, options: Any = None) -> tuple[Tensor, dict]:
        self.episode, self.t, self.ended = self.episode + 1, 0, None
        self.resets += 1
        self.state = self._observation()
        return self.state.clone(), {}

    def step(self, action: Any) -> tuple[Tensor, Tensor, Tensor, Tensor, dict]:
        run, chk = self.run, self.run.chk
        run.look()
        if self.ended == "not started":
            raise chk.fail(
                _("an episode starts with env.reset()"),
                expected=_("env.reset() before the first env.step()"),
                got=_("env.step() without a reset"),
                cause=_("the environment was stepped before it was reset."),
                hint=_("keep the given `state, _ = env.reset()` at the top of the function."),
            )
        if self.ended is not None:
            cause = (
                _(
                    "the loop went on after a truncation: a time-limit cut ends the episode too. "
                    "Only the *stored* flag is `terminated` alone; the loop stops on either."
                )
                if self.ended == "truncated"
                else _("the loop went on after the episode terminated: `done` was never set.")
            )
            raise chk.fail(
                _("the episode ends on terminated or truncated"),
                expected=_("return after the step that ends the episode"),
                got=_("env.step() called again after it returned {ended}=True").format(
                    ended=self.ended
                ),
                cause=cause,
                hint=_("set `done` when either flag is set: that ends the given `while` loop."),
            )
        if not (
            isinstance(action, Tensor)
            and tuple(action.shape) == (1, 1)
            and action.dtype == torch.int64
        ):
            raise chk.fail(
                _("actions are (1, 1) int64 tensors"),
                expected=_("an action shaped (1, 1), int64, as epsilon_greedy_policy returns it"),
                got=show(action),
                cause=_(
                    "the action was converted or reshaped before env.step (and it is stored in "
                    "the replay memory in that form too)."
                ),
                hint=_("pass the action exactly as `epsilon_greedy_policy(...)` returns it."),
            )
        if run.steps >= MAX_STEPS:
            raise chk.fail(
                _("max_steps is respected"),
                expected=_(
                    "at most max_steps = {max_steps} environment steps in the whole run"
                ).format(max_steps=MAX_STEPS),
                got=_("step {value}").format(value=run.steps + 1),
                cause=_(
                    "the global step count is not increased at every environment step, so the "
                    "given `step < max_steps` never stops the loop."
                ),
                hint=_("count every environment step in the global `step`."),
            )
        chk.holds(_("an episode starts with env.reset()"))
        chk.holds(_("the episode ends on terminated or truncated"))
        chk.holds(_("actions are (1, 1) int64 tensors"))
        chk.holds(_("max_steps is respected"))
        value = int(action.item())
        with torch.no_grad():  # greedy in the current weights, or in those the action saw
            greedy = value == int(run.q_network(self.state).argmax(dim=1).item()) or any(
                value == int(functional_call(run.q_network, weights, (self.state,)).argmax())
                for weights in run.online_since
            )
        run.greedy.append(greedy)
        run.actions.append(value)
        self.t += 1
        length, ending = EPISODES[self.episode % len(EPISODES)]
        terminated = self.t == length and ending == "terminated"
        truncated = self.t == length and ending == "truncated"
        next_state = self._observation()
        reward = torch.tensor([[0.5 + 0.25 * (self.t % 3)]])
        run.transitions.append(
            {
                "state": self.state.clone(),
                "action": action.detach().clone(),
                "reward": reward.clone(),
                "terminated": torch.tensor([[terminated]]),
                "truncated": torch.tensor([[truncated]]),
                "next_state": next_state.clone(),
            }
        )
        run.steps += 1
        if terminated or truncated:
            self.ended = "terminated" if terminated else "truncated"
            run.episode_ends.append(run.steps)
        self.state = next_state
        return (
            next_state.clone(),
            reward,
            torch.tensor([[terminated]]),
            torch.tensor([[truncated]]),
            {},
        )


class _SpyMemory:
    """A ReplayMemory that records its inserts and samples."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self.memory = ReplayMemory(capacity=10_000)

    def __len__(self) -> int:
        return len(self.memory)

    def can_sample(self, batch_size: int) -> bool:
        return self.memory.can_sample(batch_size)

    def insert(self, transition: Any) -> None:
        run = self.run
        fields = list(transition) if isinstance(transition, list | tuple) else None
        shapes = [(1, STATE_DIM), (1, 1), (1, 1), (1, 1), (1, STATE_DIM)]
        dtypes = [torch.float32, torch.int64, torch.float32, torch.bool, torch.float32]
        if (
            fields is None
            or len(fields) != 5
            or not all(
                isinstance(f, Tensor) and tuple(f.shape) == s and f.dtype == d
                for f, s, d in zip(fields, shapes, dtypes, strict=True)
            )
        ):
            raise run.chk.fail(
                _("transitions are stored as TorchEnv returns them"),
                expected=_(
                    "[state, action, reward, terminated, next_state]: (1, D) float32, (1, 1) "
                    "int64, (1, 1) float32, (1, 1) bool, (1, D) float32"
                ),
                got=show(transition),
                cause=_(
                    "a field is missing, converted (`.item()`, `.float()`) or in another order."
                ),
                hint=_(
                    "store the five tensors as env.step returned them, in the docstring's order."
                ),
            )
        run.chk.holds(_("transitions are stored as TorchEnv returns them"))
        run.inserts.append((run.steps, [f.detach().clone() for f in fields]))
        self.memory.insert(fields)

    def sample(self, batch_size: int) -> Any:
        self.run.samples.append((self.run.steps, batch_size))
        return self.memory.sample(batch_size)


class _SpyOptimizer(torch.optim.SGD):
    """Plain SGD that tells the _Run when it steps."""

    def __init__(self, params: Any, run: _Run) -> None:
        super().__init__(params, lr=0.01)
        self.run = run

    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        result = super().step(closure)
        self.run.after_update()
        return result
