"""Tests of course_utils.reference: a stuck student's way on, and what a check makes of it.

Every exercise has a reference named like the exercise, marked ``__course_reference__``;
given one (or a function that only calls one), a check prints a loud notice and does not
raise in Jupyter, and raises ExerciseFailure when ``COURSE_UTILS_GRADING=1``. Unmarked, the
references pass their checks: they are correct.
"""

from __future__ import annotations

from typing import Any

import pytest

from course_utils import ReplayMemory as PackageMemory
from course_utils import checks, reference
from course_utils.checks import ExerciseFailure
from course_utils.checks.harness import EXERCISES

# Every exercise's reference, by exercise name: functions named like the exercise, and two
# classes (3.1's ReplayMemory, tested apart below, and 6.4's ConvQNetwork).
CLASSES = {"conv_q_network": "ConvQNetwork"}
FUNCTIONS = sorted(name for name in EXERCISES if name != "replay_memory")


def marked(name: str) -> Any:
    """The reference of exercise ``name``."""
    return getattr(reference, CLASSES.get(name, name))


NOTICE = "you are using the reference implementation; the rest of the notebook runs, the exercise counts as not done."


def test_every_exercise_has_a_marked_reference() -> None:
    names = {CLASSES.get(name, name) for name in FUNCTIONS}
    assert set(reference.__all__) == {*names, "ReplayMemory"}
    for name in reference.__all__:
        assert getattr(reference, name).__course_reference__ is True
    assert issubclass(reference.ReplayMemory, PackageMemory)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_a_reference_prints_the_notice_and_does_not_raise(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COURSE_UTILS_GRADING", raising=False)
    getattr(checks, f"check_{name}")(marked(name))
    out = capsys.readouterr().out
    assert f"Exercise {EXERCISES[name]}: {NOTICE}" in out
    assert "✅" not in out


@pytest.mark.parametrize("memory", [reference.ReplayMemory, PackageMemory])
def test_the_package_memory_is_the_reference_of_3_1(
    memory: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    checks.check_replay_memory(memory)
    assert f"Exercise 3.1: {NOTICE}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "name", ["select_q_values", "dqn_targets", "dqn_episode", "n_step_targets", "conv_q_network"]
)
def test_a_reference_fails_when_grading(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COURSE_UTILS_GRADING", "1")
    with pytest.raises(ExerciseFailure) as failure:
        getattr(checks, f"check_{name}")(marked(name))
    assert f"Exercise {EXERCISES[name]}: {NOTICE}" in str(failure.value)


def test_a_function_that_only_calls_the_reference_is_recognised(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma):
        return reference.dqn_targets(reward_b, terminated_b, next_state_b, target_q_network, gamma)

    checks.check_dqn_targets(dqn_targets)
    assert f"Exercise 4.1: {NOTICE}" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_UTILS_GRADING", "1")
    with pytest.raises(ExerciseFailure, match="reference implementation"):
        checks.check_dqn_targets(dqn_targets)


def test_a_memory_wrapping_the_package_memory_is_recognised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    class Wrapper:
        def __init__(self, capacity):
            self.inner = PackageMemory(capacity)

        def insert(self, transition):
            self.inner.insert(transition)

        def sample(self, batch_size):
            return self.inner.sample(batch_size)

        def can_sample(self, batch_size):
            return self.inner.can_sample(batch_size)

        def __len__(self):
            return len(self.inner)

    checks.check_replay_memory(Wrapper)
    assert f"Exercise 3.1: {NOTICE}" in capsys.readouterr().out


def test_the_notice_in_korean(capsys: pytest.CaptureFixture[str]) -> None:
    checks.set_language("ko")
    try:
        checks.check_q_loss(reference.q_loss)
    finally:
        checks.set_language("en")
    assert "연습문제 3.6: 참조 구현을 쓰고 있습니다" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("name", FUNCTIONS)
def test_the_references_are_correct(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Unmarked (the function it wraps), each reference passes its own check."""
    getattr(checks, f"check_{name}")(marked(name).__wrapped__)
    assert capsys.readouterr().out.startswith(f"✅ {name}: all ")


def test_a_network_built_on_the_reference_class_is_recognised(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A student's class that only builds the reference inside is counted, as a function that
    only calls a reference is."""
    from torch import nn

    class ConvQNetwork(nn.Module):
        def __init__(self, in_channels, num_actions):
            super().__init__()
            self.inner = reference.ConvQNetwork(in_channels, num_actions)

        def forward(self, state_b):
            return self.inner(state_b)

    checks.check_conv_q_network(ConvQNetwork)
    assert f"Exercise 6.4: {NOTICE}" in capsys.readouterr().out
