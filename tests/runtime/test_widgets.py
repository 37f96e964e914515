"""The notebooks' explorers: controls, plots that follow them, and no global state."""

from __future__ import annotations

import ipywidgets
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_utils import widgets
from course_utils.plotting import new_figure

# No test may change matplotlib's global style or leave a figure open in pyplot.
pytestmark = pytest.mark.usefixtures("style_unchanged")


@pytest.fixture
def shown(monkeypatch):
    """The figures (and captions) the explorers show, in order."""
    figures: list[tuple[Figure, str | None]] = []
    monkeypatch.setattr(widgets, "_show", lambda fig, caption=None: figures.append((fig, caption)))
    return figures


def controls(explorer: ipywidgets.interactive) -> dict[str, ipywidgets.Widget]:
    return {child.description: child for child in explorer.children[:-1]}


def linear_schedule(step: int, start: float, end: float, fraction: float) -> float:
    return max(end, start + (end - start) * step / (fraction * 10_000))


def test_neuron_explorer_follows_its_controls(shown):
    explorer = widgets.neuron_explorer()
    assert isinstance(explorer, ipywidgets.interactive)
    assert isinstance(explorer.children[-1], ipywidgets.Output)
    sliders = controls(explorer)
    assert list(sliders) == ["w", "b", "activation"]
    assert list(sliders["activation"].options) == ["sigmoid", "tanh", "relu", "identity"]
    # ipywidgets 8 draws once when the explorer is created, 7 when it is displayed
    sliders["w"].value = 2.5
    sliders["activation"].value = "relu"
    assert len(shown) >= 2
    assert shown[-1][0].axes[0].get_title() == "One neuron: y = relu(2.50 x + 0.00)"


def test_gradient_descent_explorer_has_a_log_slider(shown):
    explorer = widgets.gradient_descent_explorer()
    sliders = controls(explorer)
    assert isinstance(sliders["α"], ipywidgets.FloatLogSlider)
    assert sliders["α"].min == -3 and sliders["α"].max == 0  # 0.001 to 1
    sliders["α"].value = 0.5
    assert shown[-1][0].axes[0].get_title().endswith("(diverges)")


def test_snapshot_explorer_shows_each_snapshot_with_its_label(shown):
    def plot_level(level):
        fig = new_figure()
        fig.add_subplot().axhline(level)
        return fig

    explorer = widgets.snapshot_explorer([("start", 1.0), ("end", 2.0)], plot_level)
    slider = explorer.children[0]
    assert (slider.min, slider.max, slider.continuous_update) == (0, 1, False)
    slider.value = 1
    assert shown[-1][1] == "end"
    assert shown[-1][0].axes[0].get_lines()[0].get_ydata()[0] == 2.0
    slider.value = 0
    assert shown[-1][1] == "start"


@pytest.mark.parametrize(
    ("snapshots", "plot_fn", "error", "message"),
    [
        ([], print, ValueError, r"`snapshots` to be a non-empty list of \(label, payload\)"),
        ("abc", print, ValueError, r"`snapshots` to be a non-empty list"),
        ([("a", 1), "b"], print, ValueError, r"`snapshots\[1\]` to be a \(label, payload\) pair"),
        ([("a", 1)], "plot", TypeError, r"`plot_fn` to be callable"),
    ],
    ids=["empty", "string", "not-a-pair", "plot-fn"],
)
def test_snapshot_explorer_rejects_bad_input(snapshots, plot_fn, error, message):
    with pytest.raises(error, match=message):
        widgets.snapshot_explorer(snapshots, plot_fn)


@pytest.mark.parametrize("with_frames", [False, True])
def test_q_values_explorer_highlights_the_greedy_action(shown, with_frames):
    q_values = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.0, 0.5]])
    frames = [np.zeros((8, 12, 3), dtype=np.uint8)] * 3 if with_frames else None
    explorer = widgets.q_values_explorer(q_values, ["Left", "Right"], frames)
    explorer.children[0].value = 1
    fig = shown[-1][0]
    assert len(fig.axes) == (2 if with_frames else 1)
    ax = fig.axes[-1]
    assert ax.get_title() == "t = 1: greedy action Left"
    heights = [bar.get_height() for bar in ax.patches]
    assert heights == [3.0, -1.0]
    assert ax.patches[0].get_facecolor() != ax.patches[1].get_facecolor()
    assert ax.get_ylim()[0] <= -1.0 and ax.get_ylim()[1] >= 3.0  # one scale for every t


@pytest.mark.parametrize(
    ("q_values", "labels", "frames", "message"),
    [
        (np.zeros(3), ["L", "R"], None, r"`q_values` to have shape \(T, n_actions\)"),
        (np.zeros((0, 2)), ["L", "R"], None, r"`q_values` to have shape \(T, n_actions\)"),
        (np.zeros((3, 2)), ["L", "N", "R"], None, r"`action_labels` to name each of the 2 actions"),
        (np.zeros((3, 2)), ["L", "R"], [np.zeros((2, 2, 3))] * 2, r"`frames` to hold 3 images"),
    ],
    ids=["1-d", "empty", "labels", "frames"],
)
def test_q_values_explorer_rejects_bad_input(q_values, labels, frames, message):
    with pytest.raises(ValueError, match=message):
        widgets.q_values_explorer(q_values, labels, frames)


def test_epsilon_schedule_explorer_plots_the_students_schedule(shown):
    explorer = widgets.epsilon_schedule_explorer(linear_schedule, total_steps=10_000)
    sliders = controls(explorer)
    assert [sliders[name].value for name in ("start", "end", "fraction")] == [1.0, 0.05, 0.1]
    sliders["fraction"].value = 0.5
    steps, epsilons = shown[-1][0].axes[0].get_lines()[0].get_data()
    assert steps[0] == 0 and steps[-1] == 10_000
    assert epsilons[0] == 1.0 and epsilons[-1] == pytest.approx(0.05)
    halfway = np.searchsorted(steps, 5_000)
    assert epsilons[halfway] == pytest.approx(0.05, abs=0.01)


def test_epsilon_schedule_explorer_opens_at_the_settings_it_is_given(shown):
    explorer = widgets.epsilon_schedule_explorer(
        linear_schedule, total_steps=50_000, start=1.0, end=0.04, fraction=0.16
    )
    sliders = controls(explorer)
    assert [sliders[name].value for name in ("start", "end", "fraction")] == [1.0, 0.04, 0.16]


@pytest.mark.parametrize(
    ("setting", "value"), [("start", 1.5), ("end", -0.1), ("fraction", 0.0), ("end", True)]
)
def test_epsilon_schedule_explorer_names_a_bad_setting(setting, value):
    with pytest.raises(ValueError, match=f"`{setting}`"):
        widgets.epsilon_schedule_explorer(linear_schedule, 1_000, **{setting: value})


@pytest.mark.parametrize(
    ("schedule_fn", "total_steps", "error", "message"),
    [
        (0.1, 100, TypeError, r"`schedule_fn` to be callable"),
        (linear_schedule, 0, ValueError, r"`total_steps` to be a positive int, got 0"),
        (linear_schedule, 1e4, ValueError, r"`total_steps` to be a positive int, got 10000.0"),
    ],
    ids=["schedule", "no-steps", "float-steps"],
)
def test_epsilon_schedule_explorer_rejects_bad_input(schedule_fn, total_steps, error, message):
    with pytest.raises(error, match=message):
        widgets.epsilon_schedule_explorer(schedule_fn, total_steps)


def test_show_outside_a_notebook_closes_and_prints_nothing(capsys):
    fig = plt.figure()
    widgets._show(fig, caption="hidden")
    assert capsys.readouterr().out == ""
    assert fig.number not in plt.get_fignums()


def test_explorers_keep_no_state_between_calls(shown):
    first, second = widgets.neuron_explorer(), widgets.neuron_explorer()
    controls(first)["w"].value = -3.0
    assert controls(second)["w"].value == 1.0


# --- issue 27: a wrong function fails when the explorer is built, not once drawn -------------


@pytest.mark.parametrize(
    ("schedule_fn", "error", "message"),
    [
        (lambda step, start: start, TypeError, r"four arguments, but it takes \(step, start\)"),
        (lambda step, start, end: start, TypeError, r"four arguments"),
        (lambda step, start, end, fraction: -1.0, ValueError, r"an ε in \[0, 1\], got -1.0"),
        (lambda step, start, end, fraction: 1 / 0, ZeroDivisionError, r"division by zero"),
    ],
    ids=["two-arguments", "three-arguments", "negative-epsilon", "raises"],
)
def test_epsilon_schedule_explorer_refuses_a_wrong_schedule_when_built(schedule_fn, error, message):
    with pytest.raises(error, match=message):
        widgets.epsilon_schedule_explorer(schedule_fn, 1_000)


def test_snapshot_explorer_refuses_a_plot_fn_of_the_wrong_arity_when_built():
    with pytest.raises(TypeError, match=r"`plot_fn` to take \(payload\), 1 argument.* \(a, b\)"):
        widgets.snapshot_explorer([("start", 1.0)], lambda a, b: None)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_q_values_explorer_refuses_non_finite_q_values_when_built(bad):
    q_values = np.ones((4, 2))
    q_values[2, 1] = bad
    with pytest.raises(ValueError, match=r"`q_values` to be finite.* 1 of its 4 rows .*row 2"):
        widgets.q_values_explorer(q_values, ["Left", "Right"])


@pytest.fixture
def korean():
    from course_utils import i18n

    i18n.set_language("ko")
    yield
    i18n.set_language("en")  # before style_unchanged's check: the font fallback goes too


def test_the_controls_and_captions_follow_the_course_language(shown, korean):
    # ipywidgets 8 draws once when an explorer is created, 7 only when it is displayed:
    # `update()` draws with the current controls in both (the Colab-like compat run uses 7).
    assert list(controls(widgets.neuron_explorer())) == ["w", "b", "활성화"]
    explorer = widgets.gradient_descent_explorer()
    assert list(controls(explorer)) == ["α", "스텝 수"]
    explorer.update()
    assert shown[-1][0].axes[0].get_title().startswith("α = 0.05: 30 스텝 뒤 손실")
    explorer = widgets.epsilon_schedule_explorer(linear_schedule, total_steps=10_000)
    assert list(controls(explorer)) == ["시작", "끝", "비율"]
    explorer = widgets.snapshot_explorer(
        [(("before training", "학습 전"), 1.0)], lambda p: new_figure()
    )
    explorer.update()
    assert list(controls(explorer)) == ["스냅숏"] and shown[-1][1] == "학습 전"
    explorer = widgets.q_values_explorer(
        np.array([[1.0, 2.0]]), [("push left", "왼쪽"), ("push right", "오른쪽")]
    )
    explorer.update()
    assert shown[-1][0].axes[0].get_title() == "t = 0: 탐욕 행동 오른쪽"


def test_a_snapshot_label_that_is_neither_text_nor_a_pair_is_named():
    with pytest.raises(ValueError, match=r"`snapshots\[0\]\[0\]`"):
        widgets.snapshot_explorer([(("a", "b", "c"), 1.0)], lambda p: new_figure())
