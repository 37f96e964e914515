"""Every figure of the course: learning curves, the cost-to-go surface, the greedy-action
map, and the didactic figures the explorers of :mod:`course_utils.widgets` draw (one neuron,
gradient descent on a toy loss, q-values along an episode, an ε schedule).

Every function returns a :class:`matplotlib.figure.Figure` and changes no global style
(no ``rcParams``, no ``plt.style.use``). Its titles, axes and legends are in the language of
:func:`course_utils.set_language` (:mod:`course_utils.i18n`, which also gives matplotlib a
font for Hangul when it is Korean); a label the caller passes is shown as given, or, as an
``(English, Korean)`` pair, in that language. The figure is already closed in pyplot, so
Jupyter shows it once, when it is the value of a cell (``plot_stats(stats)`` as the
cell's last line, without a semicolon), or with ``display(fig)``; saving it with
``fig.savefig(...)`` works too.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
import torch

from course_utils._validation import finite_number, positive_int
from course_utils.i18n import Text, get_language, label, pick, use_korean_font
from course_utils.progress import warn_if_interrupted

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "new_figure",
    "plot_stats",
    "plot_cost_to_go",
    "plot_max_q",
    "STATISTICS",
    "ACTIVATIONS",
    "neuron_figure",
    "quadratic_loss",
    "descent_path",
    "gradient_descent_figure",
    "episode_q_values",
    "q_values_figure",
    "schedule_value",
    "epsilon_schedule_figure",
]


# Statistic names that plot_stats shows in the course's language (the others as they are).
STATISTICS = ("Returns", "Return", "Loss", "Mean loss", "Steps", "Epsilon")


def new_figure(**kwargs: Any) -> Figure:
    """A figure that pyplot does not keep: shown once in Jupyter, never leaked.

    Example:
        >>> fig = new_figure(figsize=(3, 2))
        >>> fig.get_size_inches().tolist()
        [3.0, 2.0]
    """
    import matplotlib.pyplot as plt  # imported here so that `import course_utils` stays cheap

    if get_language() == "ko":
        use_korean_font()  # again, in case rcParams were reset since set_language("ko")
    fig = plt.figure(**kwargs)
    plt.close(fig)
    return fig


def plot_stats(
    stats: Mapping[str, Sequence[float]],
    window: int = 10,
    *,
    xlabels: Mapping[str, Text] | None = None,
) -> Figure:
    """Plots each statistic in its own panel: raw values (faint) and a moving average.

    Args:
        stats: statistic name -> list of floats, e.g. ``{"Returns": [...], "Loss": [...]}``.
            A name the course's catalogue knows ("Returns", "Loss", "Mean loss", ...) is
            shown in the course's language, any other as it is.
        window: the number of values averaged by the moving average.
        xlabels: statistic name -> x-axis label (a str, or an ``(English, Korean)`` pair); by
            default "Episode" for names containing "return" or "episode", "Update" for the
            others.

    A nan value is a missing one (the loss of an episode without an update) and is left
    out; a panel with no finite value at all says so, and an infinite value (a diverged
    loss) draws a warning, so no panel is blank without a word.

    Example:
        >>> fig = plot_stats({"Returns": [10.0, 12.0, 30.0, 25.0], "Loss": [1.0, 0.5, 0.2]})
        >>> [ax.get_title() for ax in fig.axes]
        ['Returns', 'Loss']
    """
    if not isinstance(stats, Mapping) or len(stats) == 0:
        raise ValueError(
            f"Expected `stats` to be a non-empty dict of name -> list of floats, got {stats!r}"
        )
    positive_int(window, "window")
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
    if not isinstance(xlabels, Mapping):
        raise TypeError(
            f"Expected `xlabels` to be a dict of statistic name -> axis label, got {xlabels!r}; "
            'for example xlabels={"Returns": "Episode"}'
        )
    unknown = [name for name in xlabels if name not in series]
    if unknown:
        raise ValueError(
            f"Expected `xlabels` to name statistics of `stats` ({list(series)}), got {unknown}"
        )
    shown_xlabels = {name: pick(text, f"xlabels[{name!r}]") for name, text in xlabels.items()}
    for name, values in series.items():
        infinite = int(np.isinf(values).sum())
        if infinite:
            warnings.warn(
                label(
                    "plot_stats: stats[{name}] holds {n} infinite value(s), which cannot be "
                    "drawn (has the training diverged? a smaller learning rate may help)"
                ).format(name=repr(name), n=infinite),
                UserWarning,
                stacklevel=2,
            )
    warn_if_interrupted("plot_stats")

    fig = new_figure(figsize=(7, 2.6 * len(series)), layout="constrained")
    axes = fig.subplots(len(series), 1, squeeze=False)[:, 0]
    for ax, (name, values) in zip(axes, series.items(), strict=True):
        steps = np.arange(1, len(values) + 1)
        shown = label(name) if name in STATISTICS else name
        (raw,) = ax.plot(steps, values, alpha=0.3, linewidth=1, label=shown)
        width = min(window, len(values))
        if width > 1:
            average = np.convolve(values, np.ones(width) / width, mode="valid")
            ax.plot(
                steps[width - 1 :],
                average,
                color=raw.get_color(),
                label=label("average of {n}").format(n=width),
            )
        ax.set_title(shown)
        per_episode = "return" in name.lower() or "episode" in name.lower()
        default_xlabel = label("Episode") if per_episode else label("Update")
        ax.set_xlabel(shown_xlabels.get(name, default_xlabel))
        ax.set_ylabel(shown)
        ax.grid(alpha=0.3)
        if not np.isfinite(values).any():
            what = (
                label("no values to plot")
                if len(values) == 0
                else label("no finite values ({n} nan/inf) to plot").format(n=len(values))
            )
            ax.text(0.5, 0.5, what, transform=ax.transAxes, ha="center", va="center")
            if len(values) > 0:
                warnings.warn(
                    label(
                        "plot_stats: stats[{name}] holds no finite value: its panel is empty"
                    ).format(name=repr(name)),
                    UserWarning,
                    stacklevel=2,
                )
        elif len(values) > 0:
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
    positive_int(resolution, "resolution", minimum=2)
    xs = np.linspace(space.low[0], space.high[0], resolution)
    ys = np.linspace(space.low[1], space.high[1], resolution)
    X, Y = np.meshgrid(xs, ys)
    parameter = next(q_network.parameters(), torch.empty(0))
    dtype = parameter.dtype if parameter.is_floating_point() else torch.float32
    states = torch.as_tensor(np.stack([X.ravel(), Y.ravel()], axis=1), dtype=dtype)
    with torch.no_grad():  # states in the network's own dtype and device: float64 works too
        q_values = q_network(states.to(parameter.device)).float().cpu().numpy()
    if q_values.ndim != 2 or q_values.shape[0] != resolution**2:
        raise ValueError(
            "Expected `q_network` to map a (B, 2) batch of states to (B, n_actions) q-values, "
            f"got shape {q_values.shape} for B = {resolution**2}"
        )
    if not np.isfinite(q_values).all():
        bad = int((~np.isfinite(q_values)).any(axis=1).sum())
        raise ValueError(
            f"Expected `q_network` to return finite q-values, but it returned nan or inf for "
            f"{bad} of the {resolution**2} states of the grid: its weights have diverged "
            "(check them with torch.isfinite(p).all() for p in q_network.parameters())"
        )
    return X, Y, q_values.reshape(resolution, resolution, -1)


def _action_names(action_labels: Sequence[Text]) -> list[str]:
    """``action_labels`` in the course's language (each a str or an (English, Korean) pair)."""
    return [pick(text, f"action_labels[{i}]") for i, text in enumerate(action_labels)]


def _axis_labels(env: gym.Env) -> tuple[str, str]:
    spec = getattr(env, "spec", None)
    if spec is not None and spec.id.startswith("MountainCar"):
        return label("Position"), label("Velocity")
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
    ax.set_title(label("Cost-to-go"))
    return fig


def plot_max_q(
    q_network: torch.nn.Module,
    env: gym.Env,
    action_labels: Sequence[Text],
    resolution: int = 100,
) -> Figure:
    """Map of the greedy action ``argmax_a q(s, a)`` over a 2-D state space.

    Args:
        q_network: maps ``(B, 2)`` states to ``(B, n_actions)`` q-values.
        env: gives the state space's bounds (``env.observation_space``).
        action_labels: one name per action, e.g. ``["Left", "None", "Right"]``; each a str
            or an ``(English, Korean)`` pair, ``("Left", "왼쪽")``.
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
    names = _action_names(action_labels)
    handles = [Patch(color=color, label=name) for color, name in zip(colors, names, strict=True)]
    ax.legend(handles=handles, loc="upper left", title=label("Greedy action"), fontsize="small")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(label(r"Greedy action $\arg\max_a \hat q(s, a)$"))
    return fig


# --- didactic figures, drawn by the explorers of course_utils.widgets -------------------

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}


def neuron_figure(w: float, b: float, activation: str) -> Figure:
    """Plots ``y = activation(w * x + b)`` for ``x`` in [-5, 5].

    Example:
        >>> neuron_figure(2.0, -1.0, "relu").axes[0].get_xlabel()
        '$x$'
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Expected `activation` in {list(ACTIVATIONS)}, got {activation!r}")
    w, b = finite_number(w, "w"), finite_number(b, "b")
    x = np.linspace(-5, 5, 201)
    z = w * x + b
    fig = new_figure(figsize=(6, 3.5), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(x, z, "--", color="gray", alpha=0.6, label=r"$z = w x + b$")
    ax.plot(x, ACTIVATIONS[activation](z), linewidth=2, label=rf"$y = \mathrm{{{activation}}}(z)$")
    if activation in ("sigmoid", "tanh"):
        ax.set_ylim(-1.2, 1.2)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.axvline(0, color="black", linewidth=0.5)
    ax.set_xlabel("$x$")
    ax.set_ylabel("$y$")
    ax.set_title(
        label("One neuron: y = {activation}({w} x + {b})").format(
            activation=activation, w=f"{w:.2f}", b=f"{b:.2f}"
        )
    )
    ax.legend(loc="upper left")
    return fig


CURVATURE = np.array([1.0, 10.0])  # L(w) = ½ (1·w₁² + 10·w₂²): a long, narrow bowl
START = np.array([-4.0, 2.0])


def quadratic_loss(w: np.ndarray) -> np.ndarray:
    """``L(w) = ½ (w₁² + 10 w₂²)``, for one ``w`` of shape ``(2,)`` or many, ``(..., 2)``."""
    return 0.5 * (np.asarray(w) ** 2 * CURVATURE).sum(axis=-1)


def descent_path(alpha: float, steps: int) -> np.ndarray:
    """The points ``w₀, ..., w_steps`` of gradient descent ``w ← w − α ∇L(w)`` from ``START``.

    It converges when ``α < 2 / 10`` (10 is the largest curvature) and diverges above.

    Example:
        >>> descent_path(0.1, 2)
        array([[-4.  ,  2.  ],
               [-3.6 ,  0.  ],
               [-3.24,  0.  ]])
    """
    alpha = finite_number(alpha, "alpha")
    if alpha <= 0:
        raise ValueError(f"Expected `alpha` to be a positive learning rate, got {alpha!r}")
    positive_int(steps, "steps", minimum=0)
    path = [START]
    for _ in range(steps):
        w = path[-1]
        gradient = CURVATURE * w
        path.append(w - alpha * gradient)
    return np.array(path)


def gradient_descent_figure(alpha: float, steps: int) -> Figure:
    """Contours of ``quadratic_loss`` and the path of ``steps`` gradient-descent steps.

    Example:
        >>> gradient_descent_figure(0.18, 30).axes[0].get_title()
        'α = 0.18: loss 28 → 8.46e-05 after 30 steps'
        >>> gradient_descent_figure(0.25, 30).axes[0].get_title()
        'α = 0.25: loss 28 → 7.35e+11 after 30 steps (diverges)'
    """
    path = descent_path(alpha, steps)  # checks alpha and steps
    first, last = quadratic_loss(path[0]), quadratic_loss(path[-1])
    w1, w2 = np.meshgrid(np.linspace(-5, 5, 201), np.linspace(-3, 3, 121))
    fig = new_figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.contour(w1, w2, quadratic_loss(np.stack([w1, w2], axis=-1)), levels=15, cmap="viridis")
    ax.plot(path[:, 0], path[:, 1], ".-", color="C3", label=label("gradient descent"))
    ax.plot(0, 0, "*", color="black", markersize=12, label=label("minimum"))
    ax.set_xlim(-5, 5)
    ax.set_ylim(-3, 3)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    title = label("α = {alpha}: loss {first} → {last} after {steps} steps").format(
        alpha=f"{alpha:.3g}", first=f"{first:.3g}", last=f"{last:.3g}", steps=steps
    )
    ax.set_title(title + (label(" (diverges)") if last > first else ""))
    ax.legend(loc="lower right", fontsize="small")
    return fig


def episode_q_values(q_values: np.ndarray | torch.Tensor) -> np.ndarray:
    """``q_values`` of one episode as a finite float array ``(T, n_actions)``, or a ValueError.

    >>> episode_q_values(torch.tensor([[1.0, 2.0]])).shape
    (1, 2)
    """
    if isinstance(q_values, torch.Tensor):
        q_values = q_values.detach().cpu().numpy()
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 2 or q_values.shape[0] == 0:
        raise ValueError(
            f"Expected `q_values` to have shape (T, n_actions), with T > 0, got {q_values.shape}"
        )
    if not np.isfinite(q_values).all():
        rows = np.flatnonzero(~np.isfinite(q_values).all(axis=1))
        raise ValueError(
            f"Expected `q_values` to be finite, got nan or inf in {len(rows)} of its "
            f"{len(q_values)} rows (first: row {rows[0]}): the network's weights have diverged"
        )
    return q_values


def q_values_figure(
    q_values: np.ndarray, action_labels: Sequence[Text], t: int, frame: np.ndarray | None = None
) -> Figure:
    """Bars of row ``t`` of ``q_values``, ``(T, n_actions)``, the greedy action highlighted.

    ``frame``, an image of the state at step ``t``, is shown beside them. Each action label
    is a str or an ``(English, Korean)`` pair.

    Example:
        >>> fig = q_values_figure(np.array([[1.0, 2.0], [3.0, 0.5]]), ["Left", "Right"], t=1)
        >>> fig.axes[-1].get_title()
        't = 1: greedy action Left'
    """
    q_values = episode_q_values(q_values)
    if isinstance(action_labels, str) or len(action_labels) != q_values.shape[1]:
        raise ValueError(
            f"Expected `action_labels` to name each of the {q_values.shape[1]} actions, "
            f"got {action_labels!r}"
        )
    if isinstance(t, bool) or not isinstance(t, int | np.integer) or not 0 <= t < len(q_values):
        raise ValueError(
            f"Expected `t` to be a step of the episode, an int from 0 to {len(q_values) - 1}, "
            f"got {t!r}"
        )
    names = _action_names(action_labels)
    greedy = int(np.argmax(q_values[t]))
    fig = new_figure(figsize=(8 if frame is not None else 4.5, 3.2), layout="constrained")
    if frame is not None:
        ax_frame = fig.add_subplot(1, 2, 1)
        ax_frame.imshow(frame)
        ax_frame.set_axis_off()
    ax = fig.add_subplot(1, 2, 2) if frame is not None else fig.add_subplot()
    colors = ["C1" if a == greedy else "lightgray" for a in range(len(action_labels))]
    ax.bar(range(len(action_labels)), q_values[t], color=colors, edgecolor="black")
    ax.set_xticks(range(len(action_labels)), names)
    low, high = min(q_values.min(), 0.0), max(q_values.max(), 0.0)  # same scale at every t
    margin = 0.05 * (high - low) or 1.0
    ax.set_ylim(low - margin, high + margin)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel(r"$\hat q(s_t, a)$")
    ax.set_title(label("t = {t}: greedy action {action}").format(t=t, action=names[greedy]))
    return fig


def schedule_value(
    schedule_fn: Callable[[int, float, float, float], float],
    step: int,
    start: float,
    end: float,
    fraction: float,
) -> float:
    """``schedule_fn(step, start, end, fraction)``, checked to be an ε: a number in [0, 1].

    Example:
        >>> schedule_value(lambda step, start: start, 0, 1.0, 0.05, 0.1)
        Traceback (most recent call last):
        ...
        TypeError: Expected `schedule_fn` to take (step, start, end, fraction), four arguments, but it takes (step, start)
    """
    if not callable(schedule_fn):
        raise TypeError(
            "Expected `schedule_fn` to be callable, (step, start, end, fraction) -> ε, "
            f"got {schedule_fn!r}"
        )
    try:
        signature = inspect.signature(schedule_fn)
    except (TypeError, ValueError):  # a builtin without a signature: call it and see
        signature = None
    if signature is not None:
        try:
            signature.bind(step, start, end, fraction)
        except TypeError:
            raise TypeError(
                "Expected `schedule_fn` to take (step, start, end, fraction), four arguments, "
                f"but it takes ({', '.join(signature.parameters)})"
            ) from None
    value = schedule_fn(step, start, end, fraction)
    try:
        epsilon = float(value)
    except (TypeError, ValueError, RuntimeError):
        epsilon = float("nan")
    if not 0 <= epsilon <= 1:  # also false for nan
        raise ValueError(
            f"Expected `schedule_fn` to return an ε in [0, 1], got {value!r} at step {step} "
            f"(start={start}, end={end}, fraction={fraction})"
        )
    return epsilon


def epsilon_schedule_figure(
    schedule_fn: Callable[[int, float, float, float], float],
    total_steps: int,
    start: float,
    end: float,
    fraction: float,
) -> Figure:
    """Plots ``schedule_fn(step, start, end, fraction)`` for steps 0 to ``total_steps``.

    Example:
        >>> def linear(step, start, end, fraction):
        ...     return max(end, start + (end - start) * step / (fraction * 1000))
        >>> epsilon_schedule_figure(linear, 1000, 1.0, 0.05, 0.5).axes[0].get_ylabel()
        'ε'
    """
    positive_int(total_steps, "total_steps")
    steps = np.unique(np.linspace(0, total_steps, min(total_steps + 1, 500)).astype(int))
    epsilons = [schedule_value(schedule_fn, int(step), start, end, fraction) for step in steps]
    fig = new_figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(steps, epsilons, linewidth=2)
    ax.axvline(
        fraction * total_steps, color="gray", linestyle=":", label=label("fraction × total_steps")
    )
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel(label("Step"))
    ax.set_ylabel("ε")
    ax.set_title(
        label("ε: {start} → {end} over the first {fraction} of {total} steps").format(
            start=f"{start:.2f}",
            end=f"{end:.2f}",
            fraction=f"{fraction:.0%}",
            total=f"{total_steps:,}",
        )
    )
    ax.legend(loc="upper right", fontsize="small")
    return fig
