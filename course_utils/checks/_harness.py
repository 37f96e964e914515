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
import inspect
import os
import re
import unicodedata
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from course_utils.checks._errors import _diagnose_error
from course_utils.checks._guard import (
    EXERCISES,
    _GlobalState,
    _OutOfTime,
    _shadowed_arguments,
    _student_code,
    _time_limit,
)
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
    exercise: str,
    prop: str,
    expected: str,
    got: str,
    cause: str,
    hint: str,
    needs: str | None = None,
) -> ExerciseFailure:
    """Build the uniform failure message: property, expected, got, likely cause, hint.

    The parts come translated (each caller wraps its templates in ``_``); the frame and
    its labels are translated here. ``needs`` names an earlier, unfinished exercise that
    this one is waiting for; the heading then says so.
    """
    labels = [f"{_('expected')}:", f"{_('got')}:"]
    width = max(_width(label) for label in labels)
    expected_label, got_label = (label + " " * (width - _width(label)) for label in labels)
    if needs:
        header = _("❌ {exercise} (needs Exercise {needs} first): {prop} -- failed.").format(
            exercise=exercise, needs=needs, prop=prop
        )
    else:
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
        try:
            text = str(_round(x.detach().cpu().tolist()))
        except Exception:  # a meta tensor has no values; some devices cannot be read back
            text = _("(no values readable)")
        if x.device.type != "cpu":
            grad += f", device={x.device}"
        if len(text) > 160:
            text = text[:157] + "..."
        shape = _("shape {shape}").format(shape=tuple(x.shape))
        return f"{text}  ({shape}, {str(x.dtype).removeprefix('torch.')}{grad})"
    text = repr(x)
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(x).__name__} {text}"


def _argument_names(function: Callable[..., Any], n: int) -> list[str]:
    """The names of the first ``n`` positional parameters of ``function``, as far as known."""
    try:
        parameters = [
            p.name
            for p in inspect.signature(function).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        parameters = []
    return [parameters[i] if i < len(parameters) else f"#{i + 1}" for i in range(n)]


def _tensors(value: Any) -> list[tuple[str, Tensor]]:
    """Copies of the tensors in ``value``: itself, or the fields of a tuple or list of them."""
    if isinstance(value, Tensor):
        return [("", value.detach().clone())]
    if isinstance(value, tuple | list) and len(value) <= 16:
        fields = getattr(value, "_fields", None)
        return [
            (f".{fields[i]}" if fields else f"[{i}]", v.detach().clone())
            for i, v in enumerate(value)
            if isinstance(v, Tensor)
        ]
    return []


def _equal(old: Tensor, new: Tensor) -> bool:
    try:
        return old.shape == new.shape and old.dtype == new.dtype and torch.equal(old, new)
    except Exception:  # another device, a meta tensor: it changed
        return False


class _Check:
    """The state of one check run: the exercise name, the student's function, properties passed."""

    def __init__(self, exercise: str, function: Callable[..., Any]) -> None:
        self.exercise = exercise
        self.function = function
        self.passed = 0

    def fail(
        self, prop: str, expected: str, got: str, cause: str, hint: str, needs: str | None = None
    ) -> ExerciseFailure:
        return _fail(self.exercise, prop, expected, got, cause, hint, needs)

    def ok(self) -> None:
        self.passed += 1

    def call(
        self,
        *args: Any,
        context: str = "",
        may_change: tuple[int, ...] = (),
        function: Callable[..., Any] | None = None,
        names: list[str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call the student's function (or ``function``, one of its methods); turn any
        exception into a diagnosis, and fail at once if it changed a tensor it was given
        (except the positional arguments ``may_change``). The default dtype and grad mode
        are put back after the call, so that the check's own computations are not
        affected by what the student's code set."""
        __tracebackhide__ = True
        function = self.function if function is None else function
        names = names if names is not None else _argument_names(function, len(args))
        pristine = [
            (i, name, _tensors(value))
            for i, (name, value) in enumerate(zip(names, args, strict=False))
            if i not in may_change
        ]
        dtype, grad = torch.get_default_dtype(), torch.is_grad_enabled()
        try:
            with _student_code():
                result = function(*args, **kwargs)
        except ExerciseFailure:
            raise
        except Exception as exc:  # every student error becomes a diagnosis
            raise self._explain(exc, context) from exc
        finally:
            torch.set_default_dtype(dtype)
            torch.set_grad_enabled(grad)
        for i, name, tensors in pristine:
            for (field, old), (_field, new) in zip(tensors, _tensors(args[i]), strict=False):
                if not _equal(old, new):
                    label = name + field
                    raise self.fail(
                        _("your function leaves its inputs unchanged"),
                        _("{name} as it was passed: {value}").format(name=label, value=_show(old)),
                        _("{name} after the call: {value}").format(name=label, value=_show(new)),
                        _(
                            "your function changed its input: {name} was modified in place (an "
                            "operation ending in `_`, `+=`, `*=`, `.data`, or an assignment into "
                            "it). In the notebook that corrupts the caller's tensors, the replay "
                            "batch among them; here the check cannot judge a result computed "
                            "from changed inputs."
                        ).format(name=label),
                        _("leave the inputs as they are: compute new tensors from them."),
                    )
        return result

    def _explain(self, exc: Exception, context: str) -> ExerciseFailure:
        got = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        prop = _("your function runs on a small example")
        if isinstance(exc, NotImplementedError):
            match = re.search(r"Exercise (\d+\.\d+)", str(exc))
            needs = match.group(1) if match else None
            known = set(EXERCISES.values())
            if needs in known and needs != EXERCISES.get(self.exercise, needs):
                return self.fail(
                    prop,
                    _("a result"),
                    got,
                    _(
                        "your function calls the function of Exercise {needs}, which is still a "
                        "stub: this exercise needs it first."
                    ).format(needs=needs),
                    _(
                        "finish Exercise {needs} first, or use its reference implementation "
                        "from `course_utils.reference` for now."
                    ).format(needs=needs),
                    needs=needs,
                )
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
        _expect_cpu(chk, got, what)
        return got
    if got is None:
        cause, hint = (
            _("the function returns nothing (a missing `return`)."),
            _("end the function with a `return` of {what}.").format(what=what),
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


def _expect_cpu(chk: _Check, got: Tensor, what: str) -> None:
    """``got`` lives on the CPU, like every input of the checks."""
    if got.device.type == "cpu":
        return
    raise chk.fail(
        _("returns a tensor on the CPU"),
        _("{what}: a tensor on the CPU, like the inputs").format(what=what),
        _("a tensor on the device {device}").format(device=got.device),
        _(
            "the result was created on or moved to another device (`device=...`, `.to(...)`, "
            "`.cuda()`, `torch.empty(..., device='meta')`): it must live where the inputs live."
        ),
        _("create new tensors on the inputs' device, and do not move the result."),
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
        hint = _(
            "keep the column dimension: reductions take `keepdim=True`; a squeezed result gets "
            "it back with `.unsqueeze(1)`."
        )
    elif tuple(got.shape) in ((rows, rows), (rows, rows, 1), (rows, 1, rows)):
        cause = _(
            "a (B, B) result: every row was combined with every other row. Either a (B,) "
            "tensor met a (B, 1) tensor and broadcast to (B, B), or `q_values_b[:, action_b]` "
            "picked the actions of all rows for each row."
        )
        hint = _(
            "give every per-transition tensor the shape (B, 1), and select each row's own "
            "action with `gather` along the action dimension."
        )
    elif tuple(got.shape) == (rows, 1, N_ACTIONS):
        cause = _("the actions were used as row numbers: `q_values_b[action_b]` picks whole rows.")
        hint = _(
            "select one column per row, each row its own action: `gather` along dimension 1 "
            "does that."
        )
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
        hint = _("select or reduce over the action dimension, dim=1, keeping it as a column.")
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


def _number(exercise: str) -> str:
    return EXERCISES.get(exercise, "?")


def _is_reference(student: Any) -> bool:
    """Whether ``student`` is one of ``course_utils.reference``'s implementations (or the
    package's ReplayMemory, which is exercise 3.1's reference)."""
    from course_utils import replay  # noqa: PLC0415 (only checks need it)

    if getattr(student, "__course_reference__", False) is True:
        return True
    return isinstance(student, type) and issubclass(student, replay.ReplayMemory)


def _reference_calls(exercise: str) -> int:
    from course_utils import reference  # noqa: PLC0415 (imported when a check runs)

    return reference.CALLS[exercise]


def _grading() -> bool:
    return os.environ.get("COURSE_UTILS_GRADING") == "1"


def _reference_used(exercise: str) -> None:
    """The notice for a reference implementation: printed in Jupyter, a failure when grading."""
    notice = _(
        "Exercise {number}: you are using the reference implementation; the rest of the "
        "notebook runs, the exercise counts as not done."
    ).format(number=_number(exercise))
    if _grading():
        raise _fail(
            exercise,
            _("the exercise is your own code"),
            _("your implementation of Exercise {number}").format(number=_number(exercise)),
            _("the reference implementation (`course_utils.reference`)"),
            notice,
            _("write the exercise yourself, then run its check again."),
        )
    bar = "⚠️ " * 30
    print(f"\n{bar}\n⚠️  {notice}\n{bar}")


def _shadowing(exercise: str, student: Callable[..., Any]) -> None:
    """Fail when the function reads notebook globals instead of its arguments of that name."""
    pairs = _shadowed_arguments(student)
    if not pairs:
        return
    names = ", ".join(f"`{name}`" for name, _argument in pairs)
    arguments = ", ".join(f"`{argument}`" for _name, argument in pairs)
    raise _fail(
        exercise,
        _("uses its arguments, not the notebook's globals"),
        _("the arguments {arguments}").format(arguments=arguments),
        _("the notebook's globals {names}").format(names=names),
        _(
            "your function reads the notebook's globals {names} instead of its own arguments "
            "{arguments}: it ignores what its caller passes (the check passes other values than "
            "the notebook's, and so would a caller with other hyperparameters)."
        ).format(names=names, arguments=arguments),
        _(
            "inside the function, use its parameters; the notebook's constants in capitals are "
            "what the caller passes to it."
        ),
    )


def _isolated(check: Callable[[_Check], None]) -> Callable[[Callable[..., Any]], None]:
    """Run a check under the time limit, with gradients on and every global setting restored
    afterwards; print the success line (or the reference notice)."""
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
        if _is_reference(student_function):
            _reference_used(exercise)
            return
        if not isinstance(student_function, type):
            _shadowing(exercise, student_function)
        chk = _Check(exercise, student_function)
        from course_utils.checks import _guard  # noqa: PLC0415 (read at call time: tests lower it)

        limit = _guard.TIME_LIMIT_S
        state = _GlobalState()
        calls = _reference_calls(exercise)
        try:
            torch.set_default_dtype(torch.float32)
            with torch.random.fork_rng(devices=[]), torch.enable_grad(), _time_limit(limit):
                check(chk)
        except _OutOfTime as exc:
            raise _out_of_time(exercise, limit) from exc
        except ExerciseFailure:
            raise
        except Exception as exc:  # the check tripped over something the student's code made
            raise _fail(
                exercise,
                _("the check can use what your function returned"),
                _("a result as the exercise's docstring describes it"),
                f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
                _(
                    "what your function returned (or left behind) made the check itself fail: "
                    "an unusual type, device, shape or object that the docstring does not allow."
                ),
                _(
                    "return exactly what the docstring describes, with the inputs' device and "
                    "dtype."
                ),
            ) from exc
        finally:
            state.restore()
        if _reference_calls(exercise) > calls:
            _reference_used(exercise)
            return
        print(_(SUCCESS).format(exercise=exercise, n=chk.passed))

    return wrapper


def _out_of_time(exercise: str, limit: float) -> ExerciseFailure:
    return _fail(
        exercise,
        _("finishes within the time limit"),
        _("Exercise {number}'s check done within {limit:.0f} s").format(
            number=_number(exercise), limit=limit
        ),
        _("still running after {limit:.0f} s: stopped").format(limit=limit),
        _(
            "Exercise {number}: your code did not return within the time limit of {limit:.0f} s, "
            "which correct code meets many times over: an endless loop (a `while` whose "
            "condition never becomes false, a counter never increased), or far more work than "
            "the exercise needs."
        ).format(number=_number(exercise), limit=limit),
        _(
            "the traceback above shows the line your code was running when it was stopped; "
            "check what ends that loop."
        ),
    )
