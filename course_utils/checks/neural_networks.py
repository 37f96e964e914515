"""Checks of notebook 01, a neural-network review: exercises 1.1 ``linear_layer`` and
1.2 ``gradient_descent_step``.
"""

from __future__ import annotations

import torch

from course_utils.checks._harness import (
    _Check,
    _expect_shape,
    _expect_tensor,
    _expect_unchanged,
    _expect_values,
    _isolated,
    _show,
    _Variant,
)
from course_utils.checks._i18n import _
from course_utils.checks._inputs import B, _snapshot

__all__ = ["check_linear_layer", "check_gradient_descent_step"]


@_isolated
def check_linear_layer(chk: _Check) -> None:
    """Check ``linear_layer(x_b, weight, bias) -> x_b @ weight.T + bias`` (shape (B, H)).

    Catches a missing transpose (also the square case, where it silently gives wrong
    numbers), a missing bias, an activation applied, and wrong shapes.
    """
    generator = torch.Generator().manual_seed(1)
    for hidden, dim in ((3, 3), (2, 3)):  # the square case first: a missing .T does not crash
        x_b = torch.randn(B, dim, generator=generator)
        weight = torch.randn(hidden, dim, generator=generator).requires_grad_(True)
        bias = torch.randn(hidden, generator=generator)
        before = _snapshot([x_b, weight, bias])
        expected = (x_b @ weight.T + bias).detach()
        got = _expect_tensor(
            chk, chk.call(x_b, weight, bias), _("the weighted sums, one row per input")
        )
        if tuple(got.shape) == (hidden, B):
            raise chk.fail(
                _("output shape is (B, H) = {shape}").format(shape=(B, hidden)),
                _("shape {shape}: one row of H outputs per input row").format(shape=(B, hidden)),
                _("shape {shape}, i.e. (H, B)").format(shape=tuple(got.shape)),
                _("the result is transposed: `weight @ x_b.T` gives (H, B)."),
                _(
                    "the batch comes first in the result: its rows are the inputs; multiply x_b "
                    "by the (transposed) weight, not the weight by x_b."
                ),
            )
        _expect_shape(chk, got, (B, hidden), _("one row of H outputs per input row"))
        linear = x_b @ weight.T + bias
        variants = [
            _Variant(
                x_b @ weight.T,
                _("the bias is missing."),
                _("add `bias`; its shape (H,) broadcasts over the batch rows."),
            ),
            *(
                _Variant(
                    act(linear),
                    _(
                        "an activation ({label}) was applied: a linear layer is only the "
                        "weighted sums plus the bias."
                    ).format(label=label),
                    _("leave the activation to the network, which applies it after the layer."),
                )
                for label, act in (
                    ("ReLU", torch.relu),
                    ("sigmoid", torch.sigmoid),
                    ("tanh", torch.tanh),
                )
            ),
        ]
        if hidden == dim:  # x_b @ weight only runs, silently wrong, when the weight is square
            variants.insert(
                0,
                _Variant(
                    x_b @ weight + bias,
                    _(
                        "missing transpose: weight is stored (H, D), nn.Linear's convention, so "
                        "the product needs the weight transposed. With a square weight, "
                        "`x_b @ weight` runs but gives wrong numbers."
                    ),
                    _(
                        "each output j is the dot product of an input row with row j of weight: "
                        "transpose the weight so that its rows become columns."
                    ),
                ),
            )
        _expect_values(
            chk,
            _("values equal x_b·weightᵀ + bias ({hidden}x{dim} weight)").format(
                hidden=hidden, dim=dim
            ),
            got,
            expected,
            variants,
            _("the numbers differ from the weighted sums x_b·weightᵀ + bias."),
            _(
                "compute one output by hand on this example: row i, neuron j is the dot product "
                "of x_b[i] with weight[j], plus bias[j]."
            ),
        )
        if not got.requires_grad:
            raise chk.fail(
                _("the result keeps the gradient"),
                _("requires_grad=True (weight requires grad)"),
                "requires_grad=False",
                _(
                    "the computation left autograd: `.detach()`, `.item()`, numpy, or a new "
                    "`torch.tensor(...)` built from numbers."
                ),
                _("use tensor operations only (`@`, `+`), so autograd can follow them."),
            )
        chk.ok()
        _expect_unchanged(chk, ["x_b", "weight", "bias"], before, [x_b, weight, bias], {})


@_isolated
def check_gradient_descent_step(chk: _Check) -> None:
    """Check ``gradient_descent_step(w, grad, alpha) -> w - alpha * grad``.

    In place or as a new tensor, as long as the returned value is right. Catches the
    slides' plus sign, an ignored alpha, and returning the step instead of the new w.
    """
    w = torch.tensor([1.0, -2.0, 0.5])
    grad = torch.tensor([0.5, 1.0, -2.0])
    alpha = 0.1
    w0, grad0 = w.clone(), grad.clone()
    expected = w0 - alpha * grad0
    got = chk.call(w, grad, alpha, may_change=(0,))  # updating w in place is allowed
    if got is None:
        raise chk.fail(
            _("returns the new weights"),
            _show(expected),
            "None",
            _("nothing is returned (an in-place update without `return`)."),
            _("end the function with a `return` of the new weights."),
        )
    got = _expect_tensor(chk, got, _("the new weights"))
    _expect_shape(chk, got, tuple(w0.shape), _("the same shape as w"))
    if got.dtype != w0.dtype:
        raise chk.fail(
            _("the new weights keep w's dtype"),
            str(w0.dtype),
            str(got.dtype),
            _(
                "the result has another dtype than w: a float64 tensor crept in (numpy, "
                "`torch.tensor` of Python floats, `.double()`). The network's parameters are "
                "float32 and must stay so."
            ),
            _("compute with the tensors you are given, without converting them."),
        )
    chk.ok()
    variants = [
        _Variant(
            w0 + alpha * grad0,
            _(
                "the sign is flipped: you climbed the loss. The gradient points uphill, so gradient "
                "descent *subtracts* it (the slides drop the minus sign)."
            ),
            _("move against the gradient: subtract the scaled gradient, w ← w − α·∇L."),
        ),
        _Variant(
            w0 - grad0,
            _("alpha was ignored: the full gradient was subtracted."),
            _("scale the gradient by the learning rate alpha before subtracting it."),
        ),
        _Variant(
            -alpha * grad0,
            _("returned the step instead of the new w: −α·∇L is the change, not the new weights."),
            _("return the new weights: the old w plus the step."),
        ),
        _Variant(
            alpha * grad0,
            _("returned the step instead of the new w (and with a plus sign)."),
            _("return the new weights, w moved against the gradient."),
        ),
        _Variant(
            w0 - alpha,
            _("the gradient was ignored: alpha alone was subtracted."),
            _("subtract alpha *times* the gradient, not alpha alone."),
        ),
    ]
    _expect_values(
        chk,
        _("returns w − α·grad"),
        got,
        expected,
        variants,
        _("the numbers differ from w − α·grad."),
        _("apply w ← w − α·∇L by hand to one element of this example and compare."),
    )
    _expect_unchanged(chk, ["grad"], [grad0], [grad], {})
