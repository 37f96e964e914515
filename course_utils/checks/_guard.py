"""What keeps a check safe from the student's code, and the student from one check's bugs.

- :func:`_time_limit`: every check runs under a time limit (:data:`TIME_LIMIT_S`). It uses
  ``signal.setitimer`` and ``SIGALRM`` in the main thread (where Jupyter, IPython, nbclient and
  plain ``python`` run a cell), so the loop is interrupted *inside* the student's code, the
  kernel survives and nothing is killed; the check's own code (an import half-done, say) is
  never interrupted, the signal waits until the student's code runs again. Elsewhere (Windows, which has no ``SIGALRM``, or a
  check called from another thread) the check runs without a limit: interrupting the kernel
  (■) still stops it, and a grader's own per-cell limit still applies.
- :class:`_GlobalState`: what a check or the student's code may change in the interpreter
  (torch's, Python's and NumPy's random generators, the default dtype, torch's thread count,
  grad mode) is saved before a check and restored after it, whatever happened.
- :func:`_shadowed_arguments`: the notebook's globals a function reads instead of its own
  arguments (``GAMMA`` for ``gamma``).
- :func:`_with_references`: the student's function with the earlier exercises it calls by
  name (``dqn_update`` in 4.3) replaced by the reference implementations, so one bug costs
  one exercise.
"""

from __future__ import annotations

import contextlib
import random
import signal
import threading
import time
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch

__all__ = [
    "EXERCISES",
    "TIME_LIMIT_S",
    "_GlobalState",
    "_OutOfTime",
    "_global_names",
    "_shadowed_arguments",
    "_student_code",
    "_time_limit",
    "_with_references",
]

# Every check with a correct solution takes at most about 1.1 s on a 2-core VM at a load of 1
# (the slowest: dqn_episode, then replay_memory and epsilon_greedy_policy), and at most 17.5 s
# on the same VM at a load average of 13 (six times more work than cores). Binder's shared
# CPU can be that crowded: 120 s leaves a margin of about 7 over that worst measurement and
# of 100 over the unloaded one, and still ends an endless loop long before a grader's
# 900 s cell limit.
TIME_LIMIT_S = 120.0


# The exercise each check belongs to, as the notebooks number them: from the course's one
# table of exercises, course_utils/exercises.toml (the maintainers' tools read it too).
def _exercise_numbers() -> dict[str, str]:
    import importlib.resources
    import tomllib

    registry = importlib.resources.files("course_utils").joinpath("exercises.toml")
    table = tomllib.loads(registry.read_text(encoding="utf-8"))["exercise"]
    return {entry["check"].removeprefix("check_"): number for number, entry in table.items()}


EXERCISES = _exercise_numbers()


# How deep the check is inside the student's code now (``Check.call`` counts).
_in_student_code = 0


@contextlib.contextmanager
def _student_code() -> Iterator[None]:
    """Mark the student's code running: only there does the time limit interrupt."""
    global _in_student_code
    _in_student_code += 1
    try:
        yield
    finally:
        _in_student_code -= 1


class _OutOfTime(BaseException):
    """The time limit ran out; a BaseException so that a student's ``except Exception`` in a
    loop cannot swallow it."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[bool]:
    """Raise :class:`_OutOfTime` in the main thread after ``seconds``; yields whether a limit
    is active. An outer ``ITIMER_REAL`` timer (pytest-timeout's, say) is re-armed afterwards
    with what was left of it."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield False
        return

    def handler(signum: int, frame: Any) -> None:
        if _in_student_code:
            raise _OutOfTime
        # The check's own code (an import, say) is never interrupted half-way: the limit
        # takes effect as soon as the student's code runs again.
        signal.setitimer(signal.ITIMER_REAL, 0.05)

    previous_handler = signal.signal(signal.SIGALRM, handler)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.monotonic()
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(
            signal.SIGALRM, previous_handler if previous_handler is not None else signal.SIG_DFL
        )
        if previous_delay > 0:
            left = max(previous_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)


class _GlobalState:
    """The interpreter-wide settings a check or a student's function can change."""

    def __init__(self) -> None:
        self.torch_rng = torch.get_rng_state()
        self.python_rng = random.getstate()
        self.numpy_rng = np.random.get_state()  # noqa: NPY002 (the legacy global generator)
        self.dtype = torch.get_default_dtype()
        self.threads = torch.get_num_threads()
        self.grad = torch.is_grad_enabled()

    def restore(self) -> None:
        torch.set_rng_state(self.torch_rng)
        random.setstate(self.python_rng)
        np.random.set_state(self.numpy_rng)  # noqa: NPY002
        torch.set_default_dtype(self.dtype)
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        torch.set_grad_enabled(self.grad)


def _global_names(code: types.CodeType) -> set[str]:
    """The names ``code`` (and the functions, lambdas, comprehensions inside it) looks up
    outside itself: globals and attributes."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _shadowed_arguments(function: Callable[..., Any]) -> list[tuple[str, str]]:
    """``(global, argument)`` pairs: a notebook global read by ``function`` whose name is one
    of its parameters in another case (``GAMMA`` read where ``gamma`` is the argument)."""
    code = getattr(function, "__code__", None)
    namespace = getattr(function, "__globals__", None)
    if code is None or namespace is None:
        return []
    parameters = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    by_lower = {name.lower(): name for name in parameters}
    return sorted(
        (name, by_lower[name.lower()])
        for name in _global_names(code)
        if name.lower() in by_lower and name != by_lower[name.lower()] and name in namespace
    )


def _with_references(
    function: Callable[..., Any], references: dict[str, Callable[..., Any]]
) -> Callable[..., Any]:
    """``function``, reading ``references`` instead of the notebook's functions of those names.

    Only the names ``function`` itself uses and its module (the notebook) defines are
    replaced, in a copy of its globals: the notebook's own functions are left as they are.
    """
    code = getattr(function, "__code__", None)
    namespace = getattr(function, "__globals__", None)
    if not isinstance(function, types.FunctionType) or code is None or namespace is None:
        return function
    used = _global_names(code)
    swap = {name: ref for name, ref in references.items() if name in used and name in namespace}
    if not swap:
        return function
    clone = types.FunctionType(
        code, {**namespace, **swap}, function.__name__, function.__defaults__, function.__closure__
    )
    clone.__kwdefaults__ = function.__kwdefaults__
    clone.__dict__.update(function.__dict__)
    clone.__qualname__ = function.__qualname__
    return clone
