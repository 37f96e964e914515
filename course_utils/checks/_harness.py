"""The checks' harness: the failure type, the runner, messages, and shared properties.

A check is a function of a :class:`_Check` decorated with :func:`_isolated`; it calls the
student's function through ``chk.call`` (which turns any exception into a diagnosis, see
``_errors``), tests properties with the ``_expect_*`` helpers, and raises ``chk.fail(...)``
with the uniform message: property, expected, got, likely cause, hint.

Every sentence is an English template wrapped in ``_`` (``N_`` in module-level tables), so
that ``checks.set_language("ko")`` shows it from the Korean catalogue (see ``_i18n``).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from course_utils.checks._errors import _diagnose_error
from course_utils.checks._i18n import SUCCESS, _
from course_utils.checks._inputs import (
    N_ACTIONS,
    _close,
    _same_state,
    _state,
)
from course_utils.checks._rendering import render


class ExerciseFailure(AssertionError):
    """An exercise check failed; the message explains which property and why."""

    # Defined here, raised by every check; students meet it as course_utils.checks.ExerciseFailure.
    __module__ = "course_utils.checks"

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error: the student's own lines (if their function
        raised) and the diagnosis, never the check's code. Plain Python ignores this."""
        return render(self)


class _Variant(NamedTuple):
    """What a classic mistake returns on the check's inputs, and how to explain it."""

    value: Tensor
    cause: str
    hint: str


# --------------------------------------------------------------------------- messages


def _width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font (a Hangul syllable takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fail(
    exercise: str, prop: str, expected: str, got: str, cause: str, hint: str
) -> ExerciseFailure:
    """Build the uniform failure message: property, expected, got, likely cause, hint.

    The parts come translated (each caller wraps its templates in ``_``); the frame and
    its labels are translated here.
    """
    labels = [f"{_('expected')}:", f"{_('got')}:"]
    width = max(_width(label) for label in labels)
    expected_label, got_label = (label + " " * (width - _width(label)) for label in labels)
    header = _("❌ {exercise}: {prop} -- failed.").format(exercise=exercise, prop=prop)
    return ExerciseFailure(
        f"\n{header}\n"
        f"   {expected_label} {expected}\n"
        f"   {got_label} {got}\n"
        f"   {_('likely cause')}: {cause}\n"
        f"   {_('hint')}: {hint}"
    )


def _round(values: Any) -> Any:
    if isinstance(values, list):
        return [_round(v) for v in values]
    return round(values, 3) if isinstance(values, float) else values


def _show(x: Any) -> str:
    """A short one-line description of a value: small tensors in full, with shape and dtype."""
    if isinstance(x, Tensor):
        grad = ", requires_grad=True" if x.requires_grad else ""
        text = str(_round(x.detach().cpu().tolist()))
        if len(text) > 160:
            text = text[:157] + "..."
        shape = _("shape {shape}").format(shape=tuple(x.shape))
        return f"{text}  ({shape}, {str(x.dtype).removeprefix('torch.')}{grad})"
    text = repr(x)
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(x).__name__} {text}"


class _Check:
    """The state of one check run: the exercise name, the student's function, properties passed."""

    def __init__(self, exercise: str, function: Callable[..., Any]) -> None:
        self.exercise = exercise
        self.function = function
        self.passed = 0

    def fail(self, prop: str, expected: str, got: str, cause: str, hint: str) -> ExerciseFailure:
        return _fail(self.exercise, prop, expected, got, cause, hint)

    def ok(self) -> None:
        self.passed += 1

    def call(self, *args: Any, context: str = "") -> Any:
        """Call the student's function; turn any exception into a diagnosis."""
        __tracebackhide__ = True
        try:
            return self.function(*args)
        except ExerciseFailure:
            raise
        except Exception as exc:  # every student error becomes a diagnosis
            raise self._explain(exc, context) from exc

    def _explain(self, exc: Exception, context: str) -> ExerciseFailure:
        got = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        prop = _("your function runs on a small example")
        if isinstance(exc, NotImplementedError):
            return self.fail(
                prop,
                _("a result"),
                got,
                _("not implemented yet: the exercise stub still raises NotImplementedError."),
                _(
                    "replace the `raise NotImplementedError(...)` line with your code, run that "
                    "cell, then run this check again."
                ),
            )
        cause, hint = _diagnose_error(str(exc), self.function, context)
        return self.fail(prop, _("a result"), got, cause, hint)


def _expect_tensor(chk: _Check, got: Any, what: str) -> Tensor:
    """``got`` if it is a tensor; else fail. ``what`` names the result (code or translated)."""
    if isinstance(got, Tensor):
        return got
    if got is None:
        cause, hint = (
            _("the function returns nothing (a missing `return`)."),
            _("end with `return {what}`.").format(what=what),
        )
    else:
        cause = _("the function returns something other than a torch tensor.")
        hint = _(
            "return {what} as a tensor; keep it a tensor (no `.item()`, `.tolist()`, numpy)."
        ).format(what=what)
    raise chk.fail(
        _("returns a tensor"),
        _("{what}: a torch.Tensor").format(what=what),
        _show(got),
        cause,
        hint,
    )


def _expect_shape(chk: _Check, got: Tensor, shape: tuple[int, ...], what: str) -> None:
    """Shape property, with the classic (B,), (B, B) and (B, n_actions) mistakes explained."""
    if tuple(got.shape) == shape:
        chk.ok()
        return
    rows = shape[0]
    if tuple(got.shape) == (rows,) and shape == (rows, 1):
        cause = _(
            "shape (B,) instead of (B, 1): a dimension was squeezed away (`.squeeze()`, "
            "`.max(dim=1).values` without keepdim, or `[:, 0]`). Mixed with (B, 1) tensors "
            "later, (B,) broadcasts silently to (B, B)."
        )
        hint = _("keep the column: `keepdim=True`, `.unsqueeze(1)`, or `gather(1, action_b)`.")
    elif tuple(got.shape) in ((rows, rows), (rows, rows, 1), (rows, 1, rows)):
        cause = _(
            "a (B, B) result: every row was combined with every other row. Either a (B,) "
            "tensor met a (B, 1) tensor and broadcast to (B, B), or `q_values_b[:, action_b]` "
            "picked the actions of all rows for each row."
        )
        hint = _(
            "give every per-transition tensor the shape (B, 1), and select actions with "
            "`q_values_b.gather(1, action_b)`."
        )
    elif tuple(got.shape) == (rows, 1, N_ACTIONS):
        cause = _("the actions were used as row numbers: `q_values_b[action_b]` picks whole rows.")
        hint = _("select one column per row: `q_values_b.gather(1, action_b)`.")
    elif got.dim() == 0:
        cause = _(
            "the batch was reduced to a single number (a sum, a mean or a max over everything)."
        )
        hint = _("reduce only over the action dimension, with dim=1 and keepdim=True.")
    elif got.dim() == 2 and got.shape[0] == rows and got.shape[1] == N_ACTIONS:
        cause = _(
            "one value per action instead of one per transition: the action dimension was not "
            "reduced."
        )
        hint = _("select or reduce over dim=1 (`.gather(1, ...)` or `.max(dim=1, keepdim=True)`).")
    else:
        cause = _("the result's shape does not match the exercise's docstring.")
        hint = _("print the shape of each intermediate tensor on a small batch.")
    raise chk.fail(
        _("output shape is {shape}").format(shape=shape),
        _("shape {shape}: {what}").format(shape=shape, what=what),
        _("shape {shape}").format(shape=tuple(got.shape)),
        cause,
        hint,
    )


def _expect_float32(chk: _Check, got: Tensor) -> None:
    if got.dtype == torch.float32:
        chk.ok()
        return
    if got.dtype in (torch.int64, torch.int32, torch.bool):
        cause = _(
            "an integer or bool result: the indices (`argmax`, `.indices`) or the mask came "
            "back, not the values."
        )
        hint = _("return Q-values (floats): `.values` of max, or `gather` with the action indices.")
    else:
        cause = _("a float64 tensor crept in (numpy, or `torch.tensor` of Python floats).")
        hint = _("keep everything float32, like the networks: `.float()` or `dtype=torch.float32`.")
    raise chk.fail(_("dtype is float32"), "torch.float32", str(got.dtype), cause, hint)


def _expect_no_grad(chk: _Check, got: Tensor, network: str) -> None:
    if not got.requires_grad:
        chk.ok()
        return
    raise chk.fail(
        _("the target carries no gradient"),
        _("a constant target: requires_grad=False, no grad_fn"),
        f"requires_grad=True, grad_fn={type(got.grad_fn).__name__}",
        _(
            "the gradient reaches the network through the target: it was computed with "
            "{network} outside `torch.no_grad()` and not detached. loss.backward() would then "
            "also push the target around (in the notebook the target network is frozen, but the "
            "same code with the online network silently trains on a moving target)."
        ).format(network=network),
        _("compute the target inside `with torch.no_grad():`, or call `.detach()` on it."),
    )


def _expect_unchanged(
    chk: _Check,
    names: list[str],
    before: list[Any],
    after: list[Any],
    networks: dict[str, tuple[nn.Module, dict[str, Tensor]]],
) -> None:
    for name, old, new in zip(names, before, after, strict=True):
        if isinstance(old, Tensor) and not torch.equal(old, new.detach()):
            raise chk.fail(
                _("inputs are left unchanged"),
                _("{name} as it was passed: {value}").format(name=name, value=_show(old)),
                _("{name} after the call: {value}").format(name=name, value=_show(new)),
                _(
                    "{name} was modified in place (an operation ending in `_`, `+=`, `*=`, or an "
                    "assignment into it). In the notebook that would corrupt the replay batch."
                ).format(name=name),
                _("build new tensors instead: `x = x * 2`, not `x *= 2`."),
            )
    for name, (net, state) in networks.items():
        if not _same_state(_state(net), state):
            raise chk.fail(
                _("inputs are left unchanged"),
                _("the weights of {name} unchanged").format(name=name),
                _("the weights of {name} were modified").format(name=name),
                _("the function changed {name}'s parameters.").format(name=name),
                _(
                    "computing a target or a loss only reads the networks; the optimizer "
                    "changes them."
                ),
            )
    chk.ok()


def _expect_values(
    chk: _Check,
    prop: str,
    got: Tensor,
    expected: Tensor,
    variants: list[_Variant],
    cause: str,
    hint: str,
) -> None:
    """Compare with the expected values; name the classic mistake the result matches, if any."""
    if _close(got, expected):
        chk.ok()
        return
    for variant in variants:
        if _close(got, variant.value):
            raise chk.fail(prop, _show(expected), _show(got), variant.cause, variant.hint)
    raise chk.fail(prop, _show(expected), _show(got), cause, hint)


def _isolated(check: Callable[[_Check], None]) -> Callable[[Callable[..., Any]], None]:
    """Run a check with gradients on and the global RNG restored; print the success line."""
    exercise = check.__name__.removeprefix("check_")

    @functools.wraps(check)
    def wrapper(student_function: Callable[..., Any]) -> None:
        __tracebackhide__ = True
        if not callable(student_function):
            raise _fail(
                exercise,
                _("the check receives your function"),
                _("the function itself: check_{exercise}({exercise})").format(exercise=exercise),
                _show(student_function),
                _("the function was called before it was passed (`f()` instead of `f`)."),
                _(
                    "write `checks.check_{exercise}({exercise})`, without parentheses after the "
                    "name."
                ).format(exercise=exercise),
            )
        chk = _Check(exercise, student_function)
        default_dtype = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
        try:
            with torch.random.fork_rng(devices=[]), torch.enable_grad():
                check(chk)
        finally:
            torch.set_default_dtype(default_dtype)
        print(_(SUCCESS).format(exercise=exercise, n=chk.passed))

    return wrapper
