"""Argument checks shared by the public functions, so every module words an error alike.

Each returns the value it accepts and raises an error that names the argument and shows
what it got (``Expected `batch_size` to be a positive int, got 0``).
"""

from __future__ import annotations

import torch

__all__ = ["positive_int", "seed_int", "torch_device"]

SEED_BOUND = 2**32  # np.random.seed takes seeds below 2**32; gymnasium takes any int >= 0


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int in Python


def positive_int(value: object, name: str, *, minimum: int = 1) -> int:
    """``value`` if it is an int of at least ``minimum`` (1 by default).

    Example:
        >>> positive_int(64, "batch_size")
        64
        >>> positive_int(0, "batch_size")
        Traceback (most recent call last):
        ...
        ValueError: Expected `batch_size` to be a positive int, got 0
    """
    if not _is_int(value) or value < minimum:
        wanted = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        raise ValueError(f"Expected `{name}` to be {wanted}, got {value!r}")
    return value


def seed_int(value: object, name: str = "seed") -> int:
    """``value`` if it is an int from 0 to 2**32 - 1: a seed every generator accepts.

    Example:
        >>> seed_int(-1, "seed")
        Traceback (most recent call last):
        ...
        ValueError: Expected `seed` to be a non-negative int below 2**32, got -1
    """
    if not _is_int(value) or not 0 <= value < SEED_BOUND:
        raise ValueError(f"Expected `{name}` to be a non-negative int below 2**32, got {value!r}")
    return value


def torch_device(value: object, name: str = "device") -> torch.device:
    """``torch.device(value)``, or an error naming the argument if ``value`` names none."""
    try:
        return torch.device(value)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"Expected `{name}` to name a torch device, got {value!r}") from error
