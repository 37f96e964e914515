"""The checks' public API: declare a check, call the student's code, record properties.

A check is a function of a :class:`Check`, declared with :func:`check`, which names the
exercise and what the check receives (the student's function, or with ``class_name=`` the
student's class). Inside, ``chk.call(...)`` runs the student's code (any exception becomes
a diagnosis), ``chk.expect_*`` test the common properties, ``chk.holds(prop)`` records a
property the check has verified itself, and ``raise chk.fail(prop, expected=..., got=...,
cause=..., hint=...)`` explains a failed one. The success line counts the distinct
properties that were recorded: ``all N properties hold`` is what was checked.

Every sentence is an English template wrapped in ``_`` (``N_`` in module-level tables),
so that ``checks.set_language("ko")`` shows it from the Korean catalogue (``_ko/``); a
Korean template may put ``{을}``, ``{이}``, ``{은}``, ``{과}`` or ``{으로}`` after a
placeholder for the particle that fits the value (see ``_korean``). A new check, start to end:

>>> import torch
>>> from course_utils.checks.harness import Check, Variant, check
>>> @check("double")  # the exercise: a function named `double`, called as check_double(double)
... def check_double(chk: Check) -> None:
...     x_b = torch.tensor([[1.0], [-2.0]])
...     got = chk.expect_tensor(chk.call(x_b), "2 * x_b")
...     chk.expect_shape(got, (2, 1), "one value per row")
...     chk.expect_values(
...         "doubles every entry",
...         got=got,
...         expected=2 * x_b,
...         variants=[Variant(x_b + 2, cause="added 2 instead of doubling.", hint="multiply.")],
...         cause="the values are not 2 * x_b.",
...         hint="multiply by 2.",
...     )
>>> check_double(lambda x_b: x_b * 2)
✅ double: all 4 properties hold.
>>> check_double(lambda x_b: x_b + 2)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
course_utils.checks.ExerciseFailure: ...
❌ double: doubles every entry -- failed.
   expected: [[2.0], [-4.0]]  (shape (2, 1), float32)
   got:      [[3.0], [0.0]]  (shape (2, 1), float32)
   likely cause: added 2 instead of doubling.
   hint: multiply.

(The example's messages are not wrapped in ``_``; a real check's are, and its exercise
is in the course's table of exercises, ``_guard.EXERCISES``, with a reference
implementation counted in ``reference.CALLS``.) Besides ``holds`` and ``fail``, a
:class:`Check` has ``expect_tensor``, ``expect_cpu``, ``expect_shape``,
``expect_float32``, ``expect_no_grad``, ``expect_unchanged`` and ``expect_values``; each
records its property when it holds.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import unicodedata
from collections.abc import Callable, Sequence
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
from course_utils.checks._inputs import N_ACTIONS, _close, _same_state, _state
from course_utils.checks._rendering import render

__all__ = ["EXERCISES", "Check", "ExerciseFailure", "Variant", "check", "show"]


class ExerciseFailure(AssertionError):
    """An exercise check failed; the message explains which property and why."""

    # Defined here, raised by every check; students meet it as course_utils.checks.ExerciseFailure.
    __module__ = "course_utils.checks"

    def _render_traceback_(self) -> list[str]:
        """What IPython shows for this error: the student's own lines (if their function
        raised) and the diagnosis, never the check's code. Plain Python ignores this."""
        return render(self)


class Variant(NamedTuple):
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
    *,
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


def show(x: Any) -> str:
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


# --------------------------------------------------------------------------- the check


def _input_changed(name: str, old: Tensor, new: Tensor) -> dict[str, str]:
    """The diagnosis of an input tensor the student's function changed in place."""
    return {
        "expected": _("{name} as it was passed: {value}").format(name=name, value=show(old)),
        "got": _("{name} after the call: {value}").format(name=name, value=show(new)),
        "cause": _(
            "your function changed its input: {name} was modified in place (an "
            "operation ending in `_`, `+=`, `*=`, `.data`, or an assignment into "
            "it). In the notebook that corrupts the caller's tensors, the replay "
            "batch among them; here the check cannot judge a result computed "
            "from changed inputs."
        ).format(name=name),
        "hint": _("leave the inputs as they are: compute new tensors from them."),
    }


class Check:
    """One run of a check: the exercise, the student's function (or class), and the
    properties verified so far (:attr:`properties`, each named once)."""

    def __init__(self, exercise: str, function: Callable[..., Any]) -> None:
        self.exercise = exercise
        self.function = function
        self.properties: list[str] = []

    def holds(self, prop: str) -> None:
        """Record that the property ``prop`` was checked and holds (once per name)."""
        if prop not in self.properties:
            self.properties.append(prop)

    def fail(
        self,
        prop: str,
        *,
        expected: str,
        got: str,
        cause: str,
        hint: str,
        needs: str | None = None,
    ) -> ExerciseFailure:
        """The failure of ``prop``, to raise: what was expected, what came back, the likely
        cause and a hint, each already translated. ``needs`` names an earlier exercise
        that this one waits for."""
        return _fail(
            self.exercise, prop, expected=expected, got=got, cause=cause, hint=hint, needs=needs
        )

    def call(
        self,
        *args: Any,
        function: Callable[..., Any] | None = None,
        method: str | None = None,
        names: Sequence[str] | None = None,
        may_change: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> Any:
        """``function(*args, **kwargs)``: by default the student's function; for one of a
        student's objects' methods, the bound method with ``method`` naming it (the
        diagnosis then says "`insert` runs on a small example"). Any exception becomes a
        diagnosis; a tensor among ``args`` (named ``names``, by default the parameters'
        names) changed in place fails at once, except at the positions ``may_change``.
        The default dtype and grad mode are put back afterwards, so that the check's own
        computations are not affected by what the student's code set.

        ``function``, ``method``, ``names`` and ``may_change`` are the check's own keyword
        arguments; every other keyword argument goes to the student's function.
        """
        __tracebackhide__ = True
        function = self.function if function is None else function
        names = list(names) if names is not None else _argument_names(function, len(args))
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
            raise self._explain(exc, method) from exc
        finally:
            torch.set_default_dtype(dtype)
            torch.set_grad_enabled(grad)
        for i, name, tensors in pristine:
            for (field, old), (_field, new) in zip(tensors, _tensors(args[i]), strict=False):
                if not _equal(old, new):
                    raise self.fail(
                        _("your function leaves its inputs unchanged"),
                        **_input_changed(name + field, old, new),
                    )
        return result

    def _explain(self, exc: Exception, method: str | None) -> ExerciseFailure:
        got = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        if method is None:
            prop, context = _("your function runs on a small example"), ""
        else:
            prop = _("`{method}` runs on a small example").format(method=method)
            context = f"(in `{method}`)"
        if isinstance(exc, NotImplementedError):
            match = re.search(r"Exercise (\d+\.\d+)", str(exc))
            needs = match.group(1) if match else None
            known = set(EXERCISES.values())
            if needs in known and needs != EXERCISES.get(self.exercise, needs):
                return self.fail(
                    prop,
                    expected=_("a result"),
                    got=got,
                    cause=_(
                        "your function calls the function of Exercise {needs}, which is still a "
                        "stub: this exercise needs it first."
                    ).format(needs=needs),
                    hint=_(
                        "finish Exercise {needs} first, or use its reference implementation "
                        "from `course_utils.reference` for now."
                    ).format(needs=needs),
                    needs=needs,
                )
            return self.fail(
                prop,
                expected=_("a result"),
                got=got,
                cause=_("not implemented yet: the exercise stub still raises NotImplementedError."),
                hint=_(
                    "replace the `raise NotImplementedError(...)` line with your code, run that "
                    "cell, then run this check again."
                ),
            )
        cause, hint = _diagnose_error(str(exc), self.function, context)
        return self.fail(prop, expected=_("a result"), got=got, cause=cause, hint=hint)

    # ----------------------------------------------------------------- common properties

    def expect_tensor(self, got: Any, what: str) -> Tensor:
        """``got`` if it is a tensor on the CPU; else fail. ``what`` names the result (code,
        or translated prose)."""
        if isinstance(got, Tensor):
            self.holds(_("returns a tensor"))
            self.expect_cpu(got, what)
            return got
        if got is None:
            cause = _("the function returns nothing (a missing `return`).")
            hint = _("end the function with a `return` of {what}.").format(what=what)
        else:
            cause = _("the function returns something other than a torch tensor.")
            hint = _(
                "return {what} as a tensor; keep it a tensor (no `.item()`, `.tolist()`, numpy)."
            ).format(what=what)
        raise self.fail(
            _("returns a tensor"),
            expected=_("{what}: a torch.Tensor").format(what=what),
            got=show(got),
            cause=cause,
            hint=hint,
        )

    def expect_cpu(self, got: Tensor, what: str) -> None:
        """``got`` lives on the CPU, like every input of the checks."""
        if got.device.type == "cpu":
            self.holds(_("returns a tensor on the CPU"))
            return
        raise self.fail(
            _("returns a tensor on the CPU"),
            expected=_("{what}: a tensor on the CPU, like the inputs").format(what=what),
            got=_("a tensor on the device {device}").format(device=got.device),
            cause=_(
                "the result was created on or moved to another device (`device=...`, "
                "`.to(...)`, `.cuda()`, `torch.empty(..., device='meta')`): it must live "
                "where the inputs live."
            ),
            hint=_("create new tensors on the inputs' device, and do not move the result."),
        )

    def expect_shape(self, got: Tensor, shape: tuple[int, ...], what: str) -> None:
        """Shape property, with the classic (B,), (B, B) and (B, n_actions) mistakes explained."""
        prop = _("output shape is {shape}").format(shape=shape)
        if tuple(got.shape) == shape:
            self.holds(prop)
            return
        cause, hint = _shape_mistake(tuple(got.shape), shape, got.dim())
        raise self.fail(
            prop,
            expected=_("shape {shape}: {what}").format(shape=shape, what=what),
            got=_("shape {shape}").format(shape=tuple(got.shape)),
            cause=cause,
            hint=hint,
        )

    def expect_float32(self, got: Tensor) -> None:
        prop = _("dtype is float32")
        if got.dtype == torch.float32:
            self.holds(prop)
            return
        if got.dtype in (torch.int64, torch.int32, torch.bool):
            cause = _(
                "an integer or bool result: the indices (`argmax`, `.indices`) or the mask came "
                "back, not the values."
            )
            hint = _(
                "return Q-values (floats): `.values` of max, or `gather` with the action indices."
            )
        else:
            cause = _("a float64 tensor crept in (numpy, or `torch.tensor` of Python floats).")
            hint = _(
                "keep everything float32, like the networks: `.float()` or `dtype=torch.float32`."
            )
        raise self.fail(prop, expected="torch.float32", got=str(got.dtype), cause=cause, hint=hint)

    def expect_no_grad(self, got: Tensor, network: str) -> None:
        prop = _("the target carries no gradient")
        if not got.requires_grad:
            self.holds(prop)
            return
        raise self.fail(
            prop,
            expected=_("a constant target: requires_grad=False, no grad_fn"),
            got=f"requires_grad=True, grad_fn={type(got.grad_fn).__name__}",
            cause=_(
                "the gradient reaches the network through the target: it was computed with "
                "{network} outside `torch.no_grad()` and not detached. loss.backward() would "
                "then also push the target around (in the notebook the target network is "
                "frozen, but the same code with the online network silently trains on a "
                "moving target)."
            ).format(network=network),
            hint=_("compute the target inside `with torch.no_grad():`, or call `.detach()` on it."),
        )

    def expect_unchanged(
        self,
        names: Sequence[str],
        before: Sequence[Any],
        after: Sequence[Any],
        networks: dict[str, tuple[nn.Module, dict[str, Tensor]]] | None = None,
    ) -> None:
        """The input tensors ``after`` the calls equal their copies ``before``, and each
        network in ``networks`` (name: (network, its state before)) kept its weights."""
        prop = _("inputs are left unchanged")
        for name, old, new in zip(names, before, after, strict=True):
            if isinstance(old, Tensor) and not torch.equal(old, new.detach()):
                raise self.fail(prop, **_input_changed(name, old, new))
        for name, (net, state) in (networks or {}).items():
            if not _same_state(_state(net), state):
                raise self.fail(
                    prop,
                    expected=_("the weights of {name} unchanged").format(name=name),
                    got=_("the weights of {name} were modified").format(name=name),
                    cause=_("the function changed {name}'s parameters.").format(name=name),
                    hint=_(
                        "computing a target or a loss only reads the networks; the optimizer "
                        "changes them."
                    ),
                )
        self.holds(prop)

    def expect_values(
        self,
        prop: str,
        *,
        got: Tensor,
        expected: Tensor,
        variants: Sequence[Variant] = (),
        cause: str,
        hint: str,
    ) -> None:
        """``got`` is close to ``expected``; else fail, naming the classic mistake (one of
        ``variants``) the result matches, or with ``cause`` and ``hint``."""
        if _close(got, expected):
            self.holds(prop)
            return
        for variant in variants:
            if _close(got, variant.value):
                cause, hint = variant.cause, variant.hint
                break
        raise self.fail(prop, expected=show(expected), got=show(got), cause=cause, hint=hint)


def _shape_mistake(got: tuple[int, ...], shape: tuple[int, ...], dim: int) -> tuple[str, str]:
    """The likely cause and hint of a result of shape ``got`` where ``shape`` was expected."""
    rows = shape[0]
    if got == (rows,) and shape == (rows, 1):
        return _(
            "shape (B,) instead of (B, 1): a dimension was squeezed away (`.squeeze()`, "
            "`.max(dim=1).values` without keepdim, or `[:, 0]`). Mixed with (B, 1) tensors "
            "later, (B,) broadcasts silently to (B, B)."
        ), _(
            "keep the column dimension: reductions take `keepdim=True`; a squeezed result gets "
            "it back with `.unsqueeze(1)`."
        )
    if got in ((rows, rows), (rows, rows, 1), (rows, 1, rows)):
        return _(
            "a (B, B) result: every row was combined with every other row. Either a (B,) "
            "tensor met a (B, 1) tensor and broadcast to (B, B), or `q_values_b[:, action_b]` "
            "picked the actions of all rows for each row."
        ), _(
            "give every per-transition tensor the shape (B, 1), and select each row's own "
            "action with `gather` along the action dimension."
        )
    if got == (rows, 1, N_ACTIONS):
        return _(
            "the actions were used as row numbers: `q_values_b[action_b]` picks whole rows."
        ), _(
            "select one column per row, each row its own action: `gather` along dimension 1 "
            "does that."
        )
    if dim == 0:
        return _(
            "the batch was reduced to a single number (a sum, a mean or a max over everything)."
        ), _("reduce only over the action dimension, with dim=1 and keepdim=True.")
    if dim == 2 and got[0] == rows and got[1] == N_ACTIONS:
        return _(
            "one value per action instead of one per transition: the action dimension was not "
            "reduced."
        ), _("select or reduce over the action dimension, dim=1, keeping it as a column.")
    return _("the result's shape does not match the exercise's docstring."), _(
        "print the shape of each intermediate tensor on a small batch."
    )


# --------------------------------------------------------------------------- the runner


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

    return reference.CALLS.get(exercise, 0)


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
            expected=_("your implementation of Exercise {number}").format(number=_number(exercise)),
            got=_("the reference implementation (`course_utils.reference`)"),
            cause=notice,
            hint=_("write the exercise yourself, then run its check again."),
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
        expected=_("the arguments {arguments}").format(arguments=arguments),
        got=_("the notebook's globals {names}").format(names=names),
        cause=_(
            "your function reads the notebook's globals {names} instead of its own arguments "
            "{arguments}: it ignores what its caller passes (the check passes other values than "
            "the notebook's, and so would a caller with other hyperparameters)."
        ).format(names=names, arguments=arguments),
        hint=_(
            "inside the function, use its parameters; the notebook's constants in capitals are "
            "what the caller passes to it."
        ),
    )


def _not_callable(exercise: str, class_name: str | None, student: Any) -> ExerciseFailure:
    """The diagnosis of ``check_x(x())``: the result of a call was passed, not the code."""
    if class_name is None:
        return _fail(
            exercise,
            _("the check receives your function"),
            expected=_("the function itself: check_{exercise}({exercise})").format(
                exercise=exercise
            ),
            got=show(student),
            cause=_("the function was called before it was passed (`f()` instead of `f`)."),
            hint=_(
                "write `checks.check_{exercise}({exercise})`, without parentheses after the name."
            ).format(exercise=exercise),
        )
    return _fail(
        exercise,
        _("the check receives your class"),
        expected=_("the class itself: check_{exercise}({name})").format(
            exercise=exercise, name=class_name
        ),
        got=show(student),
        cause=_(
            "an instance was passed (`{name}(...)`, or a `memory` variable), not the class."
        ).format(name=class_name),
        hint=_(
            "write `checks.check_{exercise}({name})`, without parentheses after the name."
        ).format(exercise=exercise, name=class_name),
    )


def check(
    exercise: str, *, class_name: str | None = None
) -> Callable[[Callable[[Check], None]], Callable[[Any], None]]:
    """Declare the check of ``exercise``: it receives the student's function of that name,
    or, with ``class_name``, the student's class of that name (passed itself, not an
    instance).

    The decorated function receives a :class:`Check`. The check it makes runs it under the
    time limit, with gradients on and every global setting restored afterwards, and prints
    the success line with the number of properties recorded (or the notice for a reference
    implementation). An exception of the check's own code, tripped by what the student's
    code returned, becomes a diagnosis too.
    """

    def decorate(body: Callable[[Check], None]) -> Callable[[Any], None]:
        @functools.wraps(body)
        def run(student: Any) -> None:
            __tracebackhide__ = True
            if not callable(student):
                raise _not_callable(exercise, class_name, student)
            _run(exercise, student, body)

        # help() shows the call as the notebook writes it: check_x(x), check_y(ReplayMemory)
        received = inspect.Parameter(class_name or exercise, inspect.Parameter.POSITIONAL_ONLY)
        run.__signature__ = inspect.Signature([received], return_annotation=None)  # type: ignore[attr-defined]
        return run

    return decorate


def _run(exercise: str, student: Any, body: Callable[[Check], None], make: type = Check) -> None:
    """Run ``body`` on a ``make(exercise, student)`` (a :class:`Check`, or a subclass that a
    test uses to read the properties recorded) as :func:`check` describes."""
    __tracebackhide__ = True
    if _is_reference(student):
        _reference_used(exercise)
        return
    if not isinstance(student, type):
        _shadowing(exercise, student)
    chk = make(exercise, student)
    from course_utils.checks import _guard  # noqa: PLC0415 (read at call time: tests lower it)

    limit = _guard.TIME_LIMIT_S
    state = _GlobalState()
    calls = _reference_calls(exercise)
    try:
        torch.set_default_dtype(torch.float32)
        with torch.random.fork_rng(devices=[]), torch.enable_grad(), _time_limit(limit):
            body(chk)
    except _OutOfTime as exc:
        raise _out_of_time(exercise, limit) from exc
    except ExerciseFailure:
        raise
    except Exception as exc:  # the check tripped over something the student's code made
        raise _fail(
            exercise,
            _("the check can use what your function returned"),
            expected=_("a result as the exercise's docstring describes it"),
            got=f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}",
            cause=_(
                "what your function returned (or left behind) made the check itself fail: "
                "an unusual type, device, shape or object that the docstring does not allow."
            ),
            hint=_(
                "return exactly what the docstring describes, with the inputs' device and dtype."
            ),
        ) from exc
    finally:
        state.restore()
    if _reference_calls(exercise) > calls:
        _reference_used(exercise)
        return
    print(_(SUCCESS).format(exercise=exercise, n=len(chk.properties)))


def _out_of_time(exercise: str, limit: float) -> ExerciseFailure:
    return _fail(
        exercise,
        _("finishes within the time limit"),
        expected=_("Exercise {number}'s check done within {limit:.0f} s").format(
            number=_number(exercise), limit=limit
        ),
        got=_("still running after {limit:.0f} s: stopped").format(limit=limit),
        cause=_(
            "Exercise {number}: your code did not return within the time limit of {limit:.0f} s, "
            "which correct code meets many times over: an endless loop (a `while` whose "
            "condition never becomes false, a counter never increased), or far more work than "
            "the exercise needs."
        ).format(number=_number(exercise), limit=limit),
        hint=_(
            "the traceback above shows the line your code was running when it was stopped; "
            "check what ends that loop."
        ),
    )
