"""The instructor guide's lecture plan is what tools.lecture_plan computes from the notebooks,
the exercise registry and the measured cell times, and its sessions add up."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tools import lecture_plan

ROOT = Path(__file__).resolve().parents[2]


def test_the_guides_lecture_plan_is_current() -> None:
    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    assert lecture_plan.replace_block(guide, lecture_plan.build(ROOT)) == guide, (
        "docs/instructor-guide.md: the lecture plan is stale; run `python -m tools.lecture_plan`"
    )


def test_every_session_of_the_plan_leaves_time_for_questions() -> None:
    block = lecture_plan.build(ROOT)
    sessions = [part for part in block.split("; ") if "for questions" in part]
    assert sessions
    for part in sessions:
        questions = int(part.split(" min, ")[1].split(" for questions")[0])
        content = int(part.split("): ")[1].split(" min")[0])
        assert content + questions == lecture_plan.SESSION_MINUTES, part
        assert questions >= lecture_plan.QUESTION_MINUTES, part


def test_every_solution_notebook_has_measured_cell_times() -> None:
    times = json.loads((ROOT / "docs" / "lecture_plan_times.json").read_text())["notebooks"]
    for path in sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb")):
        assert path.stem in times, f"{path.stem}: python -m tools.lecture_plan measure {path.stem}"
        assert times[path.stem]["cells"], path.stem


@pytest.mark.parametrize(
    ("minutes", "groups"),
    [
        ([30, 30, 10], [[0, 1, 2]]),  # fits: one session
        ([40, 40, 40], [[0, 1], [2]]),  # fewest sessions first
        ([10, 30, 30, 30, 10], [[0, 1, 2], [3, 4]]),  # then the most even split
        ([5, 90, 5], [[0], [1], [2]]),  # a section longer than a session stands alone
        ([], []),
    ],
)
def test_split_sessions(minutes: list[int], groups: list[list[int]]) -> None:
    assert lecture_plan.split_sessions(minutes, 80) == groups


def _notebook(tmp_path: Path) -> Path:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    badges = md("[![Open In Colab](x)](y)")
    badges.metadata["tags"] = ["badges"]
    colab = code("# Colab only")
    colab.metadata["tags"] = ["colab-setup"]
    exercise = code("def f():\n    ### BEGIN SOLUTION\n    ### END SOLUTION")
    exercise.metadata["nbgrader"] = {"solution": True, "grade": False}
    check = code("checks.check_f(f)")
    check.metadata["nbgrader"] = {"solution": False, "grade": True}
    answers = md("**Answers.** one two three")
    answers.metadata["tags"] = ["solution-only"]
    stored = code("train()")
    stored.metadata["execution"] = {
        "iopub.execute_input": "2026-12-02T10:00:00.000000Z",
        "shell.execute_reply": "2026-12-02T10:00:30.000000Z",
    }
    cells = [
        md("# 09 · A test\n\nfour words of prose"),
        badges,
        colab,
        md("## Setup\n\nthree more words"),
        code("import torch"),
        md("## 1. First\n\nsome words <details>hidden hint words</details> <!-- note -->"),
        md("### Exercise 9.1 — write f (10 min)"),
        exercise,
        check,
        md("## 2. Second"),
        stored,
        md("## Summary\n\nsum up\n\n## Questions to think about\n\n1. why?"),
        answers,
    ]
    path = tmp_path / "09_test.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_read_notebook_counts_sections_words_cells_exercises_and_times(tmp_path: Path) -> None:
    path = _notebook(tmp_path)
    ids = [cell.id for cell in nbformat.read(path, as_version=4).cells]
    times = {ids[4]: 1.5, ids[8]: 0.5}  # the import and the check cell, measured
    nb = lecture_plan.read_notebook(path, {"9.1": 10}, times)
    assert nb.title == "09 · A test"
    by_key = {s.key: s for s in nb.sections}
    assert list(by_key) == ["start", "1", "2", "end"]
    start, first, second, end = by_key.values()
    # the title cell (7 words) and the setup (4): the badges and the Colab cell left out
    assert (start.words, start.cells, start.seconds) == (11, 1, 1.5)
    # hints and comments are not read aloud; exercise and check cells are the exercise's
    assert (first.words, first.cells, first.exercises) == (10, 0, {"9.1": 10})
    assert (first.exercise_minutes, first.seconds) == (12, 0.5)
    # a cell missing from the measurement counts its stored run: 30 s, doubled = 1 min
    assert (second.cells, second.seconds, second.run_minutes) == (1, 30.0, 1)
    assert nb.unmeasured == 2  # the exercise cell and the 'Second' cell
    assert end.words == 9  # the solution-only answers are left out
    assert second.minutes == 0 + 1 + 0 + 1


def test_an_exercise_missing_from_the_registry_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Exercise 9.1 is not in the registry"):
        lecture_plan.read_notebook(_notebook(tmp_path), {}, {})


def test_the_plan_replaces_only_its_block() -> None:
    guide = f"before\n{lecture_plan.BEGIN}\nold\n{lecture_plan.END}\nafter\n"
    assert lecture_plan.replace_block(guide, "new\n") == (
        f"before\n{lecture_plan.BEGIN}\n\nnew\n\n{lecture_plan.END}\nafter\n"
    )
    with pytest.raises(ValueError, match="block"):
        lecture_plan.replace_block("no markers", "new\n")
