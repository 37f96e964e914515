"""The slides' replay memory against :class:`course_utils.ReplayMemory`.

The slides keep transitions in a Python list and build each batch with ``random.sample``,
``zip`` and ``torch.cat``; ``ReplayMemory`` copies each transition into preallocated tensors
and builds a batch from ``torch.randint`` indices with one ``index_select`` per field. This times ``sample(batch_size)`` with
``n_stored`` CartPole-like transitions stored, ``insert``, and one of each (a training step).

``insert`` cannot beat the slides': appending a reference to a list costs a fraction of a
microsecond, while ``ReplayMemory`` copies each field into its storage (that copy is what
makes sampling cheap, and keeps 100,000 transitions in a few MB instead of 500,000 small
tensor objects). The step ratio is the one a training loop sees.

Run it with ``python -m benchmarks.replay_memory``.
"""

from __future__ import annotations

import argparse
import random
import time
import timeit

import torch

from course_utils import ReplayMemory


class SlidesReplayMemory:
    """The replay memory of the lecture slides, copied as it is (including its 10x warm-up)."""

    def __init__(self, capacity=1000000):
        self.capacity = capacity
        self.memory = []
        self.position = 0

    def insert(self, transition):
        if len(self.memory) < self.capacity:
            self.memory.append(None)
        self.memory[self.position] = transition
        self.position = (self.position + 1) % self.capacity

    def sample(self, batch_size):
        assert self.can_sample(batch_size)
        batch = random.sample(self.memory, batch_size)
        batch = zip(*batch)  # noqa: B905 (as on the slides)
        return [torch.cat(items) for items in batch]

    def can_sample(self, batch_size):
        return len(self.memory) >= batch_size * 10

    def __len__(self):
        return len(self.memory)


def cartpole_like_transition() -> list[torch.Tensor]:
    """``[state, action, reward, terminated, next_state]`` as ``TorchEnv`` returns them."""
    return [
        torch.randn(1, 4),
        torch.randint(2, (1, 1)),
        torch.ones(1, 1),
        torch.rand(1, 1) < 0.05,
        torch.randn(1, 4),
    ]


def _seconds_per_call(function, calls: int, repeats: int) -> float:
    # CPU time of this process, the best of `repeats`: steadier than wall time on a shared machine.
    timer = timeit.Timer(function, timer=time.process_time)
    return min(timer.repeat(number=calls, repeat=repeats)) / calls


def run(n_stored: int = 100_000, batch_size: int = 64, repeats: int = 5, calls: int = 2000) -> dict:
    """Times both memories; returns seconds per call and the ratios slides / ours.

    Example:
        >>> result = run(n_stored=1000, batch_size=8, repeats=1, calls=10)
        >>> sorted(result)[:3]
        ['batch_size', 'insert_ratio', 'n_stored']
    """
    transitions = [cartpole_like_transition() for _ in range(n_stored)]
    slides, ours = SlidesReplayMemory(capacity=n_stored), ReplayMemory(capacity=n_stored)
    for transition in transitions:
        slides.insert(transition)
        ours.insert(transition)
    new = cartpole_like_transition()

    def slides_step():
        slides.insert(new)
        slides.sample(batch_size)

    def ours_step():
        ours.insert(new)
        ours.sample(batch_size)

    times = {
        "slides_sample_s": _seconds_per_call(lambda: slides.sample(batch_size), calls, repeats),
        "ours_sample_s": _seconds_per_call(lambda: ours.sample(batch_size), calls, repeats),
        "slides_insert_s": _seconds_per_call(lambda: slides.insert(new), calls, repeats),
        "ours_insert_s": _seconds_per_call(lambda: ours.insert(new), calls, repeats),
        "slides_step_s": _seconds_per_call(slides_step, calls, repeats),
        "ours_step_s": _seconds_per_call(ours_step, calls, repeats),
    }
    return {
        "n_stored": n_stored,
        "batch_size": batch_size,
        "torch_threads": torch.get_num_threads(),
        **times,
        "sample_ratio": times["slides_sample_s"] / times["ours_sample_s"],
        "insert_ratio": times["slides_insert_s"] / times["ours_insert_s"],
        "step_ratio": times["slides_step_s"] / times["ours_step_s"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-stored", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = run(args.n_stored, args.batch_size, args.repeats)
    print(
        f"{result['n_stored']:,} transitions stored, batch of {result['batch_size']}, "
        f"{result['torch_threads']} torch thread(s)"
    )
    for what in ("sample", "insert", "step"):
        slides_us, ours_us = result[f"slides_{what}_s"] * 1e6, result[f"ours_{what}_s"] * 1e6
        print(
            f"{what:>6}: slides {slides_us:8.1f} µs   ReplayMemory {ours_us:8.1f} µs   "
            f"ratio {result[f'{what}_ratio']:6.1f}x"
        )


if __name__ == "__main__":
    main()
