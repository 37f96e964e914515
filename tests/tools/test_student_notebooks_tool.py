"""Unit tests of tools.student_notebooks on small hand-made notebooks."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tools import grading
from tools import student_notebooks as authoring
from tools.student_notebooks import AuthoringError, make_student_notebook

FUNCTION = '''\
import copy

def make_target_network(q_network):
    """An independent, frozen copy of q_network."""
    # Exercise 3.1: return an independent, frozen copy of q_network
    ### BEGIN SOLUTION
    target_q_network = copy.deepcopy(q_network)
    target_q_network.requires_grad_(False)
    ### END SOLUTION
    return q_network'''

TWO_REGIONS = """\
class Agent:
    def act(self, state):
        if state > 0:
            # Exercise 2.1: act greedily
            ### BEGIN SOLUTION
            action = 1
            return action
            ### END SOLUTION
        # Exercise 2.2: act at random
        ### BEGIN SOLUTION
        return 0
        ### END SOLUTION"""

WHOLE_CELL = """\
# Exercise 2.3: train for three steps
### BEGIN SOLUTION
for step in range(3):
    print(step)
### END SOLUTION"""


def notebook(*cells: NotebookNode) -> NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = list(cells)
    return nb


def code(source: str, cell_id: str = "cell", **kwargs) -> NotebookNode:
    return new_code_cell(source, id=cell_id, **kwargs)


def student_source(source: str) -> str:
    return make_student_notebook(notebook(code(source))).cells[0].source


# --------------------------------------------------------------------------- transformation


def test_region_in_function_body_becomes_indented_stub() -> None:
    out = student_source(FUNCTION)
    assert out == (
        "import copy\n\n"
        "def make_target_network(q_network):\n"
        '    """An independent, frozen copy of q_network."""\n'
        '    raise NotImplementedError("Exercise 3.1: return an independent, frozen copy of '
        'q_network")\n'
        "    return q_network"
    )
    ast.parse(out)


def test_several_regions_per_cell_at_their_own_indentation() -> None:
    out = student_source(TWO_REGIONS)
    assert out.splitlines() == [
        "class Agent:",
        "    def act(self, state):",
        "        if state > 0:",
        '            raise NotImplementedError("Exercise 2.1: act greedily")',
        '        raise NotImplementedError("Exercise 2.2: act at random")',
    ]
    ast.parse(out)


def test_whole_cell_region_raises_when_run() -> None:
    out = student_source(WHOLE_CELL)
    assert out == 'raise NotImplementedError("Exercise 2.3: train for three steps")'
    with pytest.raises(NotImplementedError, match=r"^Exercise 2\.3: train for three steps$"):
        exec(compile(out, "<cell>", "exec"), {})


def test_stub_message_is_a_valid_literal_for_quotes_and_unicode() -> None:
    source = '# Exercise 1.2: return "w − α·grad"\n### BEGIN SOLUTION\nw = 1\n### END SOLUTION'
    out = student_source(source)
    with pytest.raises(NotImplementedError) as raised:
        exec(compile(out, "<cell>", "exec"), {})
    assert str(raised.value) == 'Exercise 1.2: return "w − α·grad"'


def test_cells_without_regions_are_unchanged() -> None:
    source = "x = 1\n# Exercise 9.9: only a comment, no region\nprint(x)"
    assert student_source(source) == source


def test_solution_only_cells_are_dropped() -> None:
    nb = notebook(
        code("a = 1", "keep"),
        code("print('answer')", "drop", metadata={"tags": ["solution-only"]}),
        new_markdown_cell("The answer is 42.", id="drop-md", metadata={"tags": ["solution-only"]}),
        new_markdown_cell("Question?", id="question"),
    )
    assert [cell.id for cell in make_student_notebook(nb).cells] == ["keep", "question"]


def test_outputs_and_counts_cleared_grading_dropped_ids_and_metadata_kept() -> None:
    cell = code(
        FUNCTION,
        "target-exercise",
        execution_count=7,
        outputs=[new_output("stream", name="stdout", text="hi\n")],
        metadata={
            "tags": ["exercise"],
            "nbgrader": {"solution": True, "grade_id": "ex31"},
            "execution": {"iopub.execute_input": "2026-01-01T00:00:00Z"},
            "ExecuteTime": {"end_time": "2026-01-01T00:00:01Z"},
        },
    )
    nb = notebook(new_markdown_cell("# Title", id="title"), cell)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    student = make_student_notebook(nb)
    out = student.cells[1]
    assert [c.id for c in student.cells] == ["title", "target-exercise"]
    assert out.outputs == [] and out.execution_count is None
    assert out.metadata == {"tags": ["exercise"]}  # nbgrader's grading internals dropped
    assert student.metadata == {"kernelspec": {"name": "python3", "display_name": "Python 3"}}


def test_input_notebook_is_not_modified() -> None:
    nb = notebook(code(FUNCTION, execution_count=1))
    before = nbformat.writes(nb)
    make_student_notebook(nb)
    assert nbformat.writes(nb) == before


def test_markers_never_reach_the_output() -> None:
    text = authoring.notebook_text(make_student_notebook(notebook(code(TWO_REGIONS))))
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert "action = 1" not in text


def test_find_regions_reports_exercise_lines_and_cell() -> None:
    nb = notebook(code("x = 1", "a"), code(TWO_REGIONS, "b"), code(WHOLE_CELL, "c"))
    regions = authoring.find_regions(nb, "02_test.ipynb")
    assert [(r.exercise, r.cell_index, r.cell_id) for r in regions] == [
        ("2.1", 1, "b"),
        ("2.2", 1, "b"),
        ("2.3", 2, "c"),
    ]
    assert regions[0].lines == ("            action = 1", "            return action")
    assert regions[0].message == "Exercise 2.1: act greedily"


def nbgrader_clear(source: str) -> str:
    """nbgrader's ClearSolutions rule (preprocessors/clearsolutions.py), reimplemented here:
    a delimiter is a line whose strip() equals the marker; the region becomes the stub."""
    lines, out, inside = source.split("\n"), [], False
    for line in lines:
        if line.strip() == "### BEGIN SOLUTION":
            inside = True
            out.append(line[: line.find("### BEGIN SOLUTION")] + "raise NotImplementedError()")
        elif line.strip() == "### END SOLUTION":
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("source", [FUNCTION, TWO_REGIONS, WHOLE_CELL])
def test_nbgrader_sees_the_same_regions(source: str) -> None:
    """nbgrader keeps the exercise comment and writes its own stub; otherwise the same lines."""
    ours = [
        line for line in student_source(source).split("\n") if "NotImplementedError" not in line
    ]
    theirs = [
        line
        for line in nbgrader_clear(source).split("\n")
        if "NotImplementedError" not in line and "# Exercise" not in line
    ]
    assert ours == theirs


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "needs the exercise text"),
        ("# do this\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "needs the exercise text"),
        ("# Exercise 1.1:\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "needs the exercise"),
        (
            "# Exercise 1.1: x\nif True:\n    ### BEGIN SOLUTION\n    x = 1\n    ### END SOLUTION",
            "same indentation",
        ),
        ("# Exercise 1.1: x\n### BEGIN SOLUTION\nx = 1", "without a matching"),
        ("x = 1\n### END SOLUTION", "without a BEGIN"),
        (
            "# Exercise 1.1: x\n### BEGIN SOLUTION\n# Exercise 1.2: y\n### BEGIN SOLUTION\n"
            "### END SOLUTION\n### END SOLUTION",
            "nested",
        ),
        ("# Exercise 1.1: x\n### BEGIN SOLUTION\n\n### END SOLUTION", "empty"),
        ("### BEGIN SOLUTION Exercise 1.1: x\nx = 1\n### END SOLUTION", "looks like a solution"),
        ("# Exercise 1.1: x\n## BEGIN SOLUTION\nx = 1\n## END SOLUTION", "looks like a solution"),
    ],
)
def test_broken_regions_are_errors_naming_notebook_and_cell(source: str, message: str) -> None:
    nb = notebook(code("ok = 1", "first"), code(source, "broken-cell"))
    with pytest.raises(AuthoringError, match=message) as error:
        make_student_notebook(nb, "07_broken.ipynb")
    assert "07_broken.ipynb" in str(error.value)
    assert "cell 1" in str(error.value) and "broken-cell" in str(error.value)


def test_markers_in_markdown_are_an_error() -> None:
    nb = notebook(new_markdown_cell("### BEGIN SOLUTION\n42\n### END SOLUTION", id="md"))
    with pytest.raises(AuthoringError, match="solution-only"):
        make_student_notebook(nb, "01_x.ipynb")


def test_duplicate_exercise_numbers_are_an_error() -> None:
    nb = notebook(code(WHOLE_CELL, "a"), code(WHOLE_CELL, "b"))
    with pytest.raises(AuthoringError, match="Exercise 2.3 appears twice"):
        make_student_notebook(nb, "02_x.ipynb")


def test_one_exercise_may_have_several_regions_in_its_own_cell() -> None:
    source = (
        "class Memory:\n"
        "    def __init__(self, capacity):\n"
        "        # Exercise 3.1: keep room for capacity transitions\n"
        "        ### BEGIN SOLUTION\n"
        "        self.items = []\n"
        "        ### END SOLUTION\n"
        "\n"
        "    def __len__(self):\n"
        "        # Exercise 3.1: how many transitions are stored\n"
        "        ### BEGIN SOLUTION\n"
        "        return len(self.items)\n"
        "        ### END SOLUTION\n"
    )
    student = student_source(source)
    assert student.count('raise NotImplementedError("Exercise 3.1: ') == 2
    assert "self.items" not in student
    regions = authoring.find_regions(notebook(code(source)), "03_x.ipynb")
    assert [r.exercise for r in regions] == ["3.1", "3.1"]


# --------------------------------------------------------------------------- files and CLI


@pytest.fixture
def course(tmp_path: Path) -> tuple[Path, Path]:
    src, dst = tmp_path / "notebooks" / "solutions", tmp_path / "notebooks"
    src.mkdir(parents=True)
    nb = notebook(code(FUNCTION, "f", execution_count=3), code("print(1)", "p"))
    nbformat.write(nb, src / "03_deep_sarsa.ipynb")
    nbformat.write(notebook(code(WHOLE_CELL, "w")), src / "02_networks.ipynb")
    nbformat.write(notebook(code("x = 1", "x")), src / "scratch.ipynb")  # not NN_: ignored
    return src, dst


def test_generate_writes_nn_notebooks_deterministically(course: tuple[Path, Path]) -> None:
    src, dst = course
    written = authoring.generate(src, dst)
    assert [p.name for p in written] == ["02_networks.ipynb", "03_deep_sarsa.ipynb"]
    first = [p.read_bytes() for p in written]
    assert all(data.endswith(b"}\n") for data in first)
    authoring.generate(src, dst)
    assert [p.read_bytes() for p in written] == first
    student = nbformat.read(dst / "03_deep_sarsa.ipynb", as_version=4)
    nbformat.validate(student)
    assert [c.id for c in student.cells] == ["f", "p"]
    assert not (dst / "scratch.ipynb").exists()


def test_check_reports_drift_missing_and_orphans(course: tuple[Path, Path]) -> None:
    src, dst = course
    assert authoring.check(src, dst) == [
        f"{dst / '02_networks.ipynb'}: missing",
        f"{dst / '03_deep_sarsa.ipynb'}: missing",
    ]
    authoring.generate(src, dst)
    assert authoring.check(src, dst) == []
    edited = nbformat.read(src / "02_networks.ipynb", as_version=4)
    edited.cells[0].source = edited.cells[0].source.replace("three steps", "four steps")
    nbformat.write(edited, src / "02_networks.ipynb")
    nbformat.write(notebook(code("y = 2", "y")), dst / "09_orphan.ipynb")
    problems = authoring.check(src, dst)
    assert len(problems) == 2
    assert "02_networks.ipynb: differs" in problems[0]
    assert "09_orphan.ipynb: no complete notebook" in problems[1]


def test_solution_only_changes_do_not_drift(course: tuple[Path, Path]) -> None:
    src, dst = course
    authoring.generate(src, dst)
    nb = nbformat.read(src / "02_networks.ipynb", as_version=4)
    nb.cells.append(code("print('instructor')", "extra", metadata={"tags": ["solution-only"]}))
    nb.cells[0].outputs = [new_output("stream", name="stdout", text="0\n")]
    nbformat.write(nb, src / "02_networks.ipynb")
    assert authoring.check(src, dst) == []


def test_nbgrader_stamping_does_not_drift_or_leak(course: tuple[Path, Path]) -> None:
    """Stamping grade ids and points (tools.grading) leaves the student notebooks as they were."""
    src, dst = course
    for name, cell in (
        ("03_deep_sarsa", code(FUNCTION, "f")),
        ("02_networks", code(WHOLE_CELL, "w")),
    ):
        nbformat.write(notebook(cell, code("checks.check_it(1)", "check")), src / f"{name}.ipynb")
    authoring.generate(src, dst)
    before = {p.name: p.read_bytes() for p in dst.glob("*.ipynb")}
    assert grading.stamp_folder(src, points_file=_points(src))
    assert authoring.check(src, dst) == []
    assert {p.name: p.read_bytes() for p in dst.glob("*.ipynb")} == before
    stamped = nbformat.read(src / "03_deep_sarsa.ipynb", as_version=4)
    assert stamped.cells[1].metadata["nbgrader"]["points"] == 1
    student = nbformat.read(dst / "03_deep_sarsa.ipynb", as_version=4)
    assert not any("nbgrader" in cell.metadata for cell in student.cells)


def _points(folder: Path) -> Path:
    path = folder.parent / "points.toml"
    path.write_text("default = 1\n")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """The command line, in process: (exit status, stdout, stderr)."""
    status = authoring.main([str(arg) for arg in args])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_writes_then_checks(
    course: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    src, dst = course
    status, _, err = run_cli(capsys, "--check", src, dst)
    assert status == 1
    assert "03_deep_sarsa.ipynb: missing" in err and "make sync" in err
    assert not (dst / "03_deep_sarsa.ipynb").exists(), "--check writes nothing"
    status, out, _ = run_cli(capsys, src, dst)
    assert status == 0 and "wrote" in out
    status, _, err = run_cli(capsys, "--check", src, dst)
    assert status == 0, err


def test_cli_reports_authoring_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nbformat.write(
        notebook(code("### BEGIN SOLUTION\nx = 1\n### END SOLUTION", "bad")),
        tmp_path / "01_a.ipynb",
    )
    status, _, err = run_cli(capsys, tmp_path, tmp_path / "out")
    assert status == 2
    assert "01_a.ipynb" in err and "exercise text" in err
