"""Checks of notebook 01, a neural-network review: exercises 1.1 ``linear_layer`` and
1.2 ``gradient_descent_step``.
"""

from __future__ import annotations

import torch

from course_utils.checks._i18n import _
from course_utils.checks._inputs import B, _snapshot
from course_utils.checks.harness import Check, Variant, check, show

__all__ = ["check_linear_layer", "check_gradient_descent_step"]


@check("linear_layer")
def check_linear_layer(chk: Check) -> None:
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
        got = chk.expect_tensor(
            chk.call(x_b, weight, bias), _("the weighted sums, one row per input")
        )
        if tuple(got.shape) == (hidden, B):  # the shape property, its transposed case named
            raise chk.fail(
                _("output shape is (B, H) = {shape}").format(shape=(B, hidden)),
                expected=_("shape {shape}: one row of H outputs per input row").format(
                    shape=(B, hidden)
                ),
                got=_("shape {shape}, i.e. (H, B)").format(shape=tuple(got.shape)),
                cause=_("the result is transposed: `weight @ x_b.T` gives (H, B)."),
                hint=_(
                    "the batch comes first in the result: its rows are the inputs; multiply x_b "
                    "by the (transposed) weight, not the weight by x_b."
                ),
            )
        chk.expect_shape(got, (B, hidden), _("one row of H outputs per input row"))
        linear = x_b @ weight.T + bias
        variants = [
            Variant(
                x_b @ weight.T,
                _("the bias is missing."),
                _("add `bias`; its shape (H,) broadcasts over the batch rows."),
            ),
            *(
                Variant(
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
                Variant(
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
        chk.expect_values(
            _("values equal x_b·weightᵀ + bias ({hidden}x{dim} weight)").format(
                hidden=hidden, dim=dim
            ),
            got=got,
            expected=expected,
            variants=variants,
            cause=_("the numbers differ from the weighted sums x_b·weightᵀ + bias."),
            hint=_(
                "compute one output by hand on this example: row i, neuron j is the dot product "
                "of x_b[i] with weight[j], plus bias[j]."
            ),
        )
        if not got.requires_grad:
            raise chk.fail(
                _("the result keeps the gradient"),
                expected=_("requires_grad=True (weight requires grad)"),
                got="requires_grad=False",
                cause=_(
                    "the computation left autograd: `.detach()`, `.item()`, numpy, or a new "
                    "`torch.tensor(...)` built from numbers."
                ),
                hint=_("use tensor operations only (`@`, `+`), so autograd can follow them."),
            )
        chk.holds(_("the result keeps the gradient"))
        chk.expect_unchanged(["x_b", "weight", "bias"], before, [x_b, weight, bias], {})


@check("gradient_descent_step")
def check_gradient_descent_step(chk: Check) -> None:
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
            expected=show(expected),
            got="None",
            cause=_("nothing is returned (an in-place update without `return`)."),
            hint=_("end the function with a `return` of the new weights."),
        )
    got = chk.expect_tensor(got, _("the new weights"))
    chk.expect_shape(got, tuple(w0.shape), _("the same shape as w"))
    if got.dtype != w0.dtype:
        raise chk.fail(
            _("the new weights keep w's dtype"),
            expected=str(w0.dtype),
            got=str(got.dtype),
            cause=_(
                "the result has another dtype than w: a float64 tensor crept in (numpy, "
                "`torch.tensor` of Python floats, `.double()`). The network's parameters are "
                "float32 and must stay so."
            ),
            hint=_("compute with the tensors you are given, without converting them."),
        )
    chk.holds(_("returns the new weights"))
    chk.holds(_("the new weights keep w's dtype"))
    variants = [
        Variant(
            w0 + alpha * grad0,
            _(
                "the sign is flipped: you climbed the loss. The gradient points uphill, so gradient "
                "descent *subtracts* it (the slides drop the minus sign)."
            ),
            _("move against the gradient: subtract the scaled gradient, w ← w − α·∇L."),
        ),
        Variant(
            w0 - grad0,
            _("alpha was ignored: the full gradient was subtracted."),
            _("scale the gradient by the learning rate alpha before subtracting it."),
        ),
        Variant(
            -alpha * grad0,
            _("returned the step instead of the new w: −α·∇L is the change, not the new weights."),
            _("return the new weights: the old w plus the step."),
        ),
        Variant(
            alpha * grad0,
            _("returned the step instead of the new w (and with a plus sign)."),
            _("return the new weights, w moved against the gradient."),
        ),
        Variant(
            w0 - alpha,
            _("the gradient was ignored: alpha alone was subtracted."),
            _("subtract alpha *times* the gradient, not alpha alone."),
        ),
    ]
    chk.expect_values(
        _("returns w − α·grad"),
        got=got,
        expected=expected,
        variants=variants,
        cause=_("the numbers differ from w − α·grad."),
        hint=_("apply w ← w − α·∇L by hand to one element of this example and compare."),
    )
    chk.expect_unchanged(["grad"], [grad0], [grad], {})
