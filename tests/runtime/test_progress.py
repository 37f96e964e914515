"""finish_progress: an early stop ends with a complete bar that says why (issue 19)."""

from __future__ import annotations

import io

import pytest
from tqdm import tqdm as console_tqdm
from tqdm.notebook import tqdm as notebook_tqdm

from course_utils.progress import finish_progress


def test_console_bar_ends_complete_with_the_reason() -> None:
    bar = console_tqdm(total=100_000, desc="training", file=io.StringIO())
    bar.update(65_000)
    started = bar.start_t
    finish_progress(bar, "target reached after 65,000 steps")
    assert (bar.n, bar.total) == (65_000, 65_000)
    assert bar.desc.startswith("target reached after 65,000 steps")
    assert bar.start_t == started  # the elapsed time is not reset


def test_notebook_bar_ends_green_not_red() -> None:
    # tqdm paints a closed notebook bar red ('danger') when n < total, as after a crash.
    bar = notebook_tqdm(total=50_000, desc="training")
    bar.update(20_998)
    finish_progress(bar, "target reached after 20,998 steps")
    _, widget, _ = bar.container.children
    assert widget.max == widget.value == 20_998
    assert widget.bar_style == "success"


def test_a_bar_left_unfinished_would_be_red() -> None:  # the symptom the helper removes
    bar = notebook_tqdm(total=50_000, desc="training")
    bar.update(20_998)
    bar.close()
    assert bar.container.children[1].bar_style == "danger"


@pytest.mark.parametrize(("progress", "reason", "error"), [(None, "done", TypeError)])
def test_bad_input_names_the_argument(progress, reason, error) -> None:
    with pytest.raises(error, match="`progress`"):
        finish_progress(progress, reason)


def test_empty_reason_is_refused() -> None:
    bar = console_tqdm(total=10, file=io.StringIO())
    with pytest.raises(ValueError, match="`reason`"):
        finish_progress(bar, "")


def test_a_disabled_bar_is_closed_quietly() -> None:
    bar = console_tqdm(total=10, disable=True)
    finish_progress(bar, "done")


# --- issue 27: bars that end however the run ends, and keep no widget alive ------------------


def live_widgets() -> int:
    """How many ipywidgets are open in this process (ipywidgets 8 and 7)."""
    import ipywidgets
    from ipywidgets.widgets import widget

    instances = getattr(widget, "_instances", None)
    return len(instances if instances is not None else ipywidgets.Widget.widgets)


def test_finish_refreshes_the_postfix_a_stopped_run_left_stale() -> None:
    bar = console_tqdm(total=100, desc="training", file=io.StringIO())
    bar.set_postfix(episode=7, best_check="-117.9")
    bar.update(60)
    finish_progress(bar, "target reached after 60 steps", best_check="-100.1")
    assert str(bar).endswith("best_check=-100.1, episode=7]")  # tqdm sorts its keys


def test_a_training_bar_in_jupyter_leaves_a_still_image_and_no_widget(monkeypatch) -> None:
    import IPython.display

    from course_utils import progress

    shown = []

    class Handle:  # what display(..., display_id=True) returns in Jupyter
        def update(self, obj):
            shown.append(obj)

    monkeypatch.setattr(progress, "_bar_class", lambda: notebook_tqdm)
    monkeypatch.setattr(IPython.display, "display", lambda obj, display_id=None: Handle())
    before = live_widgets()
    bar = progress.training_progress(total=50_000)
    assert live_widgets() - before == 11  # an HBox of three widgets, their layouts and styles
    bar.update(20_998)
    finish_progress(bar, "target reached after 20,998 steps")
    assert live_widgets() == before
    (still,) = shown
    assert "target reached after 20,998 steps" in repr(still) and "20998/20998" in repr(still)
    assert '<progress value="20998" max="20998"' in still._repr_html_()


def test_training_progress_checks_its_arguments() -> None:
    from course_utils.progress import training_progress

    with pytest.raises(ValueError, match="`total` to be a positive int, got 0"):
        training_progress(0)
    with pytest.raises(TypeError, match="`desc` to be a string"):
        training_progress(10, desc=5)


# A real IPython shell: an interrupted training cell, then the cells after it.
SHELL = r"""
import json, sys, warnings
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

config = Config()
config.HistoryManager.enabled = False
shell = InteractiveShell.instance(config=config)
cells = [
    "import warnings, gymnasium as gym, torch\n"
    "from course_utils import TorchEnv, evaluate, plot_stats, training_progress, finish_progress\n"
    "from course_utils.progress import interrupted_run\n"
    "stats = {'Returns': [1.0, 2.0]}  # an earlier run's",
    "progress = training_progress(total=50_000)\nprogress.update(12_000)\nraise KeyboardInterrupt",
    "with warnings.catch_warnings(record=True) as caught:\n"
    "    warnings.simplefilter('always')\n"
    "    plot_stats(stats)\n"
    "    evaluate(TorchEnv(gym.make('CartPole-v1')), lambda s: torch.tensor([[0]]), episodes=1)\n"
    "result = {'closed': progress.disable, 'run': interrupted_run(), "
    "'desc': progress.desc, 'warnings': [str(w.message) for w in caught "
    "if 'last training run' in str(w.message)]}",
    "progress = training_progress(total=10)\nprogress.update(10)\n"
    "finish_progress(progress, 'step budget used up')\nresult['next run'] = interrupted_run()",
]
for cell in cells:
    shell.run_cell(cell, store_history=True)
print(json.dumps(shell.user_ns["result"]))
"""


def test_an_interrupted_run_closes_its_bar_and_later_cells_say_so(tmp_path) -> None:
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "IPYTHONDIR": str(tmp_path), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, "-c", SHELL], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["closed"], "the interrupted run's bar is still open"
    assert result["run"] == "training: 12,000 of 50,000 steps"
    assert result["desc"].startswith("training (stopped at step 12,000)")
    plot_warning, evaluate_warning = result["warnings"]
    assert plot_warning.startswith("plot_stats: the last training run (training: 12,000 of")
    assert "`stats` may still be an earlier run's" in plot_warning
    assert evaluate_warning.startswith("evaluate: the last training run")
    assert "only partly trained" in evaluate_warning
    assert result["next run"] is None  # a run that finishes clears it


# --- issue 30: the labels in the course's language ------------------------------------------


def test_bars_speak_the_course_language() -> None:
    from course_utils import i18n
    from course_utils.progress import (
        _stopped,
        interrupted_run,
        training_progress,
        warn_if_interrupted,
    )

    bar = training_progress(10)
    assert (bar.desc, bar.unit) == ("training", "step")
    finish_progress(bar, "done")
    i18n.set_language("ko")
    try:
        bar = training_progress(total=50_000)
        assert (bar.desc, bar.unit) == ("학습", "스텝")
        bar.update(12_000)
        _stopped(bar)  # what an interrupted cell does
        assert interrupted_run() == "학습: 50,000 스텝 중 12,000 스텝"
        assert bar.desc.startswith("학습 (12,000 스텝에서 멈춤)")
        with pytest.warns(UserWarning, match="^evaluate: 마지막 학습\\(학습: 50,000 스텝 중"):
            warn_if_interrupted("evaluate")
        bar = training_progress(total=10, desc=("ablation", "비교 실험"))
        assert bar.desc == "비교 실험" and interrupted_run() is None
        bar.update(4)
        finish_progress(bar, ("target reached after 4 steps", "4 스텝 만에 목표 도달"))
        assert bar.desc.startswith("4 스텝 만에 목표 도달")
    finally:
        i18n.set_language("en")
    bar = training_progress(total=10, desc=("ablation", "비교 실험"))
    assert bar.desc == "ablation"
    finish_progress(bar, ("done", "끝"))
    assert bar.desc.startswith("done")


@pytest.mark.parametrize("reason", [("done",), ("done", ""), ("done", 1)])
def test_a_reason_pair_must_hold_two_texts(reason) -> None:
    bar = console_tqdm(total=10, file=io.StringIO())
    with pytest.raises(ValueError, match="`reason`"):
        finish_progress(bar, reason)
