"""Check of exercise 4.2 ``dqn_update`` (notebook 04): one DQN gradient step on a batch.

The check gives the student's function a tiny seeded network, an SGD optimizer (so one step
is exactly Δθ = −lr·clip(∇L)) and a batch with terminal rows, then compares the parameters
after the call with reference steps: the correct one and the classic mistakes (no
``zero_grad``, no clipping, clipping after the step, a wrong target). Its inputs make each
mistake visible: the gradients hold garbage before the call (so a missing ``zero_grad``
shows), ``max_grad_norm`` is a third of the gradient's norm (so clipping binds), and the
target network is *not* frozen (so a gradient through the target shows).
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.checks._guard import _with_references
from course_utils.checks._i18n import _
from course_utils.checks._inputs import (
    GAMMA,
    _network,
    _rewards,
    _same_state,
    _snapshot,
    _state,
    _states,
    _terminated,
)
from course_utils.checks.harness import Check, check, show
from course_utils.checks.targets import _target_variants
from course_utils.replay import Batch

__all__ = ["check_dqn_update"]

LR = 0.1  # the check's SGD learning rate


class _CountingSGD(torch.optim.SGD):
    """Plain SGD that counts its steps: one update is exactly θ ← θ − lr·∇."""

    def __init__(self, params: object, lr: float) -> None:
        super().__init__(params, lr=lr)  # type: ignore[arg-type]
        self.steps = 0

    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        self.steps += 1
        return super().step(closure)


def _params(network: nn.Module) -> list[Tensor]:
    return [p.detach().clone() for p in network.parameters()]


def _same(a: list[Tensor], b: list[Tensor]) -> bool:
    return all(torch.allclose(x, y, atol=1e-6, rtol=1e-4) for x, y in zip(a, b, strict=True))


def _reference_step(
    q_network: nn.Module,
    batch: Batch,
    target_b: Tensor | Callable[[nn.Module], Tensor],
    max_grad_norm: float,
    *,
    garbage: list[Tensor] | None = None,
    clip: bool | str = True,
) -> tuple[list[Tensor], float]:
    """The parameters after one SGD step on a copy of ``q_network``, and the pre-step loss.

    ``target_b`` is a tensor, or a function of the copied network (a target that keeps the
    online network's gradient); ``garbage`` is added to the gradient (a missing zero_grad).
    """
    net = copy.deepcopy(q_network)
    net.zero_grad(set_to_none=True)
    target = target_b(net) if callable(target_b) else target_b
    loss = F.mse_loss(net(batch.state).gather(1, batch.action), target)
    loss.backward()
    with torch.no_grad():
        for p, g in zip(net.parameters(), garbage or [], strict=False):
            p.grad += g
    if clip == "value":  # a mistake: every element clipped, not the norm
        nn.utils.clip_grad_value_(net.parameters(), max_grad_norm)
    elif clip:
        nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
    with torch.no_grad():
        for p in net.parameters():
            p -= LR * p.grad
    return _params(net), loss.item()


class _ClipSpy:
    """Records the calls of ``nn.utils.clip_grad_norm_`` made while it is active: which
    parameters were clipped, and the norm of their gradients at that moment (None when none
    had one). A function imported as ``from torch.nn.utils import clip_grad_norm_`` before
    the check escapes it; the diagnosis then falls back on the step alone."""

    def __init__(self) -> None:
        self.calls: list[tuple[set[int], float | None]] = []

    @contextlib.contextmanager
    def watching(self) -> Iterator[None]:
        original = nn.utils.clip_grad_norm_

        def spy(parameters: Any, *args: Any, **kwargs: Any) -> Any:
            parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = (
                float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads])))
                if grads
                else None
            )
            self.calls.append(({id(p) for p in parameters}, norm))
            return original(parameters, *args, **kwargs)

        nn.utils.clip_grad_norm_ = spy
        try:
            yield
        finally:
            nn.utils.clip_grad_norm_ = original


def _grad_norm(network: nn.Module) -> float:
    grads = [p.grad for p in network.parameters() if p.grad is not None]
    return (
        float(torch.linalg.vector_norm(torch.cat([g.reshape(-1) for g in grads]))) if grads else 0.0
    )


@check("dqn_update")
def check_dqn_update(chk: Check) -> None:
    """Check ``dqn_update(q_network, target_q_network, optimizer, batch, gamma, max_grad_norm)
    -> float``: targets, loss, zero_grad, backward, clip, one step; the pre-step loss back.
    """
    from course_utils import reference  # noqa: PLC0415 (imported when the check runs)

    # One bug, one exercise: the student's dqn_targets (4.1) and q_loss (3.6) are replaced by
    # the references, so that only this exercise's code is graded here.
    chk.function = _with_references(
        chk.function, {"dqn_targets": reference.dqn_targets, "q_loss": reference.q_loss}
    )
    q_network, target_q_network = _network(seed=70), _network(seed=71)  # target not frozen
    pristine = copy.deepcopy(q_network)
    unclipped_start = copy.deepcopy(q_network)  # for the step with a norm that never binds
    state_b, next_state_b = _states(seed=72), _states(seed=73)
    with torch.no_grad():
        action_b = q_network(state_b).argmin(dim=1, keepdim=True)  # never the greedy action
    reward_b, terminated_b = _rewards(), _terminated()
    batch = Batch(state_b, action_b, reward_b, terminated_b, next_state_b)
    mask_b = 1.0 - terminated_b.float()
    with torch.no_grad():
        max_b = target_q_network(next_state_b).max(dim=1, keepdim=True).values
    target_b = reward_b + GAMMA * mask_b * max_b

    # Clipping must bind: max_grad_norm is a third of the true gradient's norm.
    probe = copy.deepcopy(q_network)
    F.mse_loss(probe(state_b).gather(1, action_b), target_b).backward()
    max_grad_norm = round(_grad_norm(probe) / 3, 4)
    generator = torch.Generator().manual_seed(74)
    garbage = [
        3 * max_grad_norm * torch.randn(p.shape, generator=generator)
        for p in q_network.parameters()
    ]
    expected, pre_loss = _reference_step(q_network, batch, target_b, max_grad_norm)
    initial = _params(q_network)
    unclipped = _reference_step(q_network, batch, target_b, max_grad_norm, clip=False)[0]
    mistakes = _mistaken_steps(q_network, batch, target_b, mask_b, max_b, max_grad_norm, garbage)
    for p, g in zip(q_network.parameters(), garbage, strict=True):
        p.grad = g.clone()  # left over from an earlier step: zero_grad must clear it
    optimizer = _CountingSGD(q_network.parameters(), lr=LR)
    before_batch, target_state = _snapshot(batch), _state(target_q_network)
    clip_spy = _ClipSpy()
    with clip_spy.watching():
        got = chk.call(q_network, target_q_network, optimizer, batch, GAMMA, max_grad_norm)
    after = _params(q_network)
    if not _same(after, expected) and _same(after, mistakes[0][0]):
        # Zeroing *after* the step is correct too: then every call starts with empty
        # gradients (None at the first one). Accept it if it does exactly that.
        if _zeroes_after_step(chk, pristine, target_q_network, batch, max_grad_norm, expected):
            q_network, after = pristine, expected
            optimizer.steps = 1

    # 1. the return value: a Python float
    if got is None:
        raise chk.fail(
            _("returns the loss as a Python float"),
            expected=_("a float, the batch's loss before the step ({loss:.4f})").format(
                loss=pre_loss
            ),
            got="None",
            cause=_("the function returns nothing (a missing `return`)."),
            hint=_("end the function with a `return` of the loss, as a Python float."),
        )
    if isinstance(got, Tensor):
        raise chk.fail(
            _("returns the loss as a Python float"),
            expected=_("a float, {loss:.4f}").format(loss=pre_loss),
            got=show(got),
            cause=_(
                "the loss tensor itself came back. Stored in the statistics, every such tensor "
                "keeps its whole autograd graph alive, and memory grows with every step (the "
                "slides' erratum)."
            ),
            hint=_(
                "return the loss as a plain Python number; a one-element tensor has a method for that."
            ),
        )
    if not isinstance(got, float):
        raise chk.fail(
            _("returns the loss as a Python float"),
            expected=_("a float, {loss:.4f}").format(loss=pre_loss),
            got=show(got),
            cause=_("something other than a Python float came back (a NumPy number, a tuple?)."),
            hint=_("return the loss as a plain Python float."),
        )
    chk.holds(_("returns the loss as a Python float"))

    # 2. exactly one optimizer step
    if optimizer.steps != 1:
        cause = (
            _(
                "optimizer.step() was never called: the gradients were computed but the "
                "parameters never moved."
            )
            if optimizer.steps == 0
            else _("optimizer.step() was called more than once: one batch, one step.")
        )
        raise chk.fail(
            _("takes exactly one optimizer step"),
            expected=_("optimizer.step() called once"),
            got=_("called {n} times").format(n=optimizer.steps),
            cause=cause,
            hint=_("one batch, one step: the optimizer steps once, after the gradients are ready."),
        )
    chk.holds(_("takes exactly one optimizer step"))

    # 3. the target network: untouched, no gradient
    if not _same_state(_state(target_q_network), target_state):
        raise chk.fail(
            _("the target network is left unchanged"),
            expected=_("the weights of target_q_network as they were"),
            got=_("they were modified"),
            cause=_(
                "the update changed θ_targ: only the online network learns; θ_targ changes only "
                "when it is synchronised."
            ),
            hint=_(
                "give the optimizer nothing but q_network's parameters; do not sync inside the update."
            ),
        )
    graded = [name for name, p in target_q_network.named_parameters() if p.grad is not None]
    if graded:
        raise chk.fail(
            _("no gradient reaches the target network"),
            expected=_("every target_q_network parameter with .grad None"),
            got=_(".grad set on {names}").format(names=", ".join(graded)),
            cause=_(
                "the target was computed with gradients on, so loss.backward() also ran through "
                "target_q_network. (In the notebook the target network is frozen and this goes "
                "unnoticed; the check's is not.) The TD target is a constant: the semi-gradient."
            ),
            hint=_(
                "the target must be a constant: compute it without gradient (exercise 4.1 does)."
            ),
        )
    chk.holds(_("the target network is left unchanged"))
    chk.holds(_("no gradient reaches the target network"))

    # 4. the step itself: one clipped step from freshly zeroed gradients
    if not _same(after, expected):
        raise _wrong_step(
            chk,
            q_network,
            initial,
            after,
            expected,
            unclipped,
            mistakes,
            max_grad_norm,
            clip_spy,
            3 * max_grad_norm,
        )
    chk.holds(_("the parameters take one clipped gradient step"))
    _expect_plain_gradient(chk, unclipped_start, target_q_network, batch, target_b)

    # 5. the loss returned is the one before the step
    if abs(got - pre_loss) > 1e-4 * max(1.0, abs(pre_loss)):
        with torch.no_grad():
            post_loss = F.mse_loss(q_network(state_b).gather(1, action_b), target_b).item()
        if abs(got - post_loss) <= 1e-4 * max(1.0, abs(post_loss)):
            cause = _(
                "the loss was computed again after optimizer.step(): that is the new "
                "network's loss on the batch, not the one the step was taken on."
            )
        else:
            cause = _("the number is neither the loss before the step nor the one after it.")
        raise chk.fail(
            _("returns the loss before the step"),
            expected=f"{pre_loss:.4f}",
            got=f"{got:.4f}",
            cause=cause,
            hint=_(
                "return the value of the loss you called backward() on, computed before the step."
            ),
        )
    chk.holds(_("returns the loss before the step"))

    # 6. the batch is left as it was
    for name, old, new in zip(Batch._fields, before_batch, batch, strict=True):
        if not torch.equal(old, new):
            raise chk.fail(
                _("the batch is left unchanged"),
                expected=_("{name} as passed: {value}").format(name=name, value=show(old)),
                got=show(new),
                cause=_(
                    "{name} was modified in place; in the notebook it is a sample of the replay "
                    "memory."
                ).format(name=name),
                hint=_(
                    "build new tensors instead of modifying the batch (no `+=`, no methods ending in `_`)."
                ),
            )
    chk.holds(_("the batch is left unchanged"))


def _expect_plain_gradient(
    chk: Check, q_network: nn.Module, target_q_network: nn.Module, batch: Batch, target_b: Tensor
) -> None:
    """With a norm that never binds, the step is exactly −lr·∇L: a gradient computed twice
    (two backward() calls add up) or clipped to a number of its own shows here, where a
    binding clip would have hidden it. Recorded under the same property as the clipped step,
    so that the success line's count stays what the notebooks show."""
    max_grad_norm = 1e6
    initial = _params(q_network)
    expected = _reference_step(q_network, batch, target_b, max_grad_norm, clip=False)[0]
    for p in q_network.parameters():
        p.grad = None
    optimizer = _CountingSGD(q_network.parameters(), lr=LR)
    chk.call(q_network, target_q_network, optimizer, batch, GAMMA, max_grad_norm)
    after = _params(q_network)
    if _same(after, expected):
        chk.holds(_("the parameters take one clipped gradient step"))
        return
    moved, want, angle = _step_geometry(initial, after, expected)
    ratio = moved / want if want else 0.0
    if angle < 1.0 and abs(ratio - round(ratio)) < 1e-3 and round(ratio) >= 2:
        cause = _(
            "the step is {k} times −lr·∇L in the right direction: the gradient was computed "
            "{k} times and added up (backward() called more than once, or the loss counted "
            "twice). With a clipping norm that binds this hides; with Adam or a larger norm "
            "it does not."
        ).format(k=round(ratio))
        hint = _("one loss, one backward() per update.")
    elif angle < 1.0 and ratio < 1.0:
        cause = _(
            "with max_grad_norm = {m:g} the gradient is still clipped, to a norm of about "
            "{c:.4g}: the function clips with a number of its own (or the notebook's "
            "`MAX_GRAD_NORM`) instead of its argument `max_grad_norm`."
        ).format(m=max_grad_norm, c=moved / LR)
        hint = _("clip to the `max_grad_norm` the function receives.")
    else:
        cause = _(
            "with a clipping norm too large to bind, the step should be exactly −lr·∇L of "
            "the batch, and it is not."
        )
        hint = _(
            "one update is: targets (4.1), loss (3.6), fresh gradients, clipped, one step; "
            "check which of these your function leaves out or does twice."
        )
    raise chk.fail(
        _("the parameters take one clipped gradient step"),
        expected=_("a step of length {length:.4f} (max_grad_norm = {m:g})").format(
            length=want, m=max_grad_norm
        ),
        got=_("a step of length {length:.4f}, {angle:.0f}° away from that direction").format(
            length=moved, angle=angle
        ),
        cause=cause,
        hint=hint,
    )


def _step_geometry(
    initial: list[Tensor], after: list[Tensor], expected: list[Tensor]
) -> tuple[float, float, float]:
    """The length of the step taken, of the step expected, and the angle between them."""
    moved = (
        sum(
            float(torch.linalg.vector_norm(a - b)) ** 2 for a, b in zip(after, initial, strict=True)
        )
        ** 0.5
    )
    want = (
        sum(
            float(torch.linalg.vector_norm(a - b)) ** 2
            for a, b in zip(expected, initial, strict=True)
        )
        ** 0.5
    )
    dot = sum(
        float(((a - i) * (e - i)).sum()) for a, e, i in zip(after, expected, initial, strict=True)
    )
    cosine = dot / (moved * want) if moved > 0 and want > 0 else 1.0
    return moved, want, math.degrees(math.acos(max(-1.0, min(1.0, cosine))))


def _zeroes_after_step(
    chk: Check,
    pristine: nn.Module,
    target_q_network: nn.Module,
    batch: Batch,
    max_grad_norm: float,
    expected: list[Tensor],
) -> bool:
    """Whether the function, given empty gradients (as at the first call), takes the right
    step and leaves the gradients empty again: ``zero_grad()`` after ``step()``."""
    for p in pristine.parameters():
        p.grad = None
    optimizer = _CountingSGD(pristine.parameters(), lr=LR)
    chk.call(pristine, target_q_network, optimizer, batch, GAMMA, max_grad_norm)
    cleared = all(p.grad is None or not p.grad.any() for p in pristine.parameters())
    return optimizer.steps == 1 and cleared and _same(_params(pristine), expected)


def _mistaken_steps(
    q_network: nn.Module,
    batch: Batch,
    target_b: Tensor,
    mask_b: Tensor,
    max_b: Tensor,
    max_grad_norm: float,
    garbage: list[Tensor],
) -> list[tuple[list[Tensor], str, str]]:
    """The parameters each classic mistake would leave, with its cause and hint."""
    reward_b, next_state_b = batch.reward, batch.next_state

    def step(target: Tensor | Callable[[nn.Module], Tensor], **kwargs: object) -> list[Tensor]:
        return _reference_step(q_network, batch, target, max_grad_norm, **kwargs)[0]  # type: ignore[arg-type]

    with torch.no_grad():
        online_max_b = q_network(next_state_b).max(dim=1, keepdim=True).values
    mistakes = [
        (
            step(target_b, garbage=garbage),
            _(
                "the gradients were not zeroed before backward(): PyTorch *adds* new gradients "
                "to .grad, so the step mixed this batch's gradient with old ones (the check left "
                "garbage there, as a previous step would)."
            ),
            _(
                "clear the gradients once per update, before backward() (or after the step, so "
                "that the next update starts clean)."
            ),
        ),
        (
            step(target_b, garbage=garbage, clip=False),
            _("the gradients were neither zeroed before backward() nor clipped before the step."),
            _(
                "the gradients must be fresh (cleared before backward) and clipped (between "
                "backward and the step)."
            ),
        ),
        (
            step(
                lambda net: (
                    reward_b + GAMMA * mask_b * net(next_state_b).max(1, keepdim=True).values
                )
            ),
            _(
                "the target was computed with the online network, with its gradient: the "
                "residual gradient, which pulls q(S', ·) towards q(S, A) as well. DQN's target "
                "uses target_q_network and carries no gradient."
            ),
            _(
                "the target comes from the target network, without gradient: exercise 4.1's targets."
            ),
        ),
        (
            step(reward_b + GAMMA * mask_b * online_max_b),
            _(
                "the target was computed with q_network instead of target_q_network: the "
                "target then moves with every step, which the target network exists to prevent."
            ),
            _("the target comes from target_q_network, the frozen copy, not from q_network."),
        ),
    ]
    mistakes.append(
        (
            step(target_b, clip="value"),
            _(
                "`clip_grad_value_` clamps every gradient element to ±max_grad_norm: the "
                "step's direction changes. DQN's clipping rescales the whole gradient so that "
                "its norm is at most max_grad_norm, keeping the direction."
            ),
            _("clip the gradient's *norm* (the other clipping function of `nn.utils`)."),
        )
    )
    for variant in _target_variants(reward_b, mask_b, max_b, GAMMA):
        mistakes.append(
            (step(variant.value), _("the target is wrong:") + " " + variant.cause, variant.hint)
        )
    return mistakes


def _wrong_step(
    chk: Check,
    q_network: nn.Module,
    initial: list[Tensor],
    after: list[Tensor],
    expected: list[Tensor],
    unclipped: list[Tensor],
    mistakes: list[tuple[list[Tensor], str, str]],
    max_grad_norm: float,
    clip_spy: _ClipSpy,
    gradient_norm: float,
) -> Exception:
    """Name the mistake whose step matches what the parameters did."""
    prop = _("the parameters take one clipped gradient step")
    moved, want, angle = _step_geometry(initial, after, expected)
    expected_text = _(
        "a step of length lr·max_grad_norm = {length:.4f} along −∇L of this batch"
    ).format(length=want)
    got_text = _("a step of length {length:.4f}, {angle:.0f}° away from that direction").format(
        length=moved, angle=angle
    )
    if moved == 0.0:
        return chk.fail(
            prop,
            expected=expected_text,
            got=_("the parameters did not move"),
            cause=_(
                "optimizer.step() ran with no gradient: the gradients were zeroed between "
                "backward() and step(), or backward() was never called."
            ),
            hint=_("the order is zero_grad, backward, clip, step."),
        )
    if _same(after, unclipped):
        own = {id(p) for p in q_network.parameters()}
        clipped = [norm for ids, norm in clip_spy.calls if ids & own]
        if clip_spy.calls and not clipped:
            cause = _(
                "`clip_grad_norm_` was given the parameters of another network "
                "(target_q_network?): q_network's gradient, the one the step uses, stayed "
                "unclipped."
            )
        elif clipped and all(
            norm is None or abs(norm - gradient_norm) > 1e-3 * gradient_norm for norm in clipped
        ):
            cause = _(
                "the gradient was clipped before backward() computed it: clipping then acts "
                "on the old (or empty) gradients, and the step uses the new, unclipped ones."
            )
        elif abs(_grad_norm(q_network) - max_grad_norm) <= 1e-3 * max_grad_norm:
            cause = _(
                "the gradient was clipped after optimizer.step(): the step had already used "
                "the unclipped gradient, so the clipping changed nothing."
            )
        else:
            cause = _(
                "the gradient was not clipped: the step is longer than lr·max_grad_norm. A "
                "rare huge TD error can then throw the weights far."
            )
        return chk.fail(
            prop,
            expected=expected_text,
            got=got_text,
            cause=cause,
            hint=_(
                "clip the gradient's norm to max_grad_norm after backward() has computed it and "
                "before the step uses it (`nn.utils` has a function for it)."
            ),
        )
    for params, cause, hint in mistakes:
        if _same(after, params):
            return chk.fail(prop, expected=expected_text, got=got_text, cause=cause, hint=hint)
    unclipped_length = _step_geometry(initial, unclipped, expected)[0]
    if angle < 1.0 and abs(moved - want) > 1e-3 * want and moved < unclipped_length:
        return chk.fail(
            prop,
            expected=expected_text,
            got=got_text,
            cause=_(
                "the direction is right but the gradient was clipped to a norm of about "
                "{c:.4g}, not to max_grad_norm = {m:.4g}: a number written into the function "
                "(or the notebook's `MAX_GRAD_NORM`) instead of the argument."
            ).format(c=moved / LR, m=max_grad_norm),
            hint=_("clip to the `max_grad_norm` the function receives."),
        )
    return chk.fail(
        prop,
        expected=expected_text,
        got=got_text,
        cause=_(
            "the step differs from one SGD step on the clipped gradient of the MSE against the "
            "DQN targets, in a way none of the usual mistakes explains."
        ),
        hint=_(
            "one update is: targets (4.1), loss (3.6), fresh gradients, clipped, one step; check "
            "which of these your function leaves out or does twice."
        ),
    )
