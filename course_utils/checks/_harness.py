"""The old, positional form of :mod:`course_utils.checks.harness`, for ``beyond.py`` only
until it is converted (then this module goes): ``chk.fail`` with five positional parts,
``chk.ok()`` counting a property, ``_expect_*(chk, ...)`` functions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from torch import Tensor

from course_utils.checks.harness import Check, Variant, _run, show

__all__ = [
    "_Check",
    "_Variant",
    "_expect_float32",
    "_expect_shape",
    "_expect_tensor",
    "_expect_values",
    "_isolated",
    "_show",
]

_Variant = Variant
_show = show


class _Check(Check):
    def fail(self, prop: str, *parts: str, needs: str | None = None, **named: str) -> Any:  # type: ignore[override]
        fields = dict(zip(("expected", "got", "cause", "hint"), parts, strict=False), **named)
        return super().fail(prop, needs=needs, **fields)

    def holds(self, prop: str) -> None:  # the old count: only ok() counts
        pass

    def ok(self) -> None:
        self.properties.append(f"#{len(self.properties)}")


def _expect_tensor(chk: _Check, got: Any, what: str) -> Tensor:
    return chk.expect_tensor(got, what)


def _expect_shape(chk: _Check, got: Tensor, shape: tuple[int, ...], what: str) -> None:
    chk.expect_shape(got, shape, what)
    chk.ok()


def _expect_float32(chk: _Check, got: Tensor) -> None:
    chk.expect_float32(got)
    chk.ok()


def _expect_values(
    chk: _Check,
    prop: str,
    got: Tensor,
    expected: Tensor,
    variants: list[Variant],
    cause: str,
    hint: str,
) -> None:
    chk.expect_values(prop, got=got, expected=expected, variants=variants, cause=cause, hint=hint)
    chk.ok()


def _isolated(body: Callable[[_Check], None]) -> Callable[[Any], None]:
    exercise = body.__name__.removeprefix("check_")

    @functools.wraps(body)
    def run(student: Any) -> None:
        __tracebackhide__ = True
        from course_utils.checks.harness import _not_callable  # noqa: PLC0415

        if not callable(student):
            raise _not_callable(exercise, None, student)
        _run(exercise, student, body, make=_Check)

    return run
