"""Plots return figures, label their axes, and leave global style alone."""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course_utils import TorchEnv, plot_cost_to_go, plot_max_q, plot_stats, plotting
from course_utils.plotting import _state_grid

# No test may change matplotlib's global style or leave a figure open in pyplot.
pytestmark = pytest.mark.usefixtures("style_unchanged")


class ConstantQ(nn.Module):
    """q(s, ·) = `values` for every state s; remembers the batch it was called with."""

    def __init__(self, values: list[float]) -> None:
        super().__init__()
        self.values = nn.Parameter(torch.tensor(values))
        self.seen: torch.Tensor | None = None

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        self.seen = state
        return self.values.expand(len(state), -1)


class PositionQ(nn.Module):
    """Prefers action 2 (push right) where position > -0.5, action 0 elsewhere."""

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        right = (state[:, :1] > -0.5).float()
        return torch.cat([1 - right, torch.zeros_like(right), right], dim=1)


@pytest.fixture
def mountain_car():
    return TorchEnv(gym.make("MountainCar-v0"))


@pytest.mark.parametrize("window", [1, 3, 10, 1000])
def test_plot_stats_draws_one_panel_per_statistic(window):
    stats = {"Returns": [float(i % 7) for i in range(50)], "MSE Loss": list(np.linspace(1, 0, 200))}
    fig = plot_stats(stats, window=window)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["Returns", "MSE Loss"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["Returns", "MSE Loss"]
    assert [ax.get_xlabel() for ax in fig.axes] == ["Episode", "Update"]
    returns_lines = fig.axes[0].get_lines()
    assert len(returns_lines) == (1 if window == 1 else 2)  # raw, then the moving average
    assert returns_lines[0].get_alpha() < 1
    if window > 1:
        width = min(window, 50)
        assert len(returns_lines[1].get_xdata()) == 50 - width + 1
        assert returns_lines[1].get_ydata()[0] == pytest.approx(np.mean(stats["Returns"][:width]))


def test_plot_stats_accepts_custom_labels_arrays_and_empty_lists():
    fig = plot_stats({"Steps": np.arange(5.0), "Epsilon": []}, xlabels={"Steps": "Episode"})
    assert [ax.get_xlabel() for ax in fig.axes] == ["Episode", "Update"]


@pytest.mark.parametrize(
    ("stats", "window", "error", "message"),
    [
        ({}, 10, ValueError, r"`stats` to be a non-empty dict"),
        ([1.0, 2.0], 10, ValueError, r"`stats` to be a non-empty dict"),
        ({"Returns": [1.0]}, 0, ValueError, r"`window` to be a positive int, got 0"),
        ({"Returns": [1.0]}, 2.5, ValueError, r"`window` to be a positive int, got 2.5"),
        (
            {"Loss": [torch.tensor(1.0, requires_grad=True)]},
            10,
            TypeError,
            r"append `loss.item\(\)`",
        ),
        (
            {"Returns": 3.0},
            10,
            TypeError,
            r"`stats\['Returns'\]` to be a list of floats, got float",
        ),
        ({"Returns": ["high"]}, 10, TypeError, r"`stats\['Returns'\]` to be a list of floats"),
    ],
    ids=["empty", "a-list", "window-0", "float-window", "loss-tensors", "a-number", "strings"],
)
def test_plot_stats_rejects_bad_input(stats, window, error, message):
    with pytest.raises(error, match=message):
        plot_stats(stats, window=window)


def test_cost_to_go_is_minus_max_q_over_the_observation_space(mountain_car):
    X, Y, q_values = _state_grid(ConstantQ([1.0, 5.0, 2.0]), mountain_car, resolution=7)
    assert X.shape == Y.shape == (7, 7) and q_values.shape == (7, 7, 3)
    space = mountain_car.observation_space
    assert (X.min(), X.max()) == pytest.approx((space.low[0], space.high[0]))
    assert (Y.min(), Y.max()) == pytest.approx((space.low[1], space.high[1]))
    fig = plot_cost_to_go(ConstantQ([1.0, 5.0, 2.0]), mountain_car, resolution=7)
    (ax,) = fig.axes
    assert ax.name == "3d"
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Position", "Velocity")
    assert "max" in ax.get_zlabel()
    assert np.allclose(q_values.max(axis=-1), 5.0)
    assert len(ax.collections) == 1  # the surface
    low, high = ax.get_zlim()
    assert low <= -5.0 <= high


def test_grid_is_evaluated_without_gradients_as_float32(mountain_car):
    q_network = ConstantQ([0.0, 0.0, 0.0])
    plot_max_q(q_network, mountain_car, ["Left", "None", "Right"], resolution=5)
    assert q_network.seen.shape == (25, 2) and q_network.seen.dtype == torch.float32
    assert not q_network.seen.requires_grad


def test_greedy_action_map_names_the_actions(mountain_car):
    fig = plot_max_q(PositionQ(), mountain_car, ["Left", "None", "Right"], resolution=20)
    (ax,) = fig.axes
    legend = ax.get_legend()
    assert [text.get_text() for text in legend.get_texts()] == ["Left", "None", "Right"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Position", "Velocity")
    greedy = ax.get_images()[0].get_array()
    assert set(np.unique(greedy)) == {0, 2}
    assert greedy[0, 0] == 0 and greedy[0, -1] == 2  # left edge pushes left, right edge right


def test_other_two_dimensional_spaces_get_generic_labels():
    class Plane(gym.Env):
        observation_space = gym.spaces.Box(-1.0, 1.0, (2,))
        action_space = gym.spaces.Discrete(2)

    fig = plot_cost_to_go(nn.Linear(2, 2), Plane(), resolution=4)
    assert (fig.axes[0].get_xlabel(), fig.axes[0].get_ylabel()) == ("state[0]", "state[1]")


@pytest.mark.parametrize("plot", ["cost_to_go", "max_q"])
@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"env": TorchEnv(gym.make("CartPole-v1"))},
            ValueError,
            r"`env.observation_space` to be 2-D .* \(4,\)",
        ),
        (
            {"env": "MountainCar-v0"},
            TypeError,
            r"`env` to be a gymnasium.Env with a Box observation",
        ),
        ({"q_network": lambda state: state}, TypeError, r"`q_network` to be a torch.nn.Module"),
        ({"q_network": nn.Flatten(0)}, ValueError, r"`q_network` to map a \(B, 2\) batch"),
        ({"resolution": 1}, ValueError, r"`resolution` to be an int >= 2, got 1"),
    ],
    ids=["cart-pole", "env-name", "function", "wrong-output", "resolution"],
)
def test_state_space_plots_reject_bad_input(plot, arguments, error, message):
    arguments = {
        "q_network": nn.Linear(2, 3),
        "env": gym.make("MountainCar-v0"),
        "resolution": 5,
        **arguments,
    }
    with pytest.raises(error, match=message):
        if plot == "cost_to_go":
            plot_cost_to_go(**arguments)
        else:
            plot_max_q(action_labels=["Left", "None", "Right"], **arguments)


def test_unbounded_spaces_are_rejected():
    class Unbounded(gym.Env):
        observation_space = gym.spaces.Box(-np.inf, np.inf, (2,))
        action_space = gym.spaces.Discrete(2)

    with pytest.raises(ValueError, match=r"`env.observation_space` to have finite bounds"):
        plot_cost_to_go(nn.Linear(2, 2), Unbounded())


@pytest.mark.parametrize("labels", [["Left", "Right"], "LNR", ["Left", "None", "Right", "Up"]])
def test_max_q_needs_one_label_per_action(mountain_car, labels):
    with pytest.raises(ValueError, match=r"`action_labels` to name each of the 3 actions"):
        plot_max_q(nn.Linear(2, 3), mountain_car, labels, resolution=4)


# --- didactic figures (the explorers' plots) ---------------------------------------------


@pytest.mark.parametrize("activation", list(plotting.ACTIVATIONS))
def test_neuron_figure_plots_the_activation(activation):
    fig = plotting.neuron_figure(w=2.0, b=-1.0, activation=activation)
    x, y = fig.axes[0].get_lines()[1].get_data()
    expected = {"sigmoid": 1 / (1 + np.exp(-(2 * x - 1))), "tanh": np.tanh(2 * x - 1)}
    expected |= {"relu": np.maximum(2 * x - 1, 0), "identity": 2 * x - 1}
    np.testing.assert_allclose(y, expected[activation])


def test_neuron_figure_rejects_unknown_activations():
    with pytest.raises(ValueError, match=r"`activation` in \['sigmoid'"):
        plotting.neuron_figure(1.0, 0.0, "softmax")


@pytest.mark.parametrize(
    ("alpha", "regime"),
    [(0.001, "too slow"), (0.18, "converges"), (0.25, "diverges")],
)
def test_gradient_descent_regimes(alpha, regime):
    path = plotting.descent_path(alpha, steps=30)
    assert path.shape == (31, 2)
    first, last = plotting.quadratic_loss(path[0]), plotting.quadratic_loss(path[-1])
    if regime == "too slow":
        assert last > 0.5 * first
    elif regime == "converges":
        assert last < 1e-3 * first
    else:
        assert last > first
    title = plotting.gradient_descent_figure(alpha, 30).axes[0].get_title()
    assert title.endswith("(diverges)") == (regime == "diverges")


def test_gradient_descent_steps_against_the_gradient():
    w0, w1 = plotting.descent_path(0.01, steps=1)
    assert plotting.quadratic_loss(w1) < plotting.quadratic_loss(w0)  # w ← w − α∇L, minus sign


@pytest.mark.parametrize(
    "frame", [None, np.zeros((8, 12, 3), dtype=np.uint8)], ids=["bars", "frame"]
)
def test_q_values_figure_highlights_the_greedy_action_on_one_scale(frame):
    fig = plotting.q_values_figure(np.array([[1.0, 2.0], [3.0, -1.0]]), ["Left", "Right"], 1, frame)
    assert len(fig.axes) == (1 if frame is None else 2)
    ax = fig.axes[-1]
    assert ax.get_title() == "t = 1: greedy action Left"
    assert [bar.get_height() for bar in ax.patches] == [3.0, -1.0]
    assert ax.patches[0].get_facecolor() != ax.patches[1].get_facecolor()
    assert ax.get_ylim()[0] <= -1.0 and ax.get_ylim()[1] >= 3.0


def test_epsilon_schedule_figure_calls_the_schedule_at_every_plotted_step():
    calls = []

    def schedule(step, start, end, fraction):
        calls.append((step, start, end, fraction))
        return start

    fig = plotting.epsilon_schedule_figure(schedule, 100, 0.9, 0.1, 0.5)
    steps, epsilons = fig.axes[0].get_lines()[0].get_data()
    assert list(steps) == list(range(101)) == [call[0] for call in calls]
    assert set(epsilons) == {0.9} and calls[0][1:] == (0.9, 0.1, 0.5)


def test_every_figure_is_public_in_plotting_and_none_is_left_in_widgets():
    from course_utils import widgets

    assert {"new_figure", "neuron_figure", "gradient_descent_figure"} <= set(plotting.__all__)
    assert {"q_values_figure", "epsilon_schedule_figure"} <= set(plotting.__all__)
    defined_in_widgets = {
        name
        for name, value in vars(widgets).items()
        if callable(value) and getattr(value, "__module__", None) == widgets.__name__
    }
    assert defined_in_widgets == {"_show", "_interactive", "_takes", *widgets.__all__}


@pytest.mark.parametrize("bad", [True, 2.0, 0, -3], ids=["bool", "float", "zero", "negative"])
@pytest.mark.parametrize(
    ("name", "plot"),
    [
        ("window", lambda bad: plot_stats({"Returns": [1.0, 2.0]}, window=bad)),
        (
            "resolution",
            lambda bad: plot_cost_to_go(nn.Linear(2, 3), gym.make("MountainCar-v0"), bad),
        ),
        ("total_steps", lambda bad: plotting.epsilon_schedule_figure(max, bad, 1.0, 0.1, 0.5)),
    ],
    ids=["window", "resolution", "total-steps"],
)
def test_integer_arguments_name_themselves_when_rejected(name, plot, bad):
    with pytest.raises(
        ValueError, match=rf"Expected `{name}` to be (a positive int|an int >= 2), got"
    ):
        plot(bad)


# --- issue 27: no blank figure without a word, no raw error from bad input -------------------


@pytest.mark.parametrize(
    ("xlabels", "error", "message"),
    [
        ("x", TypeError, r"`xlabels` to be a dict of statistic name -> axis label, got 'x'"),
        (["Episode"], TypeError, r"`xlabels` to be a dict"),
        ({"Retuns": "Episode"}, ValueError, r"`xlabels` to name statistics of `stats`"),
    ],
    ids=["a-string", "a-list", "a-misspelt-name"],
)
def test_plot_stats_names_bad_xlabels(xlabels, error, message):
    with pytest.raises(error, match=message):
        plot_stats({"Returns": [1.0, 2.0]}, xlabels=xlabels)


def test_a_statistic_without_a_finite_value_says_so_in_its_panel():
    with pytest.warns(UserWarning, match=r"stats\['Loss'\] holds no finite value"):
        fig = plot_stats({"Returns": [1.0, 2.0, 3.0], "Loss": [float("nan")] * 3})
    texts = [text.get_text() for text in fig.axes[1].texts]
    assert texts == ["no finite values (3 nan/inf) to plot"]
    assert len(fig.axes[0].texts) == 0  # a panel with values gets no note


def test_nan_is_a_missing_value_and_inf_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the loss of episodes without an update: no warning
        plot_stats({"Loss": [float("nan"), float("nan"), 1.0, 0.5]})
    with pytest.warns(UserWarning, match=r"stats\['Loss'\] holds 1 infinite value.*diverged"):
        plot_stats({"Loss": [1.0, float("inf"), 2.0]})


def test_a_float64_network_is_given_float64_states(mountain_car):
    q_network = ConstantQ([1.0, 2.0, 5.0]).double()
    fig = plot_cost_to_go(q_network, mountain_car, resolution=5)
    assert q_network.seen.dtype == torch.float64 and isinstance(fig, Figure)


def test_a_network_returning_nan_is_refused_rather_than_drawn_blank(mountain_car):
    q_network = ConstantQ([1.0, float("nan"), 5.0])
    for plot in (
        lambda: plot_cost_to_go(q_network, mountain_car, resolution=5),
        lambda: plot_max_q(q_network, mountain_car, ["L", "N", "R"], resolution=5),
    ):
        with pytest.raises(ValueError, match=r"`q_network` to return finite q-values.* 25 of"):
            plot()


@pytest.mark.parametrize(
    ("q_values", "t", "message"),
    [
        (np.ones((3, 2)), 3, r"`t` to be a step of the episode, an int from 0 to 2, got 3"),
        (np.ones((3, 2)), -1, r"`t` to be a step .* got -1"),
        (np.ones((3, 2)), 1.0, r"`t` to be a step .* got 1.0"),
        (np.full((3, 2), np.nan), 0, r"`q_values` to be finite, got nan or inf in 3 of its 3"),
        (np.ones(3), 0, r"`q_values` to have shape \(T, n_actions\)"),
        (np.ones((3, 3)), 0, r"`action_labels` to name each of the 3 actions"),
    ],
    ids=["t-too-large", "t-negative", "t-float", "all-nan", "one-dimensional", "labels"],
)
def test_q_values_figure_names_bad_input(q_values, t, message):
    with pytest.raises(ValueError, match=message):
        plotting.q_values_figure(q_values, ["Left", "Right"], t=t)


@pytest.mark.parametrize(
    ("alpha", "steps", "message"),
    [
        (float("nan"), -1, r"`alpha` to be a finite number, got nan"),
        (float("inf"), 5, r"`alpha` to be a finite number, got inf"),
        (-0.1, 5, r"`alpha` to be a positive learning rate"),
        (0.1, -1, r"`steps` to be an int >= 0, got -1"),
        (0.1, 2.5, r"`steps` to be an int >= 0, got 2.5"),
    ],
    ids=["nan-and-negative", "inf", "negative-alpha", "negative-steps", "float-steps"],
)
def test_gradient_descent_figure_names_bad_input(alpha, steps, message):
    with pytest.raises(ValueError, match=message):
        plotting.gradient_descent_figure(alpha, steps)


def test_neuron_figure_refuses_non_finite_parameters():
    with pytest.raises(ValueError, match=r"`w` to be a finite number, got nan"):
        plotting.neuron_figure(float("nan"), 0.0, "relu")


@pytest.mark.parametrize(
    ("schedule_fn", "error", "message"),
    [
        (lambda step, start: start, TypeError, r"four arguments, but it takes \(step, start\)"),
        (lambda step, start, end, fraction: 2.0, ValueError, r"an ε in \[0, 1\], got 2.0 at step"),
        (lambda step, start, end, fraction: None, ValueError, r"an ε in \[0, 1\], got None"),
        ("linear", TypeError, r"`schedule_fn` to be callable"),
    ],
    ids=["two-arguments", "above-one", "returns-none", "not-callable"],
)
def test_a_wrong_schedule_is_named(schedule_fn, error, message):
    with pytest.raises(error, match=message):
        plotting.epsilon_schedule_figure(schedule_fn, 100, 1.0, 0.05, 0.1)


# --- issue 30: figures in the course's language ----------------------------------------------


@pytest.fixture
def korean():
    from course_utils import i18n

    i18n.set_language("ko")
    yield
    i18n.set_language("en")  # before style_unchanged's check: the font fallback goes too


def test_plot_stats_in_korean_translates_its_own_labels_and_known_names(korean):
    stats = {"Returns": [1.0, 2.0, 3.0], "MSE Loss": [1.0, float("nan")], "Steps": []}
    fig = plot_stats(stats, window=2, xlabels={"MSE Loss": ("Gradient step", "그래디언트 스텝")})
    assert [ax.get_title() for ax in fig.axes] == ["리턴", "MSE Loss", "스텝"]  # a name it knows
    assert [ax.get_xlabel() for ax in fig.axes] == ["에피소드", "그래디언트 스텝", "갱신"]
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["리턴", "2개 이동 평균"]
    assert fig.axes[2].texts[0].get_text() == "그릴 값이 없습니다"


def test_a_callers_plain_label_stays_as_given_in_korean(korean):
    fig = plot_stats({"Returns": [1.0, 2.0]}, xlabels={"Returns": "Episode"})
    assert fig.axes[0].get_xlabel() == "Episode"


def test_state_space_figures_in_korean(korean, mountain_car):
    fig = plot_cost_to_go(PositionQ(), mountain_car, resolution=5)
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("cost-to-go 곡면", "위치", "속도")
    fig = plot_max_q(PositionQ(), mountain_car, [("Left", "왼쪽"), "None", ("Right", "오른쪽")], 5)
    legend = fig.axes[0].get_legend()
    assert legend.get_title().get_text() == "탐욕 행동"
    assert [text.get_text() for text in legend.get_texts()] == ["왼쪽", "None", "오른쪽"]
    assert fig.axes[0].get_title() == "탐욕 행동 argmaxₐ q̂(s, a)"


def test_didactic_figures_in_korean(korean):
    assert plotting.neuron_figure(2.0, -1.0, "relu").axes[0].get_title() == (
        "뉴런 하나: y = relu(2.00 x + -1.00)"
    )
    ax = plotting.gradient_descent_figure(0.25, 30).axes[0]
    assert ax.get_title() == "α = 0.25: 30 스텝 뒤 손실 28 → 7.35e+11 (발산)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["경사 하강법", "최솟값"]
    ax = plotting.epsilon_schedule_figure(lambda s, a, b, f: a, 1000, 1.0, 0.05, 0.5).axes[0]
    assert ax.get_title() == "ε: 1,000 스텝 중 처음 50% 동안 1.00 → 0.05"
    assert ax.get_xlabel() == "스텝"


def test_a_bad_action_label_is_named():
    with pytest.raises(ValueError, match=r"`action_labels\[1\]`"):
        plotting.q_values_figure(np.array([[1.0, 2.0]]), ["left", ("right",)], t=0)
