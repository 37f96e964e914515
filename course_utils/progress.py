"""Progress bars that end the way training ended.

A training loop that stops early (its target reached) leaves a tqdm bar at, say, 52 % of
its step budget, and in Jupyter tqdm paints an unfinished bar red, as if training had
crashed. :func:`finish_progress` closes the bar as complete at the step training reached,
labelled with the reason it stopped.

A bar made by :func:`training_progress` also ends well when the run does not: if the cell
is interrupted (or raises), the bar is closed and labelled with the step it stopped at, and
until the next run :func:`~course_utils.evaluate` and :func:`~course_utils.plot_stats` warn
that the network is only partly trained and that ``stats`` may be an earlier run's. In
Jupyter the bar is a few widgets; once the run has ended they are replaced by a still image
of the bar, so a kernel keeps no widget alive per run.

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

import html
import warnings
from typing import Any

from tqdm.std import tqdm  # the base class of tqdm.auto's console and notebook bars

from course_utils._validation import positive_int
from course_utils.i18n import Text, label, pick

__all__ = ["training_progress", "finish_progress", "interrupted_run", "warn_if_interrupted"]


class _Runs:
    """The bar of the training run in progress, and how the last one ended."""

    bar: tqdm | None = None  # made by training_progress, not yet finished
    display: Any = None  # the Jupyter display holding `bar`'s widgets
    interrupted: str | None = None  # "training: 12,000 of 50,000 steps", until the next run
    shells: set[int] = set()  # the IPython shells whose cells are watched


def _bar_class() -> type[tqdm]:
    from tqdm.auto import tqdm as auto_tqdm  # the widget bar in Jupyter, text elsewhere

    return auto_tqdm


def _is_widget_bar(bar: tqdm) -> bool:
    return hasattr(bar, "container")  # tqdm.notebook's bar: an HBox of three widgets


def training_progress(total: int, desc: Text | None = None) -> tqdm:
    """A progress bar over the ``total`` steps of a training run (``tqdm.auto``'s bar).

    ``desc``, its label, is "training" ("학습" in Korean) by default; a str, or an
    ``(English, Korean)`` pair shown in the language of :func:`course_utils.set_language`.

    Count steps with ``progress.update(...)``; end it with :func:`finish_progress`. If the
    run stops before (an interrupt, an error), the bar is closed at the step reached and
    :func:`~course_utils.evaluate` and :func:`~course_utils.plot_stats` warn until the next
    run that the statistics and the network may be from different runs.

    Example:
        >>> progress = training_progress(total=1_000)
        >>> _ = progress.update(250)
        >>> finish_progress(progress, "target reached after 250 steps")
        >>> progress.n, progress.total, interrupted_run()
        (250, 250, None)
    """
    positive_int(total, "total")
    if desc is None:
        desc = label("training")
    if not isinstance(desc, str | tuple):
        raise TypeError(
            f"Expected `desc` to be a string or an (English, Korean) pair of them, got {desc!r}"
        )
    desc = pick(desc, "desc")
    if _Runs.bar is not None:  # the previous run ended without a word (no IPython to say)
        _stopped(_Runs.bar)
    cls = _bar_class()
    options: dict[str, Any] = {"desc": desc, "unit": label("step"), "mininterval": 1.0}
    widget = any(base.__module__ == "tqdm.notebook" for base in cls.__mro__)
    bar = cls(total=total, display=False, **options) if widget else cls(total=total, **options)
    _Runs.bar, _Runs.display, _Runs.interrupted = bar, None, None
    if _is_widget_bar(bar):
        from IPython.display import display

        _Runs.display = display(bar.container, display_id=True)
    _watch_cells()
    return bar


def finish_progress(progress: tqdm, reason: Text, **postfix: Any) -> None:
    """Close ``progress`` as complete at the steps it counted, with ``reason`` as its label.

    ``reason`` is a str, or an ``(English, Korean)`` pair shown in the course's language.

    The elapsed time is kept; the total becomes the count reached, so the bar ends full
    (green in Jupyter) whether training used its whole budget or stopped early. ``postfix``
    (``best_check="-100.1"``) updates the values shown after the bar, so that a run that
    stopped between two updates does not end showing stale ones.
    """
    if not isinstance(progress, tqdm):
        raise TypeError(f"Expected `progress` to be a tqdm progress bar, got {progress!r}")
    if isinstance(reason, tuple) and all(isinstance(part, str) and part for part in reason):
        reason = pick(reason, "reason")
    if not isinstance(reason, str) or not reason:
        raise ValueError(
            f"Expected `reason` to be a non-empty string or an (English, Korean) pair of them, "
            f"got {reason!r}"
        )
    if progress.disable:  # a disabled bar counts and shows nothing
        progress.close()
        return
    if postfix:
        shown = dict(
            item.split("=", 1) for item in (progress.postfix or "").split(", ") if "=" in item
        )
        progress.set_postfix({**shown, **{key: str(value) for key, value in postfix.items()}})
    started, steps = progress.start_t, progress.n
    progress.reset(total=steps)  # in Jupyter this also sets the widget's maximum
    progress.start_t = started
    progress.update(steps)
    progress.set_description(reason, refresh=False)
    progress.close()
    if progress is _Runs.bar:
        _release(progress)


def interrupted_run() -> str | None:
    """``"training: 12,000 of 50,000 steps"`` if the last training run stopped before its end.

    ``None`` once a new run has started, or if none was interrupted.
    """
    return _Runs.interrupted


def warn_if_interrupted(where: str) -> None:
    """Warns, from ``where`` (a function's name), if the last training run was interrupted."""
    if _Runs.interrupted is None:
        return
    warnings.warn(
        label(
            "{where}: the last training run ({run}) stopped before its end (interrupted, or an "
            "error): the network is only partly trained, and `stats` may still be an earlier "
            "run's, since the training function never returned. Run the training cell to its "
            "end first."
        ).format(where=where, run=_Runs.interrupted),
        UserWarning,
        stacklevel=3,
    )


def _stopped(bar: tqdm) -> None:
    """Closes the bar of a run that ended before finish_progress, and remembers it."""
    total = f"{bar.total:,}" if bar.total else "?"
    desc = bar.desc or label("training")
    _Runs.interrupted = label("{desc}: {step} of {total} steps").format(
        desc=desc, step=f"{bar.n:,}", total=total
    )
    if not bar.disable:
        stopped = label("{desc} (stopped at step {step})").format(desc=desc, step=f"{bar.n:,}")
        bar.set_description(stopped, refresh=False)
    bar.close()
    _release(bar)


def _after_cell(result: Any) -> None:
    """IPython's post_run_cell event: a cell that raised leaves no training bar open."""
    bar = _Runs.bar
    failed = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
    if bar is not None and failed is not None:
        _stopped(bar)


def _watch_cells() -> None:
    """Has IPython call _after_cell after each cell (once per shell; nothing outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or id(shell) in _Runs.shells:
        return
    shell.events.register("post_run_cell", _after_cell)
    _Runs.shells.add(id(shell))


class _StillBar:
    """The last state of a widget bar, as HTML (Jupyter) and text (elsewhere, saved files)."""

    def __init__(self, bar: tqdm) -> None:
        form = dict(bar.format_dict)
        form["bar_format"] = (form.get("bar_format") or "{l_bar}<bar/>{r_bar}").replace(
            "{bar}", "<bar/>"
        )
        left, _, right = bar.format_meter(**form).partition("<bar/>")
        self.left, self.right = left.strip(), right.strip()
        self.text = str(bar)
        self.value, self.total = bar.n, bar.total or bar.n or 1

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return (
            '<div style="display:flex;align-items:center;gap:0.5em">'
            f"<span>{html.escape(self.left)}</span>"
            f'<progress value="{self.value}" max="{self.total}" style="width:40%"></progress>'
            f"<span>{html.escape(self.right)}</span></div>"
        )


def _release(bar: tqdm) -> None:
    """Ends ``bar``'s run; a widget bar is replaced by its still image and its widgets closed."""
    display, _Runs.bar, _Runs.display = _Runs.display, None, None
    if not _is_widget_bar(bar):
        return
    if display is not None:
        display.update(_StillBar(bar))
    _close_widgets(bar.container)


def _close_widgets(widget: Any, seen: set[int] | None = None) -> None:
    """Closes ``widget`` and every widget it holds (children, layout, style)."""
    from ipywidgets import Widget

    seen = set() if seen is None else seen
    if id(widget) in seen:
        return
    seen.add(id(widget))
    for name in widget.keys:
        value = getattr(widget, name, None)
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, Widget):
                _close_widgets(item, seen)
    widget.close()
