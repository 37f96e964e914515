"""Shared inputs of the checks: tiny seeded networks, batches, and comparisons.

The sizes differ from every classic-control environment's on purpose, so a function that
reads the notebook's own network instead of its argument fails on a shape.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

B = 4  # batch size of the check batches; differs from STATE_DIM and N_ACTIONS on purpose
STATE_DIM = 5  # no classic-control environment has 5 state variables
N_ACTIONS = 3
GAMMA = 0.9


def _global_networks(function: Callable[..., Any]) -> dict[str, nn.Module]:
    """The nn.Module objects a function could read from its module's globals (a notebook's)."""
    names = getattr(function, "__globals__", {})
    return {
        name: obj
        for name, obj in names.items()
        if isinstance(obj, nn.Module) and not name.startswith("_")  # not IPython's _, _3, ...
    }


def _linear(in_dim: int, out_dim: int, generator: torch.Generator) -> nn.Linear:
    layer = nn.utils.skip_init(nn.Linear, in_dim, out_dim, dtype=torch.float32)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(out_dim, in_dim, generator=generator))
        layer.bias.copy_(torch.randn(out_dim, generator=generator))
    return layer


def _network(seed: int, in_dim: int = STATE_DIM, out_dim: int = N_ACTIONS) -> nn.Sequential:
    """A tiny seeded MLP; nn.Sequential so deepcopy and load_state_dict both work on it."""
    generator = torch.Generator().manual_seed(seed)
    return nn.Sequential(
        _linear(in_dim, 4, generator), nn.ReLU(), _linear(4, out_dim, generator)
    ).train()


def _states(seed: int, n: int = B) -> Tensor:
    return torch.randn(n, STATE_DIM, generator=torch.Generator().manual_seed(seed))


def _rewards() -> Tensor:
    return torch.tensor([[1.0], [-0.5], [2.0], [0.5]])


def _terminated() -> Tensor:
    return torch.tensor([[False], [True], [False], [True]])


def _snapshot(values: Iterable[Any]) -> list[Any]:
    return [v.detach().clone() if isinstance(v, Tensor) else v for v in values]


def _state(network: nn.Module) -> dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in network.state_dict().items()}


def _same_state(a: dict[str, Tensor], b: dict[str, Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _outputs_with_online_moved(target: nn.Module, q_network: nn.Module, states: Tensor) -> Tensor:
    """``target(states)`` while every online weight is shifted by +1 (then shifted back):
    a target that shares parameters with ``q_network`` gives different outputs."""
    with torch.no_grad():
        for p in q_network.parameters():
            p.add_(1.0)
        outputs = target(states)
        for p in q_network.parameters():
            p.sub_(1.0)
    return outputs


def _close(got: Any, expected: Tensor) -> bool:
    return (
        isinstance(got, Tensor)
        and got.shape == expected.shape
        and torch.allclose(got.detach().double(), expected.detach().double(), atol=1e-5, rtol=1e-5)
    )


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
