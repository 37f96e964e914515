"""Argument checks shared by the public functions, so every module words an error alike.

Each returns the value it accepts and raises an error that names the argument and shows
what it got (``Expected `batch_size` to be a positive int, got 0``).
"""

from __future__ import annotations

import math
import os
import warnings

import torch

__all__ = [
    "positive_int",
    "seed_int",
    "torch_device",
    "finite_number",
    "nonfinite_summary",
    "memory_bytes",
    "warn_once",
]

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


def finite_number(value: object, name: str) -> float:
    """``float(value)`` if ``value`` is a real number that is neither nan nor ±inf.

    Example:
        >>> finite_number(0.5, "alpha")
        0.5
        >>> finite_number(float("nan"), "alpha")
        Traceback (most recent call last):
        ...
        ValueError: Expected `alpha` to be a finite number, got nan
    """
    try:
        number = float(value) if not isinstance(value, bool | str) else math.nan
    except (TypeError, ValueError, RuntimeError):  # not a number, or a tensor of many
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"Expected `{name}` to be a finite number, got {value!r}")
    return number


def nonfinite_summary(tensor: torch.Tensor) -> str:
    """Says how many entries of ``tensor`` are nan, +inf and -inf (for error messages).

    Example:
        >>> nonfinite_summary(torch.tensor([1.0, float("nan"), float("inf")]))
        '1 nan, 1 inf of 3 values'
    """
    parts = []
    for label, count in (
        ("nan", torch.isnan(tensor).sum()),
        ("inf", torch.isposinf(tensor).sum()),
        ("-inf", torch.isneginf(tensor).sum()),
    ):
        if int(count):
            parts.append(f"{int(count)} {label}")
    return f"{', '.join(parts)} of {tensor.numel()} values"


def _unavailable(device: torch.device) -> str | None:
    """Why tensors cannot live on ``device`` on this machine, or None if they can."""
    if device.type == "cpu":
        return None
    if device.type == "meta":
        return (
            "the 'meta' device holds shapes but no values (nothing can be computed or "
            "read there); use 'cpu' or 'cuda'"
        )
    backend = getattr(torch, device.type, None)
    if device.type == "mps":
        backend = getattr(torch.backends, "mps", None)
    is_available = getattr(backend, "is_available", None)
    if is_available is None:
        return None  # a backend torch knows but does not describe: let torch decide
    if not is_available():
        return (
            f"this machine has no {device.type} device "
            f"(torch.{'backends.mps' if device.type == 'mps' else device.type}.is_available() "
            f"is False: no GPU, or a CPU-only torch); use 'cpu', or "
            f"torch.device('{device.type}' if torch.{device.type}.is_available() else 'cpu')"
        )
    count = getattr(backend, "device_count", None)
    if device.index is not None and count is not None and device.index >= count():
        return f"this machine has {count()} {device.type} device(s), numbered from 0"
    return None


def torch_device(value: object, name: str = "device") -> torch.device:
    """``torch.device(value)`` if tensors can live there on this machine.

    An error names the argument if ``value`` names no device, names ``meta`` (no data),
    or a device this machine lacks (``'cuda'`` without a GPU).

    Example:
        >>> torch_device("cpu")
        device(type='cpu')
        >>> torch_device("meta")
        Traceback (most recent call last):
        ...
        ValueError: Expected `device` to be a device that stores data, got 'meta': the 'meta' device holds shapes but no values (nothing can be computed or read there); use 'cpu' or 'cuda'
    """
    try:
        device = torch.device(value)
    except (RuntimeError, TypeError) as error:
        raise ValueError(f"Expected `{name}` to name a torch device, got {value!r}") from error
    why = _unavailable(device)
    if why is not None:
        wanted = (
            "a device that stores data" if device.type == "meta" else "a device this machine has"
        )
        raise ValueError(f"Expected `{name}` to be {wanted}, got {str(device)!r}: {why}")
    return device


def memory_bytes(device: torch.device) -> int | None:
    """The total memory of ``device`` in bytes (RAM for the CPU), or None if unknown."""
    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory
    if device.type != "cpu":
        return None
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return None


_WARNED: set[str] = set()


def warn_once(key: str, message: str, stacklevel: int = 3) -> None:
    """``warnings.warn(message)`` the first time ``key`` is seen in this session only."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    warnings.warn(message, UserWarning, stacklevel=stacklevel)
