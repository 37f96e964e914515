"""Helpers for the deep reinforcement learning course.

The notebooks import what they need from here::

    from course_utils import ReplayMemory, TorchEnv, evaluate, plot_stats, seed_everything
    from course_utils import checks, widgets  # submodules, imported explicitly

Importing the package does nothing but define these names: no seeding, no plotting style.
"""

from course_utils.animation import show_episode
from course_utils.checkpoints import load_network, save_network
from course_utils.envs import TorchEnv
from course_utils.evaluation import evaluate, seed_everything
from course_utils.plotting import plot_cost_to_go, plot_max_q, plot_stats
from course_utils.progress import finish_progress
from course_utils.replay import ReplayMemory

__all__ = [
    "ReplayMemory",
    "TorchEnv",
    "seed_everything",
    "evaluate",
    "plot_stats",
    "plot_cost_to_go",
    "plot_max_q",
    "show_episode",
    "finish_progress",
    "save_network",
    "load_network",
]
