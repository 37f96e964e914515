"""Progress bars that end the way training ended.

A training loop that stops early (its target reached) leaves a tqdm bar at, say, 52 % of
its step budget, and in Jupyter tqdm paints an unfinished bar red, as if training had
crashed. :func:`finish_progress` closes the bar as complete at the step training reached,
labelled with the reason it stopped.

Example:
    >>> import io
    >>> from tqdm.auto import tqdm
    >>> bar = tqdm(total=50_000, desc="training", file=io.StringIO())
    >>> _ = bar.update(20_998)
    >>> finish_progress(bar, "target reached after 20,998 steps")
    >>> bar.n, bar.total
    (20998, 20998)
"""

from __future__ import annotations

from tqdm.std import tqdm  # the base class of tqdm.auto's console and notebook bars

__all__ = ["finish_progress"]


def finish_progress(progress: tqdm, reason: str) -> None:
    """Close ``progress`` as complete at the steps it counted, with ``reason`` as its label.

    The elapsed time is kept; the total becomes the count reached, so the bar ends full
    (green in Jupyter) whether training used its whole budget or stopped early.
    """
    if not isinstance(progress, tqdm):
        raise TypeError(f"Expected `progress` to be a tqdm progress bar, got {progress!r}")
    if not isinstance(reason, str) or not reason:
        raise ValueError(f"Expected `reason` to be a non-empty string, got {reason!r}")
    if progress.disable:  # a disabled bar counts and shows nothing
        progress.close()
        return
    started, steps = progress.start_t, progress.n
    progress.reset(total=steps)  # in Jupyter this also sets the widget's maximum
    progress.start_t = started
    progress.update(steps)
    progress.set_description(reason, refresh=False)
    progress.close()
