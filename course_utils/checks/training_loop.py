"""Check of exercise 4.3 ``dqn_episode`` (notebook 04): the body of Deep Q-learning's loop.

The student's function plays one episode and learns as it goes. The check runs it, episode
after episode, for a few hundred steps on a tiny deterministic environment, and spies on
what crosses the boundaries, never on how the student's code calls things:

- the environment (:class:`~course_utils.checks._spies._SpyEnv`, TorchEnv's interface: ``(1, D)`` float32 states, a
  ``(1, 1)`` float32 reward, ``(1, 1)`` bool flags, ``action_space.n``) records every action
  and whether it was greedy; its episodes end alternately by termination and by truncation;
- the replay memory (:class:`_SpyMemory`) records what is inserted and when it is sampled;
- the optimizer (:class:`_SpyOptimizer`, plain SGD) records when it steps;
- the target network is shifted away from the online one after every synchronisation, so
  the next synchronisation shows as "target equals the online weights" at the next look.

From these records it checks the protocol: one stored transition per step, chained
(``state`` is the previous ``next_state``) and with ``terminated``, not ``done``; actions
``(1, 1)`` int64 and ε-greedy in the given network with ε from the schedule at the global
step; the episode ends on terminated or truncated; learning only after the warm-up and
exactly every ``train_every`` environment steps, each from a sampled batch; synchronisation
exactly every ``sync_every`` environment steps; ``max_steps`` respected; the statistics
Python floats. Phases are free (learning after step 30, 33, ... or after 31, 34, ...).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import Tensor

from course_utils.checks._guard import _with_references
from course_utils.checks._i18n import _
from course_utils.checks._inputs import GAMMA, N_ACTIONS, _network, _seeded_rngs
from course_utils.checks._schedule import _expect_learning, _expect_syncs
from course_utils.checks._spies import (
    BATCH_SIZE,
    EXPLORE_UNTIL,
    MAX_GRAD_NORM,
    MAX_STEPS,
    SYNC_EVERY,
    TRAIN_EVERY,
    WARMUP_STEPS,
    _epsilon_at,
    _Run,
    _SpyEnv,
    _SpyMemory,
    _SpyOptimizer,
)
from course_utils.checks.harness import Check, check, show

__all__ = ["check_dqn_episode"]


def _references(calls: list[tuple[Any, Any]]) -> dict[str, Any]:
    """The earlier exercises the loop calls, as references; ``dqn_update`` also records the
    gamma and max_grad_norm it is given into ``calls``."""
    from course_utils import reference  # noqa: PLC0415 (imported when the check runs)

    def dqn_update(
        q_network: Any,
        target_q_network: Any,
        optimizer: Any,
        batch: Any,
        gamma: Any,
        max_grad_norm: Any,
    ) -> float:
        calls.append((gamma, max_grad_norm))
        return reference.dqn_update(
            q_network, target_q_network, optimizer, batch, gamma, max_grad_norm
        )

    return {
        "dqn_update": dqn_update,
        "epsilon_greedy_policy": reference.epsilon_greedy_policy,
        "update_target_network": reference.update_target_network,
        "make_target_network": reference.make_target_network,
        "dqn_targets": reference.dqn_targets,
        "q_loss": reference.q_loss,
    }


def _expect_update_arguments(chk: Check, calls: list[tuple[Any, Any]]) -> None:
    """Every dqn_update call got the loop's own gamma and max_grad_norm."""
    wrong = [(g, m) for g, m in calls if g != GAMMA or m != MAX_GRAD_NORM]
    if not wrong:
        chk.holds(_("passes its own gamma and max_grad_norm to dqn_update"))
        return
    gamma, max_grad_norm = wrong[0]
    raise chk.fail(
        _("passes its own gamma and max_grad_norm to dqn_update"),
        expected=f"gamma = {GAMMA}, max_grad_norm = {MAX_GRAD_NORM}",
        got=f"gamma = {gamma!r}, max_grad_norm = {max_grad_norm!r}",
        cause=_(
            "`dqn_update` was called with other values than the ones the function received: "
            "constants, or the notebook's `GAMMA` / `MAX_GRAD_NORM` instead of the arguments "
            "`gamma` / `max_grad_norm`. Trained with other hyperparameters, the loop would "
            "silently keep the notebook's."
        ),
        hint=_(
            "pass on what the function receives: its own parameters, not the notebook's constants."
        ),
    )


@check("dqn_episode")
def check_dqn_episode(chk: Check) -> None:
    """Check ``dqn_episode(env, q_network, target_q_network, memory, optimizer, *, step,
    epsilon_at, batch_size, gamma, warmup_steps, train_every, sync_every, max_grad_norm,
    max_steps) -> (episode_return, losses, step, done)`` by running it episode after episode
    for a few hundred steps and checking what the environment, memory and optimizer saw.
    """
    # One bug, one exercise: the 4.2 (and 3.x) functions the loop calls are the references.
    update_calls: list[tuple[Any, Any]] = []
    chk.function = _with_references(chk.function, _references(update_calls))
    q_network = _network(seed=80)
    target_q_network = copy.deepcopy(q_network).requires_grad_(False).eval()
    run = _Run(chk, q_network, target_q_network)
    env, memory = _SpyEnv(run), _SpyMemory(run)
    optimizer = _SpyOptimizer(q_network.parameters(), run)
    results = []
    step = 0
    with _seeded_rngs(81):
        while step < MAX_STEPS:
            resets, updates = env.resets, len(run.updates)
            got = chk.call(
                env,
                q_network,
                target_q_network,
                memory,
                optimizer,
                step=step,
                epsilon_at=_epsilon_at,
                batch_size=BATCH_SIZE,
                gamma=GAMMA,
                warmup_steps=WARMUP_STEPS,
                train_every=TRAIN_EVERY,
                sync_every=SYNC_EVERY,
                max_grad_norm=MAX_GRAD_NORM,
                max_steps=MAX_STEPS,
            )
            run.look()
            step = _expect_returns(chk, got, run, env, step, resets, updates)
            results.append(got)
    _expect_transitions(chk, run)
    _expect_actions(chk, run)
    _expect_learning(chk, run)
    _expect_update_arguments(chk, update_calls)
    _expect_syncs(chk, run)


def _expect_returns(
    chk: Check, got: Any, run: _Run, env: _SpyEnv, step: int, resets: int, updates: int
) -> int:
    """The tuple (episode_return, losses, step, done) of one call; returns the new step."""
    if not (isinstance(got, tuple) and len(got) == 4):
        raise chk.fail(
            _("returns (episode_return, losses, step, done)"),
            expected=_("a tuple of 4"),
            got=show(got),
            cause=_(
                "the given `return episode_return, losses, step, done` line was changed or removed."
            ),
            hint=_("keep the given last line of the function."),
        )
    episode_return, losses, new_step, done = got
    if env.resets != resets + 1:
        raise chk.fail(
            _("one episode per call"),
            expected=_("env.reset() once per call (the given first line)"),
            got=_("`env.reset()` called {n} times").format(n=env.resets - resets),
            cause=_(
                "the body resets the environment itself; the function plays exactly one episode."
            ),
            hint=_("do not call env.reset() in the loop: when the episode ends, set `done`."),
        )
    if not isinstance(new_step, int) or isinstance(new_step, bool) or new_step != run.steps:
        cause = (
            _("the global step count did not grow: `step` was not increased after env.step.")
            if new_step == step
            else _(
                "the step returned is not the number of environment steps taken so far: "
                "`step` counts every environment step of the whole run, one per env.step."
            )
        )
        raise chk.fail(
            _("returns the new global step count"),
            expected=_("step = {steps} (environment steps so far)").format(steps=run.steps),
            got=show(new_step),
            cause=cause,
            hint=_("count each env.step once; the function receives and returns the global count."),
        )
    if isinstance(episode_return, Tensor) or not isinstance(episode_return, float):
        raise chk.fail(
            _("the episode's return is a Python float"),
            expected=_("a float"),
            got=show(episode_return),
            cause=_("the rewards were added as tensors: the statistics would hold tensors."),
            hint=_("add each reward as a Python number, not as a tensor."),
        )
    this_episode = run.transitions[step:]
    expected_return = float(sum(t["reward"].item() for t in this_episode))
    if abs(episode_return - expected_return) > 1e-6:
        raise chk.fail(
            _("the episode's return is the sum of its rewards"),
            expected=f"{expected_return:.2f}",
            got=f"{episode_return:.2f}",
            cause=_(
                "the return does not add up the rewards env.step returned in this episode "
                "(steps counted instead, or a reward missed)."
            ),
            hint=_("add the reward of every env.step of this episode, once."),
        )
    if not isinstance(losses, list) or any(
        isinstance(x, Tensor) or not isinstance(x, float) for x in losses
    ):
        bad = (
            next((x for x in losses if not isinstance(x, float)), losses)
            if isinstance(losses, list)
            else losses
        )
        raise chk.fail(
            _("the losses are a list of Python floats"),
            expected=_("a list of floats, one per update"),
            got=show(bad),
            cause=_(
                "loss tensors were stored: each keeps its whole autograd graph alive, and memory "
                "grows with every step (the slides' erratum)."
            )
            if isinstance(bad, Tensor)
            else _("the losses are not a list of Python floats."),
            hint=_("append what `dqn_update` returns: it is already a Python float."),
        )
    if len(losses) != len(run.updates) - updates:
        at = run.updates[updates:]
        cause = (
            _(
                "the optimizer stepped more than once at one environment step: `dqn_update` "
                "was called twice there (a second call whose loss was not kept?). One update "
                "per learning step."
            )
            if len(at) != len(set(at))
            else _("not every update's loss was appended, or some were appended twice.")
        )
        raise chk.fail(
            _("one loss per update"),
            expected=_("{value} losses (optimizer steps in this episode)").format(
                value=len(run.updates) - updates
            ),
            got=_("{n_losses} losses").format(n_losses=len(losses)),
            cause=cause,
            hint=_("append each update's loss once, right where the update happens."),
        )
    ended = bool(run.episode_ends) and run.episode_ends[-1] == run.steps and run.steps > step
    if bool(done) != ended:
        raise chk.fail(
            _("`done` says whether the episode ended"),
            expected=f"done = {ended}",
            got=f"done = {bool(done)}",
            cause=_(
                "`done` must be True when env.step returned terminated or truncated, and stay "
                "False when the loop stopped at max_steps."
            ),
            hint=_("an episode ends when either flag is set; both come from env.step as tensors."),
        )
    chk.holds(_("returns (episode_return, losses, step, done)"))
    chk.holds(_("one episode per call"))
    chk.holds(_("returns the new global step count"))
    chk.holds(_("the episode's return is a Python float"))
    chk.holds(_("the episode's return is the sum of its rewards"))
    chk.holds(_("the losses are a list of Python floats"))
    chk.holds(_("one loss per update"))
    chk.holds(_("`done` says whether the episode ended"))
    return new_step


def _expect_transitions(chk: Check, run: _Run) -> None:
    """One insert per step, of exactly what the step saw, with `terminated`."""
    if len(run.inserts) != run.steps or any(
        at != n + 1 for n, (at, _stored) in enumerate(run.inserts)
    ):
        raise chk.fail(
            _("one transition stored per environment step"),
            expected=_("{steps} inserts, each right after its env.step").format(steps=run.steps),
            got=_("{n_inserts} inserts").format(n_inserts=len(run.inserts)),
            cause=_("memory.insert is not called exactly once after every env.step."),
            hint=_(
                "store each step's transition once, right after env.step, in the order of the docstring."
            ),
        )
    names = ["state", "action", "reward", "terminated", "next_state"]
    for n, ((_at, stored), seen) in enumerate(zip(run.inserts, run.transitions, strict=True)):
        for name, field in zip(names, stored, strict=True):
            if torch.equal(field, seen[name]):
                continue
            if name == "terminated" and seen["truncated"].item():
                raise chk.fail(
                    _("transitions are stored with `terminated`, not done"),
                    expected=_("terminated=False for a step the time limit truncated"),
                    got=_("terminated=True was stored"),
                    cause=_(
                        "`done = terminated or truncated` was stored. A truncated episode did not "
                        "end the task: its last state still has a future, and the target must "
                        "bootstrap from it."
                    ),
                    hint=_("store `terminated` itself; use `done` only to stop the loop."),
                )
            if (
                name == "terminated"
                and seen["truncated"].item() != seen["terminated"].item()
                and torch.equal(field, seen["truncated"])
            ):
                cause = _(
                    "`truncated` was stored where `terminated` belongs: the target would then "
                    "bootstrap from real terminal states and stop at time-limit cuts, the "
                    "opposite of what it must do."
                )
            elif name == "state" and n > 0 and torch.equal(field, run.transitions[n - 1]["state"]):
                cause = _("the state was not advanced: `state = next_state` is missing.")
            elif name == "state":
                cause = _("the stored state is not the one the action was taken in.")
            else:
                cause = _("the stored {name} is not the one env.step used or returned.").format(
                    name=name
                )
            raise chk.fail(
                _("transitions are chained: state, then its next_state"),
                expected=_("{name} of step {value}: {value2}").format(
                    name=name, value=n + 1, value2=show(seen[name])
                ),
                got=show(field),
                cause=cause,
                hint=_("after storing, `state = next_state`; store the tensors env.step returned."),
            )
    chk.holds(_("one transition stored per environment step"))
    chk.holds(_("transitions are stored with `terminated`, not done"))
    chk.holds(_("transitions are chained: state, then its next_state"))


def _expect_actions(chk: Check, run: _Run) -> None:
    """ε = 1 before EXPLORE_UNTIL: uniform over every action; ε = 0 after: greedy."""
    explore = range(0, EXPLORE_UNTIL - 2)
    exploit = range(EXPLORE_UNTIL + 2, run.steps)
    counts = np.bincount([run.actions[n] for n in explore], minlength=N_ACTIONS)
    random_steps = sum(not run.greedy[n] for n in explore)
    if random_steps == 0:
        raise chk.fail(
            _("acts with the ε-greedy behaviour policy b"),
            expected=_("random actions while epsilon_at(step) = 1 (steps 1-{n_explore})").format(
                n_explore=len(explore)
            ),
            got=_("only greedy actions"),
            cause=_("ε was ignored: the actions come from the greedy policy π, not from b."),
            hint=_(
                "act with the ε-greedy policy (exercise 3.4), with ε from the schedule `epsilon_at`."
            ),
        )
    if counts.min() < len(explore) // (3 * N_ACTIONS):
        raise chk.fail(
            _("random actions cover every action"),
            expected=_("each of the {n_actions} actions about {value} times at ε = 1").format(
                n_actions=N_ACTIONS, value=len(explore) // N_ACTIONS
            ),
            got=_("counts {value}").format(value=counts.tolist()),
            cause=_(
                "the random actions are drawn from too few actions: a number of actions other "
                "than this environment's (the notebook's global `num_actions`?)."
            ),
            hint=_("pass `env.action_space.n`."),
        )
    wrong = [n + 1 for n in exploit if not run.greedy[n]]
    if wrong:
        raise chk.fail(
            _("ε follows the schedule at the global step"),
            expected=_("greedy actions from step {value} on, where epsilon_at(step) = 0").format(
                value=EXPLORE_UNTIL + 3
            ),
            got=_("non-greedy actions at steps {value}{value2}").format(
                value=wrong[:5], value2=" ..." if len(wrong) > 5 else ""
            ),
            cause=_(
                "ε was not read from `epsilon_at(step)` with the global step (a constant, or the "
                "step within the episode?), or the action does not come from the q_network argument."
            ),
            hint=_("ε comes from the schedule at the global step count the function receives."),
        )
    chk.holds(_("acts with the ε-greedy behaviour policy b"))
    chk.holds(_("random actions cover every action"))
    chk.holds(_("ε follows the schedule at the global step"))
