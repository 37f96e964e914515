"""A replay memory: a fixed-capacity ring buffer of transitions in preallocated tensors.

The design is Stable-Baselines3's ``ReplayBuffer`` shrunk to one screen: one tensor per
field, allocated once with room for ``capacity`` transitions, a write ``position`` and a
``full`` flag. When the memory is full, each new transition overwrites the oldest one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["ReplayMemory"]


# dtypes that NumPy shares memory with (it has no bfloat16, for instance)
_NUMPY_DTYPES = {
    torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
    torch.float16, torch.float32, torch.float64,
}  # fmt: skip


def _check_batch_size(batch_size: object) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"Expected `batch_size` to be a positive int, got {batch_size!r}")


class ReplayMemory:
    """Stores the last ``capacity`` transitions and samples batches of them uniformly.

    A transition is a list of tensors shaped ``(1, ...)``, as :class:`~course_utils.TorchEnv`
    returns them: ``[state, action, reward, terminated, next_state]``, optionally with more
    fields (Deep SARSA stores the next action as a sixth). The first transition fixes the
    number of fields and each field's shape and dtype.

    Args:
        capacity: the most transitions kept; older ones are overwritten.
        device: where the storage lives and where sampled batches are returned.

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
        >>> state_b.shape, action_b.dtype, terminated_b.dtype
        (torch.Size([8, 4]), torch.int64, torch.bool)
    """

    def __init__(self, capacity: int, device: str | torch.device = "cpu") -> None:
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity <= 0:
            raise ValueError(f"Expected `capacity` to be a positive int, got {capacity!r}")
        try:
            self.device = torch.device(device)
        except (RuntimeError, TypeError) as error:
            raise ValueError(f"Expected `device` to name a torch device, got {device!r}") from error
        self.capacity = capacity
        self.storage: tuple[torch.Tensor, ...] | None = None  # one (capacity, ...) per field
        self.position = 0  # where the next transition goes
        self.full = False  # True once every slot has been written
        # On the CPU, NumPy views of the same memory sample several times faster than torch
        # indexing (whose fixed cost per call dominates for small batches).
        self._arrays: tuple[np.ndarray, ...] | None = None
        self._index_buffers: dict[int, tuple[torch.Tensor, np.ndarray]] = {}

    def __len__(self) -> int:
        return self.capacity if self.full else self.position

    def __repr__(self) -> str:
        return f"ReplayMemory(capacity={self.capacity}, len={len(self)}, device='{self.device}')"

    def insert(self, transition: Sequence[torch.Tensor]) -> None:
        """Copies ``transition``, a list of ``(1, ...)`` tensors, into the memory."""
        if self.storage is None:
            self._allocate(transition)
        self._check(transition)
        row = slice(self.position, self.position + 1)
        with torch.no_grad():  # the storage must never join an autograd graph
            for buffer, field in zip(self.storage, transition, strict=True):
                buffer[row] = field
        self.position = (self.position + 1) % self.capacity
        self.full = self.full or self.position == 0

    def can_sample(self, batch_size: int) -> bool:
        """Whether the memory holds at least ``batch_size`` transitions."""
        _check_batch_size(batch_size)
        return len(self) >= batch_size

    def sample(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        """Draws ``batch_size`` stored transitions uniformly, with replacement.

        Returns one ``(batch_size, ...)`` tensor per field, in insertion order, with the
        dtypes of the inserted fields. Uses torch's global random number generator, so
        ``torch.manual_seed`` makes it reproducible.
        """
        # Called once per gradient step, so the common case is checked in one line; a few
        # microseconds of Python are a third of the cost of sampling from NumPy.
        stored = self.capacity if self.full else self.position
        if type(batch_size) is not int or not 0 < batch_size <= stored:
            _check_batch_size(batch_size)
            raise ValueError(
                f"Expected `batch_size` to be at most the {stored} transitions stored, "
                f"got {batch_size}; check `memory.can_sample(batch_size)` first"
            )
        if self._arrays is not None:
            # `torch.randint(stored, (batch_size,))`, drawn into a reused tensor that NumPy
            # sees too (the same numbers from the same generator, without two allocations).
            index, index_array = self._index_buffer(batch_size)
            index.random_(0, stored)
            return tuple([torch.from_numpy(a.take(index_array, axis=0)) for a in self._arrays])
        index = torch.randint(stored, (batch_size,))
        index = index.to(self.device)
        return tuple(buffer.index_select(0, index) for buffer in self.storage)

    def _index_buffer(self, batch_size: int) -> tuple[torch.Tensor, np.ndarray]:
        if batch_size not in self._index_buffers:
            index = torch.empty(batch_size, dtype=torch.int64)
            self._index_buffers[batch_size] = (index, index.numpy())
        return self._index_buffers[batch_size]

    def _allocate(self, transition: Sequence[torch.Tensor]) -> None:
        if not isinstance(transition, Sequence) or len(transition) == 0:
            raise TypeError(
                f"Expected `transition` to be a non-empty list of tensors, got {transition!r}"
            )
        for i, field in enumerate(transition):
            if not isinstance(field, torch.Tensor):
                raise TypeError(
                    f"Expected `transition[{i}]` to be a torch.Tensor, got {type(field).__name__}"
                )
            if field.dim() == 0 or field.shape[0] != 1:
                raise ValueError(
                    f"Expected `transition[{i}]` to have shape (1, ...), "
                    f"got {tuple(field.shape)}; add the batch dimension with .view(1, -1)"
                )
        self.storage = tuple(
            torch.zeros((self.capacity, *field.shape[1:]), dtype=field.dtype, device=self.device)
            for field in transition
        )
        self._shapes = tuple(field.shape for field in transition)
        self._dtypes = tuple(field.dtype for field in transition)
        if self.device.type == "cpu" and all(dtype in _NUMPY_DTYPES for dtype in self._dtypes):
            self._arrays = tuple(buffer.numpy() for buffer in self.storage)

    def _check(self, transition: Sequence[torch.Tensor]) -> None:
        # The fast path runs on every insert; the code below only explains a mismatch.
        if (
            type(transition) in (list, tuple)
            and len(transition) == len(self.storage)
            and all(
                isinstance(field, torch.Tensor) and field.shape == shape and field.dtype == dtype
                for field, shape, dtype in zip(transition, self._shapes, self._dtypes, strict=True)
            )
        ):
            return
        if not isinstance(transition, Sequence):
            raise TypeError(f"Expected `transition` to be a list of tensors, got {transition!r}")
        if len(transition) != len(self.storage):
            raise ValueError(
                f"Expected `transition` to have {len(self.storage)} fields like the first one, "
                f"got {len(transition)}"
            )
        for i, (field, shape, dtype) in enumerate(
            zip(transition, self._shapes, self._dtypes, strict=True)
        ):
            if not isinstance(field, torch.Tensor):
                raise TypeError(
                    f"Expected `transition[{i}]` to be a torch.Tensor, got {type(field).__name__}"
                )
            if field.shape != shape:
                raise ValueError(
                    f"Expected `transition[{i}]` to have shape {tuple(shape)} like the first "
                    f"transition, got {tuple(field.shape)}"
                )
            if field.dtype != dtype:
                raise ValueError(
                    f"Expected `transition[{i}]` to have dtype {dtype} like the first "
                    f"transition, got {field.dtype}"
                )
