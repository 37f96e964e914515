"""The committed student notebooks against their complete notebooks in notebooks/solutions/.

- each student notebook is exactly what ``make sync`` writes now (no drift);
- no solution code or marker reaches a student notebook;
- every exercise is numbered after its notebook and followed by a check cell;
- every student code cell parses;
- run from the top, a student notebook stops at its *first* exercise, with that exercise's
  "not implemented" error, not with a NameError further down (slow: runs a kernel).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager
from nbclient.exceptions import CellExecutionError
from nbformat import NotebookNode

from course_utils import checks
from tools import student_notebooks as authoring
from tools.cells import SOLUTION_ONLY, has_tag
from tools.run_notebooks import WidgetSafeNotebookClient as NotebookClient

ROOT = Path(__file__).resolve().parents[2]
STUDENT_DIR = ROOT / "notebooks"
SOLUTION_DIR = STUDENT_DIR / "solutions"
SOURCES = authoring.solution_notebooks(SOLUTION_DIR)
CHECK_CALL = re.compile(r"\bchecks\.(check_\w+)\(\s*(\w+)?")

NOTEBOOKS = [pytest.param(path, id=path.stem) for path in SOURCES] or [
    pytest.param(
        None,
        marks=pytest.mark.skip(reason=f"no NN_*.ipynb complete notebooks in {SOLUTION_DIR} yet"),
        id="no-notebooks",
    )
]


def read(path: Path) -> NotebookNode:
    return nbformat.read(path, as_version=4)


def student_of(source: Path) -> Path:
    return STUDENT_DIR / source.name


def test_student_notebooks_are_what_the_generator_writes() -> None:
    """The generator's own drift check (part of `make sync-check`): no stale, missing or orphan
    student notebook."""
    problems = authoring.check(SOLUTION_DIR, STUDENT_DIR)
    assert not problems, "\n".join([*problems, "run `make sync`"])


@pytest.mark.parametrize("source", NOTEBOOKS)
def test_no_solution_reaches_the_student(source: Path) -> None:
    target = student_of(source)
    if not target.exists():
        pytest.skip(f"{target} not generated yet (the drift test reports it)")
    text = target.read_text(encoding="utf-8")
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    complete, student = read(source), read(target)
    by_id = {cell.id: cell for cell in student.cells}
    for cell in complete.cells:
        if has_tag(cell, SOLUTION_ONLY):
            assert cell.id not in by_id, f"solution-only cell {cell.id} reached the student"
    for region in authoring.find_regions(complete, source.name):
        # A region line may appear in the student cell only where the author also wrote it
        # outside the region (e.g. a shared `return`).
        outside = {line.strip() for line in student_source_lines(complete.cells[region.cell_index])}
        shown = {line.strip() for line in by_id[region.cell_id].source.split("\n")}
        leaked = [
            line.strip()
            for line in region.lines
            if line.strip() and line.strip() in shown and line.strip() not in outside
        ]
        assert not leaked, f"Exercise {region.exercise}: solution lines in {target}: {leaked}"


def student_source_lines(cell: NotebookNode) -> list[str]:
    """The lines of a complete cell outside its solution regions (markers excluded)."""
    lines, inside = [], False
    for line in cell.source.split("\n"):
        if line.strip() in (authoring.BEGIN_SOLUTION, authoring.END_SOLUTION):
            inside = line.strip() == authoring.BEGIN_SOLUTION
        elif not inside:
            lines.append(line)
    return lines


@pytest.mark.parametrize("source", NOTEBOOKS)
def test_every_exercise_is_numbered_and_checked(source: Path) -> None:
    nb = read(source)
    number = int(source.name[:2])
    for region in authoring.find_regions(nb, source.name):
        assert int(region.exercise.split(".")[0]) == number, (
            f"{source.name}: Exercise {region.exercise} should be numbered {number}.M"
        )
        defined = set(re.findall(r"^def (\w+)\(", nb.cells[region.cell_index].source, re.M))
        later = [
            match
            for cell in nb.cells[region.cell_index + 1 :]
            if cell.cell_type == "code"
            for match in CHECK_CALL.finditer(cell.source)
        ]
        assert later, f"{source.name}: Exercise {region.exercise} has no later `checks.check_...`"
        for name, _ in ((m[1], m[2]) for m in later):
            assert name in checks.__all__, f"{source.name}: checks.{name} does not exist"
        if defined:
            checked = {m[2] for m in later}
            assert defined & checked, (
                f"{source.name}: Exercise {region.exercise} defines {sorted(defined)}, but no "
                "later check cell passes it to a check"
            )


@pytest.mark.parametrize("source", NOTEBOOKS)
def test_student_code_cells_parse(source: Path) -> None:
    target = student_of(source)
    if not target.exists():
        pytest.skip(f"{target} not generated yet (the drift test reports it)")
    transform = TransformerManager().transform_cell
    for index, cell in enumerate(read(target).cells):
        if cell.cell_type == "code":
            try:
                compile(transform(cell.source), f"{target.name} cell {index}", "exec")
            except SyntaxError as error:
                pytest.fail(f"{target.name}, cell {index} ({cell.id}) does not parse: {error}")


@pytest.mark.slow
@pytest.mark.parametrize("source", NOTEBOOKS)
def test_student_notebook_stops_at_its_first_exercise(
    source: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = student_of(source)
    if not target.exists():
        pytest.skip(f"{target} not generated yet (the drift test reports it)")
    regions = authoring.find_regions(read(source), source.name)
    if not regions:
        pytest.skip(f"{source.name} has no exercises")
    first = regions[0]
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("MPLBACKEND", "agg")
    nb = read(target)
    client = NotebookClient(
        nb,
        kernel_name="python3",  # jupyter_client starts it with this interpreter (sys.executable)
        timeout=600,
        resources={"metadata": {"path": str(STUDENT_DIR)}},
    )
    with pytest.raises(CellExecutionError) as stopped:
        client.execute()
    error = stopped.value
    assert error.ename in ("NotImplementedError", "ExerciseFailure"), (
        f"{target.name} stopped with {error.ename}: {error.evalue}, not at Exercise {first.exercise}"
    )
    assert f"Exercise {first.exercise}:" in error.evalue, (
        f"{target.name} stopped at {error.evalue!r}, expected Exercise {first.exercise}"
    )
