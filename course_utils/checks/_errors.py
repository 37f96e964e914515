"""Errors a student's function raises, turned into a likely cause and a hint.

``_ERRORS`` matches what PyTorch says (the needles, never translated) to the usual mistake
behind it; :func:`_diagnose_error` looks the message up there, then in the shape errors, and
falls back to a general hint. ``Check.call`` (in ``harness``) shows the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from course_utils.checks._i18n import N_, _
from course_utils.checks._inputs import N_ACTIONS, STATE_DIM, _global_networks

__all__ = ["_ERRORS", "_diagnose_error"]

# What PyTorch says (the needles, never translated), the likely cause and the hint.
_ERRORS: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("with a bool tensor is not supported", "on a bool tensor is not supported"),
        N_(
            "arithmetic on the bool tensor terminated_b: PyTorch refuses `1 - terminated_b` and "
            "`-terminated_b` on booleans."
        ),
        N_(
            "invert a bool tensor with the bitwise not operator, or make it a float first; "
            "`torch.where` works too."
        ),
    ),
    (
        ("Boolean value of Tensor with more than one value is ambiguous",),
        N_("Python's `not`, `and`, `or` or `if` applied to a tensor that holds a whole batch."),
        N_(
            "use element-wise operations: `~terminated_b` instead of `not terminated_b`, "
            "`torch.where(...)` instead of `if`."
        ),
    ),
    (
        ("does not require grad and does not have a grad_fn",),
        N_(
            "backward() through something detached: the loss was computed from a tensor made "
            "under `torch.no_grad()`, with `.detach()`, `.item()` or `torch.tensor(...)`."
        ),
        N_("compute the network's prediction with gradients on; only the *target* is detached."),
    ),
    (
        ("a leaf Variable that requires grad is being used in an in-place operation",),
        N_("an in-place update (`-=`) of a tensor that requires grad, outside `torch.no_grad()`."),
        N_("wrap the update in `with torch.no_grad():`, or return a new tensor."),
    ),
    (
        ("Index tensor must have the same number of dimensions",),
        N_(
            "`gather` needs an index with as many dimensions as the input: action_b is (B, 1), "
            "do not squeeze it."
        ),
        N_("keep the index (B, 1), as action_b comes, and gather along dimension 1."),
    ),
    (
        ("Expected state_dict to be dict-like",),
        N_(
            "`load_state_dict` was given a network; it expects the network's weights, a state_dict."
        ),
        N_("give `load_state_dict` the weights of the network: its `state_dict()`."),
    ),
    (
        ("Error(s) in loading state_dict",),
        N_(
            "the weights do not fit the network they are loaded into: it was built with another "
            "architecture (the check passes its own small nn.Sequential, not the notebook's)."
        ),
        N_(
            "copy the network itself rather than rebuilding it: `copy` has a deep copy that works for any architecture."
        ),
    ),
    (
        ("torch.return_types", "only integer tensors of a single element can be converted"),
        N_(
            "arithmetic on a pair instead of a tensor: with `dim`, `.max(...)` (like `.min`, "
            "`.sort`) returns a pair (values, indices), and a tensor times a pair fails."
        ),
        N_("take the values out of that pair: it has a field for them, and one for the indices."),
    ),
    (
        ("Inference tensors cannot be saved for backward",),
        N_(
            "a tensor made under `torch.inference_mode()` reached the loss: inference tensors "
            "cannot be saved for backward."
        ),
        N_("compute targets under `torch.no_grad()` (or `.detach()` them), not inference_mode."),
    ),
    (
        ("gather(): Expected dtype int32/int64 for index",),
        N_(
            "`gather` was given a float index: the actions must be int64. A float tensor in "
            "their place usually means the batch's fields were unpacked in another order "
            "(`state_b, action_b, reward_b, terminated_b, next_state_b`), or the actions "
            "were converted with `.float()`."
        ),
        N_("unpack the batch in the order of the transition and keep action_b as it comes."),
    ),
    (
        ("tensors used as indices must be long",),
        N_("indexing with a float tensor: action indices must be integers (int64)."),
        N_("keep action_b as it comes (int64); do not convert it with `.float()`."),
    ),
    (
        ("same dtype", "expected scalar type", "Found dtype"),
        N_(
            "two tensors with different dtypes meet: usually float64 (from numpy or "
            "`torch.tensor` of Python floats) against the network's float32."
        ),
        N_(
            "keep everything float32: `.float()` on the odd one out, or build it with "
            "`dtype=torch.float32`."
        ),
    ),
]


def _diagnose_error(message: str, function: Callable[..., Any], context: str) -> tuple[str, str]:
    """The likely cause and the hint for an error the student's function raised.

    ``context`` is a sentence the check adds (already translated).
    """
    for needles, cause, hint in _ERRORS:
        if any(needle in message for needle in needles):
            return _(cause), _(hint)
    if "shapes cannot be multiplied" in message or "size of tensor a" in message:
        networks = sorted(_global_networks(function))
        cause = _(
            "two shapes that do not fit together in a matrix product or an element-wise operation."
        )
        if context:
            cause += " " + context
        if networks:
            cause += " " + _(
                "The check's networks take {state_dim} inputs and have {n_actions} actions; "
                "if your function uses the notebook's {networks} instead of its arguments, the "
                "shapes will not fit."
            ).format(
                state_dim=STATE_DIM,
                n_actions=N_ACTIONS,
                networks=", ".join(f"`{n}`" for n in networks),
            )
        return cause, _("print the shapes of your intermediate tensors on the example batch.")
    return (
        _(
            "your function raised an error on the check's small example (see the traceback "
            "above: the last lines in your code show where)."
        ),
        _(
            "call your function yourself on a tiny batch and print the shape of every "
            "intermediate tensor."
        ),
    )
