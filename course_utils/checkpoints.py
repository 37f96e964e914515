"""Saving a trained network's weights to a file, and loading them back."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import torch

__all__ = ["save_network", "load_network"]


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
    hidden in it. ``map_location`` (e.g. ``"cpu"``) moves weights saved on a GPU.

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
    try:
        state_dict = torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as error:
        raise ValueError(
            f"Expected `path` to hold weights saved by save_network, but {path} is not a "
            "readable weights file (corrupt, cut short, or not written by torch.save)"
        ) from error
    if not isinstance(state_dict, dict):
        raise ValueError(
            f"Expected `path` to hold a state_dict, but {path} holds a {type(state_dict).__name__}"
        )
    try:
        network.load_state_dict(state_dict)
    except RuntimeError as error:
        raise ValueError(
            f"Expected the weights in {path} to fit `network`, but they do not; was it saved "
            f"from the same architecture?\n{error}"
        ) from error
    return network
