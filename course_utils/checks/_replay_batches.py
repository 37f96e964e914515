"""Transitions and batches of the replay-memory check (:mod:`course_utils.checks.replay_memory`).

:func:`_transition` builds transition number ``n``, every field of which says ``n``; the
helpers here read a sampled batch back into those numbers, diagnosing a batch that is not
one ``(batch_size, ...)`` tensor per field, and :func:`_expect_uniform` tests, with seeded
bounds six standard deviations wide, that sampling is uniform over what is stored.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from course_utils.checks._i18n import _
from course_utils.checks._inputs import STATE_DIM
from course_utils.checks.harness import Check, show

if TYPE_CHECKING:
    from course_utils.checks.replay_memory import _Memory

__all__ = [
    "FIELDS",
    "_expect_fields",
    "_expect_uniform",
    "_sample_numbers",
    "_transition",
    "_unpack",
]

FIELDS = ("state", "action", "reward", "terminated", "next_state")


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


def _unpack(chk: Check, batch: Any, batch_size: int) -> list[Tensor]:
    """The five field tensors of a sampled batch, or a failure that says what came back."""
    if batch is None:
        raise chk.fail(
            _("`sample` returns one tensor per field"),
            expected=_("5 tensors: state_b, action_b, reward_b, terminated_b, next_state_b"),
            got="None",
            cause=_("`sample` returns nothing (a missing `return`)."),
            hint=_("end `sample` with `return` and the five batch tensors."),
        )
    try:
        fields = list(batch)
    except TypeError:
        fields = [batch]
    if len(fields) == len(FIELDS) and all(isinstance(f, Tensor) for f in fields):
        for name, field in zip(FIELDS, fields, strict=True):
            if field.device.type != "cpu":
                raise chk.fail(
                    _("`sample` returns one tensor per field"),
                    expected=_("{name}_b on the CPU, where the inserted tensors were").format(
                        name=name
                    ),
                    got=_("a tensor on the device {device}").format(device=field.device),
                    cause=_("the batch was moved to another device on its way through the memory."),
                    hint=_("keep the fields on the device of the inserted tensors."),
                )
    if len(fields) != len(FIELDS) or not all(isinstance(f, Tensor) for f in fields):
        if len(fields) == batch_size:
            cause = _(
                "`sample` returns the list of sampled transitions itself; the training loop "
                "needs them regrouped per field, one batch tensor each."
            )
            hint = _("group the fields with `zip(*transitions)`, then `torch.cat` each group.")
        elif all(isinstance(f, Tensor) for f in fields):
            cause = _(
                "`sample` returns {n} tensors, not five: a field is missing or doubled "
                "(`terminated_b`, which the slides' transition lacks, is the one most often "
                "forgotten)."
            ).format(n=len(fields))
            hint = _("return one batch tensor for each of the five fields, in the inserted order.")
        else:
            cause = _("`sample` does not return the five fields as tensors.")
            hint = _("return `state_b, action_b, reward_b, terminated_b, next_state_b`.")
        raise chk.fail(
            _("`sample` returns one tensor per field"),
            expected=_("5 tensors: state_b, action_b, reward_b, terminated_b, next_state_b"),
            got=_("{kind} of {n}: {types}").format(
                kind=type(batch).__name__,
                n=len(fields),
                types=", ".join(type(f).__name__ for f in fields[:6]),
            ),
            cause=cause,
            hint=hint,
        )
    chk.holds(_("`sample` returns one tensor per field"))
    return fields


def _expect_fields(chk: Check, fields: list[Tensor], batch_size: int) -> None:
    """Shapes and dtypes of a sampled batch, with the classic mistakes named."""
    inserted = _transition(1)
    signatures = [(tuple(f.shape[1:]), f.dtype) for f in fields]
    wanted = [(tuple(f.shape[1:]), f.dtype) for f in inserted]
    if signatures != wanted and sorted(map(str, signatures)) == sorted(map(str, wanted)):
        position = next(
            i for i, (a, b) in enumerate(zip(signatures, wanted, strict=True)) if a != b
        )
        raise chk.fail(
            _("sampled {name}_b has shape (batch_size, ...)").format(name=FIELDS[position]),
            expected=_("the fields in the inserted order: {order}").format(order=", ".join(FIELDS)),
            got=_("field {position} is shaped like another field: {value}").format(
                position=position + 1,
                value=f"{tuple(fields[position].shape)}, {fields[position].dtype}",
            ),
            cause=_(
                "the five fields come back in another order than they went in: the training "
                "loop unpacks `state_b, action_b, reward_b, terminated_b, next_state_b` by "
                "position."
            ),
            hint=_(
                "return the fields in the order of the transition: `state`, `action`, `reward`, "
                "`terminated`, `next_state`."
            ),
        )
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
                expected=f"shape {shape}",
                got=f"shape {tuple(got.shape)}",
                cause=cause,
                hint=hint,
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
                expected=str(field.dtype),
                got=str(got.dtype),
                cause=cause,
                hint=hint,
            )
        chk.holds(_("sampled {name}_b has shape (batch_size, ...)").format(name=name))
        chk.holds(_("sampled {name}_b keeps the inserted dtype").format(name=name))


def _field_was_inserted(index: int, got: Tensor, numbers: set[int]) -> bool:
    """Whether `got` is field `index` of one of the transitions `numbers`."""
    return any(torch.equal(got, _transition(n)[index].to(got.dtype)) for n in numbers)


def _row_numbers(chk: Check, fields: list[Tensor], stored: set[int]) -> list[int]:
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
            expected=_("rows among the stored transitions {value} (reward = its number)").format(
                value=sorted(stored)
            ),
            got=_("row {row}: state {state}, reward {reward}").format(
                row=row, state=show(got[0]), reward=show(got[2])
            ),
            cause=cause,
            hint=hint,
        )
    chk.holds(_("each sampled row is one whole stored transition"))
    return numbers


def _sample_numbers(chk: Check, memory: _Memory, batch_size: int, stored: set[int]) -> list[int]:
    fields = _unpack(chk, memory.sample(batch_size), batch_size)
    _expect_fields(chk, fields, batch_size)
    return _row_numbers(chk, fields, stored)


def _expect_uniform(chk: Check, memory: _Memory, stored: set[int]) -> None:
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
            expected=_(
                "at most {identical_max:.0f} of {batches} batches of {batch_size} made of one transition (about {identical_mean:.0f} by chance)"
            ).format(
                identical_max=identical_max,
                batches=batches,
                batch_size=batch_size,
                identical_mean=identical_mean,
            ),
            got=_("{identical} of {batches}").format(identical=identical, batches=batches),
            cause=_(
                "one transition was drawn and repeated to fill the batch "
                "(`[random.choice(memory)] * batch_size`): the gradient step then sees one "
                "transition, not a batch of uncorrelated ones."
            ),
            hint=_("draw batch_size indices, one for each row of the batch."),
        )
    chk.holds(_("a batch holds different transitions"))
    got = {number: counts[number] for number in sorted(stored)}
    if all(low <= c <= high for c in got.values()):
        chk.holds(_("sampling is uniform over the stored transitions"))
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
        expected=_(
            "each of the {n} stored about {mean:.0f} times in {batches} batches of {batch_size} (between {low:.0f} and {high:.0f})"
        ).format(n=n, mean=mean, batches=batches, batch_size=batch_size, low=low, high=high),
        got=", ".join(f"#{number}: {c}" for number, c in got.items()),
        cause=cause,
        hint=_(
            "draw batch_size random positions among all the transitions stored now, each "
            "equally likely."
        ),
    )
