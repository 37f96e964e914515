"""Check of the behaviour policy, notebook 03's ``epsilon_greedy_policy`` (exercise 3.4).

``epsilon_greedy_policy(q_network, state, epsilon, num_actions)`` returns, for each row of
``state``, a uniformly random action with probability ε and the greedy one otherwise: a
``(1, 1)`` int64 tensor for one state, ``(B, 1)`` for a batch (the training loop draws the
next actions A′ of a whole sampled batch with it). The check tests properties only, so an
implementation drawing its random numbers from torch, Python's ``random`` or NumPy passes:

- shape and dtype; greedy at ε = 0, with the network it is given;
- uniform over *all* actions at ε = 1, the greedy one included;
- in between, P(greedy) = 1 − ε + ε/n and every other action ε/n;
- on a batch, every row decides on its own.

The frequencies are measured with all three generators seeded (and restored afterwards),
against bounds six standard deviations wide, so a correct policy cannot miss them by chance.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from course_utils.checks._i18n import _
from course_utils.checks._inputs import _network, _seeded_rngs, _states
from course_utils.checks.harness import Check, check, show

__all__ = ["check_epsilon_greedy_policy"]

N = 4  # the check's networks have 4 actions: not MountainCar's 3 nor CartPole's 2
DRAWS = 3_000  # calls per frequency measurement


def _greedy(network: nn.Module, state_b: Tensor) -> Tensor:
    with torch.no_grad():
        return network(state_b).argmax(dim=1, keepdim=True)


def _states_by_greedy_action(network: nn.Module, seed: int) -> Tensor:
    """One state for each action, `N` rows: row a's greedy action is a."""
    pool = _states(seed, n=2_000) * 3
    greedy = _greedy(network, pool)[:, 0]
    rows = [pool[greedy == a][:1] for a in range(N)]
    if any(len(row) == 0 for row in rows):  # pragma: no cover - the seeds below give all four
        raise RuntimeError("check_epsilon_greedy_policy: pick other seeds")
    return torch.cat(rows)


def _action(chk: Check, got: Any, rows: int, context: str) -> Tensor:
    """Shape, dtype and range of a returned action tensor."""
    got = chk.expect_tensor(got, _("the action(s), a (B, 1) int64 tensor"))
    if tuple(got.shape) != (rows, 1):
        if got.dim() == 0 or tuple(got.shape) in ((rows,), (1,)):
            cause = _(
                "the action lost its (B, 1) shape: `argmax` without `keepdim=True`, or "
                "`torch.tensor(a)` of a plain number. TorchEnv.step and the replay memory "
                "expect (1, 1) for one state."
            )
            hint = _("`argmax(dim=1, keepdim=True)`; for a Python int a, `torch.tensor([[a]])`.")
        elif tuple(got.shape) == (rows, N) or tuple(got.shape) == (1, N):
            cause = _("the Q-values came back, not an action index.")
            hint = _("return the index of the chosen action: `argmax(dim=1, keepdim=True)`.")
        elif rows > 1 and tuple(got.shape) == (1, 1):
            cause = _(
                "one action for the whole batch: the function treats `state` as a single "
                "state. The training loop draws the next action A′ of every row of a sampled "
                "batch with it, so each row needs its own action."
            )
            hint = _(
                "decide row by row: one random number per row, one random action per row, then "
                "choose element by element (`torch.where` does that)."
            )
        else:
            cause = _("the action's shape does not match the docstring.")
            hint = _("one action per row of `state`: shape (B, 1); (1, 1) for one state.")
        raise chk.fail(
            _("returns one action per state, shaped (B, 1)"),
            expected=_("shape {shape} ({context})").format(shape=(rows, 1), context=context),
            got=_("shape {shape}").format(shape=tuple(got.shape)),
            cause=cause,
            hint=hint,
        )
    if got.dtype != torch.int64:
        raise chk.fail(
            _("the action is int64"),
            expected=_("torch.int64 (an index: `gather` and the environment expect integers)"),
            got=str(got.dtype),
            cause=_(
                "a float or int32 action: `torch.tensor` of a float, `torch.rand` used as the "
                "action, or a NumPy integer of another width."
            ),
            hint=_(
                "`torch.randint(...)` and `argmax` give int64; or `torch.tensor([[a]], dtype=torch.int64)`."
            ),
        )
    if got.numel() and (int(got.min()) < 0 or int(got.max()) >= N):
        if rows > 1 and N < int(got.max()) < rows * N:
            cause = _(
                "`argmax()` without `dim` on a batch: it returns one index into the flattened "
                "(B, num_actions) tensor, not one action per row."
            )
            hint = _(
                "the greedy action of a row is the index of its largest Q-value, kept as a (B, 1) column."
            )
        else:
            cause = _(
                "an action out of range: Python's `random.randint(0, num_actions)` includes its "
                "upper bound, unlike `random.randrange`, `torch.randint` and NumPy's `randint`."
            )
            hint = _("`random.randrange(num_actions)` or `torch.randint(num_actions, ...)`.")
        raise chk.fail(
            _("every action is one of 0, ..., num_actions − 1"),
            expected=_("actions in 0..{last} (num_actions = {n})").format(last=N - 1, n=N),
            got=show(got),
            cause=cause,
            hint=hint,
        )
    chk.holds(_("returns one action per state, shaped (B, 1)"))
    chk.holds(_("the action is int64"))
    chk.holds(_("every action is one of 0, ..., num_actions − 1"))
    return got


def _expect_no_exploration_at_zero(chk: Check, network: nn.Module, states: Tensor) -> None:
    """Many calls at ε = 0 are all greedy: a policy that explores with its own fixed ε (or
    the notebook's global) is named here, before "uses the q_network it is given" could
    blame the network for a random action."""
    calls = 200
    state = states[:1]
    greedy = int(_greedy(network, state))
    explored = sum(
        int(_action(chk, chk.call(network, state, 0.0, N), 1, _("one state, epsilon = 0")))
        != greedy
        for _call in range(calls)
    )
    if explored:
        raise chk.fail(
            _("greedy at ε = 0"),
            expected=_("the greedy action {a} in all {calls} calls at ε = 0").format(
                a=greedy, calls=calls
            ),
            got=_("another action in {n} of them").format(n=explored),
            cause=_(
                "the policy still explores at ε = 0: it does not use its `epsilon` argument "
                "(a fixed number, or the notebook's global?)."
            ),
            hint=_("compare the random number with the `epsilon` the function receives."),
        )


def _reseeds(chk: Check, network: nn.Module, state: Tensor) -> bool:
    """Whether two calls on a batch at ε = 1 draw varied actions, but the same ones twice:
    the function re-seeds a generator on every call."""
    batch = state.repeat(64, 1)
    first = _action(
        chk, chk.call(network, batch, 1.0, N), 64, _("a batch of {n} states").format(n=64)
    )
    second = _action(
        chk, chk.call(network, batch, 1.0, N), 64, _("a batch of {n} states").format(n=64)
    )
    return len(torch.unique(first)) > 1 and torch.equal(first, second)


def _bounds(p: float, n: int) -> tuple[float, float]:
    """Six standard deviations around n·p for a count of n Bernoulli(p) draws."""
    sd = (n * p * (1 - p)) ** 0.5
    return n * p - 6 * sd, n * p + 6 * sd


def _frequencies(chk: Check, network: nn.Module, state: Tensor, epsilon: float) -> list[int]:
    """How often each action comes back in `DRAWS` calls on one (1, D) state."""
    counts = [0] * N
    for _draw in range(DRAWS):
        action = _action(chk, chk.call(network, state, epsilon, N), 1, f"epsilon = {epsilon}")
        counts[int(action)] += 1
    return counts


def _expect_frequencies(
    chk: Check,
    counts: list[int],
    greedy: int,
    epsilon: float,
    draws: int,
    what: str,
    network: nn.Module | None = None,
    state: Tensor | None = None,
) -> None:
    p_greedy = 1 - epsilon + epsilon / N
    expected = [p_greedy if a == greedy else epsilon / N for a in range(N)]
    bounds = [_bounds(p, draws) for p in expected]
    if all(low <= c <= high for c, (low, high) in zip(counts, bounds, strict=True)):
        chk.holds(
            _("action frequencies at ε = {epsilon} ({what})").format(epsilon=epsilon, what=what)
        )
        return
    share = counts[greedy] / draws
    others = [counts[a] for a in range(N) if a != greedy]
    same_every_call = max(counts) == draws and epsilon > 0
    if same_every_call and (
        counts[greedy] != draws
        or (network is not None and state is not None and _reseeds(chk, network, state))
    ):
        cause = (
            _(
                "every call returned the same non-greedy action: the function re-seeds a random "
                "generator each time it is called (`torch.manual_seed`, `random.seed`, "
                "`np.random.default_rng(seed)` or `torch.Generator().manual_seed` inside it), so "
                "every call draws the same 'random' numbers."
            )
            if counts[greedy] != draws
            else _(
                "every call returned the same action, although on a batch the rows explore: "
                "the function re-seeds a random generator each time it is called "
                "(`torch.manual_seed`, `random.seed`, `np.random.default_rng(seed)` or "
                "`torch.Generator().manual_seed` inside it), so every call draws the same "
                "'random' numbers."
            )
        )
        hint = _(
            "seed once, in the notebook's setup cell, never inside the function: draw from the "
            "global generators (or one made outside the function)."
        )
        raise chk.fail(
            _("action frequencies at ε = {epsilon} ({what})").format(epsilon=epsilon, what=what),
            expected=_("different actions over {draws} calls").format(draws=draws),
            got=_("action {a} in every call").format(a=counts.index(draws)),
            cause=cause,
            hint=hint,
        )
    if max(counts) == draws and epsilon == 1:
        cause = _(
            "the greedy action in every call at ε = 1: the policy never explores (ε ignored, "
            "or the comparison with ε inverted?)."
        )
    elif epsilon == 1 and counts[greedy] == 0:
        cause = _(
            "the greedy action never comes up at ε = 1: the random draw excludes it. An "
            "ε-greedy policy draws uniformly from *all* actions, so the greedy one has "
            "probability 1 − ε + ε/n."
        )
    elif min(others) == 0 and max(others) > 0:
        missing = [a for a in range(N) if a != greedy and counts[a] == 0]
        cause = _(
            "actions {missing} are never drawn: the random action does not range over all "
            "`num_actions` (a hard-coded count, `randrange(num_actions - 1)`, or a global "
            "environment's `action_space.sample()`?)."
        ).format(missing=missing)
    elif abs(share - (epsilon + (1 - epsilon) / N)) < 0.05 and epsilon < 0.5:
        cause = _(
            "the comparison is inverted: the policy explores with probability 1 − ε and "
            "exploits with probability ε."
        )
    elif abs(share - (1 - epsilon)) < 0.05 and epsilon < 1:
        cause = _(
            "the greedy action comes up with probability 1 − ε: the random draw excludes it. "
            "A random action can be the greedy one, so P(greedy) = 1 − ε + ε/n."
        )
    else:
        cause = _("the actions' frequencies do not match ε-greedy with this ε.")
    raise chk.fail(
        _("action frequencies at ε = {epsilon} ({what})").format(epsilon=epsilon, what=what),
        expected=_(
            "greedy action {greedy} about {p_greedy:.0%}, each other about {p_other:.0%} "
            "of {draws}: counts between {bounds}"
        ).format(
            greedy=greedy,
            p_greedy=p_greedy,
            p_other=epsilon / N,
            draws=draws,
            bounds=", ".join(f"{low:.0f}-{high:.0f}" for low, high in bounds),
        ),
        got=_("counts {counts}").format(
            counts=", ".join(_("action {a}: {c}").format(a=a, c=c) for a, c in enumerate(counts))
        ),
        cause=cause,
        hint=_(
            "with probability ε an action drawn uniformly from all `num_actions` (the greedy one "
            "included), otherwise the greedy action."
        ),
    )


@check("epsilon_greedy_policy")
def check_epsilon_greedy_policy(chk: Check) -> None:
    """Check ``epsilon_greedy_policy(q_network, state, epsilon, num_actions) -> (B, 1) int64``:
    the properties, from the simplest (ε = 0) to the batch."""
    with _seeded_rngs(seed=70):
        network, other = _network(seed=71, out_dim=N), _network(seed=72, out_dim=N)
        states = _states_by_greedy_action(network, seed=73)  # row a: greedy action a
        for a in range(N):
            state = states[a : a + 1]
            got = _action(chk, chk.call(network, state, 0.0, N), 1, _("one state, epsilon = 0"))
            if int(got) != a:
                with torch.no_grad():
                    q = network(state)
                cause = (
                    _("the lowest Q-value was chosen (argmin, or a minus sign).")
                    if int(got) == int(q.argmin())
                    else _(
                        "at ε = 0 the action is not the one with the largest Q-value (random? "
                        "another network? an inverted comparison with epsilon?)."
                    )
                )
                raise chk.fail(
                    _("greedy at ε = 0"),
                    expected=_("action {a}, the argmax of q(s, ·) = {q}").format(a=a, q=show(q)),
                    got=show(got),
                    cause=cause,
                    hint=_("at ε = 0 the action is the index of the largest Q-value of the state."),
                )
        _expect_no_exploration_at_zero(chk, network, states)
        chk.holds(_("greedy at ε = 0"))
        other_greedy = _greedy(other, states)
        differ = [a for a in range(N) if int(other_greedy[a]) != a]
        for a in differ:
            got = int(_action(chk, chk.call(other, states[a : a + 1], 0.0, N), 1, "epsilon = 0"))
            if got != int(other_greedy[a]):
                raise chk.fail(
                    _("uses the `q_network` it is given"),
                    expected=_("the greedy action of the network passed in: {a}").format(
                        a=int(other_greedy[a])
                    ),
                    got=_("action {a}").format(a=got),
                    cause=_(
                        "called with another network, the action did not follow it: the "
                        "function reads some other network (the notebook's global?)."
                    ),
                    hint=_("use only the arguments: `q_network(state)`."),
                )
        chk.holds(_("uses the `q_network` it is given"))
        greedy = 2
        state = states[greedy : greedy + 1]
        _expect_frequencies(
            chk,
            _frequencies(chk, network, state, 1.0),
            greedy,
            1.0,
            DRAWS,
            _("one state"),
            network,
            state,
        )
        _expect_frequencies(
            chk, _frequencies(chk, network, state, 0.3), greedy, 0.3, DRAWS, _("one state")
        )
        # A batch: greedy row by row at ε = 0, every row its own coin at ε = 0.3.
        got = _action(
            chk, chk.call(network, states, 0.0, N), N, _("a batch of {n} states").format(n=N)
        )
        if not torch.equal(got, _greedy(network, states)):
            raise chk.fail(
                _("greedy at ε = 0 on a batch, row by row"),
                expected=_("each row's argmax: {value}").format(
                    value=show(_greedy(network, states))
                ),
                got=show(got),
                cause=_(
                    "the argmax was not taken per row: `argmax()` without `dim` (over the whole "
                    "batch) or `dim=0` (over the states)."
                ),
                hint=_(
                    "the greedy action of a row is the index of its largest Q-value, kept as a (B, 1) column."
                ),
            )
        chk.holds(_("greedy at ε = 0 on a batch, row by row"))
        batch = state.repeat(DRAWS, 1)
        got = _action(
            chk, chk.call(network, batch, 0.3, N), DRAWS, _("a batch of {n} states").format(n=DRAWS)
        )
        counts = torch.bincount(got[:, 0], minlength=N).tolist()
        uniform = [_bounds(1 / N, DRAWS) for _ in range(N)]
        if max(counts) == DRAWS or all(
            low <= c <= high for c, (low, high) in zip(counts, uniform, strict=True)
        ):
            raise chk.fail(
                _("on a batch, each row explores on its own"),
                expected=_("about 30% of {n} identical rows exploring at ε = 0.3").format(n=DRAWS),
                got=_("every row got action {a}").format(a=counts.index(DRAWS))
                if max(counts) == DRAWS
                else _("every row exploring: counts {counts}").format(
                    counts=", ".join(map(str, counts))
                ),
                cause=_(
                    "one random number decided for the whole batch: it explores everywhere or "
                    "nowhere. The training loop draws A′ for a batch of next states, each row "
                    "independently."
                ),
                hint=_(
                    "decide row by row: one random number per row, one random action per row, "
                    "then choose element by element (`torch.where` does that)."
                ),
            )
        chk.holds(_("on a batch, each row explores on its own"))
        _expect_frequencies(
            chk, counts, greedy, 0.3, DRAWS, _("a batch of {n} copies of one state").format(n=DRAWS)
        )
