"""What every check does whatever the student's code: a time limit, global state restored.

- a student function that never returns fails at the time limit with a diagnosis naming the
  exercise and the limit, in English and in Korean (``SIGALRM`` in the main thread); in a
  thread there is no limit, and an outer interval timer is left armed;
- every check, given a correct function that changes every global setting it can (the three
  random generators, the default dtype, torch's thread count, grad mode), leaves them all
  as they were before the check.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import torch

from course_utils import checks
from course_utils.checks import ExerciseFailure, _guard
from tests.runtime.test_checks_korean import CORRECT
from tests.runtime.test_checks_replay_memory import ListMemory


@pytest.fixture
def short_limit(monkeypatch: pytest.MonkeyPatch) -> float:
    monkeypatch.setattr(_guard, "TIME_LIMIT_S", 1.0)
    return 1.0


def select_forever(q_values_b, action_b):
    while True:
        pass


def episode_forever(env, *args: Any, **kwargs: Any) -> Any:
    env.reset()
    while True:
        pass


class SampleForever(ListMemory):
    def sample(self, batch_size):
        while True:
            pass


LOOPS = [
    ("check_select_q_values", select_forever, "2.1"),
    ("check_dqn_episode", episode_forever, "4.3"),
    ("check_replay_memory", SampleForever, "3.1"),
]


@pytest.mark.parametrize(("name", "function", "number"), LOOPS, ids=[n for n, _, _ in LOOPS])
@pytest.mark.parametrize("language", ["en", "ko"])
def test_an_endless_loop_fails_at_the_time_limit(
    name: str, function: Any, number: str, language: str, short_limit: float
) -> None:
    checks.set_language(language)
    handler = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    try:
        with pytest.raises(ExerciseFailure) as failure:
            getattr(checks, name)(function)
    finally:
        checks.set_language("en")
    assert time.monotonic() - start < short_limit + 30  # the first run also imports
    message = str(failure.value)
    if language == "en":
        assert (
            f"Exercise {number}: your code did not return within the time limit of 1 s" in message
        )
        assert "finishes within the time limit -- failed." in message
    else:
        assert f"연습문제 {number}: 코드가 제한 시간 1초 안에 반환하지 않았습니다" in message
        assert "제한 시간 안에 끝남 -- 실패." in message
    assert isinstance(failure.value.__cause__, _guard._OutOfTime)
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_except_exception_does_not_swallow_the_limit(short_limit: float) -> None:
    def stubborn(q_values_b, action_b):
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # what a student's loop may do
                pass

    with pytest.raises(ExerciseFailure, match="time limit"):
        checks.check_select_q_values(stubborn)


def test_an_outer_timer_stays_armed(capsys: pytest.CaptureFixture[str]) -> None:
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *args: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 60.0)
        checks.check_select_q_values(CORRECT["check_select_q_values"][0])
        left, _interval = signal.getitimer(signal.ITIMER_REAL)
        assert 0 < left <= 60.0
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired
    assert "✅" in capsys.readouterr().out


def test_no_limit_outside_the_main_thread(short_limit: float) -> None:
    """A check called from a thread cannot use SIGALRM: it runs without a limit."""

    def slow(q_values_b, action_b):
        time.sleep(short_limit + 0.3)
        return q_values_b.gather(1, action_b)

    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            checks.check_select_q_values(slow)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert outcome == [None]


# --------------------------------------------------------------------------- global state


def _state() -> tuple[Any, ...]:
    return (
        torch.get_rng_state(),
        random.getstate(),
        np.random.get_state()[1].tolist(),  # noqa: NPY002
        torch.get_default_dtype(),
        torch.get_num_threads(),
        torch.is_grad_enabled(),
    )


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return torch.equal(a[0], b[0]) and a[1:] == b[1:]


def _meddle() -> None:
    """Everything a student's code can change in the interpreter."""
    torch.manual_seed(99)
    random.seed(99)
    np.random.seed(99)  # noqa: NPY002
    torch.set_default_dtype(torch.float64)
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)


def meddling(correct: Any) -> Any:
    if isinstance(correct, type):
        return type("Meddling" + correct.__name__, (correct,), {"insert": _meddling_insert})

    def function(*args: Any, **kwargs: Any) -> Any:
        result = correct(*args, **kwargs)
        _meddle()
        return result

    return function


def _meddling_insert(self: Any, transition: Any) -> None:
    super(type(self), self).insert(transition)
    _meddle()


@pytest.fixture
def settings() -> Iterator[None]:
    state = _state()
    yield
    torch.set_rng_state(state[0])
    random.setstate(state[1])
    torch.set_default_dtype(state[3])
    torch.set_num_threads(state[4])
    torch.set_grad_enabled(state[5])


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_every_check_restores_every_global_setting(
    name: str, settings: None, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.set_num_threads(2)
    torch.manual_seed(7)
    random.seed(7)
    np.random.seed(7)  # noqa: NPY002
    before = _state()
    try:
        getattr(checks, name)(meddling(CORRECT[name][0]))
    except ExerciseFailure:
        pass  # passing or not, what matters here is what is left behind
    assert _same(_state(), before), (before[3:], _state()[3:])
    # a correct function that changes nothing still passes after a meddling one
    getattr(checks, name)(CORRECT[name][0])
    assert _same(_state(), before)
    capsys.readouterr()


def test_every_check_is_covered() -> None:
    """Every check of notebooks 01-05 is in the parametrisation above."""
    names = {name for name in checks.__all__ if name.startswith("check_")}
    numbered = {
        name
        for name in names
        if name.removeprefix("check_") in _guard.EXERCISES
        and not getattr(checks, name).__module__.endswith(".beyond")  # 06: test_checks_beyond
    }
    assert numbered == set(CORRECT)


def test_global_names_that_shadow_arguments() -> None:
    def uses_global(gamma):
        return GAMMA * 2  # noqa: F821

    clone = type(uses_global)(uses_global.__code__, {"GAMMA": 0.99}, "uses_global")
    assert _guard._shadowed_arguments(clone) == [("GAMMA", "gamma")]
    assert _guard._shadowed_arguments(uses_global) == []  # no such global: not the notebook's
    assert _guard._shadowed_arguments(len) == []


def test_references_replace_only_a_copy_of_the_globals() -> None:
    namespace: dict[str, Any] = {}
    exec("def helper():\n    return 'notebook'\ndef function():\n    return helper()\n", namespace)
    student, helper = namespace["function"], namespace["helper"]
    swapped = _guard._with_references(student, {"helper": lambda: "reference", "other": len})
    assert swapped() == "reference"
    assert student() == "notebook" and namespace["helper"] is helper
    assert _guard._with_references(print, {"helper": len}) is print
