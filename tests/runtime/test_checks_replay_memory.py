"""Tests of ``checks.check_replay_memory``: three correct memories pass (a list, a deque,
preallocated tensors), and each classic mistake is rejected with its own diagnosis."""

from __future__ import annotations

import random
from collections import deque

import numpy as np
import pytest
import torch

from course_utils import checks
from course_utils.checks import ExerciseFailure

# --------------------------------------------------------------------------- correct memories


class ListMemory:
    """The notebook's solution: a list with a write position, torch's random indices."""

    def __init__(self, capacity):
        self.capacity, self.memory, self.position = capacity, [], 0

    def insert(self, transition):
        if len(self.memory) < self.capacity:
            self.memory.append(transition)
        else:
            self.memory[self.position] = transition
        self.position = (self.position + 1) % self.capacity

    def sample(self, batch_size):
        index = torch.randint(len(self.memory), (batch_size,))
        batch = [self.memory[i] for i in index.tolist()]
        return [torch.cat(field) for field in zip(*batch, strict=True)]

    def can_sample(self, batch_size):
        return len(self.memory) >= batch_size

    def __len__(self):
        return len(self.memory)


class DequeMemory:
    """The slides' memory with the ×10 removed: a deque, Python's random.sample."""

    def __init__(self, capacity):
        self.memory = deque(maxlen=capacity)

    def insert(self, transition):
        self.memory.append(transition)

    def sample(self, batch_size):
        batch = random.sample(self.memory, batch_size)
        return [torch.cat(items) for items in zip(*batch, strict=True)]

    def can_sample(self, batch_size):
        return len(self) >= batch_size

    def __len__(self):
        return len(self.memory)


class TensorMemory:
    """Preallocated tensors, allocated at the first insert; NumPy's random indices."""

    def __init__(self, capacity):
        self.capacity, self.storage, self.position, self.size = capacity, None, 0, 0

    def insert(self, transition):
        if self.storage is None:
            self.storage = [
                torch.zeros((self.capacity, *f.shape[1:]), dtype=f.dtype) for f in transition
            ]
        for buffer, field in zip(self.storage, transition, strict=True):
            buffer[self.position] = field[0]
        self.position = (self.position + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        index = torch.from_numpy(np.random.randint(0, self.size, size=batch_size))  # noqa: NPY002
        return tuple(buffer[index] for buffer in self.storage)

    def can_sample(self, batch_size):
        return self.size >= batch_size

    def __len__(self):
        return self.size


CORRECT = [ListMemory, DequeMemory, TensorMemory]

# --------------------------------------------------------------------------- buggy memories


class GrowsForever(ListMemory):
    def insert(self, transition):
        self.memory.append(transition)


class DropsWhenFull(ListMemory):
    def insert(self, transition):
        if len(self.memory) < self.capacity:
            self.memory.append(transition)


class OverwritesNewest(ListMemory):
    def insert(self, transition):
        if len(self.memory) < self.capacity:
            self.memory.append(transition)
        else:
            self.memory[-1] = transition


class FirstK(ListMemory):
    def sample(self, batch_size):
        return [torch.cat(field) for field in zip(*self.memory[:batch_size], strict=True)]


class OneRepeated(ListMemory):
    def sample(self, batch_size):
        batch = [random.choice(self.memory)] * batch_size
        return [torch.cat(field) for field in zip(*batch, strict=True)]


class FieldsSampledApart(ListMemory):
    def sample(self, batch_size):
        fields = zip(*self.memory, strict=True)
        return [torch.cat(random.sample(list(field), batch_size)) for field in fields]


class FloatStorage(TensorMemory):
    def insert(self, transition):
        if self.storage is None:
            self.storage = [torch.zeros(self.capacity, f.shape[1]) for f in transition]
        super().insert(transition)


class Stacked(ListMemory):
    def sample(self, batch_size):
        batch = random.sample(self.memory, batch_size)
        return [torch.stack(field) for field in zip(*batch, strict=True)]


class TimesTen(DequeMemory):
    def can_sample(self, batch_size):
        return len(self) >= 10 * batch_size


class StrictlyMore(DequeMemory):
    def can_sample(self, batch_size):
        return len(self) > batch_size


class LenIsPosition(ListMemory):
    def __len__(self):
        return self.position


class SharedStorage(ListMemory):
    memory: list = []  # noqa: RUF012 (the bug under test)

    def __init__(self, capacity):
        self.capacity, self.position = capacity, 0


class SamplesEmptySlots(TensorMemory):
    def sample(self, batch_size):
        index = torch.randint(self.capacity, (batch_size,))
        return tuple(buffer[index] for buffer in self.storage)


class ReturnsTransitions(ListMemory):
    def sample(self, batch_size):
        return random.sample(self.memory, batch_size)


class NoReturn(ListMemory):
    def sample(self, batch_size):
        random.sample(self.memory, batch_size)


class SampleRaises(ListMemory):
    def sample(self, batch_size):
        return torch.cat(random.sample(self.memory, batch_size))


class Stub:
    def __init__(self, capacity):
        raise NotImplementedError("Exercise 9.9: create the storage")


class ShufflesInPlace(ListMemory):
    """A list evicting its first element, and a sample that shuffles that list in place: once a
    sample was drawn, eviction removes a random transition instead of the oldest."""

    def insert(self, transition):
        self.memory.append(transition)
        if len(self.memory) > self.capacity:
            self.memory.pop(0)

    def sample(self, batch_size):
        random.shuffle(self.memory)
        batch = [self.memory[i % len(self.memory)] for i in range(batch_size)]
        return [torch.cat(field) for field in zip(*batch, strict=True)]


class OneTooMany(ListMemory):
    """Evicts only once it holds more than capacity, before appending: capacity + 1 kept."""

    def insert(self, transition):
        if len(self.memory) > self.capacity:
            self.memory.pop(0)
        self.memory.append(transition)


class AdvancesBeforeWriting(ListMemory):
    """Once full, moves the write position before writing: the second-oldest is overwritten,
    and only after every capacity-th insert does the memory hold the newest again."""

    def insert(self, transition):
        if len(self.memory) < self.capacity:
            self.memory.append(transition)
        else:
            self.position = (self.position + 1) % self.capacity
            self.memory[self.position] = transition


class OneTooFew(DequeMemory):
    """`maxlen=capacity - 1`: evicts one insert too early."""

    def __init__(self, capacity):
        self.memory = deque(maxlen=capacity - 1)


class NeverWraps(ListMemory):
    """The write position grows past the end once the memory is full."""

    def insert(self, transition):
        if len(self.memory) < self.capacity:
            self.memory.append(transition)
        else:
            self.memory[self.position] = transition
        self.position += 1


class DropsTerminated(ListMemory):
    """Returns four fields: terminated_b is left out."""

    def sample(self, batch_size):
        fields = super().sample(batch_size)
        return [fields[0], fields[1], fields[2], fields[4]]


class FieldsReordered(ListMemory):
    """Returns next_state_b before terminated_b."""

    def sample(self, batch_size):
        state_b, action_b, reward_b, terminated_b, next_state_b = super().sample(batch_size)
        return [state_b, action_b, reward_b, next_state_b, terminated_b]


class NoInsert:
    """The methods were written outside the class (not indented): the class has none."""

    def __init__(self, capacity):
        self.memory = []

    def __len__(self):
        return len(self.memory)


BUGGY = [
    (ShufflesInPlace, "`sample` changes the storage (shuffles it in place"),
    (OneTooMany, "off by one: the memory holds 1 transition(s) more than its capacity"),
    (NoInsert, "the class has no method `insert`"),
    (GrowsForever, "grows past its capacity"),
    (DropsWhenFull, "ignores new transitions"),
    (OverwritesNewest, "overwrites the *newest*"),
    (FirstK, "were never sampled"),
    (OneRepeated, "one transition was drawn and repeated"),
    (FieldsSampledApart, "come from different transitions"),
    (FloatStorage, "Actions must stay int64"),
    (Stacked, "`torch.stack` of (1, ...) tensors adds a dimension"),
    (TimesTen, "ten times the batch size"),
    (StrictlyMore, "off by one"),
    (LenIsPosition, "it returns the write position"),
    (SharedStorage, "class attribute"),
    (SamplesEmptySlots, "an empty slot of preallocated storage"),
    (ReturnsTransitions, "regrouped per field"),
    (NoReturn, "a missing `return`"),
    (SampleRaises, "`sample` runs on a small example"),
    (AdvancesBeforeWriting, "The write position is a slot off"),
    (OneTooFew, "one fewer than its capacity"),
    (NeverWraps, "keeps growing instead of wrapping around"),
    (DropsTerminated, "returns 4 tensors, not five"),
    (FieldsReordered, "come back in another order than they went in"),
]


@pytest.mark.parametrize("memory_class", CORRECT, ids=lambda c: c.__name__)
def test_correct_memory_passes(memory_class, capsys: pytest.CaptureFixture[str]) -> None:
    checks.check_replay_memory(memory_class)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✅ replay_memory: all ")


@pytest.mark.parametrize(
    ("memory_class", "phrase"), BUGGY, ids=lambda c: getattr(c, "__name__", "")
)
def test_buggy_memory_is_named(memory_class, phrase: str) -> None:
    with pytest.raises(ExerciseFailure) as failure:
        checks.check_replay_memory(memory_class)
    message = str(failure.value)
    assert phrase in message, message
    for part in ("❌ replay_memory", "expected:", "got:", "likely cause:", "hint:"):
        assert part in message


def test_stub_is_not_implemented_yet() -> None:
    with pytest.raises(ExerciseFailure, match="not implemented yet") as failure:
        checks.check_replay_memory(Stub)
    assert "Exercise 9.9" in str(failure.value)


def test_an_instance_is_refused() -> None:
    with pytest.raises(ExerciseFailure, match="without parentheses"):
        checks.check_replay_memory(ListMemory(10))


def test_all_random_generators_are_left_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    torch.manual_seed(1)
    random.seed(2)
    np.random.seed(3)  # noqa: NPY002
    states = torch.get_rng_state(), random.getstate(), np.random.get_state()[1].copy()  # noqa: NPY002
    for memory_class in CORRECT:
        checks.check_replay_memory(memory_class)
    with pytest.raises(ExerciseFailure):
        checks.check_replay_memory(OneRepeated)
    assert torch.equal(torch.get_rng_state(), states[0])
    assert random.getstate() == states[1]
    assert np.array_equal(np.random.get_state()[1], states[2])  # noqa: NPY002
    capsys.readouterr()
