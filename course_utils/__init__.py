"""Helpers for the deep reinforcement learning course.

The notebooks import what they need from here::

    from course_utils import ReplayMemory, TorchEnv, evaluate, plot_stats, seed_everything
    from course_utils import GreedyChecks, device  # the checks during training; CPU or GPU
    from course_utils import AcrobotVectorEnv  # Acrobot-v1's episodes stepped together
    from course_utils import checks, widgets  # submodules, imported explicitly

``set_language("ko")`` (``checks.set_language`` is the same switch) shows everything the
package prints, draws or labels in Korean (:mod:`course_utils.i18n`); English is the default.

Importing the package defines these names, sets no seed and no plotting style, and does
one thing more: on a Linux machine without a screen (no ``DISPLAY`` or ``WAYLAND_DISPLAY``:
Colab, Binder, a Jupyter server) where no SDL video driver was chosen, it chooses SDL's
display-less ``dummy`` driver, the only one that can work there. pygame, which draws
gymnasium's ``rgb_array`` frames, otherwise prints ``error: XDG_RUNTIME_DIR is invalid or
not set`` when a notebook first calls ``env.render()`` (with or without course_utils).
"""

import os
import sys

from course_utils.animation import show_episode
from course_utils.checkpoints import load_network, save_network
from course_utils.devices import device, forward_seconds
from course_utils.envs import TorchEnv
from course_utils.evaluation import evaluate, seed_everything
from course_utils.i18n import get_language, set_language
from course_utils.plotting import plot_cost_to_go, plot_max_q, plot_stats
from course_utils.progress import finish_progress, training_progress
from course_utils.replay import ReplayMemory
from course_utils.training import GreedyChecks
from course_utils.vector_envs import AcrobotVectorEnv


def _headless_video_driver() -> None:
    screen = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    if sys.platform.startswith("linux") and not screen and "SDL_VIDEODRIVER" not in os.environ:
        os.environ["SDL_VIDEODRIVER"] = "dummy"


_headless_video_driver()

__all__ = [
    "ReplayMemory",
    "TorchEnv",
    "seed_everything",
    "evaluate",
    "GreedyChecks",
    "AcrobotVectorEnv",
    "device",
    "forward_seconds",
    "plot_stats",
    "plot_cost_to_go",
    "plot_max_q",
    "show_episode",
    "training_progress",
    "finish_progress",
    "save_network",
    "load_network",
    "set_language",
    "get_language",
]
