"""Saving a trained network's weights to a file, and loading them back."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

from course_utils._validation import nonfinite_summary, torch_device

__all__ = ["save_network", "load_network"]

# torch.load(weights_only=True) can be made to run code before torch 2.6 (CVE-2025-32434).
SAFE_TORCH = (2, 6)
_MAGIC = (b"PK\x03\x04", b"\x80")  # torch.save's zip archive; its legacy pickle format


def _torch_version() -> tuple[int, int]:
    major, minor = torch.__version__.split("+")[0].split(".")[:2]
    return int(major), int("".join(c for c in minor if c.isdigit()) or 0)


def save_network(network: torch.nn.Module, path: str | os.PathLike) -> Path:
    """Saves ``network.state_dict()`` to ``path`` (creating its folder) and returns the path.

    Only the weights are saved, not the class: to load them, build the same architecture
    and call :func:`load_network`.

    Example:
        >>> import tempfile, torch
        >>> folder = tempfile.mkdtemp()
        >>> save_network(torch.nn.Linear(4, 2), f"{folder}/q_network.pt").name
        'q_network.pt'
    """
    if not isinstance(network, torch.nn.Module):
        raise TypeError(f"Expected `network` to be a torch.nn.Module, got {type(network).__name__}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"Expected `path` to be a str or a pathlib.Path, got {path!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(network.state_dict(), path)
    return path


def load_network(
    network: torch.nn.Module,
    path: str | os.PathLike,
    map_location: str | torch.device | None = None,
) -> torch.nn.Module:
    """Loads the weights saved at ``path`` into ``network`` and returns ``network``.

    The file is read with ``torch.load(weights_only=True)``, which refuses to run code
    hidden in it (on torch 2.6 or later: before, it could be made to, CVE-2025-32434, and
    loading is refused). ``map_location`` (e.g. ``"cpu"``) moves weights saved on a GPU.

    Weights must fit ``network`` as they are: a name, shape or dtype that differs (float64
    weights for a float32 network), or a nan or inf among them, raises an error instead
    of being cast or loaded silently.

    Example:
        >>> import tempfile, torch
        >>> path = save_network(torch.nn.Linear(4, 2), f"{tempfile.mkdtemp()}/q_network.pt")
        >>> q_network = load_network(torch.nn.Linear(4, 2), path)
        >>> q_network.weight.shape
        torch.Size([2, 4])
    """
    if not isinstance(network, torch.nn.Module):
        raise TypeError(f"Expected `network` to be a torch.nn.Module, got {type(network).__name__}")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"Expected `path` to be a str or a pathlib.Path, got {path!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Expected `path` to be a saved network, but there is no file {path}"
        )
    if map_location is not None:
        map_location = torch_device(map_location, "map_location")
    if _torch_version() < SAFE_TORCH:
        raise RuntimeError(
            f"load_network needs torch 2.6 or later, this is torch {torch.__version__}: before "
            "2.6 a crafted file can run code even through torch.load(weights_only=True) "
            "(CVE-2025-32434). Upgrade: pip install --upgrade 'torch>=2.6'"
        )
    with path.open("rb") as file:
        head = file.read(64)
    if not head.startswith(_MAGIC):
        looks = "is empty" if not head else f"starts with {head[:24]!r}"
        raise ValueError(
            f"Expected `path` to hold weights saved by save_network, but {path} {looks}: it was "
            "not written by torch.save (a text or other file?)"
        )
    try:
        state_dict = torch.load(path, map_location=map_location, weights_only=True)
    except RuntimeError as error:
        if "torch.cuda.is_available() is False" in str(error) or "CUDA" in str(error):
            raise ValueError(
                f"Expected `map_location` to move the weights in {path} to a device this "
                "machine has: they were saved on a GPU, and this machine has none; pass "
                "map_location='cpu'"
            ) from error
        raise ValueError(
            f"Expected `path` to hold weights saved by save_network, but {path} is not a "
            "readable weights file (corrupt, cut short, or not written by torch.save)"
        ) from error
    except (pickle.UnpicklingError, EOFError, ValueError, OSError, KeyError) as error:
        raise ValueError(
            f"Expected `path` to hold weights saved by save_network, but {path} is not a "
            "readable weights file (corrupt, cut short, or not written by torch.save)"
        ) from error
    if not isinstance(state_dict, dict):
        raise ValueError(
            f"Expected `path` to hold a state_dict, but {path} holds a {type(state_dict).__name__}"
        )
    own = network.state_dict()
    for name, value in state_dict.items():
        if not isinstance(value, torch.Tensor) or name not in own:
            continue  # load_state_dict below names what is missing or unexpected
        if value.dtype != own[name].dtype:
            raise ValueError(
                f"Expected the weights in {path} to have the dtypes of `network`, but "
                f"{name!r} is {value.dtype} in the file and {own[name].dtype} in the network; "
                f"loading would convert it silently. Build the network in {value.dtype} "
                "(e.g. network.double() for float64), or save it again from the same dtype"
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise ValueError(
                f"Expected the weights in {path} to be finite, but {name!r} holds "
                f"{nonfinite_summary(value)}: the network was saved after its training "
                "diverged"
            )
    try:
        network.load_state_dict(state_dict)
    except RuntimeError as error:
        raise ValueError(
            f"Expected the weights in {path} to fit `network`, but they do not; was it saved "
            f"from the same architecture?\n{error}"
        ) from error
    return network
