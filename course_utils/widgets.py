"""Interactive explorers for the notebooks: move a slider, watch a plot change.

Each function returns an ``ipywidgets.interactive`` (a box of controls above a plot); make
it the last line of a cell to show it. They work with ipywidgets 7 (Colab) and 8 and keep
no state between calls. This module holds only the controls: each plot is a figure of
:mod:`course_utils.plotting` (``neuron_figure``, ...), which also works without widgets.
The controls' labels are in the language of :func:`course_utils.set_language`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets
import numpy as np
import torch
from IPython import get_ipython
from IPython.display import display

from course_utils._validation import positive_int
from course_utils.i18n import Text, label, pick
from course_utils.plotting import (
    ACTIVATIONS,
    episode_q_values,
    epsilon_schedule_figure,
    gradient_descent_figure,
    neuron_figure,
    q_values_figure,
    schedule_value,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "neuron_explorer",
    "gradient_descent_explorer",
    "snapshot_explorer",
    "q_values_explorer",
    "epsilon_schedule_explorer",
]


def _show(fig: Figure, caption: str | None = None) -> None:
    """Shows ``fig`` (under ``caption``) in the widget's output area, once."""
    import matplotlib.pyplot as plt

    plt.close(fig)  # a figure still open in pyplot would be shown a second time
    if get_ipython() is None:  # no notebook, nowhere to show it (e.g. under pytest)
        return
    if caption is not None:
        print(caption)
    display(fig)


def _takes(function: Callable[..., Any], name: str, wanted: str, *arguments: Any) -> None:
    """Raises an error naming ``name`` unless ``function`` can be called with ``arguments``."""
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature
        return
    try:
        signature.bind(*arguments)
    except TypeError:
        raise TypeError(
            f"Expected `{name}` to take {wanted}, {len(arguments)} argument(s), but it takes "
            f"({', '.join(signature.parameters)})"
        ) from None


def _interactive(function: Callable[..., None], **controls: Any) -> ipywidgets.interactive:
    """``ipywidgets.interactive``, which clears its output area only inside a notebook
    (elsewhere clearing prints terminal escape codes)."""
    return ipywidgets.interactive(function, clear_output=get_ipython() is not None, **controls)


# --- one neuron --------------------------------------------------------------------------


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
        activation=ipywidgets.Dropdown(options=list(ACTIVATIONS), description=label("activation")),
    )


# --- gradient descent ---------------------------------------------------------------------


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
        steps=ipywidgets.IntSlider(value=30, min=1, max=100, description=label("steps")),
    )


# --- snapshots saved during training --------------------------------------------------------


def snapshot_explorer(
    snapshots: Sequence[tuple[Text, Any]], plot_fn: Callable[[Any], Figure]
) -> ipywidgets.interactive:
    """A slider over ``snapshots``, a list of ``(label, payload)``: shows ``plot_fn(payload)``.

    Each label, shown above its plot, is a str or an ``(English, Korean)`` pair.

    For instance the cost-to-go of copies of the network saved during training, with
    ``plot_fn=lambda q_network: plot_cost_to_go(q_network, env)``.

    Example:
        >>> from course_utils.plotting import new_figure
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
        pick(snapshot[0], f"snapshots[{i}][0]")  # a str or an (English, Korean) pair
    if not callable(plot_fn):
        raise TypeError(f"Expected `plot_fn` to be callable, payload -> Figure, got {plot_fn!r}")
    _takes(plot_fn, "plot_fn", "(payload)", snapshots[0][1])

    def show(index: int) -> None:
        caption, payload = snapshots[index]
        _show(plot_fn(payload), caption=pick(caption))

    return _interactive(
        show,
        index=ipywidgets.IntSlider(
            value=0,
            min=0,
            max=len(snapshots) - 1,
            description=label("snapshot"),
            continuous_update=False,
        ),
    )


# --- q-values along an episode --------------------------------------------------------------


def q_values_explorer(
    q_values: np.ndarray | torch.Tensor,
    action_labels: Sequence[Text],
    frames: Sequence[np.ndarray] | None = None,
) -> ipywidgets.interactive:
    """A slider over the steps ``t`` of an episode, showing the q-value of each action.

    Args:
        q_values: shape ``(T, A)``, the network's q-values at each step of one episode.
        action_labels: ``A`` action names, e.g. ``["Left", "Right"]``; each a str or an
            ``(English, Korean)`` pair.
        frames: optionally ``T`` images of the episode (``env.render()``), shown beside.

    Example:
        >>> explorer = q_values_explorer(np.array([[1.0, 2.0], [3.0, 0.5]]), ["Left", "Right"])
        >>> explorer.children[0].max
        1
    """
    q_values = episode_q_values(q_values)
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


def epsilon_schedule_explorer(
    schedule_fn: Callable[[int, float, float, float], float],
    total_steps: int,
    *,
    start: float = 1.0,
    end: float = 0.05,
    fraction: float = 0.1,
) -> ipywidgets.interactive:
    """Sliders for the ``start``, ``end`` and ``fraction`` of an ε schedule; plots ε over steps.

    ``schedule_fn(step, start, end, fraction)`` returns ε at ``step`` (the function a
    notebook asks you to write). The sliders open at ``start``, ``end`` and ``fraction``:
    pass the notebook's own hyperparameters, so the plot first shows the schedule it trains
    with (``fraction`` is the share of ``total_steps`` over which ε decays).

    Example:
        >>> def constant(step, start, end, fraction):
        ...     return start
        >>> explorer = epsilon_schedule_explorer(constant, total_steps=10_000, end=0.04)
        >>> [(child.description, child.value) for child in explorer.children[:3]]
        [('start', 1.0), ('end', 0.04), ('fraction', 0.1)]
    """
    if not callable(schedule_fn):
        raise TypeError(
            f"Expected `schedule_fn` to be callable, (step, start, end, fraction) -> ε, got {schedule_fn!r}"
        )
    positive_int(total_steps, "total_steps")
    for name, value, low in (
        ("start", start, 0.0),
        ("end", end, 0.0),
        ("fraction", fraction, 0.01),
    ):
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= 1:
            raise ValueError(f"Expected `{name}` to be a number in [{low:g}, 1], got {value!r}")
    for step in (0, total_steps):  # a wrong schedule fails here, not only once drawn
        schedule_value(schedule_fn, step, start, end, fraction)
    return _interactive(
        lambda start, end, fraction: _show(
            epsilon_schedule_figure(schedule_fn, total_steps, start, end, fraction)
        ),
        start=ipywidgets.FloatSlider(
            value=start, min=0.0, max=1.0, step=0.01, description=label("start")
        ),
        end=ipywidgets.FloatSlider(
            value=end, min=0.0, max=1.0, step=0.01, description=label("end")
        ),
        fraction=ipywidgets.FloatSlider(
            value=fraction, min=0.01, max=1.0, step=0.01, description=label("fraction")
        ),
    )
