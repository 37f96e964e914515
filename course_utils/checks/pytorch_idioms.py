"""Checks of notebook 02, PyTorch idioms: exercises 2.1 ``select_q_values`` (``gather``)
and 2.2 ``training_step``.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course_utils.checks._i18n import _
from course_utils.checks._inputs import B, _close, _linear, _snapshot
from course_utils.checks.harness import Check, Variant, check, show

__all__ = ["check_select_q_values", "check_training_step"]


@check("select_q_values")
def check_select_q_values(chk: Check) -> None:
    """Check ``select_q_values(q_values_b, action_b) -> (B, 1)``: Q(s, a) of the actions taken.

    Catches (B,) instead of (B, 1), the (B, B, 1) of ``q_values_b[:, action_b]``, max
    instead of the action taken, and gather along dim 0.
    """
    q_values_b = torch.tensor(
        [[1.0, 2.0, 3.0], [6.0, 4.0, 5.0], [8.0, 9.0, 7.0], [10.0, 12.0, 11.0]], requires_grad=True
    )
    action_b = torch.tensor([[0], [2], [2], [1]])
    before = _snapshot([q_values_b, action_b])
    expected = q_values_b.detach().gather(1, action_b)
    got = chk.expect_tensor(chk.call(q_values_b, action_b), _("Q(s, a) of the actions taken"))
    chk.expect_shape(got, (B, 1), _("one Q-value per transition"))
    chk.expect_float32(got)
    q = q_values_b.detach()
    variants = [
        Variant(
            q.max(dim=1, keepdim=True).values,
            _(
                "max was used instead of the action taken: this is the greedy action's value, "
                "max_a Q(s, a), not Q(s, a) of the action in the batch."
            ),
            _(
                "pick the action that was taken, given in action_b, not the best one: `gather` "
                "takes one column per row by index."
            ),
        ),
        Variant(
            q.gather(0, action_b),
            _("gather along dim 0: the action indices were used as row numbers."),
            _("actions index the columns: gather along dimension 1, the action dimension."),
        ),
    ]
    chk.expect_values(
        _("Q-values of the actions taken"),
        got=got,
        expected=expected,
        variants=variants,
        cause=_("the values are not Q(s, a) of the actions in action_b."),
        hint=_("row i must hold q_values_b[i, action_b[i, 0]]: check one row by hand."),
    )
    if not got.requires_grad:
        raise chk.fail(
            _("the result keeps the gradient"),
            expected=_("requires_grad=True (q_values_b requires grad)"),
            got="requires_grad=False",
            cause=_(
                "the selection left autograd (`.detach()`, `.item()`, numpy, `torch.tensor(...)`), "
                "so no gradient would reach the network."
            ),
            hint=_("select with tensor operations: `gather` or indexing."),
        )
    chk.holds(_("the result keeps the gradient"))
    chk.expect_unchanged(["q_values_b", "action_b"], before, [q_values_b, action_b], {})


@check("training_step")
def check_training_step(chk: Check) -> None:
    """Check ``training_step(network, optimizer, loss_fn, x_b, y_b) -> float``.

    One step: zero_grad, forward, loss, backward, step; returns ``loss.item()``. The
    parameters' ``.grad`` are pre-filled with junk, so a missing zero_grad shows.
    """
    generator = torch.Generator().manual_seed(2)
    network = nn.Sequential(_linear(3, 2, generator)).train()
    x_b = torch.randn(B, 3, generator=generator)
    y_b = torch.randn(B, 2, generator=generator)
    lr = 0.1
    optimizer = torch.optim.SGD(network.parameters(), lr=lr)
    params = [p.detach().clone() for p in network.parameters()]
    junk = [torch.full_like(p, 3.0) for p in params]
    for p, j in zip(network.parameters(), junk, strict=True):
        p.grad = j.clone()

    reference = copy.deepcopy(network)
    loss = F.mse_loss(reference(x_b), y_b)
    grads = torch.autograd.grad(loss, list(reference.parameters()))
    after = copy.deepcopy(reference)
    with torch.no_grad():
        for p, g in zip(after.parameters(), grads, strict=True):
            p -= lr * g
    expected_loss = loss.item()
    loss_after_step = F.mse_loss(after(x_b), y_b).item()

    before = _snapshot([x_b, y_b])
    got = chk.call(network, optimizer, nn.MSELoss(), x_b, y_b)
    if isinstance(got, Tensor):
        raise chk.fail(
            _("returns the loss as a Python float"),
            expected=f"float {expected_loss:.4f}",
            got=show(got),
            cause=_(
                "the loss tensor was returned. Stored in the statistics, every loss tensor keeps "
                "its whole autograd graph alive, and memory grows each step."
            ),
            hint=_(
                "return the loss as a Python number: a tensor of one element has a method for that."
            ),
        )
    if not isinstance(got, float):
        raise chk.fail(
            _("returns the loss as a Python float"),
            expected=f"float {expected_loss:.4f}",
            got=show(got),
            cause=_("the function does not return the loss value (a missing `return`?)."),
            hint=_("end the function with a `return` of the loss, as a Python float."),
        )
    chk.holds(_("returns the loss as a Python float"))
    if abs(got - expected_loss) > 1e-5:
        cause = _("the returned number is not the loss of this batch before the update.")
        if abs(got - loss_after_step) <= 1e-5:
            cause = _("the loss was computed again after optimizer.step() (a second forward pass).")
        raise chk.fail(
            _("returns the loss of the batch"),
            expected=f"{expected_loss:.4f}",
            got=f"{got:.4f}",
            cause=cause,
            hint=_(
                "compute the loss once, before the step, and return that value as a Python float."
            ),
        )
    chk.holds(_("returns the loss of the batch"))

    new = [p.detach() for p in network.parameters()]
    expected_params = [p.detach() for p in after.parameters()]

    def matches(candidate: list[Tensor]) -> bool:
        return all(_close(n, c) for n, c in zip(new, candidate, strict=True))

    if not matches(expected_params):
        step = [f"{tuple(p.shape)}" for p in params]
        if matches(params) and all(p.grad is None for p in network.parameters()):
            cause = _(
                "the parameters did not change and no gradient is left: `loss.backward()` is "
                "missing, or `optimizer.zero_grad()` was called between backward and step, "
                "which erases the gradients before they are used."
            )
        elif matches(params):
            cause = _("the parameters did not change: `optimizer.step()` is missing.")

        elif matches([p - lr * (g + j) for p, g, j in zip(params, grads, junk, strict=True)]):
            cause = _(
                "`optimizer.zero_grad()` is missing: gradients add up in `.grad`, so the step "
                "used this batch's gradient plus whatever was left there before."
            )
        elif matches([p - lr * j for p, j in zip(params, junk, strict=True)]):
            cause = _(
                "`loss.backward()` is missing: the step used the stale gradients already in `.grad`."
            )
        elif matches([p - 2 * lr * g for p, g in zip(params, grads, strict=True)]):
            cause = _("two optimizer steps were taken for one batch.")
        elif matches([p + lr * g for p, g in zip(params, grads, strict=True)]):
            cause = _("the parameters moved uphill: the loss was negated before backward().")
        else:
            cause = _("the parameters changed, but not by one SGD step on this batch's loss.")
        raise chk.fail(
            _("the parameters take exactly one gradient step"),
            expected=_("parameters (shapes {shapes}) = old − lr·∇loss").format(
                shapes=", ".join(step)
            ),
            got=_("different parameters after the call"),
            cause=cause,
            hint=_(
                "one step needs four things, each once: clear the old gradients, compute the "
                "loss, compute the new gradients, let the optimizer take its step; think about "
                "which must come before which."
            ),
        )
    chk.holds(_("the parameters take exactly one gradient step"))
    chk.expect_unchanged(["x_b", "y_b"], before, [x_b, y_b], {})
