"""Checks of the TD targets: exercise 3.5 ``sarsa_targets`` (Deep SARSA), 4.1
``dqn_targets`` (DQN) and 5.1 ``double_dqn_targets`` (Double DQN).

The three share the classic mistakes of r + γ·(1 − terminated)·bootstrap (``_target_variants``)
and one runner for shape, dtype, gradient, inputs and values (``_run_target_check``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor, nn

from course_utils.checks._i18n import _
from course_utils.checks._inputs import (
    GAMMA,
    B,
    _close,
    _global_networks,
    _network,
    _rewards,
    _snapshot,
    _state,
    _states,
    _terminated,
)
from course_utils.checks.harness import Check, Variant, check, show

__all__ = ["check_sarsa_targets", "check_dqn_targets", "check_double_dqn_targets"]


def _target_variants(
    reward_b: Tensor, mask_b: Tensor, bootstrap_b: Tensor, gamma: float
) -> list[Variant]:
    """The classic mistakes in r + γ·(1 − terminated)·bootstrap, given the correct bootstrap."""
    terminated_b = 1.0 - mask_b
    return [
        Variant(
            reward_b + gamma * bootstrap_b,
            _(
                "terminal transitions still bootstrap: the (1 − terminated) mask is missing. After "
                "a terminal state there is no next state, so the target is just the reward."
            ),
            _(
                "a terminal transition must not bootstrap: multiply the bootstrap term by a mask "
                "that is 0 where terminated_b is True and 1 elsewhere."
            ),
        ),
        Variant(
            reward_b + gamma * terminated_b * bootstrap_b,
            _("the mask is inverted: only terminal transitions bootstrap, all others do not."),
            _(
                "the mask must be 1 for the transitions that go on and 0 for terminal ones: "
                "invert terminated_b."
            ),
        ),
        Variant(
            mask_b * (reward_b + gamma * bootstrap_b),
            _(
                "the mask also multiplies the reward: the reward of terminal transitions was zeroed."
            ),
            _(
                "only the bootstrap term is masked: r + γ·(1 − terminated)·q (mind the parentheses)."
            ),
        ),
        Variant(
            reward_b + mask_b * bootstrap_b,
            _("gamma ignored: the next state's value is not discounted."),
            _("multiply the bootstrap term by `gamma`."),
        ),
        Variant(
            gamma * (reward_b + mask_b * bootstrap_b),
            _("gamma applied to the reward too: the reward arrives now and is not discounted."),
            _("r + γ·(1 − terminated)·q: gamma multiplies only the bootstrap term."),
        ),
        Variant(
            gamma * mask_b * bootstrap_b,
            _("the reward is omitted: the target is r plus the discounted next value."),
            _("add `reward_b`."),
        ),
    ]


def _greedy_variants(
    reward_b: Tensor, mask_b: Tensor, next_q_b: Tensor, gamma: float
) -> list[Variant]:
    """Mistakes in reducing the next state's Q-values to one bootstrap value per row."""
    return [
        Variant(
            reward_b + gamma * mask_b * next_q_b.argmax(dim=1, keepdim=True).float(),
            _(
                "the indices of the max were used, not its values: `.max(dim=1)` returns "
                "(values, indices) and `argmax` gives the greedy action, not its Q-value."
            ),
            _(
                "the bootstrap needs the largest Q-value itself, not where it is: `max` with "
                "`dim` returns both."
            ),
        ),
        Variant(
            reward_b + gamma * mask_b * next_q_b.max(),
            _(
                "the max was taken over the whole batch: `q.max()` without `dim` returns the single "
                "largest Q-value of all rows and actions."
            ),
            _("reduce over the action dimension only: one maximum per row, kept as a column."),
        ),
        Variant(
            reward_b + gamma * mask_b * next_q_b.mean(dim=1, keepdim=True),
            _("the mean over actions was used instead of the max."),
            _("Q-learning bootstraps from the greedy action: the largest Q-value of each row."),
        ),
        Variant(
            reward_b + gamma * mask_b * next_q_b[:, :1],
            _("the Q-value of a fixed action (action 0) was used instead of the max.")
            if not torch.equal(next_q_b[:, :1], next_q_b.min(dim=1, keepdim=True).values)
            else _(
                "the smallest Q-value of each row (min instead of max), or always action 0's: "
                "on this batch the two are the same numbers."
            ),
            _("Q-learning bootstraps from the greedy action: the largest Q-value of each row."),
        ),
        Variant(
            reward_b + gamma * mask_b * next_q_b.min(dim=1, keepdim=True).values,
            _("the smallest Q-value of each row was used (min instead of max)."),
            _("Q-learning bootstraps from the greedy action: the largest Q-value of each row."),
        ),
        Variant(
            reward_b + gamma * mask_b * next_q_b.sum(dim=1, keepdim=True),
            _("the sum over actions was used instead of the max."),
            _("Q-learning bootstraps from the greedy action: the largest Q-value of each row."),
        ),
    ]


def _global_variants(
    function: Callable[..., Any],
    own: Iterable[nn.Module],
    formula: Callable[[nn.Module], Tensor],
    argument: str,
) -> list[Variant]:
    """What the result would be if the function read a notebook-global network instead."""
    variants = []
    own_ids = {id(net) for net in own}
    for name, net in sorted(_global_networks(function).items()):
        if id(net) in own_ids:
            continue
        try:
            with torch.no_grad():
                value = formula(net)
        except Exception:  # a global network of another shape cannot be it
            continue
        variants.append(
            Variant(
                value,
                _(
                    "a network other than the one passed was used: the values match the "
                    "notebook's global `{name}`, not the `{argument}` argument."
                ).format(name=name, argument=argument),
                _("use only the function's arguments: `{argument}(next_state_b)`.").format(
                    argument=argument
                ),
            )
        )
    return variants


def _td_batch(seed: int) -> dict[str, Tensor]:
    return {
        "reward_b": _rewards(),
        "terminated_b": _terminated(),
        "next_state_b": _states(seed),
    }


def _run_target_check(
    chk: Check,
    args: list[Any],
    names: list[str],
    networks: dict[str, nn.Module],
    expected: Tensor,
    variants: list[Variant],
    prop: str,
    formula: str,
) -> None:
    """Shape, dtype, no gradient, inputs unchanged, values (with diagnosis) for a TD target."""
    before = _snapshot(args[: len(names)])
    states = {name: (net, _state(net)) for name, net in networks.items()}
    got = chk.expect_tensor(chk.call(*args), formula)
    if got.is_inference():
        raise chk.fail(
            _("the target is an ordinary tensor, usable in the loss"),
            expected=_("a tensor made under `torch.no_grad()` (or detached)"),
            got=_("an inference tensor (made under `torch.inference_mode()`)"),
            cause=_(
                "the targets were computed under `torch.inference_mode()`: an inference tensor "
                "cannot be saved for backward, so the loss computed with it fails in the "
                "training step ('Inference tensors cannot be saved for backward'), far from here."
            ),
            hint=_(
                "compute the targets under `torch.no_grad()` instead; that carries no gradient too."
            ),
        )
    chk.holds(_("the target is an ordinary tensor, usable in the loss"))
    chk.expect_shape(got, (B, 1), _("one target per transition"))
    chk.expect_float32(got)
    *others, last = networks
    chk.expect_no_grad(
        got,
        _("{first} and {last}").format(first=", ".join(others), last=last) if others else last,
    )
    chk.expect_unchanged(names, before, args[: len(names)], states)
    chk.expect_values(
        prop,
        got=got,
        expected=expected,
        variants=variants,
        cause=_(
            "the numbers differ from {formula} in a way none of the usual mistakes explains "
            "(a network other than the one passed in? gamma or the reward changed?)."
        ).format(formula=formula),
        hint=_(
            "on this batch, print reward_b, the mask and the bootstrap term separately; the "
            "terminal rows (1 and 3) must equal their reward."
        ),
    )


def _expect_uses_target_network(
    chk: Check, leading: list[Any], formula: Callable[[nn.Module], Tensor], seed: int
) -> None:
    """Called with another network (seeded ``seed``) after the ``leading`` arguments, the
    result must follow ``formula`` on that network (a function that reads a notebook global
    instead of its argument does not)."""
    argument = "target_q_network"
    other = _network(seed=seed)
    with torch.no_grad():
        expected = formula(other)
    got = chk.call(*leading, other, GAMMA)
    if _close(got, expected):
        chk.holds(_("uses the `{argument}` it is given").format(argument=argument))
        return
    raise chk.fail(
        _("uses the `{argument}` it is given").format(argument=argument),
        expected=_("targets computed with the new `{argument}`: {value}").format(
            argument=argument, value=show(expected)
        ),
        got=show(got),
        cause=_(
            "called again with a different `{argument}`, the result did not follow it: the "
            "function reads some other network (a global?) or a cached result."
        ).format(argument=argument),
        hint=_("use only the function's arguments, `{argument}` included.").format(
            argument=argument
        ),
    )


@check("sarsa_targets")
def check_sarsa_targets(chk: Check) -> None:
    """Check ``sarsa_targets(reward_b, terminated_b, next_state_b, next_action_b,
    target_q_network, gamma) -> (B, 1)``: r + γ·(1 − terminated)·q_targ(s', a').

    The batch's next actions are never the greedy ones, so max shows.
    """
    target_q_network = _network(seed=30)
    batch = _td_batch(seed=31)
    with torch.no_grad():
        next_q_b = target_q_network(batch["next_state_b"])
    next_action_b = next_q_b.argmin(dim=1, keepdim=True)  # never the greedy action
    reward_b, terminated_b = batch["reward_b"], batch["terminated_b"]
    mask_b = 1.0 - terminated_b.float()
    taken_b = next_q_b.gather(1, next_action_b)
    expected = reward_b + GAMMA * mask_b * taken_b

    def formula(net: nn.Module) -> Tensor:
        return reward_b + GAMMA * mask_b * net(batch["next_state_b"]).gather(1, next_action_b)

    variants = [
        Variant(
            reward_b + GAMMA * mask_b * next_q_b.max(dim=1, keepdim=True).values,
            _(
                "max used where the sampled next action belongs: max_a q_targ(s', a) is Q-learning "
                "(DQN). Deep SARSA is on-policy: it bootstraps from the action A' that the ε-greedy "
                "policy actually chose, next_action_b."
            ),
            _(
                "bootstrap from q_targ(s', a') of the next action given in next_action_b, "
                "selected per row as in exercise 2.1."
            ),
        ),
        Variant(
            reward_b + GAMMA * mask_b * next_q_b.gather(0, next_action_b),
            _("gather along dim 0: the actions were used as row numbers."),
            _("actions index the columns: gather along dimension 1, the action dimension."),
        ),
        Variant(
            reward_b + GAMMA * mask_b * next_q_b.mean(dim=1, keepdim=True),
            _(
                "the mean over all actions was used (the expected value under a uniformly "
                "random policy), not the value of the next action the policy drew."
            ),
            _(
                "bootstrap from q_targ(s', a') of the next action given in next_action_b, "
                "selected per row as in exercise 2.1."
            ),
        ),
        *_target_variants(reward_b, mask_b, taken_b, GAMMA),
        *_global_variants(chk.function, [target_q_network], formula, "target_q_network"),
    ]
    args = [reward_b, terminated_b, batch["next_state_b"], next_action_b, target_q_network, GAMMA]
    names = ["reward_b", "terminated_b", "next_state_b", "next_action_b"]
    _run_target_check(
        chk,
        args,
        names,
        {"target_q_network": target_q_network},
        expected,
        variants,
        _("targets equal r + γ·(1 − terminated)·q_targ(s', a')"),
        "r + γ·(1 − terminated)·q_targ(s', a')",
    )
    _expect_uses_target_network(chk, args[:4], formula, seed=32)


@check("dqn_targets")
def check_dqn_targets(chk: Check) -> None:
    """Check ``dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma)
    -> (B, 1)``: r + γ·(1 − terminated)·max_a q_targ(s', a)."""
    target_q_network = _network(seed=40)
    batch = _td_batch(seed=41)
    reward_b, terminated_b = batch["reward_b"], batch["terminated_b"]
    mask_b = 1.0 - terminated_b.float()
    with torch.no_grad():
        next_q_b = target_q_network(batch["next_state_b"])
    max_b = next_q_b.max(dim=1, keepdim=True).values
    expected = reward_b + GAMMA * mask_b * max_b

    def formula(net: nn.Module) -> Tensor:
        return (
            reward_b + GAMMA * mask_b * net(batch["next_state_b"]).max(dim=1, keepdim=True).values
        )

    variants = [
        *_target_variants(reward_b, mask_b, max_b, GAMMA),
        *_greedy_variants(reward_b, mask_b, next_q_b, GAMMA),
        *_global_variants(chk.function, [target_q_network], formula, "target_q_network"),
    ]
    args = [reward_b, terminated_b, batch["next_state_b"], target_q_network, GAMMA]
    _run_target_check(
        chk,
        args,
        ["reward_b", "terminated_b", "next_state_b"],
        {"target_q_network": target_q_network},
        expected,
        variants,
        _("targets equal r + γ·(1 − terminated)·max_a q_targ(s', a)"),
        "r + γ·(1 − terminated)·max_a q_targ(s', a)",
    )
    _expect_uses_target_network(chk, args[:3], formula, seed=42)


def _disagreeing_states(online: nn.Module, target: nn.Module, seed: int) -> Tensor:
    """Next states where the online and target networks' greedy actions differ in every row;
    in rows 0 and 1 the online value of a* is the smaller one, in rows 2 and 3 the target's
    (rows 0 and 2 are not terminal, so that a minimum of the two, clipped double Q, shows)."""
    pool = _states(seed, n=256)
    with torch.no_grad():
        online_q, target_q = online(pool), target(pool)
        best = online_q.argmax(dim=1, keepdim=True)
        differ = (best[:, 0] != target_q.argmax(dim=1)).tolist()
        lower = (online_q.gather(1, best) < target_q.gather(1, best))[:, 0].tolist()
    first = [i for i in range(len(pool)) if differ[i] and lower[i]][: B // 2]
    second = [i for i in range(len(pool)) if differ[i] and not lower[i]][: B - B // 2]
    if len(first) + len(second) < B:  # pragma: no cover - the seeds below guarantee enough rows
        raise RuntimeError("check_double_dqn_targets: pick other seeds")
    order = [first[0], first[1], second[0], second[1]] if B == 4 else first + second
    return pool[order]


@check("double_dqn_targets")
def check_double_dqn_targets(chk: Check) -> None:
    """Check ``double_dqn_targets(reward_b, terminated_b, next_state_b, q_network,
    target_q_network, gamma) -> (B, 1)``: a* = argmax_a q(s', a), value q_targ(s', a*).

    The next states are chosen so that the two networks' greedy actions differ.
    """
    q_network, target_q_network = _network(seed=50), _network(seed=51)
    next_state_b = _disagreeing_states(q_network, target_q_network, seed=52)
    reward_b, terminated_b = _rewards(), _terminated()
    mask_b = 1.0 - terminated_b.float()
    with torch.no_grad():
        online_q_b, target_q_b = q_network(next_state_b), target_q_network(next_state_b)
    best_b = online_q_b.argmax(dim=1, keepdim=True)
    value_b = target_q_b.gather(1, best_b)
    expected = reward_b + GAMMA * mask_b * value_b
    variants = [
        Variant(
            reward_b + GAMMA * mask_b * target_q_b.max(dim=1, keepdim=True).values,
            _(
                "argmax taken with the target network: that is plain DQN's max_a q_targ(s', a). "
                "Double DQN *selects* the action with the online network and *evaluates* it with "
                "the target network."
            ),
            _(
                "two networks, two jobs: the online network chooses a* (an argmax), the target "
                "network says what a* is worth."
            ),
        ),
        Variant(
            reward_b + GAMMA * mask_b * online_q_b.max(dim=1, keepdim=True).values,
            _("the value was read from the online network: q(s', a*) instead of q_targ(s', a*)."),
            _("evaluate a* with the target network, not with the online one."),
        ),
        Variant(
            reward_b
            + GAMMA * mask_b * online_q_b.gather(1, target_q_b.argmax(dim=1, keepdim=True)),
            _(
                "the two networks are swapped: the target network chose the action and the online "
                "network evaluated it."
            ),
            _("select with q_network (argmax), evaluate with target_q_network (gather)."),
        ),
        Variant(
            reward_b + GAMMA * mask_b * best_b.float(),
            _(
                "the action index a* was used as the value: gather the target network's Q-value "
                "at a* instead."
            ),
            _("use a* as an index: pick, per row, the target network's Q-value of a*."),
        ),
        Variant(
            reward_b + GAMMA * mask_b * torch.minimum(online_q_b.gather(1, best_b), value_b),
            _(
                "the smaller of q(s', a*) and q_targ(s', a*) was used: that is clipped double "
                "Q-learning (TD3's min of two critics), not Double DQN. Double DQN takes the "
                "target network's value of a*, whichever is smaller."
            ),
            _("no minimum: the value of a* comes from the target network alone."),
        ),
        Variant(
            reward_b + GAMMA * mask_b * (online_q_b.gather(1, best_b) + value_b) / 2,
            _(
                "the average of q(s', a*) and q_targ(s', a*) was used: Double DQN takes the "
                "target network's value of a* alone; the online network only chooses a*."
            ),
            _("the value of a* comes from the target network alone."),
        ),
        Variant(
            reward_b
            + GAMMA
            * mask_b
            * torch.minimum(
                online_q_b.max(dim=1, keepdim=True).values,
                target_q_b.max(dim=1, keepdim=True).values,
            ),
            _(
                "the smaller of the two networks' maxima was used: each network chose its own "
                "best action. In Double DQN one action a*, the online network's choice, is "
                "evaluated by the target network."
            ),
            _(
                "two networks, two jobs: the online network chooses a* (an argmax), the target "
                "network says what a* is worth."
            ),
        ),
        Variant(
            reward_b + GAMMA * mask_b * target_q_b.gather(0, best_b),
            _("gather along dim 0: the actions were used as row numbers."),
            _("actions index the columns: gather along dimension 1, the action dimension."),
        ),
        *_target_variants(reward_b, mask_b, value_b, GAMMA),
    ]
    args = [reward_b, terminated_b, next_state_b, q_network, target_q_network, GAMMA]
    _run_target_check(
        chk,
        args,
        ["reward_b", "terminated_b", "next_state_b"],
        {"q_network": q_network, "target_q_network": target_q_network},
        expected,
        variants,
        _("targets equal r + γ·(1 − terminated)·q_targ(s', argmax_a q(s', a))"),
        "r + γ·(1 − terminated)·q_targ(s', argmax_a q(s', a))",
    )
    for net in (q_network, target_q_network):
        if any(p.grad is not None for p in net.parameters()):
            raise chk.fail(
                _("no gradient reaches either network"),
                expected=_("no .grad on any parameter after the call"),
                got=_("some parameters have a .grad"),
                cause=_(
                    "backward() was called inside the function; computing a target never needs it."
                ),
                hint=_(
                    "compute the target under `torch.no_grad()`; leave backward to the training step."
                ),
            )
    chk.holds(_("no gradient reaches either network"))
