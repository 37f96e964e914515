"""An episode rendered as an inline HTML animation (matplotlib's ``to_jshtml``, no ffmpeg).

Its caption is in the language of :func:`course_utils.set_language`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import gymnasium as gym
import numpy as np
import torch

from course_utils._validation import positive_int, seed_int
from course_utils.envs import TorchEnv
from course_utils.i18n import label
from course_utils.plotting import new_figure

if TYPE_CHECKING:
    from IPython.display import HTML

__all__ = ["show_episode"]


@contextmanager
def _sdl_video_driver() -> Iterator[None]:
    """Lets pygame, which draws gymnasium's classic-control frames, start without a screen.

    pygame starts SDL's video system even to draw off-screen, and an SDL build that finds
    no display and no ``SDL_VIDEODRIVER`` may refuse ("No available video device"). Where
    the caller chose no driver, this names SDL's ``dummy`` one while the episode is
    recorded, then removes it again: nothing outlives the call.
    """
    chosen = "SDL_VIDEODRIVER" in os.environ
    if not chosen:
        os.environ["SDL_VIDEODRIVER"] = "dummy"
    try:
        yield
    finally:
        if not chosen:
            os.environ.pop("SDL_VIDEODRIVER", None)


def _record(
    env: TorchEnv,
    policy: Callable[[torch.Tensor], torch.Tensor] | None,
    seed: int,
    max_frames: int,
) -> tuple[list[np.ndarray], float, int]:
    """Plays one episode; keeps at most ``2 * max_frames`` evenly spaced, half-size frames."""
    state, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    frames: list[np.ndarray] = []
    stride, steps, episode_return, done = 1, 0, 0.0, False
    with torch.no_grad():
        while not done:
            if steps % stride == 0:  # render only the frames we may keep
                frames.append(env.render()[::2, ::2].copy())  # every 2nd pixel: 4x smaller
                if len(frames) == 2 * max_frames:
                    frames, stride = frames[::2], 2 * stride
            action = env.action_space.sample() if policy is None else policy(state)
            state, reward, terminated, truncated, _ = env.step(action)
            episode_return += reward.item()
            steps += 1
            done = terminated.item() or truncated.item()
    frames.append(env.render()[::2, ::2].copy())  # the final state
    keep = np.unique(np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round())
    return [frames[int(i)] for i in keep], episode_return, steps


def show_episode(
    env_id: str,
    policy: Callable[[torch.Tensor], torch.Tensor] | None = None,
    seed: int = 0,
    max_frames: int = 60,
    fps: int = 15,
) -> HTML:
    """Plays one episode of ``env_id`` and returns it as an HTML animation for Jupyter.

    The episode is rendered off-screen; at most ``max_frames`` evenly spaced frames, at half
    resolution, go into the animation, so a notebook that stores it stays small (a few
    hundred kB).

    Args:
        env_id: a gymnasium id, e.g. ``"CartPole-v1"``.
        policy: maps a ``(1, D)`` state tensor to a ``(1, 1)`` action; ``None`` acts at random.
        seed: seeds the episode's start (and the random actions).
        max_frames: the most frames in the animation.
        fps: frames per second of the animation.

    Example:
        >>> html = show_episode("CartPole-v1", seed=0, max_frames=5)
        >>> "<script" in html.data
        True
    """
    if not isinstance(env_id, str):
        raise TypeError(
            f"Expected `env_id` to be a gymnasium id such as 'CartPole-v1', got {env_id!r}"
        )
    if policy is not None and not callable(policy):
        raise TypeError(
            f"Expected `policy` to be callable, state -> action, or None, got {policy!r}"
        )
    positive_int(max_frames, "max_frames")
    positive_int(fps, "fps")
    seed_int(seed, "seed")

    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    with _sdl_video_driver():
        env = TorchEnv(gym.make(env_id, render_mode="rgb_array"))
        try:
            frames, episode_return, steps = _record(env, policy, seed, max_frames)
        finally:
            env.close()  # also shuts pygame's display down, so SDL forgets the driver

    height, width = frames[0].shape[:2]
    dpi = 100
    fig = new_figure(figsize=(width / dpi, height / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    image = ax.imshow(frames[0], interpolation="nearest")
    caption = label("{env_id}: {steps} steps, return {ret}").format(
        env_id=env_id, steps=steps, ret=f"{episode_return:g}"
    )
    ax.text(0.01, 0.98, caption, transform=ax.transAxes, va="top", fontsize=8)

    def draw(i: int) -> list:
        image.set_data(frames[i])
        return [image]

    animation = FuncAnimation(fig, draw, frames=len(frames), interval=1000 / fps, blit=False)
    return HTML(animation.to_jshtml(fps=fps, default_mode="once"))
