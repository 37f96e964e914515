"""Check of the replay memory, notebook 03's ``class ReplayMemory`` (exercise 3.1).

The check receives the *class*: ``checks.check_replay_memory(ReplayMemory)``. It builds
memories, inserts transitions whose every field carries the transition's number (so each
sampled row can be traced back to what was inserted), and tests properties only, so a
list, a ``collections.deque`` and preallocated tensors all pass:

- ``len`` counts what is stored and never exceeds ``capacity``; instances are independent;
- ``sample`` returns one ``(batch_size, ...)`` tensor per field, with the inserted dtypes,
  each row one whole stored transition;
- ``can_sample(batch_size)`` is ``len(memory) >= batch_size`` (the slides' hidden ×10 gets its
  own message);
- once full, a new transition replaces the *oldest*;
- sampling is uniform over what is stored (with or without replacement): seeded, with
  bounds six standard deviations wide, so a correct memory cannot miss them by chance.
"""

from __future__ import annotations

import contextlib
import random
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor

from course_utils.checks._harness import ExerciseFailure, _Check, _fail, _isolated, _show
from course_utils.checks._i18n import _
from course_utils.checks._inputs import STATE_DIM

__all__ = ["check_replay_memory"]

CAPACITY = 6  # the check's memories hold 6 transitions
FIELDS = ("state", "action", "reward", "terminated", "next_state")


@contextlib.contextmanager
def _seeded_rngs(seed: int) -> Iterator[None]:
    """Seed torch's, Python's and NumPy's global generators; restore all three afterwards.

    A student may draw random numbers from any of them; the check's statistics must be
    reproducible whichever they use, and the notebook's own streams must not be disturbed.
    """
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)  # noqa: NPY002 (the legacy global generator is what students use)
        try:
            yield
        finally:
            random.setstate(python_state)
            np.random.set_state(numpy_state)  # noqa: NPY002


def _transition(number: int) -> list[Tensor]:
    """Transition `number` (1, 2, ...): every field says which one it is.

    state[0, 0] = number, action = number % 3 + 1 (never 0), reward = number,
    terminated = number is even, next_state[0, 0] = number + 0.5. Empty preallocated slots
    (zeros) can therefore never pass for a stored transition.
    """
    state = torch.full((1, STATE_DIM), float(number))
    state[0, 1:] = torch.arange(1, STATE_DIM, dtype=torch.float32) / 10
    return [
        state,
        torch.tensor([[number % 3 + 1]], dtype=torch.int64),
        torch.tensor([[float(number)]]),
        torch.tensor([[number % 2 == 0]]),
        state + 0.5,
    ]


def _method_call(chk: _Check, method: str, function: Callable[..., Any], *args: Any) -> Any:
    """Call one of the memory's methods; any exception becomes a diagnosis naming it."""
    __tracebackhide__ = True
    try:
        return function(*args)
    except ExerciseFailure:
        raise
    except Exception as exc:  # every student error becomes a diagnosis
        failure = chk._explain(exc, f"(in `{method}`)")
        generic = _("your function runs on a small example")
        named = _("`{method}` runs on a small example").format(method=method)
        failure.args = (str(failure).replace(generic, named, 1),)
        raise failure from exc


class _Memory:
    """The student's memory, with each method call turned into a diagnosis on error."""

    def __init__(self, chk: _Check, capacity: int) -> None:
        self.chk = chk
        self.memory = _method_call(chk, f"ReplayMemory({capacity})", chk.function, capacity)

    def insert(self, number: int) -> None:
        _method_call(self.chk, "insert", self.memory.insert, _transition(number))

    def __len__(self) -> Any:
        return _method_call(self.chk, "__len__", lambda: len(self.memory))

    def can_sample(self, batch_size: int) -> Any:
        return _method_call(self.chk, "can_sample", self.memory.can_sample, batch_size)

    def sample(self, batch_size: int) -> Any:
        return _method_call(self.chk, "sample", self.memory.sample, batch_size)


def _expect_len(chk: _Check, memory: _Memory, expected: int, inserted: int) -> None:
    got = len(memory)
    if got == expected:
        return
    if got > CAPACITY:
        cause = _(
            "the memory grows past its capacity ({capacity}): nothing is ever overwritten, so over a long run it holds every transition and eats all the RAM."
        ).format(capacity=CAPACITY)
        hint = _(
            "once `len` reaches `capacity`, write the new transition over the oldest one "
            "instead of appending it."
        )
    elif inserted >= CAPACITY and got < expected:
        cause = _(
            "after the memory filled up, `len` went down: it returns the write position, "
            "which wraps around to 0 when the memory is full."
        )
        hint = _("once full, the memory holds `capacity` transitions: count what is stored.")
    else:
        cause = _("`__len__` does not count the stored transitions.")
        hint = _("return how many transitions are stored now (at most `capacity`).")
    raise chk.fail(
        _("`len(memory)` counts the stored transitions"),
        _("{expected} after {inserted} insert(s) with capacity {capacity}").format(
            expected=expected, inserted=inserted, capacity=CAPACITY
        ),
        repr(got),
        cause,
        hint,
    )


def _unpack(chk: _Check, batch: Any, batch_size: int) -> list[Tensor]:
    """The five field tensors of a sampled batch, or a failure that says what came back."""
    if batch is None:
        raise chk.fail(
            _("`sample` returns one tensor per field"),
            _("5 tensors: state_b, action_b, reward_b, terminated_b, next_state_b"),
            "None",
            _("`sample` returns nothing (a missing `return`)."),
            _("end `sample` with `return` and the five batch tensors."),
        )
    try:
        fields = list(batch)
    except TypeError:
        fields = [batch]
    if len(fields) != len(FIELDS) or not all(isinstance(f, Tensor) for f in fields):
        if len(fields) == batch_size:
            cause = _(
                "`sample` returns the list of sampled transitions itself; the training loop "
                "needs them regrouped per field, one batch tensor each."
            )
            hint = _("group the fields with `zip(*transitions)`, then `torch.cat` each group.")
        else:
            cause = _("`sample` does not return the five fields as tensors.")
            hint = _("return `state_b, action_b, reward_b, terminated_b, next_state_b`.")
        raise chk.fail(
            _("`sample` returns one tensor per field"),
            _("5 tensors: state_b, action_b, reward_b, terminated_b, next_state_b"),
            f"{type(batch).__name__} of {len(fields)}: "
            + ", ".join(type(f).__name__ for f in fields[:6]),
            cause,
            hint,
        )
    return fields


def _expect_fields(chk: _Check, fields: list[Tensor], batch_size: int) -> None:
    """Shapes and dtypes of a sampled batch, with the classic mistakes named."""
    inserted = _transition(1)
    for name, got, field in zip(FIELDS, fields, inserted, strict=True):
        shape = (batch_size, *field.shape[1:])
        if tuple(got.shape) != shape:
            if tuple(got.shape) == (batch_size, *field.shape):
                cause = _(
                    "`torch.stack` of (1, ...) tensors adds a dimension: (B, 1, ...). The "
                    "transitions already have their batch dimension of 1."
                )
                hint = _("join them along that dimension with `torch.cat(..., dim=0)`.")
            elif got.dim() == field.dim() and got.shape[0] != batch_size:
                cause = _("the batch holds {value} rows, not batch_size = {batch_size}.").format(
                    value=got.shape[0], batch_size=batch_size
                )
                hint = _("sample exactly `batch_size` transitions.")
            else:
                cause = _("the {name} field's shape changed on its way through the memory.").format(
                    name=name
                )
                hint = _("keep each field's shape: (1, ...) in, (batch_size, ...) out.")
            raise chk.fail(
                _("sampled {name}_b has shape (batch_size, ...)").format(name=name),
                f"shape {shape}",
                f"shape {tuple(got.shape)}",
                cause,
                hint,
            )
        if got.dtype != field.dtype:
            if got.dtype.is_floating_point and not field.dtype.is_floating_point:
                cause = _(
                    "{name} went in as {dtype} and came out as floats: storage allocated with the default dtype (`torch.zeros(capacity, ...)` is float32). Actions must stay int64, `gather` refuses other indices; `terminated` must stay bool for `~terminated_b`."
                ).format(name=name, dtype=field.dtype)
                hint = _(
                    "allocate each field with the dtype of the tensor inserted: "
                    "`torch.zeros(..., dtype=field.dtype)`."
                )
            else:
                cause = _("{name}'s dtype changed on its way through the memory.").format(name=name)
                hint = _(
                    "keep the inserted tensors' dtypes: no `.float()`, no `torch.tensor(...)` of lists."
                )
            raise chk.fail(
                _("sampled {name}_b keeps the inserted dtype").format(name=name),
                str(field.dtype),
                str(got.dtype),
                cause,
                hint,
            )


def _field_was_inserted(index: int, got: Tensor, numbers: set[int]) -> bool:
    """Whether `got` is field `index` of one of the transitions `numbers`."""
    return any(torch.equal(got, _transition(n)[index].to(got.dtype)) for n in numbers)


def _row_numbers(chk: _Check, fields: list[Tensor], stored: set[int]) -> list[int]:
    """Which stored transition each sampled row is; fails on rows that are none of them."""
    numbers = []
    for row in range(fields[0].shape[0]):
        number = round(float(fields[2][row, 0]))
        expected = _transition(number) if number >= 1 else None
        got = [f[row : row + 1] for f in fields]
        whole = expected is not None and all(
            torch.equal(g, e.to(g.dtype)) for g, e in zip(got, expected, strict=True)
        )
        if whole and number in stored:
            numbers.append(number)
            continue
        if number == 0 and float(fields[0][row].abs().sum()) == 0:
            cause = _(
                "a row of zeros was sampled: an empty slot of preallocated storage. The "
                "random indices range over the whole capacity, not over what is stored."
            )
            hint = _("draw indices below `len(self)` (the number stored), not below `capacity`.")
        elif not whole and all(_field_was_inserted(i, g, stored) for i, g in enumerate(got)):
            cause = _(
                "the fields of one row come from different transitions: each field was "
                "sampled with its own random indices, so a state meets another one's reward."
            )
            hint = _("draw the indices once, then use the same indices for every field.")
        elif whole:
            cause = _(
                "transition {number} was sampled, but it is no longer stored (or not yet): the memory kept a transition it should have overwritten."
            ).format(number=number)
            hint = _("sample only from the transitions the memory holds now.")
        else:
            cause = _("a sampled row is not one of the transitions inserted: its values changed.")
            hint = _("store the tensors as they are inserted and return them unchanged.")
        raise chk.fail(
            _("each sampled row is one whole stored transition"),
            _("rows among the stored transitions {value} (reward = its number)").format(
                value=sorted(stored)
            ),
            f"row {row}: state {_show(got[0])}, reward {_show(got[2])}",
            cause,
            hint,
        )
    return numbers


def _sample_numbers(chk: _Check, memory: _Memory, batch_size: int, stored: set[int]) -> list[int]:
    fields = _unpack(chk, memory.sample(batch_size), batch_size)
    _expect_fields(chk, fields, batch_size)
    return _row_numbers(chk, fields, stored)


def _expect_can_sample(chk: _Check, memory: _Memory, stored: int) -> None:
    got = {b: memory.can_sample(b) for b in range(1, 2 * CAPACITY + 1)}
    expected = {b: stored >= b for b in got}
    if got == expected:
        return
    if got == {b: stored >= 10 * b for b in got}:
        cause = _(
            "`can_sample` demands ten times the batch size, as the slides' memory does, "
            "silently: a hidden warm-up. The notebook makes the warm-up a visible "
            "hyperparameter, `WARMUP_STEPS`."
        )
        hint = _(
            "`can_sample(batch_size)` answers one question: are there `batch_size` transitions?"
        )
    elif got == {b: stored > b for b in got}:
        cause = _("off by one: with exactly `batch_size` transitions stored, a batch can be drawn.")
        hint = _("compare with `>=`, not `>`.")
    elif all(not isinstance(v, bool | np.bool_) for v in got.values()):
        cause = _("`can_sample` does not return True or False.")
        hint = _("return the comparison itself, `len(self) >= batch_size`.")
    else:
        cause = _("`can_sample` does not compare the number stored with `batch_size`.")
        hint = _("`len(self) >= batch_size`.")
    wrong = [b for b in got if got[b] != expected[b]][:3]
    raise chk.fail(
        _("`can_sample(batch_size)` is True when at least batch_size transitions are stored"),
        f"with {stored} stored: " + ", ".join(f"can_sample({b}) = {expected[b]}" for b in wrong),
        ", ".join(f"can_sample({b}) = {got[b]!r}" for b in wrong),
        cause,
        hint,
    )


def _expect_latest_kept(chk: _Check, seen: set[int], stored: set[int], inserted: int) -> None:
    """After the memory wrapped around: exactly the newest `CAPACITY` transitions remain.

    Finding only some of them is a sampling problem, left to `_expect_uniform` to name.
    """
    if seen <= stored:
        chk.ok()
        return
    first = set(range(1, CAPACITY + 1))
    newest_overwritten = set(range(1, CAPACITY)) | {inserted}
    if seen <= first:
        cause = _(
            "once full, the memory ignores new transitions: it keeps the first ones forever, "
            "so the agent never learns from anything it does later."
        )
        hint = _("when full, overwrite the oldest transition (a write position that wraps around).")
    elif seen <= newest_overwritten:
        cause = _(
            "once full, each new transition overwrites the *newest* one (the last slot), "
            "so the oldest transitions stay forever."
        )
        hint = _(
            "overwrite the oldest: keep a write position that advances with every insert and "
            "wraps to 0 at `capacity` (`collections.deque(maxlen=capacity)` does this for you)."
        )
    else:
        cause = _("once full, the memory does not replace its oldest transition with the new one.")
        hint = _(
            "overwrite the oldest: a write position that advances and wraps to 0 at `capacity`."
        )
    raise chk.fail(
        _("when full, a new transition overwrites the oldest"),
        _("after inserting 1..{inserted} with capacity {capacity}: transitions {value}").format(
            inserted=inserted, capacity=CAPACITY, value=sorted(stored)
        ),
        _("sampling finds transitions {value}").format(value=sorted(seen)),
        cause,
        hint,
    )


def _expect_uniform(chk: _Check, memory: _Memory, stored: set[int]) -> None:
    """Many batches from a full memory: every stored transition about equally often.

    With ``n`` stored and batches of ``b``, each transition's count over ``k`` batches has
    mean ``k·b/n`` with or without replacement; its standard deviation is at most that of
    sampling with replacement, sqrt(k·b·(1/n)(1 − 1/n)). The bounds are 6 of those wide.
    """
    batch_size, batches, n = 4, 1_500, len(stored)
    counts: Counter[int] = Counter()
    identical = 0
    for _batch in range(batches):
        numbers = _sample_numbers(chk, memory, batch_size, stored)
        counts.update(numbers)
        identical += len(set(numbers)) == 1
    mean = batches * batch_size / n
    sd = (batches * batch_size * (1 / n) * (1 - 1 / n)) ** 0.5
    low, high = mean - 6 * sd, mean + 6 * sd
    # All rows identical: probability n·(1/n)^b per batch with replacement (1/216 here).
    identical_mean = batches * n * (1 / n) ** batch_size
    identical_max = identical_mean + 6 * (identical_mean * (1 - identical_mean / batches)) ** 0.5
    if identical > identical_max:
        raise chk.fail(
            _("a batch holds different transitions"),
            _(
                "at most {identical_max:.0f} of {batches} batches of {batch_size} made of one transition (about {identical_mean:.0f} by chance)"
            ).format(
                identical_max=identical_max,
                batches=batches,
                batch_size=batch_size,
                identical_mean=identical_mean,
            ),
            f"{identical} of {batches}",
            _(
                "one transition was drawn and repeated to fill the batch "
                "(`[random.choice(memory)] * batch_size`): the gradient step then sees one "
                "transition, not a batch of uncorrelated ones."
            ),
            _("draw `batch_size` indices (or `random.sample(memory, batch_size)`)."),
        )
    got = {number: counts[number] for number in sorted(stored)}
    if all(low <= c <= high for c in got.values()):
        chk.ok()
        return
    never = [number for number, c in got.items() if c == 0]
    if never:
        cause = _(
            "transitions {never} were never sampled: the batch is not drawn at random from all that is stored (the first or the last `batch_size` ones?)."
        ).format(never=never)
    else:
        cause = _("some stored transitions are drawn far more often than others.")
    raise chk.fail(
        _("sampling is uniform over the stored transitions"),
        _(
            "each of the {n} stored about {mean:.0f} times in {batches} batches of {batch_size} (between {low:.0f} and {high:.0f})"
        ).format(n=n, mean=mean, batches=batches, batch_size=batch_size, low=low, high=high),
        ", ".join(f"#{number}: {c}" for number, c in got.items()),
        cause,
        _(
            "draw random indices below `len(self)`: `torch.randint(len(self), (batch_size,))`, "
            "or `random.sample(self.memory, batch_size)` for a list."
        ),
    )


def _properties(chk: _Check) -> None:
    """The properties, in the order a student meets them while writing the class."""
    with _seeded_rngs(seed=60):
        memory = _Memory(chk, CAPACITY)
        other = _Memory(chk, CAPACITY)
        _expect_len(chk, memory, 0, 0)
        _expect_can_sample(chk, memory, 0)
        for number in range(1, 4):
            memory.insert(number)
            _expect_len(chk, memory, number, number)
        chk.ok()
        if len(other) != 0:
            raise chk.fail(
                _("two memories are independent"),
                _("a new memory is empty after another one received 3 transitions"),
                f"len = {len(other)!r}",
                _(
                    "the storage is a class attribute (`memory = []` written in the class body, "
                    "outside `__init__`), shared by every ReplayMemory."
                ),
                _("create the storage in `__init__`: `self.memory = []`."),
            )
        chk.ok()
        _expect_can_sample(chk, memory, 3)
        chk.ok()
        stored = {1, 2, 3}
        for _draw in range(60):  # partially full: only what was inserted comes back
            _sample_numbers(chk, memory, 2, stored)
        chk.ok()  # shapes and dtypes
        chk.ok()  # whole stored rows
        for number in range(4, 2 * CAPACITY + 2):  # fill, then wrap around
            memory.insert(number)
            _expect_len(chk, memory, min(number, CAPACITY), number)
        chk.ok()
        inserted = 2 * CAPACITY + 1
        stored = set(range(inserted - CAPACITY + 1, inserted + 1))
        _expect_can_sample(chk, memory, CAPACITY)
        seen: set[int] = set()
        everything = set(range(1, inserted + 1))
        for _draw in range(150):  # P(a stored transition never shows) < 6·(5/6)^600
            seen.update(_sample_numbers(chk, memory, 4, everything))
        _expect_latest_kept(chk, seen, stored, inserted)
        _expect_uniform(chk, memory, stored)


def check_replay_memory(replay_memory_class: Any) -> None:
    """Check ``class ReplayMemory``: ``ReplayMemory(capacity)`` with ``insert(transition)``,
    ``sample(batch_size)``, ``can_sample(batch_size)`` and ``len``; pass the class itself."""
    __tracebackhide__ = True
    if not callable(replay_memory_class):
        raise _fail(
            "replay_memory",
            _("the check receives your class"),
            _("the class itself: check_replay_memory(ReplayMemory)"),
            _show(replay_memory_class),
            _(
                "an instance was passed (`ReplayMemory(...)`, or a `memory` variable), not the class."
            ),
            _(
                "write `checks.check_replay_memory(ReplayMemory)`, without parentheses after the "
                "name."
            ),
        )
    _run(replay_memory_class)


_properties.__name__ = "check_replay_memory"  # _isolated names the exercise after it
_run = _isolated(_properties)
