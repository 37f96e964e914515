"""Interactive explorers for the notebooks: move a slider, watch a plot change.

Each function returns an ``ipywidgets.interactive`` (a box of controls above a plot); make
it the last line of a cell to show it. They work with ipywidgets 7 (Colab) and 8 and keep
no state between calls. The plots are drawn by small functions of their own
(``neuron_figure``, ...), which also work without widgets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets
import numpy as np
import torch
from IPython import get_ipython
from IPython.display import display

from course_utils.plotting import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "neuron_explorer",
    "gradient_descent_explorer",
    "snapshot_explorer",
    "q_values_explorer",
    "epsilon_schedule_explorer",
]

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "identity": lambda z: z,
}


def _show(fig: Figure, caption: str | None = None) -> None:
    """Shows ``fig`` (under ``caption``) in the widget's output area, once."""
    import matplotlib.pyplot as plt

    plt.close(fig)  # a figure still open in pyplot would be shown a second time
    if get_ipython() is None:  # no notebook, nowhere to show it (e.g. under pytest)
        return
    if caption is not None:
        print(caption)
    display(fig)


def _interactive(function: Callable[..., None], **controls: Any) -> ipywidgets.interactive:
    """``ipywidgets.interactive``, which clears its output area only inside a notebook
    (elsewhere clearing prints terminal escape codes)."""
    return ipywidgets.interactive(function, clear_output=get_ipython() is not None, **controls)


# --- one neuron --------------------------------------------------------------------------


def neuron_figure(w: float, b: float, activation: str) -> Figure:
    """Plots ``y = activation(w * x + b)`` for ``x`` in [-5, 5].

    Example:
        >>> neuron_figure(2.0, -1.0, "relu").axes[0].get_xlabel()
        '$x$'
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"Expected `activation` in {list(ACTIVATIONS)}, got {activation!r}")
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
    ax.set_title(f"One neuron: y = {activation}({w:.2f} x + {b:.2f})")
    ax.legend(loc="upper left")
    return fig


def neuron_explorer() -> ipywidgets.interactive:
    """Sliders for the weight ``w`` and bias ``b`` of one neuron, and its activation.

    Example:
        >>> explorer = neuron_explorer()  # in a notebook, the cell's last line shows it
        >>> [child.description for child in explorer.children[:3]]
        ['w', 'b', 'activation']
    """
    return _interactive(
        lambda w, b, activation: _show(neuron_figure(w, b, activation)),
        w=ipywidgets.FloatSlider(value=1.0, min=-5.0, max=5.0, step=0.1, description="w"),
        b=ipywidgets.FloatSlider(value=0.0, min=-5.0, max=5.0, step=0.1, description="b"),
        activation=ipywidgets.Dropdown(options=list(ACTIVATIONS), description="activation"),
    )


# --- gradient descent ---------------------------------------------------------------------

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
    path = descent_path(alpha, steps)
    first, last = quadratic_loss(path[0]), quadratic_loss(path[-1])
    w1, w2 = np.meshgrid(np.linspace(-5, 5, 201), np.linspace(-3, 3, 121))
    fig = new_figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.contour(w1, w2, quadratic_loss(np.stack([w1, w2], axis=-1)), levels=15, cmap="viridis")
    ax.plot(path[:, 0], path[:, 1], ".-", color="C3", label="gradient descent")
    ax.plot(0, 0, "*", color="black", markersize=12, label="minimum")
    ax.set_xlim(-5, 5)
    ax.set_ylim(-3, 3)
    ax.set_xlabel("$w_1$")
    ax.set_ylabel("$w_2$")
    verdict = " (diverges)" if last > first else ""
    ax.set_title(f"α = {alpha:.3g}: loss {first:.3g} → {last:.3g} after {steps} steps{verdict}")
    ax.legend(loc="lower right", fontsize="small")
    return fig


def gradient_descent_explorer() -> ipywidgets.interactive:
    """A slider for the learning rate α of gradient descent on a long, narrow bowl.

    Below about 0.05 the descent crawls along the valley floor; near 0.18 it converges in a
    few steps; above 0.2 it zigzags across the valley ever wider and diverges.

    Example:
        >>> explorer = gradient_descent_explorer()
        >>> [child.description for child in explorer.children[:2]]
        ['α', 'steps']
    """
    return _interactive(
        lambda alpha, steps: _show(gradient_descent_figure(alpha, steps)),
        alpha=ipywidgets.FloatLogSlider(
            value=0.05, base=10, min=-3, max=0, step=0.05, description="α", readout_format=".3f"
        ),
        steps=ipywidgets.IntSlider(value=30, min=1, max=100, description="steps"),
    )


# --- snapshots saved during training --------------------------------------------------------


def snapshot_explorer(
    snapshots: Sequence[tuple[str, Any]], plot_fn: Callable[[Any], Figure]
) -> ipywidgets.interactive:
    """A slider over ``snapshots``, a list of ``(label, payload)``: shows ``plot_fn(payload)``.

    For instance the cost-to-go of copies of the network saved during training, with
    ``plot_fn=lambda q_network: plot_cost_to_go(q_network, env)``.

    Example:
        >>> snapshots = [("episode 0", 1.0), ("episode 100", 3.0)]
        >>> def plot_line(slope):
        ...     fig = new_figure()
        ...     fig.add_subplot().plot([0, 1], [0, slope])
        ...     return fig
        >>> explorer = snapshot_explorer(snapshots, plot_line)
        >>> explorer.children[0].max
        1
    """
    if isinstance(snapshots, str) or not isinstance(snapshots, Sequence) or len(snapshots) == 0:
        raise ValueError(
            f"Expected `snapshots` to be a non-empty list of (label, payload), got {snapshots!r}"
        )
    for i, snapshot in enumerate(snapshots):
        if not isinstance(snapshot, tuple | list) or len(snapshot) != 2:
            raise ValueError(
                f"Expected `snapshots[{i}]` to be a (label, payload) pair, got {snapshot!r}"
            )
    if not callable(plot_fn):
        raise TypeError(f"Expected `plot_fn` to be callable, payload -> Figure, got {plot_fn!r}")

    def show(index: int) -> None:
        label, payload = snapshots[index]
        _show(plot_fn(payload), caption=label)

    return _interactive(
        show,
        index=ipywidgets.IntSlider(
            value=0, min=0, max=len(snapshots) - 1, description="snapshot", continuous_update=False
        ),
    )


# --- q-values along an episode --------------------------------------------------------------


def q_values_figure(
    q_values: np.ndarray, action_labels: Sequence[str], t: int, frame: np.ndarray | None = None
) -> Figure:
    """Bar chart of ``q_values[t]``, the greedy action highlighted; ``frame`` beside it.

    Example:
        >>> fig = q_values_figure(np.array([[1.0, 2.0], [3.0, 0.5]]), ["Left", "Right"], t=1)
        >>> fig.axes[-1].get_title()
        't = 1: greedy action Left'
    """
    greedy = int(np.argmax(q_values[t]))
    fig = new_figure(figsize=(8 if frame is not None else 4.5, 3.2), layout="constrained")
    if frame is not None:
        ax_frame = fig.add_subplot(1, 2, 1)
        ax_frame.imshow(frame)
        ax_frame.set_axis_off()
    ax = fig.add_subplot(1, 2, 2) if frame is not None else fig.add_subplot()
    colors = ["C1" if a == greedy else "lightgray" for a in range(len(action_labels))]
    ax.bar(range(len(action_labels)), q_values[t], color=colors, edgecolor="black")
    ax.set_xticks(range(len(action_labels)), action_labels)
    low, high = min(q_values.min(), 0.0), max(q_values.max(), 0.0)  # same scale at every t
    margin = 0.05 * (high - low) or 1.0
    ax.set_ylim(low - margin, high + margin)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel(r"$\hat q(s_t, a)$")
    ax.set_title(f"t = {t}: greedy action {action_labels[greedy]}")
    return fig


def q_values_explorer(
    q_values: np.ndarray | torch.Tensor,
    action_labels: Sequence[str],
    frames: Sequence[np.ndarray] | None = None,
) -> ipywidgets.interactive:
    """A slider over the steps ``t`` of an episode, showing the q-value of each action.

    Args:
        q_values: shape ``(T, A)``, the network's q-values at each step of one episode.
        action_labels: ``A`` action names, e.g. ``["Left", "Right"]``.
        frames: optionally ``T`` images of the episode (``env.render()``), shown beside.

    Example:
        >>> explorer = q_values_explorer(np.array([[1.0, 2.0], [3.0, 0.5]]), ["Left", "Right"])
        >>> explorer.children[0].max
        1
    """
    if isinstance(q_values, torch.Tensor):
        q_values = q_values.detach().cpu().numpy()
    q_values = np.asarray(q_values, dtype=float)
    if q_values.ndim != 2 or q_values.shape[0] == 0:
        raise ValueError(
            f"Expected `q_values` to have shape (T, n_actions), with T > 0, got {q_values.shape}"
        )
    steps, n_actions = q_values.shape
    if isinstance(action_labels, str) or len(action_labels) != n_actions:
        raise ValueError(
            f"Expected `action_labels` to name each of the {n_actions} actions, got {action_labels!r}"
        )
    if frames is not None and len(frames) != steps:
        raise ValueError(
            f"Expected `frames` to hold {steps} images, one per step, got {len(frames)}"
        )
    return _interactive(
        lambda t: _show(
            q_values_figure(q_values, action_labels, t, None if frames is None else frames[t])
        ),
        t=ipywidgets.IntSlider(value=0, min=0, max=steps - 1, description="t"),
    )


# --- exploration schedule --------------------------------------------------------------------


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
    steps = np.unique(np.linspace(0, total_steps, min(total_steps + 1, 500)).astype(int))
    epsilons = [float(schedule_fn(int(step), start, end, fraction)) for step in steps]
    fig = new_figure(figsize=(6, 3.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(steps, epsilons, linewidth=2)
    ax.axvline(fraction * total_steps, color="gray", linestyle=":", label="fraction × total_steps")
    ax.set_ylim(-0.02, 1.05)
    ax.set_xlabel("Step")
    ax.set_ylabel("ε")
    ax.set_title(
        f"ε: {start:.2f} → {end:.2f} over the first {fraction:.0%} of {total_steps:,} steps"
    )
    ax.legend(loc="upper right", fontsize="small")
    return fig


def epsilon_schedule_explorer(
    schedule_fn: Callable[[int, float, float, float], float], total_steps: int
) -> ipywidgets.interactive:
    """Sliders for the ``start``, ``end`` and ``fraction`` of an ε schedule; plots ε over steps.

    ``schedule_fn(step, start, end, fraction)`` returns ε at ``step`` (the function a
    notebook asks you to write).

    Example:
        >>> def constant(step, start, end, fraction):
        ...     return start
        >>> explorer = epsilon_schedule_explorer(constant, total_steps=10_000)
        >>> [child.description for child in explorer.children[:3]]
        ['start', 'end', 'fraction']
    """
    if not callable(schedule_fn):
        raise TypeError(
            f"Expected `schedule_fn` to be callable, (step, start, end, fraction) -> ε, got {schedule_fn!r}"
        )
    if isinstance(total_steps, bool) or not isinstance(total_steps, int) or total_steps <= 0:
        raise ValueError(f"Expected `total_steps` to be a positive int, got {total_steps!r}")
    return _interactive(
        lambda start, end, fraction: _show(
            epsilon_schedule_figure(schedule_fn, total_steps, start, end, fraction)
        ),
        start=ipywidgets.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.01, description="start"),
        end=ipywidgets.FloatSlider(value=0.05, min=0.0, max=1.0, step=0.01, description="end"),
        fraction=ipywidgets.FloatSlider(
            value=0.1, min=0.01, max=1.0, step=0.01, description="fraction"
        ),
    )
