"""A replay memory: a fixed-capacity ring buffer of transitions in preallocated tensors.

The design is Stable-Baselines3's ``ReplayBuffer`` shrunk to one screen. Where the slides'
memory keeps a Python list of transitions and builds a batch with ``random.sample`` and
``torch.cat``, this one keeps one tensor per field, allocated once with room for
``capacity`` transitions, and builds a batch with one indexing call per field.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from course_utils._validation import memory_bytes, nonfinite_summary, positive_int, torch_device

__all__ = ["Batch", "ReplayMemory"]


def _size(n_bytes: int) -> str:
    """``16.0 TB``: a number of bytes for people."""
    units = ("bytes", "kB", "MB", "GB", "TB")
    size, unit = float(n_bytes), 0
    while size >= 1000 and unit < len(units) - 1:
        size, unit = size / 1000, unit + 1
    return f"{size:,.0f} bytes" if unit == 0 else f"{size:,.1f} {units[unit]}"


class Batch(NamedTuple):
    """A sampled batch: one ``(batch_size, ...)`` tensor per field. Unpacks like a tuple."""

    state: torch.Tensor
    action: torch.Tensor
    reward: torch.Tensor
    terminated: torch.Tensor
    next_state: torch.Tensor


class ReplayMemory:
    """Stores the last ``capacity`` transitions and samples batches of them uniformly.

    A transition is a list of tensors shaped ``(1, ...)``, as :class:`~course_utils.TorchEnv`
    returns them: ``[state, action, reward, terminated, next_state]``. The first transition
    fixes the number of fields and each field's shape and dtype. ``sample`` returns a
    :class:`Batch` for five fields; a memory whose transitions have another number of
    fields (a sixth tensor an algorithm needs, say) returns a plain tuple of them instead.

    Args:
        capacity: the most transitions kept; when full, a new one overwrites the oldest.
            The storage for all of them is allocated at the first insert: a capacity whose
            storage cannot fit in the device's memory is refused then, before allocating.
        device: where the storage lives and where sampled batches are returned; a device
            this machine has.

    A transition holding nan or inf is refused: drawn into batch after batch, it would
    turn the loss into nan.

    Example:
        >>> import torch
        >>> memory = ReplayMemory(capacity=1000)
        >>> state, next_state = torch.zeros(1, 4), torch.ones(1, 4)
        >>> action, reward = torch.tensor([[1]]), torch.tensor([[1.0]])
        >>> terminated = torch.tensor([[False]])
        >>> for _ in range(10):
        ...     memory.insert([state, action, reward, terminated, next_state])
        >>> len(memory), memory.can_sample(batch_size=32)
        (10, False)
        >>> state_b, action_b, reward_b, terminated_b, next_state_b = memory.sample(batch_size=8)
        >>> state_b.shape, action_b.dtype, memory.sample(batch_size=8).terminated.dtype
        (torch.Size([8, 4]), torch.int64, torch.bool)
    """

    def __init__(self, capacity: int, device: str | torch.device = "cpu") -> None:
        self.capacity = positive_int(capacity, "capacity")
        self.device = torch_device(device)
        self._fits(bytes_per_transition=1)  # even one byte each: refuse 10**12 at once
        self.storage: tuple[torch.Tensor, ...] | None = None  # (capacity, ...) per field
        self.shapes: tuple[torch.Size, ...] = ()  # each field's (1, ...) shape, as first inserted
        self.position = 0  # the slot the next transition goes into
        self.full = False  # True once every slot has been written

    def __len__(self) -> int:
        return self.capacity if self.full else self.position

    def __repr__(self) -> str:
        return f"ReplayMemory(capacity={self.capacity}, len={len(self)}, device='{self.device}')"

    def insert(self, transition: list[torch.Tensor]) -> None:
        """Copies ``transition``, a list of ``(1, ...)`` tensors, into the memory."""
        self._check(transition)
        if self.storage is None:  # the first transition: allocate room for `capacity` of them
            row = sum(field.element_size() * field.numel() for field in transition)
            self._fits(row)
            try:
                self.storage = tuple(
                    torch.zeros(
                        self.capacity, *field.shape[1:], dtype=field.dtype, device=self.device
                    )
                    for field in transition
                )
            except (RuntimeError, MemoryError) as error:  # torch.OutOfMemoryError is one
                raise MemoryError(
                    f"Expected `capacity` to fit in the free memory of {self.device}: "
                    f"{self.capacity:,} transitions of {row:,} bytes need "
                    f"{_size(self.capacity * row)}, which could not be allocated; use a "
                    "smaller capacity"
                ) from error
            self.shapes = tuple(field.shape for field in transition)
        with torch.no_grad():  # the storage must never join an autograd graph
            for buffer, field in zip(self.storage, transition, strict=True):
                buffer[self.position : self.position + 1] = field
        self.position = (self.position + 1) % self.capacity
        self.full = self.full or self.position == 0

    def can_sample(self, batch_size: int) -> bool:
        """Whether the memory holds at least ``batch_size`` transitions."""
        return len(self) >= positive_int(batch_size, "batch_size")

    def sample(self, batch_size: int) -> Batch | tuple[torch.Tensor, ...]:
        """Draws ``batch_size`` stored transitions uniformly, with replacement.

        Returns one ``(batch_size, ...)`` tensor per field, in insertion order, with the
        dtypes of the inserted fields: a :class:`Batch` for five fields, else a tuple. Uses
        torch's global random number generator, so ``torch.manual_seed`` reproduces it.
        """
        if not self.can_sample(batch_size):
            raise ValueError(
                f"Expected `batch_size` to be at most the {len(self)} transitions stored, "
                f"got {batch_size}; check `memory.can_sample(batch_size)` first"
            )
        index = torch.randint(len(self), (batch_size,), device=self.device)
        fields = tuple(buffer.index_select(0, index) for buffer in self.storage)
        return Batch(*fields) if len(fields) == len(Batch._fields) else fields

    def _fits(self, bytes_per_transition: int) -> None:
        """Raises an error naming `capacity` if its storage exceeds the device's memory."""
        total = memory_bytes(self.device)
        needed = self.capacity * bytes_per_transition
        if total is not None and needed > total:
            per = (
                "at least 1 byte"
                if bytes_per_transition == 1
                else f"{bytes_per_transition:,} bytes"
            )
            raise ValueError(
                f"Expected `capacity` to fit in memory, got {self.capacity:,}: transitions of "
                f"{per} each need {_size(needed)}, and {self.device} has {_size(total)} in all; "
                "use a smaller capacity (100,000 transitions are plenty for this course)"
            )

    def _check(self, transition: list[torch.Tensor]) -> None:
        """Raises an error naming the field unless ``transition`` fits the storage."""
        if not isinstance(transition, list | tuple) or len(transition) == 0:
            raise TypeError(
                f"Expected `transition` to be a non-empty list of tensors, got {transition!r}"
            )
        if self.storage is not None and len(transition) != len(self.storage):
            raise ValueError(
                f"Expected `transition` to have {len(self.storage)} fields like the first one, "
                f"got {len(transition)}"
            )
        for i, field in enumerate(transition):
            if not isinstance(field, torch.Tensor):
                raise TypeError(
                    f"Expected `transition[{i}]` to be a torch.Tensor, got {type(field).__name__}"
                )
            if self.storage is None:
                if field.dim() == 0 or field.shape[0] != 1:
                    raise ValueError(
                        f"Expected `transition[{i}]` to have shape (1, ...), got "
                        f"{tuple(field.shape)}; add the batch dimension with .view(1, -1)"
                    )
                continue
            if field.shape != self.shapes[i]:
                raise ValueError(
                    f"Expected `transition[{i}]` to have shape {tuple(self.shapes[i])} like the "
                    f"first transition, got {tuple(field.shape)}"
                )
            if field.dtype != self.storage[i].dtype:
                raise ValueError(
                    f"Expected `transition[{i}]` to have dtype {self.storage[i].dtype} like the "
                    f"first transition, got {field.dtype}"
                )
        for i, field in enumerate(transition):
            # one sum is the cheap test (nan and inf survive it); isfinite confirms, since
            # finite values near the float's largest could add up to inf
            if (
                field.is_floating_point()
                and not math.isfinite(field.sum())
                and not bool(torch.isfinite(field).all())
            ):
                raise ValueError(
                    f"Expected `transition[{i}]` to hold finite numbers, got "
                    f"{nonfinite_summary(field)}: a nan stored here would make every batch "
                    "that draws it, and so the loss, nan"
                )
