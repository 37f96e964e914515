"""The exercise registry, course_utils/exercises.toml (tools/exercises.py), against the
notebooks, the check modules, the runtime and the grading points that read it."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import checks
from course_utils.checks import _guard
from tools import exercises as registry
from tools import grading

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "notebooks" / "solutions"
TABLE = registry.load()


def test_the_registry_agrees_with_the_notebooks_and_the_checks() -> None:
    """Every exercise cell has an entry, every entry its cell, heading time, check call,
    check module and catalogue file."""
    found = registry.problems(TABLE)
    assert not found, "\n".join(found)


def test_the_runtime_numbers_each_check_from_the_registry() -> None:
    assert {f"check_{name}": number for name, number in _guard.EXERCISES.items()} == {
        e.check: e.number for e in TABLE.values()
    }


def test_every_registered_check_is_exported() -> None:
    for exercise in TABLE.values():
        assert exercise.check in checks.__all__, f"{exercise.number}: {exercise.check}"
        assert (
            getattr(checks, exercise.check).__module__ == f"course_utils.checks.{exercise.module}"
        )


def test_grading_points_come_from_the_registry() -> None:
    points = grading.load_points()
    assert {k: v for k, v in points.items() if k != "default"} == {
        e.number: e.points for e in TABLE.values()
    }
    assert all(e.points > 0 and e.minutes > 0 for e in TABLE.values())


def test_stamped_points_are_the_registry_s(tmp_path: Path) -> None:
    for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy(path, tmp_path / path.name)
    grading.stamp_folder(tmp_path)
    seen: set[str] = set()
    for path in sorted(tmp_path.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for exercise in grading.exercises(nb, {}, path.name):
            stamped = sum(nb.cells[i].metadata["nbgrader"]["points"] for i in exercise.check_cells)
            assert stamped == sum(TABLE[n].points for n in exercise.numbers), exercise
            seen |= set(exercise.numbers)
    assert seen == set(TABLE)


# --------------------------------------------------------------------------- disagreements


def _course(tmp_path: Path, heading: str = "### Exercise 1.1 — double it (5 min)") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(heading, id="h"),
        nbformat.v4.new_code_cell(
            "def f(x):\n    # Exercise 1.1: double x\n    ### BEGIN SOLUTION\n    return 2 * x\n"
            "    ### END SOLUTION",
            id="f",
        ),
        nbformat.v4.new_code_cell("checks.check_f(f)", id="check-f"),
    ]
    src = tmp_path / "solutions"
    src.mkdir()
    nbformat.write(nb, src / "01_x.ipynb")
    checks_dir = tmp_path / "checks"
    (checks_dir / "_eo").mkdir(parents=True)
    (checks_dir / "mod.py").write_text("def check_f(f):\n    pass\n")
    (checks_dir / "_eo" / "mod.py").write_text("EO = {}\n")
    return tmp_path


def _table(tmp_path: Path, text: str) -> dict[str, registry.Exercise]:
    path = tmp_path / "exercises.toml"
    path.write_text(text, encoding="utf-8")
    return registry.load(path)


ENTRY = '[exercise."1.1"]\nnotebook = "01_x"\ncheck = "check_f"\nmodule = "mod"\npoints = 1\nminutes = 5\n'


def _problems(course: Path, table: dict[str, registry.Exercise]) -> list[str]:
    return registry.problems(table, course / "solutions", course / "checks", ("_eo",))


def test_a_matching_course_has_no_problem(tmp_path: Path) -> None:
    course = _course(tmp_path)
    assert _problems(course, _table(tmp_path, ENTRY)) == []


@pytest.mark.parametrize(
    ("entry", "heading", "fragment"),
    [
        ("", None, "Exercise 1.1 has no entry in"),
        (
            ENTRY + ENTRY.replace("1.1", "1.2"),
            None,
            "exercise 1.2: 01_x.ipynb has no '# Exercise 1.2",
        ),
        (ENTRY.replace('"01_x"', '"02_y"'), None, "no notebook"),
        (ENTRY.replace("minutes = 5", "minutes = 10"), None, "heading says (5 min)"),
        (ENTRY, "### Exercise 1.1: double it", "has no heading"),
        (ENTRY.replace('"check_f"', '"check_g"'), None, "does not call checks.check_g"),
        (ENTRY.replace('"mod"', '"other"'), None, "check_f is not defined in"),
    ],
    ids=[
        "cell-without-entry",
        "entry-without-cell",
        "notebook",
        "minutes",
        "heading",
        "check",
        "module",
    ],
)
def test_each_disagreement_is_reported(
    tmp_path: Path, entry: str, heading: str | None, fragment: str
) -> None:
    course = _course(tmp_path, *([heading] if heading else []))
    found = _problems(course, _table(tmp_path, entry))
    assert any(fragment in problem for problem in found), found


def test_a_missing_catalogue_file_is_reported(tmp_path: Path) -> None:
    course = _course(tmp_path)
    (course / "checks" / "_eo" / "mod.py").unlink()
    found = _problems(course, _table(tmp_path, ENTRY))
    assert any("no catalogue" in problem for problem in found), found


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (ENTRY.replace("1.1", "one"), "not an exercise number"),
        (ENTRY.replace("points = 1\n", ""), "missing ['points']"),
        (ENTRY + "weight = 2\n", "unknown ['weight']"),
        (ENTRY.replace("points = 1", 'points = "1"'), "points must be"),
        (ENTRY.replace('"check_f"', '"f"'), "check_<name>"),
        (ENTRY.replace('"01_x"', '"notebooks/01_x.ipynb"'), "no folder, no .ipynb"),
        ("[points]\n", "unknown top-level keys"),
    ],
)
def test_a_malformed_registry_is_refused(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(registry.RegistryError) as refused:
        _table(tmp_path, text)
    assert fragment in str(refused.value)


def test_numbers_sort_as_numbers(tmp_path: Path) -> None:
    text = ENTRY.replace("1.1", "1.10") + ENTRY.replace("1.1", "1.9")
    assert list(_table(tmp_path, text)) == ["1.9", "1.10"]


def test_the_command_line_checks(capsys: pytest.CaptureFixture[str]) -> None:
    assert registry.main(["--check"]) == 0
    assert f"({len(TABLE)} exercises)" in capsys.readouterr().out
    assert registry.main([]) == 0
    assert "check_replay_memory" in capsys.readouterr().out
