"""Check of the loss, exercise 3.6 ``q_loss`` (notebook 03; given in 04 and 05): the mean
squared error between q(S, A) of the actions taken and the targets.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from course_utils.checks._i18n import N_, _
from course_utils.checks._inputs import B, _network, _snapshot, _state, _states
from course_utils.checks.harness import Check, Variant, check, show

__all__ = ["check_q_loss"]

_FANCY_INDEXING = N_(
    "`q_b[:, action_b]` is not a selection per row: each row picked the actions of all B rows, "
    "a (B, B, 1) tensor ((B, B) with a squeezed index) that pairs every state with every "
    "transition's action, so the loss compares B × B predictions with the targets, most of "
    "them for actions never taken in that state."
)


@check("q_loss")
def check_q_loss(chk: Check) -> None:
    """Check ``q_loss(q_network, state_b, action_b, target_b) -> scalar``.

    The mean squared error between q(S, A) of the actions taken and target_b (B, 1); a
    0-dimensional tensor whose gradient reaches q_network.
    """
    q_network = _network(seed=60)
    state_b = _states(seed=61)
    with torch.no_grad():
        q_b = q_network(state_b)
    action_b = q_b.argmin(dim=1, keepdim=True)  # never the greedy action
    # Errors of both signs, so that averaging them unsquared differs from their absolute mean.
    target_b = torch.tensor([[0.5], [-1.0], [2.0], [-3.0]])
    taken_b = q_b.gather(1, action_b)
    error_b = taken_b - target_b
    expected = (error_b**2).mean()
    args = [q_network, state_b, action_b, target_b]
    before, online_state = _snapshot(args[1:]), _state(q_network)
    got = chk.call(*args)
    if isinstance(got, (float, int)):
        raise chk.fail(
            _("returns a tensor"),
            expected=_("a 0-dimensional tensor with grad_fn, value {value:.4f}").format(
                value=expected.item()
            ),
            got=show(got),
            cause=_(
                "the loss was returned as a Python number (`.item()`): that cuts the autograd "
                "graph, so backward() is impossible."
            ),
            hint=_(
                "return the loss tensor; call `.item()` only when you store it for the statistics."
            ),
        )
    got = chk.expect_tensor(got, _("the loss"))
    if got.numel() != 1:
        if tuple(got.shape) == (B, B):
            cause = _(
                "a (B, B) broadcast: a (B,) tensor met a (B, 1) tensor, so every prediction was "
                "compared with every target, and the result was not reduced either."
            )
        elif tuple(got.shape) == (B, B, 1):
            cause = _(_FANCY_INDEXING) + " " + _("The result was not reduced either.")
        else:
            cause = _(
                "the loss is not reduced to a scalar: one squared error per transition came back."
            )
        raise chk.fail(
            _("reduced to a scalar"),
            expected=_("a 0-dimensional tensor (one number for the whole batch)"),
            got=_("shape {shape}").format(shape=tuple(got.shape)),
            cause=cause,
            hint=_("average the squared errors over the batch; prediction and target both (B, 1)."),
        )
    chk.holds(_("returns a tensor"))
    chk.holds(_("reduced to a scalar"))
    if not got.requires_grad or got.grad_fn is None:
        raise chk.fail(
            _("carries a gradient to the online network"),
            expected=_("requires_grad=True with a grad_fn"),
            got=show(got),
            cause=_(
                "the loss carries no gradient: q(S, A) was computed under `torch.no_grad()`, "
                "detached, or rebuilt from numbers, so backward() cannot train the network."
            ),
            hint=_(
                "only the target is detached; the prediction `q_network(state_b)` keeps its graph."
            ),
        )
    chk.holds(_("carries a gradient to the online network"))
    q_flat = taken_b.view(B)
    fancy_b = q_b[:, action_b]  # (B, B, 1): row i holds q(s_i, a_j) for every j
    fancy = _(_FANCY_INDEXING)
    fancy_hint = _(
        "select each row's own action with `gather` along the action dimension (exercise 2.1): "
        "(B, 1)."
    )
    variants = [
        Variant(((fancy_b - target_b) ** 2).mean(), fancy, fancy_hint),
        Variant(((fancy_b.squeeze(2) - target_b) ** 2).mean(), fancy, fancy_hint),
        Variant(
            ((q_flat - target_b) ** 2).mean(),
            _(
                "a silent (B, B) broadcast: a (B,) prediction met the (B, 1) target (or the other "
                "way round), so every prediction was compared with every target. F.mse_loss only "
                "warns about it."
            ),
            _("keep both (B, 1): the selected Q-values against target_b, no squeeze."),
        ),
        Variant(
            (error_b**2).sum(),
            _("sum instead of mean: the loss (and the step size) grows with the batch size."),
            _("average over the batch instead of summing."),
        ),
        Variant(
            ((q_b.max(dim=1, keepdim=True).values - target_b) ** 2).mean(),
            _(
                "max used instead of the action taken: the loss must train Q(S, A) of the actions "
                "in the batch."
            ),
            _("select the Q-value of the action in action_b, not the largest one."),
        ),
        Variant(
            ((q_b.gather(0, action_b) - target_b) ** 2).mean(),
            _("gather along dim 0: the actions were used as row numbers."),
            _("actions index the columns: gather along dimension 1, the action dimension."),
        ),
        Variant(
            ((q_b - target_b) ** 2).mean(),
            _(
                "the Q-values of all actions were compared with the target: `q_network(state_b)` "
                "is (B, n_actions), one value per action, and broadcasting against the (B, 1) "
                "target trains every action of every state towards it. Only the action taken "
                "in each transition has a target."
            ),
            _(
                "first select, in each row, the Q-value of the action taken (exercise 2.1's "
                "selection), then compare."
            ),
        ),
        Variant(
            0.5 * expected,
            _("half the mean squared error (the ½ convention of some textbooks)."),
            _("use the plain mean of the squared errors, without the ½."),
        ),
        Variant(
            F.smooth_l1_loss(taken_b, target_b),
            _("a Huber (smooth L1) loss instead of the mean squared error."),
            _("this exercise asks for the mean squared error, not the Huber loss."),
        ),
        Variant(
            error_b.abs().mean(),
            _("the absolute error (L1) instead of the squared error."),
            _("square the errors before averaging them."),
        ),
        Variant(
            error_b.mean(),
            _(
                "the errors were averaged without being squared: positive and negative errors "
                "cancel, and the loss can even be negative."
            ),
            _("square the errors before averaging them."),
        ),
        Variant(
            -error_b.mean(),
            _(
                "the errors were averaged without being squared: positive and negative errors "
                "cancel, and the loss can even be negative."
            ),
            _("square the errors before averaging them."),
        ),
        Variant(
            expected.sqrt(),
            _("the root of the MSE instead of the MSE."),
            _("no square root: the mean of the squared errors itself."),
        ),
    ]
    chk.expect_values(
        _("value is the MSE of q(S, A) against target_b"),
        got=got.reshape(()),
        expected=expected,
        variants=variants,
        cause=_(
            "the number differs from mean((q(S, A) − target)²) (a network other than the "
            "q_network argument?)."
        ),
        hint=_(
            "print the Q-values of the actions taken and the targets side by side on this "
            "batch; the loss is the mean of their squared differences."
        ),
    )
    q_network.zero_grad(set_to_none=True)
    got.reshape(()).backward()
    missing = [name for name, p in q_network.named_parameters() if p.grad is None]
    if missing:
        raise chk.fail(
            _("the gradient reaches q_network"),
            expected=_("a .grad on every parameter of q_network after backward()"),
            got=_("no .grad on {names}").format(names=", ".join(missing)),
            cause=_("the loss was computed with a network other than the q_network argument."),
            hint=_("use the function's arguments only: `q_network(state_b)`."),
        )
    chk.holds(_("the gradient reaches q_network"))
    chk.expect_unchanged(
        ["state_b", "action_b", "target_b"],
        before,
        args[1:],
        {"q_network": (q_network, online_state)},
    )
