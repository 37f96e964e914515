"""Where the networks run: the CPU by default, the GPU where a notebook asks for it.

The course's Q-networks are small, and while an agent trains it asks them about one state at
a time. A GPU computes a large batch much faster than a CPU, but every call first pays for
launching its kernels and copying the result back, which is longer than the whole forward
pass of a small network on a CPU. :func:`forward_seconds` measures both, for a notebook to
show; :func:`device` is the one switch.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from course_utils._validation import positive_int

__all__ = ["device", "forward_seconds"]


def device(prefer_gpu: bool = False) -> torch.device:
    """The device a notebook puts its networks and tensors on.

    The CPU, unless ``prefer_gpu`` is True and this machine has a CUDA GPU: a GPU helps where
    every call of the network computes a large batch (notebook 05's seeds trained together,
    pixels), not where an agent acts on one small state per step (notebooks 03 and 04).

    Example:
        >>> device()
        device(type='cpu')
    """
    if not isinstance(prefer_gpu, bool):
        raise TypeError(f"Expected `prefer_gpu` to be True or False, got {prefer_gpu!r}")
    if prefer_gpu and torch.cuda.is_available():
        return torch.device("cuda")
    return torch.device("cpu")


def forward_seconds(network: nn.Module, state_b: torch.Tensor, repeats: int = 200) -> float:
    """The seconds one forward pass of ``network`` on ``state_b`` takes, without gradients.

    The median of five rounds of ``repeats`` passes each, after one pass to warm up; on a GPU
    each round waits for the GPU to finish (``torch.cuda.synchronize``), so the time includes
    what a training step would wait for. Wall-clock time: on a shared machine it varies.

    Example:
        >>> seconds = forward_seconds(nn.Linear(4, 2), torch.zeros(1, 4), repeats=10)
        >>> 0 < seconds < 1
        True
    """
    if not isinstance(network, nn.Module):
        raise TypeError(f"Expected `network` to be a torch.nn.Module, got {network!r}")
    if not isinstance(state_b, torch.Tensor):
        raise TypeError(f"Expected `state_b` to be a tensor of states, got {state_b!r}")
    positive_int(repeats, "repeats")

    def wait() -> None:
        if state_b.device.type == "cuda":
            torch.cuda.synchronize(state_b.device)

    rounds = []
    with torch.no_grad():
        network(state_b)
        for _ in range(5):
            wait()
            start = time.perf_counter()
            for _ in range(repeats):
                network(state_b)
            wait()
            rounds.append((time.perf_counter() - start) / repeats)
    return sorted(rounds)[2]
