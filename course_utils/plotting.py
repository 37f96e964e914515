"""Plots of training: learning curves, cost-to-go surface, greedy-action map.

Every function returns a :class:`matplotlib.figure.Figure` and changes no global style
(no ``rcParams``, no ``plt.style.use``). The figure is already closed in pyplot, so
Jupyter shows it once, when it is the value of a cell (``plot_stats(stats)`` as the
cell's last line, without a semicolon), or with ``display(fig)``; saving it with
``fig.savefig(...)`` works too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
import torch

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["plot_stats", "plot_cost_to_go", "plot_max_q"]


def new_figure(**kwargs: Any) -> Figure:
    """A figure that pyplot does not keep: shown once in Jupyter, never leaked.

    Example:
        >>> fig = new_figure(figsize=(3, 2))
        >>> fig.get_size_inches().tolist()
        [3.0, 2.0]
    """
    import matplotlib.pyplot as plt  # imported here so that `import course_utils` stays cheap

    fig = plt.figure(**kwargs)
    plt.close(fig)
    return fig


def _x_label(name: str) -> str:
    return "Episode" if "return" in name.lower() or "episode" in name.lower() else "Update"


def plot_stats(
    stats: Mapping[str, Sequence[float]],
    window: int = 10,
    *,
    xlabels: Mapping[str, str] | None = None,
) -> Figure:
    """Plots each statistic in its own panel: raw values (faint) and a moving average.

    Args:
        stats: statistic name -> list of floats, e.g. ``{"Returns": [...], "Loss": [...]}``.
        window: the number of values averaged by the moving average.
        xlabels: statistic name -> x-axis label; by default "Episode" for names containing
            "return" or "episode", "Update" for the others.

    Example:
        >>> fig = plot_stats({"Returns": [10.0, 12.0, 30.0, 25.0], "Loss": [1.0, 0.5, 0.2]})
        >>> [ax.get_title() for ax in fig.axes]
        ['Returns', 'Loss']
    """
    if not isinstance(stats, Mapping) or len(stats) == 0:
        raise ValueError(
            f"Expected `stats` to be a non-empty dict of name -> list of floats, got {stats!r}"
        )
    if isinstance(window, bool) or not isinstance(window, int) or window <= 0:
        raise ValueError(f"Expected `window` to be a positive int, got {window!r}")
    series = {}
    for name, values in stats.items():
        if not isinstance(values, Sequence | np.ndarray) or isinstance(values, str):
            raise TypeError(
                f"Expected `stats[{name!r}]` to be a list of floats, got {type(values).__name__}"
            )
        if any(isinstance(value, torch.Tensor) for value in values):
            raise TypeError(
                f"Expected `stats[{name!r}]` to hold floats, got torch.Tensor values; "
                "append `loss.item()`, not `loss` (a stored tensor keeps its graph alive)"
            )
        try:
            series[name] = np.asarray(values, dtype=float).reshape(-1)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Expected `stats[{name!r}]` to be a list of floats, got {values!r}"
            ) from error
    xlabels = {} if xlabels is None else xlabels

    fig = new_figure(figsize=(7, 2.6 * len(series)), layout="constrained")
    axes = fig.subplots(len(series), 1, squeeze=False)[:, 0]
    for ax, (name, values) in zip(axes, series.items(), strict=True):
        steps = np.arange(1, len(values) + 1)
        (raw,) = ax.plot(steps, values, alpha=0.3, linewidth=1, label=name)
        width = min(window, len(values))
        if width > 1:
            average = np.convolve(values, np.ones(width) / width, mode="valid")
            ax.plot(steps[width - 1 :], average, color=raw.get_color(), label=f"average of {width}")
        ax.set_title(name)
        ax.set_xlabel(xlabels.get(name, _x_label(name)))
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        if len(values) > 0:
            ax.legend(loc="best", fontsize="small")
    return fig


def _state_grid(
    q_network: torch.nn.Module, env: gym.Env, resolution: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Evaluates ``q_network`` on a ``resolution`` x ``resolution`` grid of a 2-D state space.

    Returns the grid's coordinates ``X, Y`` and the q-values, each ``(resolution, resolution)``
    plus, for the q-values, a last axis of one entry per action.
    """
    if not isinstance(q_network, torch.nn.Module):
        raise TypeError(f"Expected `q_network` to be a torch.nn.Module, got {q_network!r}")
    space = getattr(env, "observation_space", None)
    if not isinstance(space, gym.spaces.Box):
        raise TypeError(
            f"Expected `env` to be a gymnasium.Env with a Box observation space, got {env!r}"
        )
    if space.shape != (2,):
        raise ValueError(
            f"Expected `env.observation_space` to be 2-D (two state variables), got shape {space.shape}"
        )
    if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        raise ValueError(
            f"Expected `env.observation_space` to have finite bounds, got {space.low}..{space.high}"
        )
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"Expected `resolution` to be an int >= 2, got {resolution!r}")
    xs = np.linspace(space.low[0], space.high[0], resolution)
    ys = np.linspace(space.low[1], space.high[1], resolution)
    X, Y = np.meshgrid(xs, ys)
    device = next(q_network.parameters(), torch.empty(0)).device
    states = torch.as_tensor(np.stack([X.ravel(), Y.ravel()], axis=1), dtype=torch.float32)
    with torch.no_grad():
        q_values = q_network(states.to(device)).float().cpu().numpy()
    if q_values.ndim != 2 or q_values.shape[0] != resolution**2:
        raise ValueError(
            "Expected `q_network` to map a (B, 2) batch of states to (B, n_actions) q-values, "
            f"got shape {q_values.shape} for B = {resolution**2}"
        )
    return X, Y, q_values.reshape(resolution, resolution, -1)


def _axis_labels(env: gym.Env) -> tuple[str, str]:
    spec = getattr(env, "spec", None)
    if spec is not None and spec.id.startswith("MountainCar"):
        return "Position", "Velocity"
    return "state[0]", "state[1]"


def plot_cost_to_go(q_network: torch.nn.Module, env: gym.Env, resolution: int = 50) -> Figure:
    """Surface of the cost-to-go ``-max_a q(s, a)`` over a 2-D state space.

    This is Figure 10.1 of Sutton & Barto: for MountainCar the surface shows how many steps
    the agent expects to need from each (position, velocity). The grid spans
    ``env.observation_space``; the network runs on its own device, under ``torch.no_grad()``.

    Example:
        >>> import gymnasium as gym
        >>> import torch
        >>> env = gym.make("MountainCar-v0")
        >>> q_network = torch.nn.Linear(2, 3)
        >>> fig = plot_cost_to_go(q_network, env, resolution=10)
        >>> fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()
        ('Position', 'Velocity')
    """
    X, Y, q_values = _state_grid(q_network, env, resolution)
    x_label, y_label = _axis_labels(env)
    fig = new_figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot(projection="3d")
    ax.plot_surface(X, Y, -q_values.max(axis=-1), cmap="viridis", linewidth=0, antialiased=False)
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_zlabel(r"$-\max_a \hat q(s, a)$")
    ax.set_title("Cost-to-go")
    return fig


def plot_max_q(
    q_network: torch.nn.Module,
    env: gym.Env,
    action_labels: Sequence[str],
    resolution: int = 100,
) -> Figure:
    """Map of the greedy action ``argmax_a q(s, a)`` over a 2-D state space.

    Args:
        q_network: maps ``(B, 2)`` states to ``(B, n_actions)`` q-values.
        env: gives the state space's bounds (``env.observation_space``).
        action_labels: one name per action, e.g. ``["Left", "None", "Right"]``.
        resolution: grid points along each axis.

    Example:
        >>> import gymnasium as gym
        >>> import torch
        >>> env = gym.make("MountainCar-v0")
        >>> fig = plot_max_q(torch.nn.Linear(2, 3), env, ["Left", "None", "Right"], resolution=10)
        >>> [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
        ['Left', 'None', 'Right']
    """
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    X, Y, q_values = _state_grid(q_network, env, resolution)
    n_actions = q_values.shape[-1]
    if isinstance(action_labels, str) or len(action_labels) != n_actions:
        raise ValueError(
            f"Expected `action_labels` to name each of the {n_actions} actions, got {action_labels!r}"
        )
    colors = [f"C{i % 10}" for i in range(n_actions)]
    x_label, y_label = _axis_labels(env)
    fig = new_figure(figsize=(6, 4.5), layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(
        q_values.argmax(axis=-1),
        origin="lower",
        extent=(X.min(), X.max(), Y.min(), Y.max()),
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(colors),
        vmin=-0.5,
        vmax=n_actions - 0.5,
    )
    handles = [
        Patch(color=color, label=label) for color, label in zip(colors, action_labels, strict=True)
    ]
    ax.legend(handles=handles, loc="upper left", title="Greedy action", fontsize="small")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(r"Greedy action $\arg\max_a \hat q(s, a)$")
    return fig
