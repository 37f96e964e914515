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
