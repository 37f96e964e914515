"""Exercise checks: run a student's function on small hand-made inputs and explain mistakes.

Every exercise cell is followed by a check cell, ``checks.check_<exercise>(student_function)``.
A check tests *properties* (shapes are ``(B, 1)``, terminal transitions get no bootstrap, no
gradient reaches the target network, ...) on tiny seeded networks and batches, so any
correct implementation passes, not only the reference one. It either prints one success
line or raises :class:`ExerciseFailure` (an ``AssertionError``) that says which property
failed, what was expected, what came back, the likely cause and a hint.

Checks run on the CPU, read no notebook state, and leave the global torch random number
generator as they found it.

>>> import torch
>>> from course_utils import checks
>>> def select_q_values(q_values_b, action_b):
...     return q_values_b.gather(1, action_b)
>>> checks.check_select_q_values(select_q_values)
✅ select_q_values: all 5 properties hold.
>>> def select_q_values(q_values_b, action_b):
...     return q_values_b.max(dim=1, keepdim=True).values
>>> checks.check_select_q_values(select_q_values)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
course_utils.checks.ExerciseFailure: ...
❌ select_q_values: Q-values of the actions taken -- failed.
...
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "ExerciseFailure",
    "check_linear_layer",
    "check_gradient_descent_step",
    "check_select_q_values",
    "check_training_step",
    "check_make_target_network",
    "check_update_target_network",
    "check_sarsa_targets",
    "check_dqn_targets",
    "check_q_loss",
    "check_double_dqn_targets",
]

B = 4  # batch size of the check batches; differs from STATE_DIM and N_ACTIONS on purpose
STATE_DIM = 5  # no classic-control environment has 5 state variables
N_ACTIONS = 3
GAMMA = 0.9


class ExerciseFailure(AssertionError):
    """An exercise check failed; the message explains which property and why."""


class _Variant(NamedTuple):
    """What a classic mistake returns on the check's inputs, and how to explain it."""

    value: Tensor
    cause: str
    hint: str


# --------------------------------------------------------------------------- messages


def _fail(
    exercise: str, prop: str, expected: str, got: str, cause: str, hint: str
) -> ExerciseFailure:
    """Build the uniform failure message: property, expected, got, likely cause, hint."""
    return ExerciseFailure(
        f"\n❌ {exercise}: {prop} -- failed.\n"
        f"   expected: {expected}\n"
        f"   got:      {got}\n"
        f"   likely cause: {cause}\n"
        f"   hint: {hint}"
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
        return f"{text}  (shape {tuple(x.shape)}, {str(x.dtype).removeprefix('torch.')}{grad})"
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
        prop = "your function runs on a small example"
        if isinstance(exc, NotImplementedError):
            return self.fail(
                prop,
                "a result",
                got,
                "not implemented yet: the exercise stub still raises NotImplementedError.",
                "replace the `raise NotImplementedError(...)` line with your code, run that "
                "cell, then run this check again.",
            )
        cause, hint = _diagnose_error(str(exc), self.function, context)
        return self.fail(prop, "a result", got, cause, hint)


_ERRORS: list[tuple[tuple[str, ...], str, str]] = [
    (
        ("with a bool tensor is not supported", "on a bool tensor is not supported"),
        "arithmetic on the bool tensor terminated_b: PyTorch refuses `1 - terminated_b` and "
        "`-terminated_b` on booleans.",
        "invert the mask with `~terminated_b`, or make it a float first: "
        "`(1 - terminated_b.float())`; `torch.where(terminated_b, ...)` works too.",
    ),
    (
        ("Boolean value of Tensor with more than one value is ambiguous",),
        "Python's `not`, `and`, `or` or `if` applied to a tensor that holds a whole batch.",
        "use element-wise operations: `~terminated_b` instead of `not terminated_b`, "
        "`torch.where(...)` instead of `if`.",
    ),
    (
        ("does not require grad and does not have a grad_fn",),
        "backward() through something detached: the loss was computed from a tensor made under "
        "`torch.no_grad()`, with `.detach()`, `.item()` or `torch.tensor(...)`.",
        "compute the network's prediction with gradients on; only the *target* is detached.",
    ),
    (
        ("a leaf Variable that requires grad is being used in an in-place operation",),
        "an in-place update (`-=`) of a tensor that requires grad, outside `torch.no_grad()`.",
        "wrap the update in `with torch.no_grad():`, or return a new tensor.",
    ),
    (
        ("Index tensor must have the same number of dimensions",),
        "`gather` needs an index with as many dimensions as the input: action_b is (B, 1), "
        "do not squeeze it.",
        "`q_values_b.gather(1, action_b)` with action_b of shape (B, 1).",
    ),
    (
        ("Expected state_dict to be dict-like",),
        "`load_state_dict` was given a network; it expects the network's weights, a state_dict.",
        "`target_q_network.load_state_dict(q_network.state_dict())`.",
    ),
    (
        ("Error(s) in loading state_dict",),
        "the weights do not fit the network they are loaded into: it was built with another "
        "architecture (the check passes its own small nn.Sequential, not the notebook's).",
        "`copy.deepcopy(q_network)` copies any network, whatever its architecture.",
    ),
    (
        ("tensors used as indices must be long",),
        "indexing with a float tensor: action indices must be integers (int64).",
        "keep action_b as it comes (int64); do not convert it with `.float()`.",
    ),
    (
        ("same dtype", "expected scalar type", "Found dtype"),
        "two tensors with different dtypes meet: usually float64 (from numpy or "
        "`torch.tensor` of Python floats) against the network's float32.",
        "keep everything float32: `.float()` on the odd one out, or build it with "
        "`dtype=torch.float32`.",
    ),
]


def _diagnose_error(message: str, function: Callable[..., Any], context: str) -> tuple[str, str]:
    for needles, cause, hint in _ERRORS:
        if any(needle in message for needle in needles):
            return cause, hint
    if "shapes cannot be multiplied" in message or "size of tensor a" in message:
        networks = sorted(_global_networks(function))
        cause = (
            "two shapes that do not fit together in a matrix product or an element-wise operation."
        )
        if context:
            cause += " " + context
        if networks:
            cause += (
                f" The check's networks take {STATE_DIM} inputs and have {N_ACTIONS} actions; "
                f"if your function uses the notebook's {', '.join(f'`{n}`' for n in networks)} "
                "instead of its arguments, the shapes will not fit."
            )
        return cause, "print the shapes of your intermediate tensors on the example batch."
    return (
        "your function raised an error on the check's small example (see the traceback above: "
        "the last lines in your code show where).",
        "call your function yourself on a tiny batch and print the shape of every intermediate "
        "tensor.",
    )


# --------------------------------------------------------------------------- inputs


def _global_networks(function: Callable[..., Any]) -> dict[str, nn.Module]:
    """The nn.Module objects a function could read from its module's globals (a notebook's)."""
    names = getattr(function, "__globals__", {})
    return {
        name: obj
        for name, obj in names.items()
        if isinstance(obj, nn.Module) and not name.startswith("_")  # not IPython's _, _3, ...
    }


def _linear(in_dim: int, out_dim: int, generator: torch.Generator) -> nn.Linear:
    layer = nn.utils.skip_init(nn.Linear, in_dim, out_dim, dtype=torch.float32)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(out_dim, in_dim, generator=generator))
        layer.bias.copy_(torch.randn(out_dim, generator=generator))
    return layer


def _network(seed: int, in_dim: int = STATE_DIM, out_dim: int = N_ACTIONS) -> nn.Sequential:
    """A tiny seeded MLP; nn.Sequential so deepcopy and load_state_dict both work on it."""
    generator = torch.Generator().manual_seed(seed)
    return nn.Sequential(
        _linear(in_dim, 4, generator), nn.ReLU(), _linear(4, out_dim, generator)
    ).train()


def _states(seed: int, n: int = B) -> Tensor:
    return torch.randn(n, STATE_DIM, generator=torch.Generator().manual_seed(seed))


def _rewards() -> Tensor:
    return torch.tensor([[1.0], [-0.5], [2.0], [0.5]])


def _terminated() -> Tensor:
    return torch.tensor([[False], [True], [False], [True]])


def _snapshot(values: Iterable[Any]) -> list[Any]:
    return [v.detach().clone() if isinstance(v, Tensor) else v for v in values]


def _state(network: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in network.state_dict().items()}


def _same_state(a: dict[str, Tensor], b: dict[str, Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _outputs_with_online_moved(target: nn.Module, q_network: nn.Module, states: Tensor) -> Tensor:
    """``target(states)`` while every online weight is shifted by +1 (then shifted back):
    a target that shares parameters with ``q_network`` gives different outputs."""
    with torch.no_grad():
        for p in q_network.parameters():
            p.add_(1.0)
        outputs = target(states)
        for p in q_network.parameters():
            p.sub_(1.0)
    return outputs


def _close(got: Any, expected: Tensor) -> bool:
    return (
        isinstance(got, Tensor)
        and got.shape == expected.shape
        and torch.allclose(got.detach().double(), expected.detach().double(), atol=1e-5, rtol=1e-5)
    )


# --------------------------------------------------------------------------- properties


def _expect_tensor(chk: _Check, got: Any, what: str) -> Tensor:
    if isinstance(got, Tensor):
        return got
    if got is None:
        cause, hint = (
            "the function returns nothing (a missing `return`).",
            f"end with `return {what}`.",
        )
    else:
        cause = "the function returns something other than a torch tensor."
        hint = f"return {what} as a tensor; keep it a tensor (no `.item()`, `.tolist()`, numpy)."
    raise chk.fail("returns a tensor", f"{what}: a torch.Tensor", _show(got), cause, hint)


def _expect_shape(chk: _Check, got: Tensor, shape: tuple[int, ...], what: str) -> None:
    """Shape property, with the classic (B,), (B, B) and (B, n_actions) mistakes explained."""
    if tuple(got.shape) == shape:
        chk.ok()
        return
    rows = shape[0]
    if tuple(got.shape) == (rows,) and shape == (rows, 1):
        cause = (
            "shape (B,) instead of (B, 1): a dimension was squeezed away (`.squeeze()`, "
            "`.max(dim=1).values` without keepdim, or `[:, 0]`). Mixed with (B, 1) tensors "
            "later, (B,) broadcasts silently to (B, B)."
        )
        hint = "keep the column: `keepdim=True`, `.unsqueeze(1)`, or `gather(1, action_b)`."
    elif tuple(got.shape) in ((rows, rows), (rows, rows, 1), (rows, 1, rows)):
        cause = (
            "a (B, B) result: every row was combined with every other row. Either a (B,) "
            "tensor met a (B, 1) tensor and broadcast to (B, B), or `q_values_b[:, action_b]` "
            "picked the actions of all rows for each row."
        )
        hint = (
            "give every per-transition tensor the shape (B, 1), and select actions with "
            "`q_values_b.gather(1, action_b)`."
        )
    elif tuple(got.shape) == (rows, 1, N_ACTIONS):
        cause = "the actions were used as row numbers: `q_values_b[action_b]` picks whole rows."
        hint = "select one column per row: `q_values_b.gather(1, action_b)`."
    elif got.dim() == 0:
        cause = "the batch was reduced to a single number (a sum, a mean or a max over everything)."
        hint = "reduce only over the action dimension, with dim=1 and keepdim=True."
    elif got.dim() == 2 and got.shape[0] == rows and got.shape[1] == N_ACTIONS:
        cause = "one value per action instead of one per transition: the action dimension was not reduced."
        hint = "select or reduce over dim=1 (`.gather(1, ...)` or `.max(dim=1, keepdim=True)`)."
    else:
        cause = "the result's shape does not match the exercise's docstring."
        hint = "print the shape of each intermediate tensor on a small batch."
    raise chk.fail(
        f"output shape is {shape}",
        f"shape {shape}: {what}",
        f"shape {tuple(got.shape)}",
        cause,
        hint,
    )


def _expect_float32(chk: _Check, got: Tensor) -> None:
    if got.dtype == torch.float32:
        chk.ok()
        return
    if got.dtype in (torch.int64, torch.int32, torch.bool):
        cause = "an integer or bool result: the indices (`argmax`, `.indices`) or the mask came back, not the values."
        hint = "return Q-values (floats): `.values` of max, or `gather` with the action indices."
    else:
        cause = "a float64 tensor crept in (numpy, or `torch.tensor` of Python floats)."
        hint = "keep everything float32, like the networks: `.float()` or `dtype=torch.float32`."
    raise chk.fail("dtype is float32", "torch.float32", str(got.dtype), cause, hint)


def _expect_no_grad(chk: _Check, got: Tensor, network: str) -> None:
    if not got.requires_grad:
        chk.ok()
        return
    raise chk.fail(
        "the target carries no gradient",
        "a constant target: requires_grad=False, no grad_fn",
        f"requires_grad=True, grad_fn={type(got.grad_fn).__name__}",
        f"the gradient reaches the network through the target: it was computed with "
        f"{network} outside `torch.no_grad()` and not detached. loss.backward() would then "
        "also push the target around (in the notebook the target network is frozen, but the "
        "same code with the online network silently trains on a moving target).",
        "compute the target inside `with torch.no_grad():`, or call `.detach()` on it.",
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
                "inputs are left unchanged",
                f"{name} as it was passed: {_show(old)}",
                f"{name} after the call: {_show(new)}",
                f"{name} was modified in place (an operation ending in `_`, `+=`, `*=`, or an "
                "assignment into it). In the notebook that would corrupt the replay batch.",
                "build new tensors instead: `x = x * 2`, not `x *= 2`.",
            )
    for name, (net, state) in networks.items():
        if not _same_state(_state(net), state):
            raise chk.fail(
                "inputs are left unchanged",
                f"the weights of {name} unchanged",
                f"the weights of {name} were modified",
                f"the function changed {name}'s parameters.",
                "computing a target or a loss only reads the networks; the optimizer changes them.",
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
                "the check receives your function",
                f"the function itself: check_{exercise}({exercise})",
                _show(student_function),
                "the function was called before it was passed (`f()` instead of `f`).",
                f"write `checks.check_{exercise}({exercise})`, without parentheses after the name.",
            )
        chk = _Check(exercise, student_function)
        default_dtype = torch.get_default_dtype()
        torch.set_default_dtype(torch.float32)
        try:
            with torch.random.fork_rng(devices=[]), torch.enable_grad():
                check(chk)
        finally:
            torch.set_default_dtype(default_dtype)
        print(f"✅ {exercise}: all {chk.passed} properties hold.")

    return wrapper


# --------------------------------------------------------------------------- notebook 01


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
        got = _expect_tensor(chk, chk.call(x_b, weight, bias), "x_b @ weight.T + bias")
        if tuple(got.shape) == (hidden, B):
            raise chk.fail(
                f"output shape is (B, H) = {(B, hidden)}",
                f"shape {(B, hidden)}: one row of H outputs per input row",
                f"shape {tuple(got.shape)}, i.e. (H, B)",
                "the result is transposed: `weight @ x_b.T` gives (H, B).",
                "put the batch first: `x_b @ weight.T + bias`.",
            )
        _expect_shape(chk, got, (B, hidden), "one row of H outputs per input row")
        linear = x_b @ weight.T + bias
        variants = [
            _Variant(
                x_b @ weight.T,
                "the bias is missing.",
                "add `bias`; its shape (H,) broadcasts over the batch rows.",
            ),
            *(
                _Variant(
                    act(linear),
                    f"an activation ({label}) was applied: a linear layer is only "
                    "`x_b @ weight.T + bias`.",
                    "leave the activation to the network, which applies it after the layer.",
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
                    "missing transpose: weight is stored (H, D), nn.Linear's convention, so the "
                    "product is `x_b @ weight.T`. With a square weight, `x_b @ weight` runs but "
                    "gives wrong numbers.",
                    "use `x_b @ weight.T + bias` (or `weight.t()`).",
                ),
            )
        _expect_values(
            chk,
            f"values equal x_b @ weight.T + bias ({hidden}x{dim} weight)",
            got,
            expected,
            variants,
            "the numbers differ from `x_b @ weight.T + bias`.",
            "compare with `torch.nn.functional.linear(x_b, weight, bias)` on this example.",
        )
        if not got.requires_grad:
            raise chk.fail(
                "the result keeps the gradient",
                "requires_grad=True (weight requires grad)",
                "requires_grad=False",
                "the computation left autograd: `.detach()`, `.item()`, numpy, or a new "
                "`torch.tensor(...)` built from numbers.",
                "use tensor operations only (`@`, `+`), so autograd can follow them.",
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
    got = chk.call(w, grad, alpha)
    if got is None:
        raise chk.fail(
            "returns the new weights",
            _show(expected),
            "None",
            "nothing is returned (an in-place update without `return`).",
            "end with `return w` (after updating it), or `return w - alpha * grad`.",
        )
    got = _expect_tensor(chk, got, "w - alpha * grad")
    _expect_shape(chk, got, tuple(w0.shape), "the same shape as w")
    variants = [
        _Variant(
            w0 + alpha * grad0,
            "the sign is flipped: you climbed the loss. The gradient points uphill, so gradient "
            "descent *subtracts* it (the slides drop the minus sign).",
            "w ← w − α·∇L: `w - alpha * grad`.",
        ),
        _Variant(
            w0 - grad0,
            "alpha was ignored: the full gradient was subtracted.",
            "scale the gradient by the learning rate: `w - alpha * grad`.",
        ),
        _Variant(
            -alpha * grad0,
            "returned the step instead of the new w: −α·∇L is the change, not the new weights.",
            "add the step to w: `w - alpha * grad`.",
        ),
        _Variant(
            alpha * grad0,
            "returned the step instead of the new w (and with a plus sign).",
            "return the updated weights: `w - alpha * grad`.",
        ),
        _Variant(
            w0 - alpha,
            "the gradient was ignored: alpha alone was subtracted.",
            "subtract alpha times the gradient: `w - alpha * grad`.",
        ),
    ]
    _expect_values(
        chk,
        "returns w − α·grad",
        got,
        expected,
        variants,
        "the numbers differ from w − α·grad.",
        "w ← w − α·∇L: `w - alpha * grad`.",
    )
    _expect_unchanged(chk, ["grad"], [grad0], [grad], {})


# --------------------------------------------------------------------------- notebook 02


@_isolated
def check_select_q_values(chk: _Check) -> None:
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
    got = _expect_tensor(chk, chk.call(q_values_b, action_b), "Q(s, a) of the actions taken")
    _expect_shape(chk, got, (B, 1), "one Q-value per transition")
    _expect_float32(chk, got)
    q = q_values_b.detach()
    variants = [
        _Variant(
            q.max(dim=1, keepdim=True).values,
            "max was used instead of the action taken: this is the greedy action's value, "
            "max_a Q(s, a), not Q(s, a) of the action in the batch.",
            "pick the taken action: `q_values_b.gather(1, action_b)`.",
        ),
        _Variant(
            q.gather(0, action_b),
            "gather along dim 0: the action indices were used as row numbers.",
            "actions index the columns: `q_values_b.gather(1, action_b)`.",
        ),
    ]
    _expect_values(
        chk,
        "Q-values of the actions taken",
        got,
        expected,
        variants,
        "the values are not Q(s, a) of the actions in action_b.",
        "row i must hold q_values_b[i, action_b[i, 0]]: `q_values_b.gather(1, action_b)`.",
    )
    if not got.requires_grad:
        raise chk.fail(
            "the result keeps the gradient",
            "requires_grad=True (q_values_b requires grad)",
            "requires_grad=False",
            "the selection left autograd (`.detach()`, `.item()`, numpy, `torch.tensor(...)`), "
            "so no gradient would reach the network.",
            "select with tensor operations: `gather` or indexing.",
        )
    chk.ok()
    _expect_unchanged(chk, ["q_values_b", "action_b"], before, [q_values_b, action_b], {})


@_isolated
def check_training_step(chk: _Check) -> None:
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
            "returns the loss as a Python float",
            f"float {expected_loss:.4f}",
            _show(got),
            "the loss tensor was returned. Stored in the statistics, every loss tensor keeps "
            "its whole autograd graph alive, and memory grows each step.",
            "return `loss.item()`.",
        )
    if not isinstance(got, float):
        raise chk.fail(
            "returns the loss as a Python float",
            f"float {expected_loss:.4f}",
            _show(got),
            "the function does not return the loss value (a missing `return`?).",
            "end with `return loss.item()`.",
        )
    chk.ok()
    if abs(got - expected_loss) > 1e-5:
        cause = "the returned number is not the loss of this batch before the update."
        if abs(got - loss_after_step) <= 1e-5:
            cause = "the loss was computed again after optimizer.step() (a second forward pass)."
        raise chk.fail(
            "returns the loss of the batch",
            f"{expected_loss:.4f}",
            f"{got:.4f}",
            cause,
            "compute `loss = loss_fn(network(x_b), y_b)` once and return `loss.item()`.",
        )
    chk.ok()

    new = [p.detach() for p in network.parameters()]
    expected_params = [p.detach() for p in after.parameters()]

    def matches(candidate: list[Tensor]) -> bool:
        return all(_close(n, c) for n, c in zip(new, candidate, strict=True))

    if not matches(expected_params):
        step = [f"{tuple(p.shape)}" for p in params]
        if matches(params) and all(p.grad is None for p in network.parameters()):
            cause = (
                "the parameters did not change and no gradient is left: `loss.backward()` is "
                "missing, or `optimizer.zero_grad()` was called between backward and step, "
                "which erases the gradients before they are used."
            )
        elif matches(params):
            cause = "the parameters did not change: `optimizer.step()` is missing."

        elif matches([p - lr * (g + j) for p, g, j in zip(params, grads, junk, strict=True)]):
            cause = (
                "`optimizer.zero_grad()` is missing: gradients add up in `.grad`, so the step "
                "used this batch's gradient plus whatever was left there before."
            )
        elif matches([p - lr * j for p, j in zip(params, junk, strict=True)]):
            cause = "`loss.backward()` is missing: the step used the stale gradients already in `.grad`."
        elif matches([p - 2 * lr * g for p, g in zip(params, grads, strict=True)]):
            cause = "two optimizer steps were taken for one batch."
        elif matches([p + lr * g for p, g in zip(params, grads, strict=True)]):
            cause = "the parameters moved uphill: the loss was negated before backward()."
        else:
            cause = "the parameters changed, but not by one SGD step on this batch's loss."
        raise chk.fail(
            "the parameters take exactly one gradient step",
            f"parameters (shapes {', '.join(step)}) = old − lr·∇loss",
            "different parameters after the call",
            cause,
            "in order: `optimizer.zero_grad()`, `loss = loss_fn(network(x_b), y_b)`, "
            "`loss.backward()`, `optimizer.step()`.",
        )
    chk.ok()
    _expect_unchanged(chk, ["x_b", "y_b"], before, [x_b, y_b], {})


# --------------------------------------------------------------------------- target networks


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
            "returns a network",
            "an nn.Module",
            _show(target),
            "the function returns something other than a network (a state_dict? nothing?).",
            "`target = copy.deepcopy(q_network)` ... `return target`.",
        )
    chk.ok()
    if target is q_network:
        raise chk.fail(
            "returns a new object",
            "a copy of q_network",
            "q_network itself (the same object)",
            "returning the same object: `target = q_network` only gives it a second name, so "
            "the target would follow every update of the online network.",
            "copy it: `copy.deepcopy(q_network)`.",
        )
    chk.ok()
    with torch.no_grad():
        expected, got = q_network(states), target(states)
    if not _same_state(_state(target), online_state) or not _close(got, expected):
        raise chk.fail(
            "has the same weights as q_network",
            f"the same outputs on a batch: {_show(expected)}",
            _show(got),
            "the copy is freshly initialised: building a new network gives new random weights.",
            "copy the weights too: `copy.deepcopy(q_network)`, or "
            "`target.load_state_dict(q_network.state_dict())`.",
        )
    chk.ok()
    moved = _outputs_with_online_moved(target, q_network, states)
    if not _close(moved, got):
        raise chk.fail(
            "is independent of q_network",
            "the target's outputs unchanged when the online weights change",
            f"the target's outputs moved to {_show(moved)}",
            "the copy shares parameters with q_network (e.g. `copy.copy`, or "
            "`nn.Sequential(*q_network)` reuses the same layers), so it is no fixed target.",
            "make a deep copy: `copy.deepcopy(q_network)`.",
        )
    chk.ok()
    trainable = [name for name, p in target.named_parameters() if p.requires_grad]
    if trainable:
        raise chk.fail(
            "all its parameters are frozen",
            "requires_grad=False on every parameter",
            f"requires_grad=True on {', '.join(trainable)}",
            "gradients are still enabled on the target network's parameters.",
            "`target.requires_grad_(False)` (or set `p.requires_grad = False` for each parameter).",
        )
    chk.ok()
    if any(module.training for module in target.modules()):
        raise chk.fail(
            "is in eval mode",
            "target.training == False",
            "target.training == True",
            "the target network is still in train mode (dropout or batch norm would behave "
            "like in training).",
            "call `target.eval()`.",
        )
    chk.ok()
    frozen_online = [name for name, p in q_network.named_parameters() if not p.requires_grad]
    if frozen_online or not q_network.training:
        raise chk.fail(
            "leaves q_network trainable",
            "q_network still in train mode with requires_grad=True",
            f"train mode {q_network.training}, frozen parameters: {frozen_online or 'none'}",
            "the online network was frozen or put in eval mode before (or instead of) the copy.",
            "copy first, then freeze and `.eval()` the copy only.",
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
            "leaves q_network unchanged",
            "the online weights as they were",
            "the online weights " + ("replaced by the target's" if swapped else "modified"),
            "the arguments are swapped: the online network was overwritten by the target, "
            "undoing the training since the last update."
            if swapped
            else "the online network's weights were changed.",
            "the order is (target_q_network, q_network): copy *from* q_network *into* "
            "target_q_network: `target_q_network.load_state_dict(q_network.state_dict())`.",
        )
    chk.ok()
    if not _same_state(_state(target), online_state):
        unchanged = _same_state(_state(target), target_state)
        raise chk.fail(
            "target_q_network gets q_network's weights",
            "the target's weights equal the online weights after the call",
            "the target's weights " + ("unchanged" if unchanged else "differ from the online ones"),
            "rebinding a local name: `target_q_network = copy.deepcopy(q_network)` inside the "
            "function only changes what the local name points to; the caller's network is untouched."
            if unchanged
            else "the target's weights were changed, but are not a copy of the online weights.",
            "copy in place: `target_q_network.load_state_dict(q_network.state_dict())`.",
        )
    chk.ok()
    with torch.no_grad():
        before = target(states)
    after = _outputs_with_online_moved(target, q_network, states)
    if not _close(after, before):
        raise chk.fail(
            "copies instead of sharing",
            "the target unchanged when the online weights change later",
            f"the target's outputs moved from {_show(before)} to {_show(after)}",
            "the target now shares parameters (the same tensors) with q_network, e.g. "
            "`t.data = q.data` or reusing q_network's modules: it follows every update.",
            "copy the values: `target_q_network.load_state_dict(q_network.state_dict())`, or "
            "`t.copy_(q)` under `torch.no_grad()`.",
        )
    chk.ok()
    trainable = [name for name, p in target.named_parameters() if p.requires_grad]
    if trainable or target.training:
        raise chk.fail(
            "the target stays frozen and in eval mode",
            "requires_grad=False everywhere, eval mode",
            f"trainable: {trainable or 'none'}, train mode: {target.training}",
            "the update re-enabled gradients or train mode on the target network.",
            "only copy the weights; `load_state_dict` keeps requires_grad and the mode as they are.",
        )
    chk.ok()


# --------------------------------------------------------------------------- TD targets


def _target_variants(
    reward_b: Tensor, mask_b: Tensor, bootstrap_b: Tensor, gamma: float
) -> list[_Variant]:
    """The classic mistakes in r + γ·(1 − terminated)·bootstrap, given the correct bootstrap."""
    terminated_b = 1.0 - mask_b
    return [
        _Variant(
            reward_b + gamma * bootstrap_b,
            "terminal transitions still bootstrap: the (1 − terminated) mask is missing. After "
            "a terminal state there is no next state, so the target is just the reward.",
            "multiply the bootstrap term by `(~terminated_b)` or `(1 - terminated_b.float())`.",
        ),
        _Variant(
            reward_b + gamma * terminated_b * bootstrap_b,
            "the mask is inverted: only terminal transitions bootstrap, all others do not.",
            "use `~terminated_b` (or `1 - terminated_b.float()`), not `terminated_b` itself.",
        ),
        _Variant(
            mask_b * (reward_b + gamma * bootstrap_b),
            "the mask also multiplies the reward: the reward of terminal transitions was zeroed.",
            "only the bootstrap term is masked: r + γ·(1 − terminated)·q (mind the parentheses).",
        ),
        _Variant(
            reward_b + mask_b * bootstrap_b,
            "gamma ignored: the next state's value is not discounted.",
            "multiply the bootstrap term by `gamma`.",
        ),
        _Variant(
            gamma * (reward_b + mask_b * bootstrap_b),
            "gamma applied to the reward too: the reward arrives now and is not discounted.",
            "r + γ·(1 − terminated)·q: gamma multiplies only the bootstrap term.",
        ),
        _Variant(
            gamma * mask_b * bootstrap_b,
            "the reward is omitted: the target is r plus the discounted next value.",
            "add `reward_b`.",
        ),
    ]


def _greedy_variants(
    reward_b: Tensor, mask_b: Tensor, next_q_b: Tensor, gamma: float
) -> list[_Variant]:
    """Mistakes in reducing the next state's Q-values to one bootstrap value per row."""
    return [
        _Variant(
            reward_b + gamma * mask_b * next_q_b.argmax(dim=1, keepdim=True).float(),
            "the indices of the max were used, not its values: `.max(dim=1)` returns "
            "(values, indices) and `argmax` gives the greedy action, not its Q-value.",
            "take `.max(dim=1, keepdim=True).values`.",
        ),
        _Variant(
            reward_b + gamma * mask_b * next_q_b.max(),
            "the max was taken over the whole batch: `q.max()` without `dim` returns the single "
            "largest Q-value of all rows and actions.",
            "reduce over actions only: `.max(dim=1, keepdim=True).values`.",
        ),
        _Variant(
            reward_b + gamma * mask_b * next_q_b.mean(dim=1, keepdim=True),
            "the mean over actions was used instead of the max.",
            "Q-learning bootstraps from the greedy action: `.max(dim=1, keepdim=True).values`.",
        ),
        _Variant(
            reward_b + gamma * mask_b * next_q_b[:, :1],
            "the Q-value of a fixed action (action 0) was used instead of the max.",
            "Q-learning bootstraps from the greedy action: `.max(dim=1, keepdim=True).values`.",
        ),
    ]


def _global_variants(
    function: Callable[..., Any],
    own: Iterable[nn.Module],
    formula: Callable[[nn.Module], Tensor],
    argument: str,
) -> list[_Variant]:
    """What the result would be if the function read a notebook-global network instead."""
    variants = []
    own_ids = {id(net) for net in own}
    for name, net in sorted(_global_networks(function).items()):
        if id(net) in own_ids:
            continue
        try:
            with torch.no_grad():
                value = formula(net)
        except Exception:  # a global network of another shape cannot be it
            continue
        variants.append(
            _Variant(
                value,
                f"a network other than the one passed was used: the values match the "
                f"notebook's global `{name}`, not the `{argument}` argument.",
                f"use only the function's arguments: `{argument}(next_state_b)`.",
            )
        )
    return variants


def _td_batch(seed: int) -> dict[str, Tensor]:
    return {
        "reward_b": _rewards(),
        "terminated_b": _terminated(),
        "next_state_b": _states(seed),
    }


def _run_target_check(
    chk: _Check,
    args: list[Any],
    names: list[str],
    networks: dict[str, nn.Module],
    expected: Tensor,
    variants: list[_Variant],
    prop: str,
    formula: str,
) -> None:
    """Shape, dtype, no gradient, inputs unchanged, values (with diagnosis) for a TD target."""
    before = _snapshot(args[: len(names)])
    states = {name: (net, _state(net)) for name, net in networks.items()}
    got = _expect_tensor(chk, chk.call(*args), formula)
    _expect_shape(chk, got, (B, 1), "one target per transition")
    _expect_float32(chk, got)
    _expect_no_grad(chk, got, " and ".join(networks))
    _expect_unchanged(chk, names, before, args[: len(names)], states)
    _expect_values(
        chk,
        prop,
        got,
        expected,
        variants,
        f"the numbers differ from {formula} in a way none of the usual mistakes explains "
        "(a network other than the one passed in? gamma or the reward changed?).",
        "on this batch, print reward_b, the mask and the bootstrap term separately; the "
        "terminal rows (1 and 3) must equal their reward.",
    )


def _expect_uses_argument(chk: _Check, args: list[Any], expected: Tensor, argument: str) -> None:
    """Call again with another network in `position`; the result must follow it."""
    got = chk.call(*args)
    if _close(got, expected):
        chk.ok()
        return
    raise chk.fail(
        f"uses the `{argument}` it is given",
        f"targets computed with the new `{argument}`: {_show(expected)}",
        _show(got),
        f"called again with a different `{argument}`, the result did not follow it: the "
        "function reads some other network (a global?) or a cached result.",
        f"use only the function's arguments, `{argument}` included.",
    )


@_isolated
def check_sarsa_targets(chk: _Check) -> None:
    """Check ``sarsa_targets(reward_b, terminated_b, next_state_b, next_action_b,
    target_q_network, gamma) -> (B, 1)``: r + γ·(1 − terminated)·q_targ(s', a').

    The batch's next actions are never the greedy ones, so max shows.
    """
    target_q_network = _network(seed=30)
    batch = _td_batch(seed=31)
    with torch.no_grad():
        next_q_b = target_q_network(batch["next_state_b"])
    next_action_b = next_q_b.argmin(dim=1, keepdim=True)  # never the greedy action
    reward_b, terminated_b = batch["reward_b"], batch["terminated_b"]
    mask_b = 1.0 - terminated_b.float()
    taken_b = next_q_b.gather(1, next_action_b)
    expected = reward_b + GAMMA * mask_b * taken_b

    def formula(net: nn.Module) -> Tensor:
        return reward_b + GAMMA * mask_b * net(batch["next_state_b"]).gather(1, next_action_b)

    variants = [
        _Variant(
            reward_b + GAMMA * mask_b * next_q_b.max(dim=1, keepdim=True).values,
            "max used where the sampled next action belongs: max_a q_targ(s', a) is Q-learning "
            "(DQN). Deep SARSA is on-policy: it bootstraps from the action A' that the ε-greedy "
            "policy actually chose, next_action_b.",
            "`target_q_network(next_state_b).gather(1, next_action_b)`.",
        ),
        _Variant(
            reward_b + GAMMA * mask_b * next_q_b.gather(0, next_action_b),
            "gather along dim 0: the actions were used as row numbers.",
            "actions index the columns: `.gather(1, next_action_b)`.",
        ),
        *_target_variants(reward_b, mask_b, taken_b, GAMMA),
        *_global_variants(chk.function, [target_q_network], formula, "target_q_network"),
    ]
    args = [reward_b, terminated_b, batch["next_state_b"], next_action_b, target_q_network, GAMMA]
    names = ["reward_b", "terminated_b", "next_state_b", "next_action_b"]
    _run_target_check(
        chk,
        args,
        names,
        {"target_q_network": target_q_network},
        expected,
        variants,
        "targets equal r + γ·(1 − terminated)·q_targ(s', a')",
        "r + γ·(1 − terminated)·q_targ(s', a')",
    )
    other = _network(seed=32)
    with torch.no_grad():
        expected_other = formula(other)
    _expect_uses_argument(chk, [*args[:4], other, GAMMA], expected_other, "target_q_network")


@_isolated
def check_dqn_targets(chk: _Check) -> None:
    """Check ``dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma)
    -> (B, 1)``: r + γ·(1 − terminated)·max_a q_targ(s', a)."""
    target_q_network = _network(seed=40)
    batch = _td_batch(seed=41)
    reward_b, terminated_b = batch["reward_b"], batch["terminated_b"]
    mask_b = 1.0 - terminated_b.float()
    with torch.no_grad():
        next_q_b = target_q_network(batch["next_state_b"])
    max_b = next_q_b.max(dim=1, keepdim=True).values
    expected = reward_b + GAMMA * mask_b * max_b

    def formula(net: nn.Module) -> Tensor:
        return (
            reward_b + GAMMA * mask_b * net(batch["next_state_b"]).max(dim=1, keepdim=True).values
        )

    variants = [
        *_target_variants(reward_b, mask_b, max_b, GAMMA),
        *_greedy_variants(reward_b, mask_b, next_q_b, GAMMA),
        *_global_variants(chk.function, [target_q_network], formula, "target_q_network"),
    ]
    args = [reward_b, terminated_b, batch["next_state_b"], target_q_network, GAMMA]
    _run_target_check(
        chk,
        args,
        ["reward_b", "terminated_b", "next_state_b"],
        {"target_q_network": target_q_network},
        expected,
        variants,
        "targets equal r + γ·(1 − terminated)·max_a q_targ(s', a)",
        "r + γ·(1 − terminated)·max_a q_targ(s', a)",
    )
    other = _network(seed=42)
    with torch.no_grad():
        expected_other = formula(other)
    _expect_uses_argument(chk, [*args[:3], other, GAMMA], expected_other, "target_q_network")


def _disagreeing_states(online: nn.Module, target: nn.Module, seed: int) -> Tensor:
    """Next states where the online and target networks' greedy actions differ in every row."""
    pool = _states(seed, n=256)
    with torch.no_grad():
        differ = online(pool).argmax(dim=1) != target(pool).argmax(dim=1)
    chosen = pool[differ][:B]
    if len(chosen) < B:  # pragma: no cover - the seeds below guarantee enough rows
        raise RuntimeError("check_double_dqn_targets: pick other seeds")
    return chosen


@_isolated
def check_double_dqn_targets(chk: _Check) -> None:
    """Check ``double_dqn_targets(reward_b, terminated_b, next_state_b, q_network,
    target_q_network, gamma) -> (B, 1)``: a* = argmax_a q(s', a), value q_targ(s', a*).

    The next states are chosen so that the two networks' greedy actions differ.
    """
    q_network, target_q_network = _network(seed=50), _network(seed=51)
    next_state_b = _disagreeing_states(q_network, target_q_network, seed=52)
    reward_b, terminated_b = _rewards(), _terminated()
    mask_b = 1.0 - terminated_b.float()
    with torch.no_grad():
        online_q_b, target_q_b = q_network(next_state_b), target_q_network(next_state_b)
    best_b = online_q_b.argmax(dim=1, keepdim=True)
    value_b = target_q_b.gather(1, best_b)
    expected = reward_b + GAMMA * mask_b * value_b
    variants = [
        _Variant(
            reward_b + GAMMA * mask_b * target_q_b.max(dim=1, keepdim=True).values,
            "argmax taken with the target network: that is plain DQN's max_a q_targ(s', a). "
            "Double DQN *selects* the action with the online network and *evaluates* it with "
            "the target network.",
            "`best_b = q_network(next_state_b).argmax(dim=1, keepdim=True)`, then "
            "`target_q_network(next_state_b).gather(1, best_b)`.",
        ),
        _Variant(
            reward_b + GAMMA * mask_b * online_q_b.max(dim=1, keepdim=True).values,
            "the value was read from the online network: q(s', a*) instead of q_targ(s', a*).",
            "evaluate a* with the target network: `target_q_network(next_state_b).gather(1, best_b)`.",
        ),
        _Variant(
            reward_b
            + GAMMA * mask_b * online_q_b.gather(1, target_q_b.argmax(dim=1, keepdim=True)),
            "the two networks are swapped: the target network chose the action and the online "
            "network evaluated it.",
            "select with q_network (argmax), evaluate with target_q_network (gather).",
        ),
        _Variant(
            reward_b + GAMMA * mask_b * best_b.float(),
            "the action index a* was used as the value: gather the target network's Q-value "
            "at a* instead.",
            "`target_q_network(next_state_b).gather(1, best_b)`.",
        ),
        *_target_variants(reward_b, mask_b, value_b, GAMMA),
    ]
    args = [reward_b, terminated_b, next_state_b, q_network, target_q_network, GAMMA]
    _run_target_check(
        chk,
        args,
        ["reward_b", "terminated_b", "next_state_b"],
        {"q_network": q_network, "target_q_network": target_q_network},
        expected,
        variants,
        "targets equal r + γ·(1 − terminated)·q_targ(s', argmax_a q(s', a))",
        "r + γ·(1 − terminated)·q_targ(s', argmax_a q(s', a))",
    )
    for net in (q_network, target_q_network):
        if any(p.grad is not None for p in net.parameters()):
            raise chk.fail(
                "no gradient reaches either network",
                "no .grad on any parameter after the call",
                "some parameters have a .grad",
                "backward() was called inside the function; computing a target never needs it.",
                "compute the target under `torch.no_grad()`; leave backward to the training step.",
            )
    chk.ok()


# --------------------------------------------------------------------------- the loss


@_isolated
def check_q_loss(chk: _Check) -> None:
    """Check ``q_loss(q_network, state_b, action_b, target_b) -> scalar``.

    The mean squared error between q(S, A) of the actions taken and target_b (B, 1); a
    0-dimensional tensor whose gradient reaches q_network.
    """
    q_network = _network(seed=60)
    state_b = _states(seed=61)
    with torch.no_grad():
        q_b = q_network(state_b)
    action_b = q_b.argmin(dim=1, keepdim=True)  # never the greedy action
    target_b = torch.tensor([[0.5], [-1.0], [2.0], [0.0]])
    taken_b = q_b.gather(1, action_b)
    error_b = taken_b - target_b
    expected = (error_b**2).mean()
    args = [q_network, state_b, action_b, target_b]
    before, online_state = _snapshot(args[1:]), _state(q_network)
    got = chk.call(*args)
    if isinstance(got, (float, int)):
        raise chk.fail(
            "returns a tensor",
            f"a 0-dimensional tensor with grad_fn, value {expected.item():.4f}",
            _show(got),
            "the loss was returned as a Python number (`.item()`): that cuts the autograd "
            "graph, so backward() is impossible.",
            "return the loss tensor; call `.item()` only when you store it for the statistics.",
        )
    got = _expect_tensor(chk, got, "the loss")
    if got.numel() != 1:
        if tuple(got.shape) == (B, B):
            cause = (
                "a (B, B) broadcast: a (B,) tensor met a (B, 1) tensor, so every prediction was "
                "compared with every target, and the result was not reduced either."
            )
        else:
            cause = (
                "the loss is not reduced to a scalar: one squared error per transition came back."
            )
        raise chk.fail(
            "reduced to a scalar",
            "a 0-dimensional tensor (one number for the whole batch)",
            f"shape {tuple(got.shape)}",
            cause,
            "`F.mse_loss(q_b, target_b)` or `((q_b - target_b) ** 2).mean()`, both (B, 1).",
        )
    chk.ok()
    if not got.requires_grad or got.grad_fn is None:
        raise chk.fail(
            "carries a gradient to the online network",
            "requires_grad=True with a grad_fn",
            _show(got),
            "the loss carries no gradient: q(S, A) was computed under `torch.no_grad()`, "
            "detached, or rebuilt from numbers, so backward() cannot train the network.",
            "only the target is detached; the prediction `q_network(state_b)` keeps its graph.",
        )
    chk.ok()
    q_flat = taken_b.view(B)
    variants = [
        _Variant(
            ((q_flat - target_b) ** 2).mean(),
            "a silent (B, B) broadcast: a (B,) prediction met the (B, 1) target (or the other "
            "way round), so every prediction was compared with every target. F.mse_loss only "
            "warns about it.",
            "keep both (B, 1): `q_network(state_b).gather(1, action_b)` against target_b.",
        ),
        _Variant(
            (error_b**2).sum(),
            "sum instead of mean: the loss (and the step size) grows with the batch size.",
            "average: `F.mse_loss(...)` or `.mean()`.",
        ),
        _Variant(
            ((q_b.max(dim=1, keepdim=True).values - target_b) ** 2).mean(),
            "max used instead of the action taken: the loss must train Q(S, A) of the actions "
            "in the batch.",
            "`q_network(state_b).gather(1, action_b)`.",
        ),
        _Variant(
            ((q_b.gather(0, action_b) - target_b) ** 2).mean(),
            "gather along dim 0: the actions were used as row numbers.",
            "`q_network(state_b).gather(1, action_b)`.",
        ),
        _Variant(
            0.5 * expected,
            "half the mean squared error (the ½ convention of some textbooks).",
            "use the plain mean: `F.mse_loss(q_b, target_b)`.",
        ),
        _Variant(
            F.smooth_l1_loss(taken_b, target_b),
            "a Huber (smooth L1) loss instead of the mean squared error.",
            "this exercise asks for the MSE: `F.mse_loss(q_b, target_b)`.",
        ),
        _Variant(
            error_b.abs().mean(),
            "the absolute error (L1) instead of the squared error.",
            "square the error: `F.mse_loss(q_b, target_b)`.",
        ),
        _Variant(
            expected.sqrt(),
            "the root of the MSE instead of the MSE.",
            "no square root: `F.mse_loss(q_b, target_b)`.",
        ),
    ]
    _expect_values(
        chk,
        "value is the MSE of q(S, A) against target_b",
        got.reshape(()),
        expected,
        variants,
        "the number differs from mean((q(S, A) − target)²) (a network other than the "
        "q_network argument?).",
        "`F.mse_loss(q_network(state_b).gather(1, action_b), target_b)`.",
    )
    q_network.zero_grad(set_to_none=True)
    got.reshape(()).backward()
    missing = [name for name, p in q_network.named_parameters() if p.grad is None]
    if missing:
        raise chk.fail(
            "the gradient reaches q_network",
            "a .grad on every parameter of q_network after backward()",
            f"no .grad on {', '.join(missing)}",
            "the loss was computed with a network other than the q_network argument.",
            "use the function's arguments only: `q_network(state_b)`.",
        )
    chk.ok()
    _expect_unchanged(
        chk,
        ["state_b", "action_b", "target_b"],
        before,
        args[1:],
        {"q_network": (q_network, online_state)},
    )
