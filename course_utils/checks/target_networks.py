"""Checks of the target network, exercises 3.2 ``make_target_network`` and 3.3
``update_target_network`` (notebook 03; the same functions are used again in 04).
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils.checks._i18n import _
from course_utils.checks._inputs import (
    _close,
    _network,
    _outputs_with_online_moved,
    _same_state,
    _state,
    _states,
)
from course_utils.checks.harness import Check, check, show

__all__ = ["check_make_target_network", "check_update_target_network"]


@check("make_target_network")
def check_make_target_network(chk: Check) -> None:
    """Check ``make_target_network(q_network) -> nn.Module``.

    An independent copy with the same weights, every parameter frozen, in eval mode; the
    online network itself left trainable. ``copy.deepcopy`` or a rebuilt network plus
    ``load_state_dict`` both pass.
    """
    q_network = _network(seed=10)
    states = _states(seed=11)
    online_state = _state(q_network)
    target = chk.call(q_network)
    if not isinstance(target, nn.Module):
        raise chk.fail(
            _("returns a network"),
            expected=_("an nn.Module"),
            got=show(target),
            cause=_(
                "the function returns something other than a network (a state_dict? nothing?)."
            ),
            hint=_("return the copy itself, a network (an nn.Module)."),
        )
    chk.holds(_("returns a network"))
    if target is q_network:
        raise chk.fail(
            _("returns a new object"),
            expected=_("a copy of q_network"),
            got=_("q_network itself (the same object)"),
            cause=_(
                "returning the same object: `target = q_network` only gives it a second name, so "
                "the target would follow every update of the online network."
            ),
            hint=_("make a real copy, a new object with its own parameters."),
        )
    chk.holds(_("returns a new object"))
    with torch.no_grad():
        expected, got = q_network(states), target(states)
    if not _same_state(_state(target), online_state) or not _close(got, expected):
        raise chk.fail(
            _("has the same weights as q_network"),
            expected=_("the same outputs on a batch: {value}").format(value=show(expected)),
            got=show(got),
            cause=_(
                "the copy is freshly initialised: building a new network gives new random weights."
            ),
            hint=_("the copy needs the online network's weights too, not only its architecture."),
        )
    chk.holds(_("has the same weights as q_network"))
    moved = _outputs_with_online_moved(target, q_network, states)
    if not _close(moved, got):
        raise chk.fail(
            _("is independent of q_network"),
            expected=_("the target's outputs unchanged when the online weights change"),
            got=_("the target's outputs moved to {value}").format(value=show(moved)),
            cause=_(
                "the copy shares parameters with q_network (e.g. `copy.copy`, or "
                "`nn.Sequential(*q_network)` reuses the same layers), so it is no fixed target."
            ),
            hint=_("make a deep copy: one with parameters of its own (the `copy` module has one)."),
        )
    chk.holds(_("is independent of q_network"))
    trainable = [name for name, p in target.named_parameters() if p.requires_grad]
    if trainable:
        raise chk.fail(
            _("all its parameters are frozen"),
            expected=_("requires_grad=False on every parameter"),
            got=_("requires_grad=True on {names}").format(names=", ".join(trainable)),
            cause=_(
                "gradients are still enabled on the target network's parameters. (A copy "
                "made under `torch.no_grad()` keeps requires_grad=True on every parameter, and "
                "`p.detach()` returns a new tensor, leaving `p` as it was.)"
            ),
            hint=_(
                "switch gradients off on every parameter of the copy (a module has a method for it)."
            ),
        )
    chk.holds(_("all its parameters are frozen"))
    if any(module.training for module in target.modules()):
        raise chk.fail(
            _("is in eval mode"),
            expected="target.training == False",
            got="target.training == True",
            cause=_(
                "the target network is still in train mode (dropout or batch norm would behave "
                "like in training). `target.eval` without parentheses names the method and "
                "does nothing: it has to be called."
            ),
            hint=_("put the copy in evaluation mode."),
        )
    chk.holds(_("is in eval mode"))
    frozen_online = [name for name, p in q_network.named_parameters() if not p.requires_grad]
    if frozen_online or not q_network.training:
        raise chk.fail(
            _("leaves q_network trainable"),
            expected=_("q_network still in train mode with requires_grad=True"),
            got=_("train mode {training}, frozen parameters: {names}").format(
                training=q_network.training, names=", ".join(frozen_online) or _("none")
            ),
            cause=_(
                "the online network was frozen or put in eval mode before (or instead of) the copy."
            ),
            hint=_("copy first, then freeze and `.eval()` the copy only."),
        )
    chk.holds(_("leaves q_network trainable"))


@check("update_target_network")
def check_update_target_network(chk: Check) -> None:
    """Check ``update_target_network(target_q_network, q_network) -> None``.

    The target's weights become a copy of the online weights, in place. Catches rebinding a
    local name, swapped arguments, and shared parameters.
    """
    q_network = _network(seed=20)
    target = _network(seed=21).requires_grad_(False).eval()
    states = _states(seed=22)
    online_state, target_state = _state(q_network), _state(target)
    chk.call(target, q_network)
    if not _same_state(_state(q_network), online_state):
        swapped = _same_state(_state(q_network), target_state)
        raise chk.fail(
            _("leaves q_network unchanged"),
            expected=_("the online weights as they were"),
            got=_("the online weights replaced by the target's")
            if swapped
            else _("the online weights modified"),
            cause=_(
                "the arguments are swapped: the online network was overwritten by the target, "
                "undoing the training since the last update."
            )
            if swapped
            else _("the online network's weights were changed."),
            hint=_(
                "the order is (target_q_network, q_network): copy *from* q_network *into* "
                "target_q_network."
            ),
        )
    chk.holds(_("leaves q_network unchanged"))
    if not _same_state(_state(target), online_state):
        unchanged = _same_state(_state(target), target_state)
        raise chk.fail(
            _("target_q_network gets q_network's weights"),
            expected=_("the target's weights equal the online weights after the call"),
            got=_("the target's weights unchanged")
            if unchanged
            else _("the target's weights differ from the online ones"),
            cause=_(
                "rebinding a local name: `target_q_network = copy.deepcopy(q_network)` inside the "
                "function only changes what the local name points to; the caller's network is untouched."
            )
            if unchanged
            else _("the target's weights were changed, but are not a copy of the online weights."),
            hint=_(
                "change the network object you were given, in place: load the online weights "
                "into it (a module can load another's `state_dict()`)."
            ),
        )
    chk.holds(_("target_q_network gets q_network's weights"))
    with torch.no_grad():
        before = target(states)
    after = _outputs_with_online_moved(target, q_network, states)
    if not _close(after, before):
        raise chk.fail(
            _("copies instead of sharing"),
            expected=_("the target unchanged when the online weights change later"),
            got=_("the target's outputs moved from {before} to {after}").format(
                before=show(before), after=show(after)
            ),
            cause=_(
                "the target now shares parameters (the same tensors) with q_network, e.g. "
                "`t.data = q.data` or reusing q_network's modules: it follows every update."
            ),
            hint=_(
                "copy the values into the target's own tensors; do not hand it the online tensors."
            ),
        )
    chk.holds(_("copies instead of sharing"))
    trainable = [name for name, p in target.named_parameters() if p.requires_grad]
    if trainable or target.training:
        raise chk.fail(
            _("the target stays frozen and in eval mode"),
            expected=_("requires_grad=False everywhere, eval mode"),
            got=_("trainable: {names}, train mode: {training}").format(
                names=", ".join(trainable) or _("none"), training=target.training
            ),
            cause=_("the update re-enabled gradients or train mode on the target network."),
            hint=_(
                "only copy the weights; `load_state_dict` keeps requires_grad and the mode as they are."
            ),
        )
    chk.holds(_("the target stays frozen and in eval mode"))
