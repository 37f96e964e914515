"""Checks of the target network, exercises 3.2 ``make_target_network`` and 3.3
``update_target_network`` (notebook 03; the same functions are used again in 04).
"""

from __future__ import annotations

import torch
from torch import nn

from course_utils.checks._harness import _Check, _isolated, _show
from course_utils.checks._i18n import _
from course_utils.checks._inputs import (
    _close,
    _network,
    _outputs_with_online_moved,
    _same_state,
    _state,
    _states,
)

__all__ = ["check_make_target_network", "check_update_target_network"]


@_isolated
def check_make_target_network(chk: _Check) -> None:
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
            _("an nn.Module"),
            _show(target),
            _("the function returns something other than a network (a state_dict? nothing?)."),
            _("return the copy itself, a network (an nn.Module)."),
        )
    chk.ok()
    if target is q_network:
        raise chk.fail(
            _("returns a new object"),
            _("a copy of q_network"),
            _("q_network itself (the same object)"),
            _(
                "returning the same object: `target = q_network` only gives it a second name, so "
                "the target would follow every update of the online network."
            ),
            _("make a real copy, a new object with its own parameters."),
        )
    chk.ok()
    with torch.no_grad():
        expected, got = q_network(states), target(states)
    if not _same_state(_state(target), online_state) or not _close(got, expected):
        raise chk.fail(
            _("has the same weights as q_network"),
            _("the same outputs on a batch: {value}").format(value=_show(expected)),
            _show(got),
            _("the copy is freshly initialised: building a new network gives new random weights."),
            _("the copy needs the online network's weights too, not only its architecture."),
        )
    chk.ok()
    moved = _outputs_with_online_moved(target, q_network, states)
    if not _close(moved, got):
        raise chk.fail(
            _("is independent of q_network"),
            _("the target's outputs unchanged when the online weights change"),
            _("the target's outputs moved to {value}").format(value=_show(moved)),
            _(
                "the copy shares parameters with q_network (e.g. `copy.copy`, or "
                "`nn.Sequential(*q_network)` reuses the same layers), so it is no fixed target."
            ),
            _("make a deep copy: one with parameters of its own (the `copy` module has one)."),
        )
    chk.ok()
    trainable = [name for name, p in target.named_parameters() if p.requires_grad]
    if trainable:
        raise chk.fail(
            _("all its parameters are frozen"),
            _("requires_grad=False on every parameter"),
            _("requires_grad=True on {names}").format(names=", ".join(trainable)),
            _("gradients are still enabled on the target network's parameters."),
            _(
                "switch gradients off on every parameter of the copy (a module has a method for it)."
            ),
        )
    chk.ok()
    if any(module.training for module in target.modules()):
        raise chk.fail(
            _("is in eval mode"),
            "target.training == False",
            "target.training == True",
            _(
                "the target network is still in train mode (dropout or batch norm would behave "
                "like in training)."
            ),
            _("put the copy in evaluation mode."),
        )
    chk.ok()
    frozen_online = [name for name, p in q_network.named_parameters() if not p.requires_grad]
    if frozen_online or not q_network.training:
        raise chk.fail(
            _("leaves q_network trainable"),
            _("q_network still in train mode with requires_grad=True"),
            _("train mode {training}, frozen parameters: {names}").format(
                training=q_network.training, names=", ".join(frozen_online) or _("none")
            ),
            _("the online network was frozen or put in eval mode before (or instead of) the copy."),
            _("copy first, then freeze and `.eval()` the copy only."),
        )
    chk.ok()


@_isolated
def check_update_target_network(chk: _Check) -> None:
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
            _("the online weights as they were"),
            _("the online weights replaced by the target's")
            if swapped
            else _("the online weights modified"),
            _(
                "the arguments are swapped: the online network was overwritten by the target, "
                "undoing the training since the last update."
            )
            if swapped
            else _("the online network's weights were changed."),
            _(
                "the order is (target_q_network, q_network): copy *from* q_network *into* "
                "target_q_network."
            ),
        )
    chk.ok()
    if not _same_state(_state(target), online_state):
        unchanged = _same_state(_state(target), target_state)
        raise chk.fail(
            _("target_q_network gets q_network's weights"),
            _("the target's weights equal the online weights after the call"),
            _("the target's weights unchanged")
            if unchanged
            else _("the target's weights differ from the online ones"),
            _(
                "rebinding a local name: `target_q_network = copy.deepcopy(q_network)` inside the "
                "function only changes what the local name points to; the caller's network is untouched."
            )
            if unchanged
            else _("the target's weights were changed, but are not a copy of the online weights."),
            _(
                "change the network object you were given, in place: load the online weights "
                "into it (a module can load another's `state_dict()`)."
            ),
        )
    chk.ok()
    with torch.no_grad():
        before = target(states)
    after = _outputs_with_online_moved(target, q_network, states)
    if not _close(after, before):
        raise chk.fail(
            _("copies instead of sharing"),
            _("the target unchanged when the online weights change later"),
            _("the target's outputs moved from {before} to {after}").format(
                before=_show(before), after=_show(after)
            ),
            _(
                "the target now shares parameters (the same tensors) with q_network, e.g. "
                "`t.data = q.data` or reusing q_network's modules: it follows every update."
            ),
            _("copy the values into the target's own tensors; do not hand it the online tensors."),
        )
    chk.ok()
    trainable = [name for name, p in target.named_parameters() if p.requires_grad]
    if trainable or target.training:
        raise chk.fail(
            _("the target stays frozen and in eval mode"),
            _("requires_grad=False everywhere, eval mode"),
            _("trainable: {names}, train mode: {training}").format(
                names=", ".join(trainable) or _("none"), training=target.training
            ),
            _("the update re-enabled gradients or train mode on the target network."),
            _(
                "only copy the weights; `load_state_dict` keeps requires_grad and the mode as they are."
            ),
        )
    chk.ok()
