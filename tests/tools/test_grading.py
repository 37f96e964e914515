"""tools.grading: nbgrader metadata, the course directory, and the real nbgrader round trip.

The unit tests use small hand-made notebooks. The round trip (marked slow, run by
`make test`, which installs the `grading` extra) lays out a course directory from the
solution notebooks, runs `nbgrader generate_assignment` on every notebook, then
`nbgrader autograde` on three submissions of the shortest notebook with two or more
exercises, and reads the scores from nbgrader's gradebook.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import grading
from tools.grading import GradingError, exercises, stamp_notebook
from tools.student_notebooks import solution_notebooks

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "notebooks" / "solutions"
RESULTS = REPO / "benchmarks" / "results.json"
POINTS = {"default": 1, "1.1": 2, "1.2": 3}


def code(source: str, cell_id: str, **kwargs) -> NotebookNode:
    return new_code_cell(source, id=cell_id, **kwargs)


def exercise(number: str, name: str) -> str:
    return (
        f"def {name}(x):\n    # Exercise {number}: return x doubled\n"
        f"    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"
    )


def course_notebook(*cells: NotebookNode) -> NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = [new_markdown_cell("# Title", id="title"), *cells]
    return nb


def two_exercises() -> NotebookNode:
    return course_notebook(
        code("from course_utils import checks", "setup"),
        code(exercise("1.1", "f"), "ex1"),
        code("checks.check_f(f)", "check1"),
        new_markdown_cell("Between the exercises.", id="prose"),
        code(exercise("1.2", "g"), "ex2"),
        code("print('a plain cell')", "plain"),
        code("checks.check_g(g)  # the check", "check2"),
    )


def nbgrader_of(nb: NotebookNode, cell_id: str) -> dict | None:
    return next(c for c in nb.cells if c.id == cell_id).metadata.get("nbgrader")


# --- stamping -------------------------------------------------------------------------


def test_exercise_cells_become_autograded_answers_and_checks_autograder_tests() -> None:
    nb = two_exercises()
    assert stamp_notebook(nb, POINTS)
    assert nbgrader_of(nb, "ex1") == {
        "grade": False,
        "grade_id": "exercise_1_1",
        "locked": False,
        "schema_version": 3,
        "solution": True,
    }
    assert nbgrader_of(nb, "check2") == {
        "grade": True,
        "grade_id": "check_1_2",
        "locked": True,
        "points": 3,
        "schema_version": 3,
        "solution": False,
    }
    assert nbgrader_of(nb, "check1")["points"] == 2
    for other in ("title", "setup", "prose", "plain"):
        assert nbgrader_of(nb, other) is None


def test_stamping_is_idempotent_and_removes_stale_metadata() -> None:
    nb = two_exercises()
    stamp_notebook(nb, POINTS)
    assert not stamp_notebook(nb, POINTS)
    # The exercise 1.2 stops being one: its cells lose their metadata on the next stamp.
    nb.cells[5].source = "def g(x):\n    return 2 * x"
    nb.cells[7].source = "print(g(1))"
    assert stamp_notebook(nb, POINTS)
    assert nbgrader_of(nb, "ex2") is None and nbgrader_of(nb, "check2") is None


def test_points_default_when_the_table_does_not_list_an_exercise() -> None:
    nb = two_exercises()
    stamp_notebook(nb, {"default": 4, "1.1": 2})
    assert nbgrader_of(nb, "check2")["points"] == 4


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # several checks after one exercise share its points
        ([code(exercise("1.2", "g"), "ex"), code("checks.check_g(g)", "a"), code("checks.check_h(g)", "b")],
         {"a": ("check_1_2", 1.5), "b": ("check_1_2_b", 1.5)}),
        # one cell with two exercises and two checks: one exercise per check, in order
        ([code(exercise("1.1", "f") + "\n" + exercise("1.2", "g"), "ex"),
          code("checks.check_f(f)", "a"), code("checks.check_g(g)", "b")],
         {"ex": ("exercise_1_1-1_2", None), "a": ("check_1_1-1_2", 2), "b": ("check_1_1-1_2_b", 3)}),
    ],
)  # fmt: skip
def test_points_are_shared_among_check_cells(cells, expected) -> None:
    nb = course_notebook(*cells)
    stamp_notebook(nb, POINTS)
    for cell_id, (grade_id, points) in expected.items():
        meta = nbgrader_of(nb, cell_id)
        assert meta["grade_id"] == grade_id
        assert meta.get("points") == points


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([code(exercise("1.1", "f"), "ex"), code("print(f(1))", "use")], "no check cell"),
        ([code("checks.check_f(lambda x: x)", "early"), code(exercise("1.1", "f"), "ex")],
         "before any exercise"),
        ([code("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION", "ex")],
         "exercise text"),
    ],
)  # fmt: skip
def test_notebooks_that_cannot_be_graded_are_errors(cells, message) -> None:
    with pytest.raises(GradingError, match=message):
        stamp_notebook(course_notebook(*cells), POINTS)


def test_solution_only_cells_get_no_metadata_and_stay_out_of_the_source() -> None:
    answer = new_markdown_cell(
        "The answer is 42.", id="answer", metadata={"tags": ["solution-only"]}
    )
    demo = code("checks.check_f(f)", "demo", metadata={"tags": ["solution-only"]})
    nb = two_exercises()
    nb.cells += [answer, demo]
    stamp_notebook(nb, POINTS)
    assert nbgrader_of(nb, "answer") is None and nbgrader_of(nb, "demo") is None
    source = grading.source_notebook(nb, POINTS, "nb")
    assert {c.id for c in source.cells} == {c.id for c in nb.cells} - {"answer", "demo"}
    # Metadata smuggled onto a solution-only cell is reported, then removed by stamping.
    answer.metadata["nbgrader"] = {"grade": True, "solution": True, "locked": False}
    assert any("solution-only" in p for p in grading._problems(nb, POINTS, "nb"))
    assert stamp_notebook(nb, POINTS) and "nbgrader" not in answer.metadata


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    nbformat.write(two_exercises(), tmp_path / "01_two.ipynb")
    (tmp_path / "points.toml").write_text('default = 1\n[points]\n"1.2" = 3\n')
    return tmp_path


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m tools.grading ARGS`, run in this process (a new interpreter per call cost
    1.5 s each; tests/tools/test_grade.py runs the real command once)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = grading.main(list(args))
        except SystemExit as exit_:  # argparse's usage errors
            code = exit_.code if isinstance(exit_.code, int) else 2
    return subprocess.CompletedProcess(
        ["python", "-m", "tools.grading", *args], code, out.getvalue(), err.getvalue()
    )


def test_command_line_stamp_and_check(folder: Path) -> None:
    points = ["--points", str(folder / "points.toml")]
    missing = run_cli("stamp", "--check", str(folder), *points)
    assert missing.returncode == 1 and "no nbgrader metadata (wants exercise_1_1)" in missing.stderr
    assert run_cli("stamp", str(folder), *points).returncode == 0
    before = (folder / "01_two.ipynb").read_bytes()
    assert run_cli("stamp", "--check", str(folder), *points).returncode == 0
    assert run_cli("stamp", str(folder), *points).returncode == 0
    assert (folder / "01_two.ipynb").read_bytes() == before  # idempotent, byte for byte
    # Changing the table makes the stamped points stale.
    (folder / "points.toml").write_text('default = 1\n[points]\n"1.2" = 5\n')
    stale = run_cli("stamp", "--check", str(folder), *points)
    assert stale.returncode == 1 and "'points': (3, 5)" in stale.stderr


def test_a_points_entry_without_its_exercise_fails_the_check(folder: Path) -> None:
    table = folder / "points.toml"
    table.write_text('default = 1\n[points]\n"7.3" = 2\n')
    stamped = run_cli("stamp", str(folder), "--points", str(table))
    assert stamped.returncode == 0 and "warning: points.toml gives points" in stamped.stdout
    checked = run_cli("stamp", "--check", str(folder), "--points", str(table))
    assert checked.returncode == 1 and "7.3 (renumbered?" in checked.stderr


def test_the_points_table_is_well_formed() -> None:
    table = grading.load_points()
    assert table["default"] > 0
    assert all(value > 0 for value in table.values())


# --- the course's own notebooks -------------------------------------------------------


def stamped_copies(tmp_path: Path) -> Path:
    for path in solution_notebooks(SOLUTIONS):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    grading.stamp_folder(tmp_path)
    return tmp_path


def test_every_solution_notebook_stamps_into_valid_nbgrader_metadata(tmp_path: Path) -> None:
    validator = pytest.importorskip("nbgrader.nbgraderformat").MetadataValidator()
    copies = stamped_copies(tmp_path)
    assert grading.check_folder(copies) == []
    for path in solution_notebooks(copies):
        nb = nbformat.read(path, as_version=4)
        validator.validate_nb(nb)  # nbgrader's own schema and rules (raises if invalid)
        found = exercises(nb, grading.load_points(), path.name)
        assert found, f"{path.name}: no exercise to grade"
        assert all(e.total_points > 0 for e in found)


def _never_stamped() -> bool:
    return not any(
        "nbgrader" in cell.metadata
        for path in solution_notebooks(SOLUTIONS)
        for cell in nbformat.read(path, as_version=4).cells
    )


@pytest.mark.skipif(
    _never_stamped(),
    reason="the solution notebooks carry no nbgrader metadata yet; run "
    "`python -m tools.grading stamp notebooks/solutions` once they are final",
)
def test_committed_solution_notebooks_are_stamped() -> None:
    assert grading.check_folder(SOLUTIONS) == []


def test_course_config_gives_training_cells_time() -> None:
    """The per-cell timeout exceeds three times the slowest whole notebook as measured."""
    measured = json.loads(RESULTS.read_text())["whole_course"]["notebooks"]
    slowest = max(row["seconds"] for row in measured)
    assert grading.CELL_TIMEOUT_S >= 3 * slowest
    head = grading.config_text().removesuffix(grading._WIDGET_SAFE)  # nbgrader-free part
    namespace: dict = {"get_config": lambda: _Config()}
    exec(compile(head, "nbgrader_config.py", "exec"), namespace)
    assert namespace["c"].Execute.timeout == grading.CELL_TIMEOUT_S


def test_course_config_grades_without_the_output_widget_stand_in() -> None:
    """Autograde and generate_solution execute with WidgetSafeExecute, nbgrader's Execute
    that never answers a widget's comm messages on the shell channel, so that a widget cell
    cannot make nbclient miss the cell's reply (jupyter/nbclient#312); everything else in
    nbgrader's preprocessor lists is kept, in order."""
    pytest.importorskip("nbgrader", reason="needs the grading extra (make test)")
    from nbgrader.converters import Autograde, GenerateSolution
    from nbgrader.preprocessors import Execute
    from traitlets.config import Config

    config = Config()
    namespace: dict = {"get_config": lambda: config}
    exec(compile(grading.config_text(), "nbgrader_config.py", "exec"), namespace)
    safe = namespace["WidgetSafeExecute"]
    assert issubclass(safe, Execute) and safe is not Execute
    for converter, trait in (
        (Autograde, "autograde_preprocessors"),
        (GenerateSolution, "preprocessors"),
    ):
        default = converter.class_traits()[trait].default()
        configured = config[converter.__name__][trait]
        assert Execute in default
        assert configured == [safe if p is Execute else p for p in default]
        assert converter(config=config).__getattribute__(trait) == configured
    output_widget = {
        "content": {
            "comm_id": "0",
            "data": {
                "state": {
                    "_model_module": "@jupyter-widgets/output",
                    "_model_name": "OutputModel",
                    "outputs": [],
                }
            },
        }
    }
    assert Execute().on_comm_open_jupyter_widget(output_widget) is not None  # nbclient's stand-in
    assert safe(config=config).on_comm_open_jupyter_widget(output_widget) is None
    assert safe(config=config).timeout == grading.CELL_TIMEOUT_S


class _Config(dict):
    """Enough of traitlets' Config for `c.Section.option = value`."""

    def __getattr__(self, name: str):
        return self.setdefault(name, _Config())

    def __setattr__(self, name: str, value) -> None:
        self[name] = value


def test_make_course_lays_out_source_notebooks(tmp_path: Path) -> None:
    written = grading.make_course(SOLUTIONS, tmp_path)
    names = [p.stem for p in solution_notebooks(SOLUTIONS)]
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        f"source/{name}/{name}.ipynb" for name in names
    ]
    assert "c.Execute.timeout = 900" in (tmp_path / "nbgrader_config.py").read_text()
    points = grading.load_points()
    for path in written:
        nb = nbformat.read(path, as_version=4)
        assert grading._problems(nb, points, path.name) == []  # stamped
        assert not any("solution-only" in c.metadata.get("tags", []) for c in nb.cells)


# --- the real round trip ----------------------------------------------------------------


def round_trip_notebook() -> str:
    """The quickest solution notebook (benchmarks/results.json) with two or more exercises."""
    seconds = {
        row["notebook"]: row["seconds"]
        for row in json.loads(RESULTS.read_text())["whole_course"]["notebooks"]
    }
    points = grading.load_points()
    candidates = [
        path.name
        for path in solution_notebooks(SOLUTIONS)
        if path.name in seconds
        and len(exercises(nbformat.read(path, as_version=4), points, path.name)) >= 2
    ]
    return min(candidates, key=seconds.__getitem__)


def nbgrader(course: Path, *args: str, timeout_s: float = 600) -> None:
    """Run nbgrader in `course`; it must succeed without an error in its log.

    A run takes well under a minute (autograde of three submissions of 01: 18 s beside a
    second autograde on a 2-core machine). The limit turns a hang into a failure that says
    so, long before CI's own: nbgrader once hung here on notebook 01's widgets until the
    course's config left out nbclient's Output-widget stand-in (see tools/grading.py).
    """
    try:
        result = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=course,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"nbgrader {' '.join(args)} hung for {timeout_s:.0f} s") from e
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stderr[-4000:]}"
    assert "[ERROR]" not in result.stderr, result.stderr[-4000:]


def submit(course: Path, name: str, student: str, solved: set[str]) -> None:
    """A submission: the released notebook with the answer cells in `solved` filled in."""
    release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in solved:
            cell.source = answers[grade_id]
    folder = course / "submitted" / student / name
    folder.mkdir(parents=True)
    nbformat.write(release, folder / f"{name}.ipynb")


@pytest.mark.slow
def test_nbgrader_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("nbgrader.api", reason="needs the grading extra (make test)")
    # nbgrader runs the `alembic` command of its environment; config and kernels come only
    # from the course directory and this environment, not from the user's Jupyter folders.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter-config"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter-data"))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    course = tmp_path / "course"
    sources = grading.make_course(SOLUTIONS, course)

    # Every notebook's metadata passes nbgrader's own checks as it generates the release
    # (one nbgrader run for all: its assignment argument is a glob).
    nbgrader(course, "generate_assignment", "*", "--force")
    for path in sources:
        release = (course / "release" / path.stem / path.name).read_text()
        assert "### BEGIN SOLUTION" not in release

    name = Path(round_trip_notebook()).stem
    nb = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    found = exercises(nb, grading.load_points(), name)
    assert len(found) >= 2
    one = found[-1]  # solved alone, after an unsolved one: no credit leaks either way
    submit(course, name, "full", {e.grade_id for e in found})
    submit(course, name, "untouched", set())
    submit(course, name, "one", {one.grade_id})
    nbgrader(course, "autograde", name, "--force")

    total = sum(e.total_points for e in found)
    expected = {"full": set(found), "untouched": set(), "one": {one}}
    with api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        for student, solved in expected.items():
            submission = gradebook.find_submission(name, student)
            assert submission.max_score == total
            assert submission.score == sum(e.total_points for e in solved), student
            assert not submission.needs_manual_grade
            for e in found:
                for grade_id, points in zip(e.check_ids(), e.points, strict=True):
                    grade = gradebook.find_grade(grade_id, name, name, student)
                    assert grade.score == (points if e in solved else 0), (student, grade_id)

    # `make grade` on the same submissions: the same scores in the same gradebook, and the
    # feedback nbgrader generates from it (sandboxed where bubblewrap runs, as in make test).
    from tools import grade, sandbox

    report = grade.grade_assignment(
        course, name, unsafe=not sandbox.available()[0], echo=lambda _: None
    )
    with api.Gradebook(f"sqlite:///{course / 'gradebook.db'}", grading.COURSE_ID) as gradebook:
        for student, solved in expected.items():
            submission = gradebook.find_submission(name, student)
            assert submission.score == sum(e.total_points for e in solved), student
            assert report["students"][student]["score"] == submission.score
            assert not submission.needs_manual_grade
    nbgrader(course, "generate_feedback", name, "--force")
    feedback = (course / "feedback" / "one" / name / f"{name}.html").read_text()
    assert "NotImplementedError" in feedback  # the unsolved exercise's diagnosis


def test_one_exercise_with_several_regions_in_its_cell_is_one_answer() -> None:
    """The replay memory: one exercise, a region in each method, one check."""
    methods = "\n".join(
        f"    def {name}(self):\n        # Exercise 1.2: write {name}\n"
        f"        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION"
        for name in ("insert", "sample")
    )
    nb = course_notebook(
        code(f"class Memory:\n{methods}", "ex"), code("checks.check_m(Memory)", "c")
    )
    stamp_notebook(nb, POINTS)
    assert nbgrader_of(nb, "ex")["grade_id"] == "exercise_1_2"
    assert nbgrader_of(nb, "c")["points"] == 3


def test_the_korean_edition_is_a_course_of_its_own(tmp_path: Path) -> None:
    """Both editions on one hub: same assignment names, distinct course ids."""
    korean = REPO / "notebooks" / "ko" / "solutions"
    english = grading.make_course(SOLUTIONS, tmp_path / "en")
    written = grading.make_course(korean, tmp_path / "ko", course_id=grading.COURSE_ID_KO)
    assert [p.name for p in written] == [p.name for p in english]
    assert grading.COURSE_ID_KO != grading.COURSE_ID
    config = (tmp_path / "ko" / "nbgrader_config.py").read_text()
    assert f'c.CourseDirectory.course_id = "{grading.COURSE_ID_KO}"' in config
    points = grading.load_points()
    for path in written:
        nb = nbformat.read(path, as_version=4)
        assert grading._problems(nb, points, path.name) == []  # stamped like the English
        assert any('checks.set_language("ko")' in c.source for c in nb.cells)
    bad = run_cli("assignments", str(korean), str(tmp_path / "x"), "--course-id", "a b")
    assert bad.returncode == 2 and "--course-id" in bad.stderr
