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

from typing import Any

import numpy as np

from course_utils import reference, replay
from course_utils.checks._i18n import _
from course_utils.checks._inputs import _seeded_rngs
from course_utils.checks._replay_batches import _expect_uniform, _sample_numbers, _transition
from course_utils.checks.harness import Check, ExerciseFailure, check

__all__ = ["check_replay_memory"]

CAPACITY = 6  # the check's memories hold 6 transitions


class _Memory:
    """The student's memory, with each method call turned into a diagnosis on error."""

    def __init__(self, chk: Check, capacity: int) -> None:
        self.chk = chk
        self.memory = chk.call(capacity, method=f"ReplayMemory({capacity})", names=["capacity"])
        if any(isinstance(value, replay.ReplayMemory) for value in vars(self.memory).values()):
            reference.CALLS["replay_memory"] += 1  # a wrapper around the package's memory
        for method in ("insert", "sample", "can_sample", "__len__"):
            if not callable(getattr(type(self.memory), method, None)):
                raise chk.fail(
                    _("the memory has a method `{method}`").format(method=method),
                    expected=_("`def {method}(self, ...)` in the class").format(method=method),
                    got=_("no `{method}` on a {name} object").format(
                        method=method, name=type(self.memory).__name__
                    ),
                    cause=_(
                        "the class has no method `{method}`: misspelt, not indented into the "
                        "class body, or not written yet."
                    ).format(method=method),
                    hint=_(
                        "keep the skeleton's methods `insert`, `sample`, `can_sample` and "
                        "`__len__`, each indented inside the class."
                    ),
                )
            chk.holds(_("the memory has a method `{method}`").format(method=method))

    def insert(self, number: int) -> None:
        try:
            self.chk.call(
                _transition(number),
                function=self.memory.insert,
                method="insert",
                names=["transition"],
            )
        except ExerciseFailure as failure:
            # An IndexError once the memory is full: a write position that never wraps.
            if number > CAPACITY and isinstance(failure.__cause__, IndexError):
                raise self.chk.fail(
                    _("`{method}` runs on a small example").format(method="insert"),
                    expected=_("a result"),
                    got=f"IndexError: {failure.__cause__}",
                    cause=_(
                        "insert {number} into a full memory of capacity {capacity} wrote past "
                        "the end of the storage: the write position keeps growing instead of "
                        "wrapping around to the first slot."
                    ).format(number=number, capacity=CAPACITY),
                    hint=_(
                        "after the last slot, the next write goes to the first slot again: "
                        "the position counts 0, 1, ..., capacity − 1, 0, 1, ..."
                    ),
                ) from failure.__cause__
            raise

    def __len__(self) -> Any:
        return self.chk.call(function=lambda: len(self.memory), method="__len__")

    def can_sample(self, batch_size: int) -> Any:
        return self.chk.call(
            batch_size, function=self.memory.can_sample, method="can_sample", names=["batch_size"]
        )

    def sample(self, batch_size: int) -> Any:
        return self.chk.call(
            batch_size, function=self.memory.sample, method="sample", names=["batch_size"]
        )


def _expect_len(chk: Check, memory: _Memory, expected: int, inserted: int) -> None:
    got = len(memory)
    if got == expected:
        chk.holds(_("`len(memory)` counts the stored transitions"))
        return
    if got > CAPACITY:
        for extra in range(2 * CAPACITY):  # does it keep growing, or stop one too late?
            memory.insert(100 + extra)
        if len(memory) == got:
            raise chk.fail(
                _("`len(memory)` never exceeds the capacity"),
                expected=_("at most {capacity} transitions with capacity {capacity}").format(
                    capacity=CAPACITY
                ),
                got=_("{got} transitions, and still {got} after more inserts").format(got=got),
                cause=_(
                    "off by one: the memory holds {extra} transition(s) more than its capacity. "
                    "It evicts, but only once it holds more than `capacity` (a `>` where `>=` "
                    "belongs, or the oldest removed before the new one is added instead of "
                    "after)."
                ).format(extra=got - CAPACITY),
                hint=_("a full memory holds exactly `capacity` transitions, never one more."),
            )
        cause = _(
            "the memory grows past its capacity ({capacity}): nothing is ever overwritten, so over a long run it holds every transition and eats all the RAM."
        ).format(capacity=CAPACITY)
        hint = _(
            "once `len` reaches `capacity`, write the new transition over the oldest one "
            "instead of appending it."
        )
    elif inserted >= CAPACITY and got == CAPACITY - 1:
        cause = _(
            "off by one: the memory never holds more than {got} transitions, one fewer than "
            "its capacity. It evicts one insert too early (a `>=` where `>` belongs, or "
            "`maxlen=capacity - 1`)."
        ).format(got=got)
        hint = _("a full memory holds exactly `capacity` transitions, never one fewer.")
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
        expected=_("{expected} after {inserted} insert(s) with capacity {capacity}").format(
            expected=expected, inserted=inserted, capacity=CAPACITY
        ),
        got=repr(got),
        cause=cause,
        hint=hint,
    )


def _expect_can_sample(chk: Check, memory: _Memory, stored: int) -> None:
    got = {b: memory.can_sample(b) for b in range(1, 2 * CAPACITY + 1)}
    expected = {b: stored >= b for b in got}
    if got == expected:
        chk.holds(
            _("`can_sample(batch_size)` is True when at least batch_size transitions are stored")
        )
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
        hint = _("return the result of one comparison: True or False.")
    else:
        cause = _("`can_sample` does not compare the number stored with `batch_size`.")
        hint = _("compare how many transitions are stored with batch_size, and nothing else.")
    wrong = [b for b in got if got[b] != expected[b]][:3]
    raise chk.fail(
        _("`can_sample(batch_size)` is True when at least batch_size transitions are stored"),
        expected=_("with {stored} stored: {values}").format(
            stored=stored, values=", ".join(f"can_sample({b}) = {expected[b]}" for b in wrong)
        ),
        got=", ".join(f"can_sample({b}) = {got[b]!r}" for b in wrong),
        cause=cause,
        hint=hint,
    )


def _expect_latest_kept(chk: Check, seen: set[int], stored: set[int], inserted: int) -> None:
    """After the memory wrapped around: exactly the newest `CAPACITY` transitions remain.

    Finding only some of them is a sampling problem, left to `_expect_uniform` to name.
    """
    if seen <= stored:
        chk.holds(_("when full, a new transition overwrites the oldest"))
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
        expected=_(
            "after inserting 1..{inserted} with capacity {capacity}: transitions {value}"
        ).format(inserted=inserted, capacity=CAPACITY, value=sorted(stored)),
        got=_("sampling finds transitions {value}").format(value=sorted(seen)),
        cause=cause,
        hint=hint,
    )


def _expect_oldest_replaced_each_time(chk: Check) -> None:
    """Fresh memories filled with 1..k, for every k from one past capacity to twice it: each
    time exactly the newest ``CAPACITY`` remain (a write position one slot off evicts the
    second-oldest and only looks right at some k). No sample between the inserts, so a
    ``sample`` that reorders the storage is left to :func:`_expect_sampling_keeps_order`."""
    for inserted in range(CAPACITY + 1, 2 * CAPACITY + 1):
        memory = _Memory(chk, CAPACITY)
        for number in range(1, inserted + 1):
            memory.insert(number)
        everything = set(range(1, inserted + 1))
        stored = set(range(inserted - CAPACITY + 1, inserted + 1))
        seen: set[int] = set()
        for _draw in range(60):  # P(a stored transition never shows) < 6·(5/6)^240
            seen.update(_sample_numbers(chk, memory, 4, everything))
        if seen <= stored:
            continue
        kept_old, lost = sorted(seen - stored), sorted(stored - seen)
        raise chk.fail(
            _("when full, a new transition overwrites the oldest"),
            expected=_(
                "after inserting 1..{inserted} with capacity {capacity}: transitions {value}"
            ).format(inserted=inserted, capacity=CAPACITY, value=sorted(stored)),
            got=_("sampling finds transitions {value}").format(value=sorted(seen)),
            cause=_(
                "after {inserted} inserts the memory still holds {kept} but no longer {lost}: "
                "a newer transition was overwritten while an older one stayed. The write "
                "position is a slot off (advanced before writing instead of after, or not "
                "starting at the first slot), so it only looks right after some inserts."
            ).format(inserted=inserted, kept=kept_old, lost=lost),
            hint=_(
                "the next write goes where the oldest transition is: write at the position, "
                "then advance it; it starts at the first slot."
            ),
        )
    chk.holds(_("when full, a new transition overwrites the oldest"))


def _expect_sampling_keeps_order(
    chk: Check, memory: _Memory, inserted: int, stored: set[int]
) -> set[int]:
    """Full memory, a sample between every two inserts: still exactly the newest
    `CAPACITY` transitions are kept (a `sample` that reorders the storage breaks eviction)."""
    everything = set(range(1, inserted + 2 * CAPACITY + 1))
    for number in range(inserted + 1, inserted + 2 * CAPACITY + 1):
        _sample_numbers(chk, memory, 4, everything)
        memory.insert(number)
    last = inserted + 2 * CAPACITY
    kept = set(range(last - CAPACITY + 1, last + 1))
    seen: set[int] = set()
    for _draw in range(60):
        seen.update(_sample_numbers(chk, memory, 4, everything))
    if seen <= kept:
        chk.holds(_("sampling leaves the memory as it is"))
        return kept
    raise chk.fail(
        _("sampling leaves the memory as it is"),
        expected=_(
            "after {n} more inserts, each after a sample: transitions {value}, the newest"
        ).format(n=2 * CAPACITY, value=sorted(kept)),
        got=_("sampling finds transitions {value}").format(value=sorted(seen)),
        cause=_(
            "once samples are drawn between inserts, a new transition no longer replaces the "
            "oldest: `sample` changes the storage (shuffles it in place, sorts or pops it), so "
            "eviction then removes whatever sampling moved to the front."
        ),
        hint=_(
            "`sample` only reads: draw random positions, or use a function that returns a new "
            "list, and leave the stored order alone."
        ),
    )


@check("replay_memory", class_name="ReplayMemory")
def check_replay_memory(chk: Check) -> None:
    """Check ``class ReplayMemory``: ``ReplayMemory(capacity)`` with ``insert(transition)``,
    ``sample(batch_size)``, ``can_sample(batch_size)`` and ``len``; pass the class itself.

    The properties come in the order a student meets them while writing the class.
    """
    with _seeded_rngs(seed=60):
        memory = _Memory(chk, CAPACITY)
        other = _Memory(chk, CAPACITY)
        _expect_len(chk, memory, 0, 0)
        _expect_can_sample(chk, memory, 0)
        for number in range(1, 4):
            memory.insert(number)
            _expect_len(chk, memory, number, number)
        if len(other) != 0:
            raise chk.fail(
                _("two memories are independent"),
                expected=_("a new memory is empty after another one received 3 transitions"),
                got=f"len = {len(other)!r}",
                cause=_(
                    "the storage is a class attribute (`memory = []` written in the class body, "
                    "outside `__init__`), shared by every ReplayMemory."
                ),
                hint=_("create the storage in `__init__`: `self.memory = []`."),
            )
        chk.holds(_("two memories are independent"))
        _expect_can_sample(chk, memory, 3)
        stored = {1, 2, 3}
        for _draw in range(60):  # partially full: only what was inserted comes back
            _sample_numbers(chk, memory, 2, stored)
        for number in range(4, 2 * CAPACITY + 2):  # fill, then wrap around
            memory.insert(number)
            _expect_len(chk, memory, min(number, CAPACITY), number)
        inserted = 2 * CAPACITY + 1
        stored = set(range(inserted - CAPACITY + 1, inserted + 1))
        _expect_can_sample(chk, memory, CAPACITY)
        seen: set[int] = set()
        everything = set(range(1, inserted + 1))
        for _draw in range(150):  # P(a stored transition never shows) < 6·(5/6)^600
            seen.update(_sample_numbers(chk, memory, 4, everything))
        _expect_latest_kept(chk, seen, stored, inserted)
        _expect_oldest_replaced_each_time(chk)
        stored = _expect_sampling_keeps_order(chk, memory, inserted, stored)
        _expect_uniform(chk, memory, stored)
