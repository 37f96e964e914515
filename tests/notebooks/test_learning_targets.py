"""The learning targets of notebooks 03 and 04 are enforced by `make test`, not only printed.

Each training notebook ends its evaluation with one cell tagged ``nbval-check-output`` that
prints whether the course's target was met. Under ``--nbval-lax`` nbval compares exactly such
cells with their stored output, so the stored ``True`` turns a notebook that still runs but
no longer learns into a failing test. These tests keep that wiring from rotting: the cell is
there, it stores ``True``, it really tests the target (executed on made-up evaluation
returns that meet it and that miss it), and `make test` runs nbval lax.

The targets are written once, as constants in each notebook; the benchmarks read the same
constants (benchmarks/tasks.py).
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from benchmarks.tasks import TASKS
from course_utils.i18n import pick
from tools.cells import LEARNING_TARGET, has_tag, notebook_constants

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "notebooks" / "solutions"

# task -> (greedy returns that meet the course's target, returns that miss it, and why)
CASES = {
    "mountaincar": {
        "meets": [np.full(100, -105.0), np.r_[np.full(95, -110.0), np.full(5, -200.0)]],
        "misses": [
            np.r_[np.full(94, -100.0), np.full(6, -200.0)],  # flag in 94 % only
            np.full(100, -121.0),  # at the flag every time, but too slowly
        ],
    },
    "cartpole": {
        "meets": [np.full(100, 500.0), np.r_[np.full(95, 500.0), np.full(5, 0.0)]],
        "misses": [np.full(100, 474.0), np.r_[np.full(90, 500.0), np.full(10, 200.0)]],
    },
}


def target_cell(notebook: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(notebook, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code" and has_tag(c, LEARNING_TARGET)]
    assert len(cells) == 1, f"{notebook.name}: expected one cell tagged {LEARNING_TARGET!r}"
    return cells[0]


def run_target_cell(task: str, eval_returns: np.ndarray) -> str:
    """Execute the stored target cell with the notebook's constants and made-up returns."""
    notebook = TASKS[task].notebook_path
    # What the setup cell imports and the target cell uses: NumPy and the language pick.
    namespace = {
        "np": np,
        "pick": pick,
        "eval_returns": eval_returns,
        **notebook_constants(notebook),
    }
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(target_cell(notebook).source, namespace)
    return out.getvalue().strip()


@pytest.mark.parametrize("task", sorted(TASKS))
def test_target_cell_is_stored_as_met(task: str) -> None:
    cell = target_cell(TASKS[task].notebook_path)
    assert cell.execution_count, "nbval skips a reference cell without execution_count"
    stdout = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    assert stdout.rstrip().endswith(": True"), f"stored target output is {stdout!r}"


@pytest.mark.parametrize("task", sorted(CASES))
def test_target_cell_accepts_returns_that_meet_the_target(task: str) -> None:
    for returns in CASES[task]["meets"]:
        assert run_target_cell(task, returns).endswith(": True")


@pytest.mark.parametrize("task", sorted(CASES))
def test_target_cell_rejects_returns_that_miss_the_target(task: str) -> None:
    for returns in CASES[task]["misses"]:
        assert run_target_cell(task, returns).endswith(": False")


@pytest.mark.parametrize("task", sorted(CASES))
def test_benchmarks_judge_the_same_returns_alike(task: str) -> None:
    spec = TASKS[task]
    for verdict, cases in (("meets", True), ("misses", False)):
        for returns in CASES[task][verdict]:
            ours = spec.course_target(returns)
            ours = spec.solved(returns) if ours is None else ours
            assert ours is cases, f"{task}: benchmarks judge {verdict} returns as {ours}"


def test_solved_is_gymnasiums_reward_threshold() -> None:
    assert TASKS["cartpole"].solved_threshold == 475.0
    assert TASKS["mountaincar"].solved_threshold == -110.0
    assert notebook_constants(TASKS["cartpole"].notebook_path)["SOLVED_RETURN"] == 475.0


# Notebook 06's target is relative: the greedy MinAtar agent's mean score over the held-out
# seeds at least TARGET_RATIO times the random policy's on the same seeds.
BEYOND = SOLUTIONS / "06_beyond_dqn.ipynb"
BEYOND_CASES = {
    True: [(np.full(10, 12.0), np.full(10, 0.3)), (np.r_[np.full(9, 3.0), 0.0], np.full(10, 0.8))],
    False: [(np.full(10, 2.0), np.full(10, 0.9)), (np.full(10, 20.0), np.full(10, 7.0))],
}


def test_beyond_target_cell_is_stored_as_met() -> None:
    cell = target_cell(BEYOND)
    assert cell.execution_count, "nbval skips a reference cell without execution_count"
    stdout = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    assert stdout.rstrip().endswith(": True"), f"stored target output is {stdout!r}"


@pytest.mark.parametrize("met", [True, False])
def test_beyond_target_cell_judges_scores(met: bool) -> None:
    for greedy, random in BEYOND_CASES[met]:
        namespace = {"greedy_scores": greedy, "random_scores": random, **notebook_constants(BEYOND)}
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(target_cell(BEYOND).source, namespace)
        assert out.getvalue().strip().endswith(f": {met}"), (greedy.mean(), random.mean())


def test_make_test_runs_nbval_lax_on_the_solutions() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"--nbval-lax\b.*notebooks/solutions", makefile), (
        "make test must run nbval with --nbval-lax on notebooks/solutions, "
        "otherwise the target cells are not compared"
    )
