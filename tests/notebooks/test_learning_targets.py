"""The learning targets of notebooks 03 and 04 are enforced by `make test`, not only printed.

Each training notebook ends its evaluation with one cell tagged ``nbval-check-output`` that
prints whether the course's target was met. Under ``--nbval-lax`` nbval compares exactly such
cells with their stored output, so the stored ``True`` turns a notebook that still runs but
no longer learns into a failing test. These tests keep that wiring from rotting: the cell is
there, it stores ``True``, it tests the targets of the issues, and `make test` runs nbval lax.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "notebooks" / "solutions"
TAG = "nbval-check-output"

# notebook -> what its target cell must test (the issues' targets)
TARGETS = {
    "03_deep_sarsa_mountaincar.ipynb": ("success_rate >= 0.95", "eval_returns.mean() >= -120"),
    "04_deep_q_learning_cartpole.ipynb": ("solved",),
}


def target_cells(name: str) -> list:
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    return [c for c in nb.cells if c.cell_type == "code" and TAG in c.metadata.get("tags", [])]


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_training_notebook_checks_its_target_in_ci(name: str) -> None:
    cells = target_cells(name)
    assert len(cells) == 1, f"{name}: expected one cell tagged {TAG!r}, found {len(cells)}"
    cell = cells[0]
    for expression in TARGETS[name]:
        assert expression in cell.source, f"{name}: the target cell does not test {expression!r}"
    assert cell.execution_count, f"{name}: nbval skips a reference cell without execution_count"
    stdout = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
    assert stdout.rstrip().endswith(": True"), f"{name}: stored target output is {stdout!r}"


def test_make_test_runs_nbval_lax_on_the_solutions() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"--nbval-lax\b.*notebooks/solutions", makefile), (
        "make test must run nbval with --nbval-lax on notebooks/solutions, "
        "otherwise the target cells are not compared"
    )
