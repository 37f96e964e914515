"""Checks of notebook 06, beyond DQN: exercise 6.1 ``n_step_targets``, 6.2
``dueling_q_values``, 6.3 ``prioritized_sample`` and 6.4 ``ConvQNetwork``.

Each runs the student's code on small hand-made inputs and names the classic mistake the
result matches: for the n-step target, bootstrapping across a terminal, the wrong power of
γ and rewards of the next episode; for the dueling head, a missing or wrong centring of the
advantages and a stream cut from the gradient; for prioritized replay, a distribution that
ignores α or draws without replacement (tested on 10,000 seeded draws with 5-σ bounds) and
importance-sampling weights with the wrong exponent or no normalisation; for the
convolutional network, channels-last images reshaped instead of permuted, and a first linear
layer sized for another number of features than the convolutions put out.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from course_utils.checks._i18n import _
from course_utils.checks._inputs import GAMMA, _close, _seeded_rngs
from course_utils.checks.harness import Check, Variant, check, show

__all__ = [
    "check_n_step_targets",
    "check_dueling_q_values",
    "check_prioritized_sample",
    "check_conv_q_network",
]

# --------------------------------------------------------------------------- 6.1 n-step targets


def _n_step(
    reward_bn: Tensor,
    terminated_bn: Tensor,
    truncated_bn: Tensor,
    next_value_bn: Tensor,
    gamma: float,
    *,
    stop_at_terminal: bool = True,
    stop_at_truncation: bool = True,
    mask_terminal: bool = True,
    truncation_bootstraps: bool = True,
    reward_power: int = 0,
    bootstrap_power: int = 0,
    fixed_power: bool = False,
    last_column: bool = False,
    bootstrap: bool = True,
) -> Tensor:
    """The n-step target, and (with the flags) each classic mistake in it."""
    rows, n = reward_bn.shape
    out = torch.zeros(rows, 1, dtype=torch.float64)
    for b in range(rows):
        total = 0.0
        for k in range(n):
            total += gamma ** (k + reward_power) * float(reward_bn[b, k])
            term, trunc = bool(terminated_bn[b, k]), bool(truncated_bn[b, k])
            ends = (term and stop_at_terminal) or (trunc and stop_at_truncation)
            if ends or k == n - 1:
                bootstraps = not (term and mask_terminal) and (truncation_bootstraps or not trunc)
                if bootstraps and bootstrap:
                    power = n if fixed_power else k + 1 + bootstrap_power
                    column = n - 1 if last_column else k
                    total += gamma**power * float(next_value_bn[b, column])
                break
        out[b, 0] = total
    return out.float()


def _n_step_inputs() -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Six rows of three steps: no end; terminal at k = 1 then the next episode's rewards;
    truncated at k = 1; terminal at the last step; terminal at once; truncated at once."""
    reward_bn = torch.tensor(
        [[1.0, 2.0, 3.0], [1.0, -2.0, 5.0], [0.5, 1.5, -4.0], [2.0, 1.0, 1.0], [3.0, 7.0, 7.0],
         [-1.0, 6.0, 6.0]]
    )  # fmt: skip
    terminated_bn = torch.tensor(
        [[0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1], [1, 0, 0], [0, 0, 0]], dtype=torch.bool
    )
    truncated_bn = torch.tensor(
        [[0, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0]], dtype=torch.bool
    )
    next_value_bn = torch.tensor(
        [[4.0, 3.0, 10.0], [2.0, 9.0, 8.0], [1.0, 6.0, 20.0], [5.0, 3.0, 30.0], [2.0, 4.0, 8.0],
         [12.0, 3.0, 5.0]]
    )  # fmt: skip
    return reward_bn, terminated_bn, truncated_bn, next_value_bn


def _n_step_variants(inputs: tuple[Tensor, ...], gamma: float) -> list[Variant]:
    def target(**mistake: Any) -> Tensor:
        return _n_step(*inputs, gamma, **mistake)

    return [
        Variant(
            target(stop_at_terminal=False, stop_at_truncation=False),
            _(
                "the n rewards were summed whatever happened inside them: where an episode ends "
                "after k < n steps, the next rewards belong to the next episode (rows 1, 2, 4 "
                "and 5 mix two episodes)."
            ),
            _(
                "stop the sum at the first step whose `terminated` or `truncated` flag is set; "
                "bootstrap from that step."
            ),
        ),
        Variant(
            target(stop_at_truncation=False),
            _(
                "the sum runs on past a truncation: a time-limit cut ends the episode too, and "
                "the rewards after it belong to the next episode (rows 2 and 5)."
            ),
            _(
                "stop at `terminated | truncated`; only the bootstrap after the stop differs "
                "between the two."
            ),
        ),
        Variant(
            target(mask_terminal=False),
            _(
                "the target bootstraps across a terminal state: after `terminated` there is no "
                "next state, so no γ^k·v term (rows 1, 3 and 4)."
            ),
            _("add the bootstrap term only where the step that ends the sum is not terminal."),
        ),
        Variant(
            target(truncation_bootstraps=False),
            _(
                "a truncation was treated as a terminal state: the state where a time limit cut "
                "the episode still has a future, so the target bootstraps from it (rows 2 and 5)."
            ),
            _("mask the bootstrap with `terminated` only, never with `truncated` or `done`."),
        ),
        Variant(
            target(fixed_power=True),
            _(
                "the bootstrap is always discounted by γ^n: where the sum stops after m < n "
                "rewards, the value of the state reached is m steps away, γ^m."
            ),
            _("discount the bootstrap by γ to the number of rewards actually summed."),
        ),
        Variant(
            target(last_column=True),
            _(
                "the bootstrap value was taken from the last column of next_value_bn: where the "
                "sum stops at step k, the state reached is next state k (rows 2 and 5)."
            ),
            _("take `next_value_bn[:, k]` of the step k that ends the sum."),
        ),
        Variant(
            target(reward_power=1, bootstrap_power=1),
            _(
                "every power of γ is one too high: the first reward arrives now and is not "
                "discounted, γ^0·r_0 + γ^1·r_1 + ..."
            ),
            _("reward k gets γ^k, counting from k = 0; the bootstrap after m rewards γ^m."),
        ),
        Variant(
            target(bootstrap_power=-1),
            _(
                "the bootstrap is discounted one step too little: after m rewards the state "
                "reached is m steps away, γ^m, not γ^(m−1)."
            ),
            _("reward k gets γ^k, counting from k = 0; the bootstrap after m rewards γ^m."),
        ),
        Variant(
            target(bootstrap=False),
            _(
                "the bootstrap term is missing: where the episode goes on after the n steps, "
                "the target adds the discounted value of the state reached (rows 0, 2 and 5)."
            ),
            _(
                "add γ^m·next_value_bn[:, m − 1] where the sum stops after m rewards, unless terminal."
            ),
        ),
    ]


def _random_n_step_inputs(n: int, seed: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    rows = 8
    reward_bn = torch.randn(rows, n, generator=generator)
    terminated_bn = torch.rand(rows, n, generator=generator) < 0.2
    truncated_bn = (torch.rand(rows, n, generator=generator) < 0.15) & ~terminated_bn
    next_value_bn = torch.randn(rows, n, generator=generator) * 3
    return reward_bn, terminated_bn, truncated_bn, next_value_bn


@check("n_step_targets")
def check_n_step_targets(chk: Check) -> None:
    """Check ``n_step_targets(reward_bn, terminated_bn, truncated_bn, next_value_bn, gamma)
    -> (B, 1)``.

    Row b holds the n transitions that follow one sampled transition in the memory;
    ``next_value_bn[b, k]`` is max_a q_targ of the next state of step k. The target sums
    γ^k·r_k up to the first step m − 1 that is terminal or truncated (or to n − 1), then adds
    γ^m·next_value_bn[b, m − 1] unless that step is terminal.
    """
    inputs = _n_step_inputs()
    expected = _n_step(*inputs, GAMMA)
    got = chk.expect_tensor(chk.call(*inputs, GAMMA), "target_b")
    chk.expect_shape(got, (len(expected), 1), _("one target per sampled transition"))
    chk.expect_float32(got)
    variants = _n_step_variants(inputs, GAMMA)
    chk.expect_values(
        _("targets equal Σ_k γ^k·r_k + γ^m·(1 − terminated)·v, stopped at the episode's end"),
        got=got,
        expected=expected,
        variants=variants,
        cause=_(
            "the numbers differ from the n-step target in a way none of the usual mistakes "
            "explains."
        ),
        hint=_(
            "work row by row on paper: rows 1 and 4 end in a terminal state, rows 2 and 5 are "
            "truncated, row 0 runs the full n steps."
        ),
    )
    for n, seed in ((5, 92), (1, 91)):
        other = _random_n_step_inputs(n, seed)
        expected = _n_step(*other, 0.8)
        got = chk.call(*other, 0.8)
        if _close(got, expected):
            chk.holds(_("works for any n and any gamma"))
            continue
        raise chk.fail(
            _("works for any n and any gamma"),
            expected=_("for n = {n}, gamma = 0.8: {value}").format(n=n, value=show(expected)),
            got=show(got),
            cause=_(
                "right for n = 3 and gamma = 0.9, wrong for another n or gamma: a number is "
                "hard-coded, or the loop does not run over all n columns."
            ),
            hint=_("read n from `reward_bn.shape[1]` and use the `gamma` argument."),
        )


# --------------------------------------------------------------------------- 6.2 dueling head


@check("dueling_q_values")
def check_dueling_q_values(chk: Check) -> None:
    """Check ``dueling_q_values(value_b, advantage_b) -> (B, A)``: V + A − mean_a A.

    Properties: shape, dtype, values (with the mistakes that skip or misplace the centring),
    identifiability (a constant added to every advantage changes no Q-value), and the
    gradient of a weighted sum of Q reaching both streams as the formula says.
    """
    generator = torch.Generator().manual_seed(93)
    value_b = torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    advantage_b = torch.randn(4, 3, generator=generator) * 2
    expected = value_b + advantage_b - advantage_b.mean(dim=1, keepdim=True)
    got = chk.expect_tensor(chk.call(value_b, advantage_b), "q_values_b")
    chk.expect_shape(got, (4, 3), _("one Q-value per state and action"))
    chk.expect_float32(got)
    max_hint = _("subtract `advantage_b.mean(dim=1, keepdim=True)`.")
    variants = [
        Variant(
            value_b + advantage_b,
            _(
                "the advantages were not centred: Q = V + A is not identifiable, since V + c and "
                "A − c give the same Q for any c, so nothing tells the two streams apart."
            ),
            max_hint,
        ),
        Variant(
            value_b + advantage_b - advantage_b.max(dim=1, keepdim=True).values,
            _(
                "the maximum advantage was subtracted: that is the paper's first form; this "
                "exercise asks for the mean, which the paper found more stable."
            ),
            max_hint,
        ),
        Variant(
            advantage_b - advantage_b.mean(dim=1, keepdim=True),
            _("the value stream is missing: Q = V + (A − mean A)."),
            _("add `value_b`; its (B, 1) shape broadcasts over the actions."),
        ),
        Variant(
            value_b + advantage_b - advantage_b.mean(),
            _(
                "the mean was taken over the whole batch: each state's advantages are centred "
                "on their own mean over actions."
            ),
            max_hint,
        ),
        Variant(
            value_b + advantage_b - advantage_b.mean(dim=0, keepdim=True),
            _("the mean was taken over the batch (dim 0), not over the actions (dim 1)."),
            max_hint,
        ),
    ]
    chk.expect_values(
        _("Q equals V + A − mean over actions of A"),
        got=got,
        expected=expected,
        variants=variants,
        cause=_(
            "the numbers differ from V + A − mean_a A in a way none of the usual mistakes explains."
        ),
        hint=_("print value_b, advantage_b and your result for one row and compare by hand."),
    )
    shifted = chk.call(value_b, advantage_b + 5.0)
    if _close(shifted, expected):
        chk.holds(_("identifiable: a constant added to every advantage changes no Q-value"))
    else:
        raise chk.fail(
            _("identifiable: a constant added to every advantage changes no Q-value"),
            expected=show(expected),
            got=show(shifted),
            cause=_("the advantages are not centred on their mean over actions."),
            hint=max_hint,
        )
    _expect_dueling_gradients(chk, value_b, advantage_b)


def _expect_dueling_gradients(chk: Check, value_b: Tensor, advantage_b: Tensor) -> None:
    """Backward through a weighted sum: ∂/∂V = Σ_a w_a, ∂/∂A = w − mean_a w."""
    weight_b = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 3.0], [2.0, 2.0, -1.0], [1.0, 0.0, 0.0]])
    value_b = value_b.clone().requires_grad_(True)
    advantage_b = advantage_b.clone().requires_grad_(True)
    q_values_b = chk.call(value_b, advantage_b)
    if not q_values_b.requires_grad:
        raise chk.fail(
            _("gradients reach both streams"),
            expected=_("a result that requires grad"),
            got=show(q_values_b),
            cause=_(
                "the result left autograd (`.detach()`, `torch.no_grad()`, `.item()`, numpy): "
                "no gradient would reach the network."
            ),
            hint=_("combine the two streams with tensor operations only."),
        )
    (q_values_b * weight_b).sum().backward()
    expected_value = weight_b.sum(dim=1, keepdim=True)
    expected_advantage = weight_b - weight_b.mean(dim=1, keepdim=True)
    for name, grad, wanted, cut in (
        ("value_b", value_b.grad, expected_value, None),
        ("advantage_b", advantage_b.grad, expected_advantage, weight_b),
    ):
        if grad is not None and _close(grad, wanted):
            chk.holds(_("gradients reach both streams"))
            continue
        if grad is None:
            cause = _("no gradient reached {name}: that stream was detached.").format(name=name)
        elif cut is not None and _close(grad, cut):
            cause = _(
                "the mean of the advantages was detached: the gradient through A − mean A is "
                "w − mean w, and with a detached mean the advantage stream learns the "
                "unidentifiable part too."
            )
        else:
            cause = _("the gradient of {name} differs from what V + A − mean A gives.").format(
                name=name
            )
        raise chk.fail(
            _("gradients reach both streams"),
            expected=_("{name}.grad = {value}").format(name=name, value=show(wanted)),
            got=show(grad) if grad is not None else "None",
            cause=cause,
            hint=_("no `.detach()` or `torch.no_grad()` inside the head: the formula only."),
        )


# --------------------------------------------------------------------------- 6.3 prioritized


PRIORITIES = (0.5, 2.0, 0.1, 1.0, 4.0, 0.25)
ALPHA, BETA = 0.7, 0.4
CALLS, BATCH = 2000, 5
SIGMAS = 5.0  # a correct sampler's count of one index misses by 5 σ with probability < 1e-6


def _probabilities(priorities: Tensor, alpha: float) -> Tensor:
    scaled = priorities.double() ** alpha
    return scaled / scaled.sum()


def _expect_sample_types(chk: Check, result: Any) -> tuple[Tensor, Tensor]:
    if not (isinstance(result, tuple | list) and len(result) == 2):
        raise chk.fail(
            _("returns (index_b, weight_b)"),
            expected=_("a pair: the sampled indices and their weights"),
            got=show(result),
            cause=_("the function returns something other than two values."),
            hint=_("end with `return index_b, weight_b`."),
        )
    index_b = chk.expect_tensor(result[0], "index_b")
    weight_b = chk.expect_tensor(result[1], "weight_b")
    if index_b.shape != (BATCH,) or index_b.dtype != torch.int64:
        raise chk.fail(
            _("index_b is (batch_size,) int64"),
            expected=_("shape ({batch},), int64").format(batch=BATCH),
            got=show(index_b),
            cause=_("the indices have another shape or type than the exercise's docstring says."),
            hint=_(
                "`torch.multinomial(probabilities, batch_size, replacement=True)` returns "
                "exactly that."
            ),
        )
    chk.holds(_("returns (index_b, weight_b)"))
    chk.holds(_("index_b is (batch_size,) int64"))
    chk.expect_shape(weight_b, (BATCH, 1), _("one weight per sampled transition"))
    chk.expect_float32(weight_b)
    return index_b, weight_b


def _sampling_variants(priorities: Tensor) -> list[tuple[Tensor, str]]:
    n = len(priorities)
    return [
        (
            torch.full((n,), 1.0 / n, dtype=torch.float64),
            _("the indices were drawn uniformly: the priorities were not used."),
        ),
        (
            _probabilities(priorities, 1.0),
            _(
                "the indices were drawn with P(i) ∝ p_i: alpha was ignored (alpha = 0 is "
                "uniform sampling, alpha = 1 fully proportional)."
            ),
        ),
        (
            _probabilities(priorities, 1.0 / ALPHA),
            _("the indices were drawn with P(i) ∝ p_i^(1/alpha): the exponent is inverted."),
        ),
    ]


def _expect_distribution(chk: Check, index_calls: Tensor, priorities: Tensor) -> None:
    """Counts of each index within SIGMAS binomial standard deviations of CALLS·BATCH·P(i)."""
    draws = CALLS * BATCH
    if bool((index_calls < 0).any()) or bool((index_calls >= len(priorities)).any()):
        raise chk.fail(
            _("indices are positions in the memory"),
            expected=_("indices in 0 … {last}").format(last=len(priorities) - 1),
            got=show(index_calls.unique()),
            cause=_("an index outside the memory was returned."),
            hint=_("draw from `range(len(priorities))`."),
        )
    counts = torch.bincount(index_calls.flatten(), minlength=len(priorities)).double()

    def fits(probabilities: Tensor) -> bool:
        mean = draws * probabilities
        spread = (draws * probabilities * (1 - probabilities)).sqrt().clamp(min=1.0)
        return bool(((counts - mean).abs() <= SIGMAS * spread).all())

    frequencies = (counts / draws).float()
    wanted = _probabilities(priorities, ALPHA)
    repeats = sum(len(set(row.tolist())) < BATCH for row in index_calls)
    if repeats == 0:  # P(no repeat in one batch) < 0.15 here: 2000 such batches never happen
        raise chk.fail(
            _("indices are drawn with replacement"),
            expected=_("some batches with an index twice, as independent draws give"),
            got=_("no batch of {calls} repeats an index").format(calls=CALLS),
            cause=_(
                "the batch was drawn without replacement (`torch.multinomial` defaults to "
                "replacement=False, `np.random.choice(..., replace=False)`): then P(i) is not "
                "the distribution of each draw, and the weights no longer correct for it."
            ),
            hint=_("pass `replacement=True` to `torch.multinomial`."),
        )
    if fits(wanted):
        chk.holds(_("indices are positions in the memory"))
        chk.holds(_("indices are drawn with replacement"))
        chk.holds(_("indices follow P(i) = p_i^alpha / Σ_k p_k^alpha"))
        return
    cause = _(
        "the frequencies differ from p_i^alpha / Σ_k p_k^alpha by more than chance explains "
        "({sigmas:.0f} standard deviations)."
    ).format(sigmas=SIGMAS)
    for probabilities, explanation in _sampling_variants(priorities):
        if fits(probabilities):
            cause = explanation
            break
    raise chk.fail(
        _("indices follow P(i) = p_i^alpha / Σ_k p_k^alpha"),
        expected=_("frequencies {value}").format(value=show(wanted.float())),
        got=_("frequencies {value} over {draws} draws").format(
            value=show(frequencies), draws=draws
        ),
        cause=cause,
        hint=_(
            "`probabilities = priorities ** alpha`, divided by its sum, then `torch.multinomial`."
        ),
    )


def _weights(index_b: Tensor, priorities: Tensor, alpha: float, beta: float, norm: str) -> Tensor:
    n = len(priorities)
    probabilities = _probabilities(priorities, alpha)
    raw = (n * probabilities) ** (-beta)
    weight_b = raw[index_b]
    if norm == "batch":
        weight_b = weight_b / weight_b.max()
    elif norm == "memory":
        weight_b = weight_b / raw.max()
    # norm == "none": (N·P(i))^(−β) as it is
    return weight_b.unsqueeze(1).float()


def _expect_weights(
    chk: Check, index_calls: Tensor, weight_calls: Tensor, priorities: Tensor
) -> None:
    """w_i = (N·P(i))^(−β), divided by the largest weight (of the batch or of the memory)."""
    for norm in ("batch", "memory"):
        expected = torch.stack([_weights(i, priorities, ALPHA, BETA, norm) for i in index_calls])
        if _close(weight_calls, expected):
            chk.holds(_("weights are (N·P(i))^(−beta) / max weight"))
            return
    expected = torch.stack([_weights(i, priorities, ALPHA, BETA, "batch") for i in index_calls])
    variants = [
        (
            ("none", BETA, ALPHA),
            _(
                "the weights were not normalised: divide by the largest weight, so that they "
                "only ever scale an update down (Schaul et al., 2016)."
            ),
        ),
        (
            ("batch", -BETA, ALPHA),
            _(
                "the exponent's sign is wrong: rarely drawn transitions (small P) must get the "
                "larger weight, (N·P(i))^(−beta)."
            ),
        ),
        (("batch", 1.0, ALPHA), _("beta was ignored: the exponent is −beta, not −1.")),
        (
            ("batch", BETA, 1.0),
            _(
                "the weights use p_i itself: P(i) is the sampling probability p_i^alpha / Σ p^alpha."
            ),
        ),
        (
            ("batch", 0.0, ALPHA),
            _("all weights are 1: the importance-sampling correction is missing."),
        ),
    ]
    hint = _(
        "`weight_b = (len(priorities) * probabilities[index_b]) ** -beta`, divided by its max."
    )
    for (norm, beta, alpha), cause in variants:
        value = torch.stack([_weights(i, priorities, alpha, beta, norm) for i in index_calls])
        if _close(weight_calls, value):
            raise chk.fail(
                _("weights are (N·P(i))^(−beta) / max weight"),
                expected=show(expected[0]),
                got=show(weight_calls[0]),
                cause=cause,
                hint=hint,
            )
    raise chk.fail(
        _("weights are (N·P(i))^(−beta) / max weight"),
        expected=show(expected[0]),
        got=show(weight_calls[0]),
        cause=_(
            "the weights differ from (N·P(i))^(−beta), normalised by the batch's or the "
            "memory's largest weight, in a way none of the usual mistakes explains."
        ),
        hint=_(
            "`weight_b = (len(priorities) * probabilities[index_b]) ** -beta`, divided by its max."
        ),
    )


@check("prioritized_sample")
def check_prioritized_sample(chk: Check) -> None:
    """Check ``prioritized_sample(priorities, batch_size, alpha, beta) -> (index_b, weight_b)``:
    ``batch_size`` indices drawn with replacement with P(i) = p_i^α / Σ_k p_k^α, shape
    ``(batch_size,)`` int64, and weights ``(batch_size, 1)`` float32, w_i = (N·P(i))^(−β)
    divided by the largest weight (the batch's or the whole memory's: both are accepted).

    The distribution is tested on 2,000 calls under fixed seeds of torch, ``random`` and
    NumPy, each count within 5 binomial standard deviations of its expectation.
    """
    priorities = torch.tensor(PRIORITIES)
    with _seeded_rngs(94):
        index_b, _weight_b = _expect_sample_types(chk, chk.call(priorities, BATCH, ALPHA, BETA))
        indices, weights = [], []
        for _call in range(CALLS):
            index_b, weight_b = chk.call(priorities, BATCH, ALPHA, BETA)
            indices.append(index_b.reshape(-1)[:BATCH].long())
            weights.append(weight_b.detach().reshape(BATCH, 1).float())
    _expect_distribution(chk, torch.stack(indices), priorities)
    _expect_weights(chk, torch.stack(indices[:50]), torch.stack(weights[:50]), priorities)
    uniform = chk.call(priorities, BATCH, 0.0, 0.0)[1]
    if _close(uniform, torch.ones(BATCH, 1)):
        chk.holds(_("uses the alpha and beta it is given"))
        return
    raise chk.fail(
        _("uses the alpha and beta it is given"),
        expected=_("with alpha = 0 and beta = 0: weights {value}").format(
            value=show(torch.ones(BATCH, 1))
        ),
        got=show(uniform),
        cause=_("the result does not follow the arguments: alpha or beta is hard-coded."),
        hint=_("use the function's `alpha` and `beta` arguments."),
    )


# --------------------------------------------------------------------------- 6.4 conv network


def _minatar_states(channels: int, rows: int, seed: int) -> Tensor:
    """A batch of channels-last MinAtar-like observations: (rows, 10, 10, channels) bool."""
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(rows, 10, 10, channels, generator=generator) < 0.1


def _build(chk: Check, channels: int, actions: int) -> nn.Module:
    network = chk.call(channels, actions, names=["in_channels", "num_actions"])
    if not isinstance(network, nn.Module):
        raise chk.fail(
            _("ConvQNetwork(in_channels, num_actions) is an nn.Module"),
            expected="nn.Module",
            got=show(network),
            cause=_("the class does not derive from `nn.Module`."),
            hint=_("write `class ConvQNetwork(nn.Module):` and call `super().__init__()` first."),
        )
    chk.holds(_("ConvQNetwork(in_channels, num_actions) is an nn.Module"))
    return network


def _first_conv_input(chk: Check, network: nn.Module, state_b: Tensor) -> tuple[Tensor, Any]:
    """Run ``network(state_b)``, recording what its first ``nn.Conv2d`` receives."""
    convs = [m for m in network.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise chk.fail(
            _("the network has a convolution"),
            expected=_("at least one nn.Conv2d"),
            got=_("no nn.Conv2d among the network's modules"),
            cause=_(
                "the network has no convolutional layer: it would not share weights across pixels."
            ),
            hint=_("start with `nn.Conv2d(in_channels, 16, kernel_size=3)`."),
        )
    chk.holds(_("the network has a convolution"))
    seen: list[Tensor] = []

    def record(_module: nn.Module, args: tuple[Any, ...]) -> None:
        seen.append(args[0])

    conv_outputs: list[tuple[int, ...]] = []
    linear_inputs: list[tuple[nn.Linear, tuple[int, ...]]] = []

    def record_conv_output(_module: nn.Module, _args: tuple[Any, ...], output: Any) -> None:
        if isinstance(output, Tensor):
            conv_outputs.append(tuple(output.shape))

    def record_linear_input(module: nn.Module, args: tuple[Any, ...]) -> None:
        if args and isinstance(args[0], Tensor) and isinstance(module, nn.Linear):
            linear_inputs.append((module, tuple(args[0].shape)))

    linears = [m for m in network.modules() if isinstance(m, nn.Linear)]
    handles = [convs[0].register_forward_pre_hook(record)]
    handles += [conv.register_forward_hook(record_conv_output) for conv in convs]
    handles += [linear.register_forward_pre_hook(record_linear_input) for linear in linears]
    try:
        result = network(state_b)
    except Exception:
        result = None
        if seen and seen[0].shape[1:] == state_b.shape[1:]:
            raise chk.fail(
                _("the convolution receives channels first"),
                expected=_("shape {shape}").format(shape=(len(state_b), state_b.shape[3], 10, 10)),
                got=_("shape {shape}").format(shape=tuple(seen[0].shape)),
                cause=_(
                    "MinAtar gives channels last, (B, 10, 10, C); `nn.Conv2d` reads dimension "
                    "1 as the channels."
                ),
                hint=_("`state_b.permute(0, 3, 1, 2)` before the first convolution."),
            ) from None
        if seen and seen[0].dtype == torch.bool:
            raise chk.fail(
                _("the convolution receives floats"),
                expected="torch.float32",
                got=str(seen[0].dtype),
                cause=_("the observation's booleans reached the convolution, which needs floats."),
                hint=_("`.float()` after the permute."),
            ) from None
        if linear_inputs:
            _expect_linear_fits(chk, linear_inputs, conv_outputs)
        result = chk.call(state_b, function=network, names=["state_b"])  # the general diagnosis
    finally:
        for handle in handles:
            handle.remove()
    if linear_inputs:
        _expect_linear_fits(chk, linear_inputs, conv_outputs)
    return result, seen[0] if seen else None


def _expect_linear_fits(
    chk: Check,
    linear_inputs: list[tuple[nn.Linear, tuple[int, ...]]],
    conv_outputs: list[tuple[int, ...]],
) -> None:
    """The first nn.Linear receives the convolutions' output flattened, as many features per
    state as its ``in_features``: else name the mistake (the flattened size computed wrongly,
    or no flattening at all) instead of the matrix product's shape error."""
    prop = _("the first linear layer fits the convolutions' output")
    linear, shape = linear_inputs[0]
    if shape[-1] == linear.in_features:
        chk.holds(prop)
        return
    conv = conv_outputs[-1] if conv_outputs else None
    product = " × ".join(str(size) for size in conv[1:]) if conv is not None else "?"
    features = 1
    for size in shape[1:]:
        features *= size
    if len(shape) > 2:
        raise chk.fail(
            prop,
            expected=_("one vector of {features} features per state").format(features=features),
            got=_("nn.Linear(in_features={m}) receives shape {shape}").format(
                m=linear.in_features, shape=shape
            ),
            cause=_(
                "the convolutions' output reached the first linear layer without being "
                "flattened: nn.Linear reads only the last dimension ({last} numbers), while each "
                "state holds C × H × W = {product} = {features} features."
            ).format(last=shape[-1], product=product, features=features),
            hint=_(
                "a linear layer sees each state as one flat vector: flatten everything but the "
                "batch dimension between the convolutions and the first linear layer."
            ),
        )
    if conv is not None and len(conv) == 4 and conv[1] * conv[2] * conv[3] == shape[-1]:
        what = _(
            "the convolutions' output is C × H × W = {product} = {features} features per state"
        ).format(product=product, features=shape[-1])
    else:
        what = _("each state reaches it as {features} features").format(features=shape[-1])
    raise chk.fail(
        prop,
        expected=_("in_features = {features}").format(features=shape[-1]),
        got=_("in_features = {m}").format(m=linear.in_features),
        cause=_("the flattened size is wrong: {what}; the first nn.Linear expects {m}.").format(
            what=what, m=linear.in_features
        ),
        hint=_(
            "work out the size of the convolutions' output before the layer that reads it: a "
            "k × k convolution without padding shrinks each side by k − 1 (10 × 10 becomes "
            "8 × 8 for k = 3), and the flat vector holds channels × height × width numbers."
        ),
    )


@check("conv_q_network")
def check_conv_q_network(chk: Check) -> None:
    """Check ``class ConvQNetwork(nn.Module)``: ``ConvQNetwork(in_channels, num_actions)``, whose
    ``forward(state_b)`` takes MinAtar observations channels last, ``(B, 10, 10, C)`` bool (or
    float), and returns ``(B, num_actions)`` float32 Q-values.

    Properties: an nn.Module with a convolution; what the first convolution receives is the
    input permuted to ``(B, C, 10, 10)`` as floats (not reshaped); the output's shape and
    dtype for two games' sizes; the first linear layer sized for the convolutions' output; rows
    independent of each other; no activation after the last layer; a gradient for every
    parameter.
    """
    for channels, actions, seed in ((4, 3, 95), (7, 5, 96)):
        torch.manual_seed(seed)
        network = _build(chk, channels, actions)
        state_b = _minatar_states(channels, 6, seed)
        result, conv_input = _first_conv_input(chk, network, state_b)
        wanted = state_b.permute(0, 3, 1, 2).float()
        if conv_input is not None and _close(conv_input.float(), wanted):
            chk.holds(_("the convolution receives channels first"))
            chk.holds(_("the convolution receives floats"))
        elif conv_input is not None and _close(
            conv_input.float(), state_b.reshape(wanted.shape).float()
        ):
            raise chk.fail(
                _("the convolution receives channels first"),
                expected=_("`state_b.permute(0, 3, 1, 2)`"),
                got=_("`state_b.reshape(B, C, 10, 10)` (or `.view`)"),
                cause=_(
                    "reshape/view keeps the memory order and only relabels it: channel c of the "
                    "result is a jumble of pixels of all channels. The axes must be moved."
                ),
                hint=_("`state_b.permute(0, 3, 1, 2)` moves the channel axis to position 1."),
            )
        else:
            raise chk.fail(
                _("the convolution receives channels first"),
                expected=_("the input permuted to (B, C, 10, 10), as floats"),
                got=show(conv_input) if conv_input is not None else "None",
                cause=_(
                    "the first convolution receives something else than the permuted observation."
                ),
                hint=_(
                    "`state_b.permute(0, 3, 1, 2).float()` is what the first nn.Conv2d should see."
                ),
            )
        q_values_b = chk.expect_tensor(result, "q_values_b")
        if tuple(q_values_b.shape) != (6, actions):
            raise chk.fail(
                _("output shape is (B, num_actions)"),
                expected=_("shape {shape}").format(shape=(6, actions)),
                got=_("shape {shape}").format(shape=tuple(q_values_b.shape)),
                cause=_(
                    "the output is not one Q-value per action for each row: a layer size is "
                    "hard-coded, or the batch was flattened together (`view(-1)`)."
                ),
                hint=_(
                    "flatten with `nn.Flatten()` (it keeps the batch), and size the last layer "
                    "with `num_actions`."
                ),
            )
        chk.holds(_("output shape is (B, num_actions)"))
        chk.expect_float32(q_values_b)
    alone = chk.call(state_b[:1], function=network, names=["state_b"])
    if _close(alone, q_values_b[:1].detach()):
        chk.holds(_("each row's Q-values depend on its own state only"))
    else:
        raise chk.fail(
            _("each row's Q-values depend on its own state only"),
            expected=show(q_values_b[:1].detach()),
            got=show(alone),
            cause=_(
                "the first state's Q-values change when it is passed alone: the rows of the "
                "batch are mixed (BatchNorm in training mode, a reshape across the batch)."
            ),
            hint=_("keep the batch dimension apart: no normalisation over the batch."),
        )
    last = type(q_values_b.grad_fn).__name__ if q_values_b.grad_fn is not None else ""
    if any(name in last for name in ("Relu", "Softmax", "Sigmoid", "Tanh", "Clamp")):
        raise chk.fail(
            _("no activation after the last layer"),
            expected=_("a linear output: Q-values of any sign and size"),
            got=last,
            cause=_(
                "the last layer is followed by an activation: Q-values would be bounded or ≥ 0."
            ),
            hint=_("end the network with `nn.Linear(hidden, num_actions)` and nothing after it."),
        )
    chk.holds(_("no activation after the last layer"))
    q_values_b.sum().backward()
    unused = [name for name, p in network.named_parameters() if p.grad is None]
    if unused:
        raise chk.fail(
            _("every parameter gets a gradient"),
            expected=_("a .grad for every parameter"),
            got=_("no gradient for {names}").format(names=", ".join(unused)),
            cause=_(
                "a layer was created in __init__ but is not used in forward (or its output is detached)."
            ),
            hint=_("use every layer in forward, in order."),
        )
    chk.holds(_("every parameter gets a gradient"))
