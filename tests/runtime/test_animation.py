"""show_episode: a small, self-contained HTML animation, rendered without a screen."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from IPython.display import HTML

from course_utils import show_episode

MAX_BYTES = 1_000_000  # the HTML is committed inside notebooks


def balance(state: torch.Tensor) -> torch.Tensor:
    return (state[0, 2] + 0.5 * state[0, 3] > 0).long().view(1, 1)


@pytest.mark.parametrize(
    ("env_id", "policy"),
    [("CartPole-v1", None), ("CartPole-v1", balance), ("MountainCar-v0", None)],
    ids=["cart-pole-random", "cart-pole-balancing", "mountain-car-random"],
)
def test_show_episode_returns_small_html(env_id, policy):
    rc, figures = dict(matplotlib.rcParams), plt.get_fignums()
    html = show_episode(env_id, policy, seed=0, max_frames=40)
    assert isinstance(html, HTML)
    assert "<script" in html.data
    assert len(html.data.encode()) < MAX_BYTES
    assert 2 <= html.data.count("data:image/png;base64") <= 40
    assert dict(matplotlib.rcParams) == rc and plt.get_fignums() == figures  # closed, no style


def test_long_episodes_are_subsampled_to_max_frames():
    html = show_episode("MountainCar-v0", seed=0, max_frames=7)  # 200 steps
    assert 4 <= html.data.count("data:image/png;base64") <= 7


def test_same_seed_same_animation():
    def animation(seed):  # without the random id to_jshtml gives its elements
        return re.sub(
            r"[0-9a-f]{32}", "", show_episode("CartPole-v1", seed=seed, max_frames=5).data
        )

    assert animation(3) == animation(3)
    assert animation(3) != animation(4)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"env_id": 1}, TypeError, r"`env_id` to be a gymnasium id"),
        ({"policy": "greedy"}, TypeError, r"`policy` to be callable"),
        ({"max_frames": 0}, ValueError, r"`max_frames` to be a positive int, got 0"),
        ({"fps": 2.5}, ValueError, r"`fps` to be a positive int, got 2.5"),
        ({"seed": -1}, ValueError, r"`seed` to be a non-negative int below 2\*\*32, got -1"),
        ({"seed": 1.0}, ValueError, r"`seed` to be a non-negative int below 2\*\*32, got 1.0"),
        ({"max_frames": True}, ValueError, r"`max_frames` to be a positive int, got True"),
        ({"fps": -15}, ValueError, r"`fps` to be a positive int, got -15"),
    ],
    ids=["env-id", "policy", "max-frames", "fps", "seed", "float-seed", "bool-frames", "fps<0"],
)
def test_show_episode_rejects_bad_input(kwargs, error, message):
    with pytest.raises(error, match=message):
        show_episode(**{"env_id": "CartPole-v1", **kwargs})


HEADLESS = """
import json, os
from course_utils import show_episode
html = show_episode("CartPole-v1", seed=0, max_frames=3)
print(json.dumps({"frames": html.data.count("data:image/png;base64"),
                  "driver_left": os.environ.get("SDL_VIDEODRIVER")}))
"""


@pytest.mark.parametrize("screen", [None, ":99"], ids=["no-screen", "a-screen-variable"])
def test_show_episode_renders_without_a_screen_or_a_chosen_driver(screen):
    """As on Colab or a server: no display, no SDL_VIDEODRIVER (conftest sets one for this
    process, so a fresh interpreter without it). Without a screen, importing course_utils
    chooses SDL's dummy driver for the session (issue 27: no SDL error from a notebook's own
    env.render()); with one, show_episode uses it only while it records, and leaves nothing
    behind in os.environ."""
    bare = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR")
    }
    if screen:
        bare["DISPLAY"] = screen  # a display that is not there: only the variable counts
    done = subprocess.run(
        [sys.executable, "-c", HEADLESS], env=bare, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"frames": 3, "driver_left": None if screen else "dummy"}
    assert "XDG_RUNTIME_DIR" not in done.stderr, done.stderr


@pytest.mark.parametrize("chosen", [None, "dummy", "offscreen"])
def test_show_episode_leaves_the_callers_video_driver_as_it_was(monkeypatch, chosen):
    if chosen is None:
        monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
    else:
        monkeypatch.setenv("SDL_VIDEODRIVER", chosen)
    show_episode("CartPole-v1", seed=0, max_frames=2)
    assert os.environ.get("SDL_VIDEODRIVER") == chosen


def test_the_caption_follows_the_course_language(monkeypatch):
    from course_utils import animation, i18n
    from course_utils.plotting import new_figure

    made = []
    monkeypatch.setattr(
        animation, "new_figure", lambda **kw: made.append(new_figure(**kw)) or made[-1]
    )
    show_episode("CartPole-v1", seed=0, max_frames=3)
    i18n.set_language("ko")
    try:
        show_episode("CartPole-v1", seed=0, max_frames=3)
    finally:
        i18n.set_language("en")
    english, korean = (fig.axes[0].texts[0].get_text() for fig in made)
    assert re.fullmatch(r"CartPole-v1: \d+ steps, return \d+", english), english
    assert korean == re.sub(r"(\d+) steps, return", r"\1 스텝, 리턴", english)
