"""The public API for writing a check, ``course_utils.checks.harness``: the decorator, the
``Check`` methods, one ``call`` for functions and methods, and the property count."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from course_utils.checks import ExerciseFailure
from course_utils.checks.harness import Check, Variant, check


@check("scale")
def check_scale(chk: Check) -> None:
    x_b = torch.tensor([[1.0], [2.0]])
    got = chk.expect_tensor(chk.call(x_b, factor=3.0), "x_b * factor")
    chk.expect_shape(got, (2, 1), "one value per row")
    chk.expect_shape(got, (2, 1), "one value per row")  # the same property twice: counted once
    chk.holds("a property checked by hand")
    chk.expect_values(
        "scales every entry",
        got=got,
        expected=3 * x_b,
        variants=[Variant(x_b + 3, cause="added the factor.", hint="multiply.")],
        cause="other values.",
        hint="multiply by factor.",
    )


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def add(self, n: int) -> int:
        if n < 0:
            raise ValueError("negative")
        self.value += n
        return self.value


@check("counter", class_name="Counter")
def check_counter(chk: Check) -> None:
    counter = chk.call(5, method="Counter(5)", names=["start"])
    got = chk.call(2, function=counter.add, method="add")
    if got != 7:
        raise chk.fail("`add` adds", expected="7", got=repr(got), cause="wrong sum.", hint="add n.")
    chk.holds("`add` adds")
    chk.call(-1, function=counter.add, method="add")


def test_the_count_is_the_properties_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    check_scale(lambda x_b, factor: x_b * factor)  # keyword arguments reach the function
    # returns a tensor, on the CPU, the shape (once), by hand, the values
    assert capsys.readouterr().out == "✅ scale: all 5 properties hold.\n"


def test_a_failure_names_the_property_with_its_parts() -> None:
    with pytest.raises(ExerciseFailure) as raised:
        check_scale(lambda x_b, factor: x_b + factor)
    lines = str(raised.value).splitlines()
    assert lines[1] == "❌ scale: scales every entry -- failed."
    assert lines[4:] == ["   likely cause: added the factor.", "   hint: multiply."]


def test_a_method_error_names_the_method() -> None:
    with pytest.raises(ExerciseFailure) as raised:
        check_counter(Counter)
    message = str(raised.value)
    assert "❌ counter: `add` runs on a small example -- failed." in message
    assert "ValueError: negative" in message
    assert isinstance(raised.value.__cause__, ValueError)


def test_a_class_check_refuses_an_instance() -> None:
    with pytest.raises(ExerciseFailure) as raised:
        check_counter(Counter(1))
    message = str(raised.value)
    assert "the class itself: check_counter(Counter)" in message
    assert "an instance was passed (`Counter(...)`" in message
    assert "`checks.check_counter(Counter)`" in message


def test_a_function_check_refuses_a_result() -> None:
    with pytest.raises(ExerciseFailure, match=r"check_scale\(scale\)"):
        check_scale(3.0)


def test_an_input_changed_in_place_is_one_diagnosis() -> None:
    def scale_in_place(x_b: Any, factor: float) -> Any:
        return x_b.mul_(factor)

    with pytest.raises(ExerciseFailure) as raised:
        check_scale(scale_in_place)
    message = str(raised.value)
    assert "your function leaves its inputs unchanged -- failed." in message
    assert "your function changed its input: x_b was modified in place" in message


@check("size")
def check_size(chk: Check) -> None:
    if len(chk.call()) != 3:  # the check's own code, on what the function returned
        raise chk.fail("three", expected="3", got="?", cause="?", hint="?")


def test_the_checks_own_error_becomes_a_diagnosis() -> None:
    with pytest.raises(ExerciseFailure, match="the check can use what your function returned"):
        check_size(lambda: 3)
