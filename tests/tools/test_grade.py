"""tools.grade: grading that a submission cannot game, in a sandbox it cannot leave.

The fast tests cover the parts (which cells an exercise needs, how a submission is read,
what the report flags). The slow ones grade a small two-exercise course (the real checks
of notebook 02 on a hand-made notebook) with one student per attack, in bubblewrap, and
read the scores from the report and from nbgrader's gradebook; and they compare, on
notebooks 03 and 04, the cells-it-needs grading with a run of every cell.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import grade, grading, sandbox

REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO / "notebooks" / "solutions"
NAME = "01_tiny"
POINTS = {"default": 1, "1.1": 1, "1.2": 2}

SELECT = '''\
def select_q_values(q_values_b, action_b):
    """The q-value of the action taken."""
    # Exercise 1.1: gather
    ### BEGIN SOLUTION
    return q_values_b.gather(1, action_b)
    ### END SOLUTION'''
STEP = '''\
def training_step(network, optimizer, loss_fn, x_b, y_b):
    """One gradient step; the loss as a float."""
    # Exercise 1.2: one step
    ### BEGIN SOLUTION
    optimizer.zero_grad()
    loss = loss_fn(network(x_b), y_b)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION'''
SELECT_ANSWER = (
    "def select_q_values(q_values_b, action_b):\n    return q_values_b.gather(1, action_b)"
)
STEP_ANSWER = (
    "def training_step(network, optimizer, loss_fn, x_b, y_b):\n    optimizer.zero_grad()\n"
    "    loss = loss_fn(network(x_b), y_b)\n    loss.backward()\n    optimizer.step()\n"
    "    return loss.item()"
)
STUB_1 = "def select_q_values(q_values_b, action_b):\n    raise NotImplementedError()"
STUB_2 = (
    "def training_step(network, optimizer, loss_fn, x_b, y_b):\n    raise NotImplementedError()"
)


def tiny_solution() -> NotebookNode:
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    nb.cells = [
        new_markdown_cell("# A tiny assignment", id="title"),
        new_code_cell(
            "%matplotlib inline\nimport torch\nfrom torch import nn\nfrom course_utils import checks",
            id="setup",
        ),
        new_code_cell("SEED = 0", id="params", metadata={"tags": ["parameters"]}),
        new_code_cell(SELECT, id="ex1"),
        new_code_cell("checks.check_select_q_values(select_q_values)", id="check1"),
        new_code_cell(
            "import time\ntrained = [SEED] * 3  # stands for a training cell", id="train"
        ),
        new_code_cell(STEP, id="ex2"),
        new_code_cell("checks.check_training_step(training_step)", id="check2"),
    ]
    return nb


def write_source(course: Path) -> NotebookNode:
    source = grading.source_notebook(tiny_solution(), POINTS, NAME)
    folder = course / "source" / NAME
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(source, folder / f"{NAME}.ipynb")
    (course / "nbgrader_config.py").write_text(grading.config_text(course_id="tiny-course"))
    return source


def released(source: NotebookNode) -> NotebookNode:
    """What nbgrader releases: answer cells reduced to stubs, metadata kept."""
    nb = nbformat.from_dict(json.loads(json.dumps(source)))
    stubs = {"exercise_1_1": STUB_1, "exercise_1_2": STUB_2}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in stubs:
            cell.source = stubs[grade_id]
    return nb


def submit(course: Path, student: str, answers: dict[str, str], edit=None) -> None:
    release = course / "release" / NAME / f"{NAME}.ipynb"
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    if edit is not None:
        edit(nb)
    folder = course / "submitted" / student / NAME
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / f"{NAME}.ipynb")


# --- fast: the parts ---------------------------------------------------------------------


def test_an_exercise_needs_the_cells_defining_what_it_reads_and_no_training_cell() -> None:
    source = grading.source_notebook(tiny_solution(), POINTS, NAME)
    index = {c.id: i for i, c in enumerate(source.cells)}
    needed = grade.needed_cells(source, [index["ex2"], index["check2"]], {})
    assert [source.cells[i].id for i in needed] == ["setup", "ex2", "check2"]
    # The student's answer reads SEED and calls their own select_q_values: both come in.
    answer = "def training_step(*args):\n    return select_q_values(SEED, 0)"
    needed = grade.needed_cells(
        source, [index["ex2"], index["check2"]], {index["ex1"]: SELECT_ANSWER, index["ex2"]: answer}
    )
    assert [source.cells[i].id for i in needed] == ["setup", "params", "ex1", "ex2", "check2"]
    full = grade.all_cells_before(source, [index["ex2"], index["check2"]])
    assert "train" in [source.cells[i].id for i in full]


def test_the_source_gives_exercises_their_check_cells_and_points(tmp_path: Path) -> None:
    write_source(tmp_path)
    source = grade.load_source(tmp_path, NAME)
    assert [(e.grade_id, [(c.grade_id, c.points) for c in e.checks]) for e in source.exercises] == [
        ("exercise_1_1", [("check_1_1", 1.0)]),
        ("exercise_1_2", [("check_1_2", 2.0)]),
    ]
    assert source.max_score == 3
    assert grade.course_id(tmp_path) == "tiny-course"
    with pytest.raises(grade.GradeError, match="expected one source notebook"):
        grade.load_source(tmp_path, "02_missing")


def _write(path: Path, nb: NotebookNode) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path / f"{NAME}.ipynb")
    return path


def test_a_practice_notebook_and_deleted_cells_are_reported(tmp_path: Path) -> None:
    source_nb = write_source(tmp_path)
    source = grade.load_source(tmp_path, NAME)
    practice = released(source_nb)
    for cell in practice.cells:
        cell.metadata.pop("nbgrader", None)
    practice.cells[3].source = SELECT_ANSWER
    sub = grade.read_submission(_write(tmp_path / "p", practice), "p", source)
    assert sub.kind == "practice" and sub.answers["exercise_1_1"] == SELECT_ANSWER
    assert any("practice notebook" in n for n in sub.notes)

    cut = released(source_nb)
    cut.cells = [c for c in cut.cells if c.id not in ("check1", "ex2")]
    cut.cells.append(new_code_cell("helper = 1", id="added"))
    sub = grade.read_submission(_write(tmp_path / "d", cut), "d", source)
    assert sub.kind == "release" and set(sub.answers) == {"exercise_1_1"}
    notes = "\n".join(sub.notes)
    assert "check cell check_1_1 deleted" in notes
    assert "answer cell exercise_1_2 missing" in notes
    assert "1 code cell(s) added" in notes


@pytest.mark.parametrize(
    ("code", "flag"),
    [
        ("from course_utils import checks as c", "names the checks"),
        ("import builtins\nbuiltins.print = len", "changes builtins"),
        ("import gc\ngc.get_objects()", "inspects the interpreter"),
        ("import os\nos._exit(0)", "ends the process"),
        ("open('../../../gradebook.db')", "reads or writes files"),
    ],
)
def test_suspicious_answer_code_is_flagged(code: str, flag: str) -> None:
    assert any(flag in f for f in grade.suspicious(code))
    assert grade.suspicious(SELECT_ANSWER) == []


def test_grading_refuses_to_run_unsandboxed_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_nb = write_source(tmp_path)
    _write(tmp_path / "submitted" / "s" / NAME, released(source_nb))
    monkeypatch.setattr(sandbox, "available", lambda: (False, "no bwrap in this test"))
    with pytest.raises(grade.SandboxError, match="no bwrap in this test.*--unsafe"):
        grade.grade_assignment(tmp_path, NAME, gradebook=False, echo=lambda _: None)
    with pytest.raises(grade.GradeError, match="--exercise-timeout"):
        grade.grade_assignment(tmp_path, NAME, timeout_s=0, echo=lambda _: None)
    with pytest.raises(grade.GradeError, match="--jobs must be 1 or more, got 0"):
        grade.grade_assignment(tmp_path, NAME, jobs=0, echo=lambda _: None)
    with pytest.raises(grade.GradeError, match="--student: no submission"):
        grade.grade_assignment(tmp_path, NAME, students=["nobody"], echo=lambda _: None)


def test_the_command_line_says_why_it_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tools.grading", "grade", str(tmp_path), "nothing"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "nothing" in done.stderr
    # --jobs reaches grade_assignment (in this process: the entry point is proven above)
    assert grading.main(["grade", str(tmp_path), "nothing", "--jobs", "0"]) == 2
    assert "--jobs must be 1 or more, got 0" in capsys.readouterr().err


# --- slow: every attack, graded in the sandbox --------------------------------------------

requires_sandbox = pytest.mark.skipif(
    not sandbox.available()[0],
    reason=f"bubblewrap cannot run here ({sandbox.available()[1]}); make test installs it as root",
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    pytest.importorskip("nbgrader.api", reason="needs the grading extra (make test)")
    tmp = tmp_path_factory.mktemp("grade")
    course = tmp / "course"
    write_source(course)
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", NAME, "--force"],
        cwd=course, env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    package = Path(grade._package_dir())
    solution = f"{course}/source/{NAME}/{NAME}.ipynb"
    read_source = (
        STUB_1 + f"\nimport json\nfor c in json.load(open({solution!r}))['cells']:\n"
        "    if c['metadata'].get('nbgrader', {}).get('grade_id') == 'exercise_1_1':\n"
        "        exec(''.join(c['source']))\n"
    )
    relative = STUB_2 + f"\nprint(open('../../../source/{NAME}/{NAME}.ipynb').read()[:50])"
    vandal = (
        STUB_2 + f"\nimport sqlite3\ndb = sqlite3.connect({str(course / 'gradebook.db')!r})\n"
        "db.execute('update grade set auto_score = 0')\ndb.commit()\n"
    )
    writer = STUB_1 + f"\nopen({str(package / 'checks' / 'evil.py')!r}, 'w').write('x = 1')"
    patch_checks = (
        "from course_utils import checks as _c\n"
        '_c.check_select_q_values = _c.check_training_step = lambda f: print("✅ all properties hold.")'
    )
    fake_namespace = 'class checks:\n    check_training_step = staticmethod(lambda f: print("✅"))'
    students = {
        "honest": {"exercise_1_1": SELECT_ANSWER, "exercise_1_2": STEP_ANSWER},
        "untouched": {},
        "tamper_module": {
            "exercise_1_1": STUB_1 + "\n" + patch_checks,
            "exercise_1_2": STUB_2 + "\n" + fake_namespace,
        },
        "tamper_print_torch": {
            "exercise_1_1": STUB_1 + "\nimport builtins\nbuiltins.print = lambda *a, **k: None",
            "exercise_1_2": "def training_step(network, optimizer, loss_fn, x_b, y_b):\n"
            "    return 0.5\nimport torch\ntorch.allclose = lambda *a, **k: True\n"
            "torch.isclose = lambda *a, **k: torch.tensor(True)",
        },
        "tamper_harness": {
            "exercise_1_1": SELECT_ANSWER + "\nimport course_utils.checks.harness as _h\n"
            "_h.ExerciseFailure = RuntimeError",
            "exercise_1_2": STUB_2 + "\nimport course_utils.checks as _c\n"
            "_c.ExerciseFailure = type('ExerciseFailure', (Exception,), {})",
        },
        "reader": {"exercise_1_1": read_source, "exercise_1_2": relative},
        "vandal": {"exercise_1_1": writer, "exercise_1_2": vandal},
        "looper": {
            "exercise_1_1": "def select_q_values(q_values_b, action_b):\n    while True:\n        pass",
            "exercise_1_2": STEP_ANSWER,
        },
        "exiter": {
            "exercise_1_1": SELECT_ANSWER + "\nimport os\nos._exit(0)",
            "exercise_1_2": STEP_ANSWER,
        },
        "referee": {
            "exercise_1_1": "from course_utils.reference import select_q_values",
            "exercise_1_2": "from course_utils import reference\n\n\ndef training_step(*args):\n"
            "    return reference.training_step(*args)",
        },
    }
    for student, answers in students.items():
        submit(course, student, answers)

    def practice(nb: NotebookNode) -> None:
        for cell in nb.cells:
            cell.metadata.pop("nbgrader", None)

    both = {"exercise_1_1": SELECT_ANSWER, "exercise_1_2": STEP_ANSWER}
    submit(course, "practice", both, practice)
    submit(course, "deleter", both, lambda nb: nb.cells.pop(4))  # the first check cell
    before = grade.package_manifest()
    # Two sandboxes at a time (the looper's 20 s beside the others): the scores, gradebook
    # and reports are still written in the students' order (honest before vandal). The
    # one-at-a-time path grades nbgrader's round trip (tests/tools/test_grading.py).
    report = grade.grade_assignment(course, NAME, timeout_s=20, jobs=2, echo=lambda _: None)
    return {"course": course, "report": report, "manifest": before, "package": package}


def students_of(graded: dict) -> dict:
    return graded["report"]["students"]


@requires_sandbox
@pytest.mark.slow
def test_honest_and_untouched_submissions_score_as_nbgrader_would(graded: dict) -> None:
    api = pytest.importorskip("nbgrader.api")
    s = students_of(graded)
    assert (s["honest"]["score"], s["untouched"]["score"]) == (3, 0)
    assert s["honest"]["notes"] == [] or all("PACKAGE" in n for n in s["honest"]["notes"])
    # The gradebook has the scores (after the vandal, whose SQL could not reach it).
    url = f"sqlite:///{graded['course'] / 'gradebook.db'}"
    with api.Gradebook(url, "tiny-course") as gradebook:
        assert gradebook.find_submission(NAME, "honest").score == 3
        assert gradebook.find_submission(NAME, "untouched").score == 0
        assert not gradebook.find_submission(NAME, "honest").needs_manual_grade
    feedback = graded["course"] / "autograded" / "honest" / NAME / f"{NAME}.ipynb"
    cells = {c.id: c for c in nbformat.read(feedback, as_version=4).cells}
    assert "all" in cells["check1"].outputs[0]["text"]  # the check's own success line


@requires_sandbox
@pytest.mark.slow
@pytest.mark.parametrize(
    ("student", "expected", "reported"),
    [
        ("tamper_module", {"check_1_1": "tampered", "check_1_2": "failed"},
         ["check_select_q_values replaced", "answer code to read"]),
        ("tamper_print_torch", {"check_1_1": "tampered", "check_1_2": "tampered"},
         ["builtins.print replaced", "torch.allclose replaced"]),
        ("tamper_harness", {"check_1_1": "tampered", "check_1_2": "tampered"},
         ["harness.ExerciseFailure replaced", "course_utils.checks.ExerciseFailure replaced"]),
        # A reference given to the check, or called by the answer: the check fails it when
        # grading (COURSE_UTILS_GRADING=1), as course_utils.reference documents.
        ("referee", {"check_1_1": "reference", "check_1_2": "failed"}, ["REFERENCE"]),
        ("exiter", {"check_1_1": "crashed", "check_1_2": "passed"}, ["CRASHED"]),
    ],
)  # fmt: skip
def test_tampering_earns_nothing_and_is_reported(graded, student, expected, reported) -> None:
    entry = students_of(graded)[student]
    assert {k: v["outcome"] for k, v in entry["checks"].items()} == expected
    assert entry["score"] == sum(
        2 if k == "check_1_2" else 1 for k, v in expected.items() if v == "passed"
    )
    notes = "\n".join(entry["notes"])
    for text in reported:
        assert text in notes, notes
    report = (graded["course"] / "reports" / f"{NAME}.txt").read_text()
    assert f"{student}: {entry['score']:g}/3" in report


@requires_sandbox
@pytest.mark.slow
def test_the_sandbox_hides_source_gradebook_and_package(graded: dict) -> None:
    s = students_of(graded)
    assert s["reader"]["score"] == 0 and s["vandal"]["score"] == 0
    feedback = graded["course"] / "autograded" / "reader" / NAME / f"{NAME}.ipynb"
    cells = {c.id: c for c in nbformat.read(feedback, as_version=4).cells}
    errors = [o.get("ename") for o in cells["ex1"].outputs] + [
        o.get("ename") for o in cells["ex2"].outputs
    ]
    assert errors.count("FileNotFoundError") == 2, errors  # the absolute and the relative path
    vandal = {c.id: c for c in nbformat.read(
        graded["course"] / "autograded" / "vandal" / NAME / f"{NAME}.ipynb", as_version=4).cells}  # fmt: skip
    assert [o.get("ename") for o in vandal["ex1"].outputs] == ["OSError"]  # read-only package
    assert [o.get("ename") for o in vandal["ex2"].outputs] == ["OperationalError"]  # no gradebook
    assert not (graded["package"] / "checks" / "evil.py").exists()
    assert s["honest"]["score"] == 3  # graded before the vandal, and still 3


@requires_sandbox
@pytest.mark.slow
def test_the_same_attack_succeeds_without_the_sandbox(graded: dict) -> None:
    """The reader's attack is real: unsandboxed, reading the solution earns its point."""
    report = grade.grade_assignment(
        graded["course"], NAME, students=["reader"], unsafe=True, gradebook=False,
        timeout_s=20, echo=lambda _: None,
    )  # fmt: skip
    assert report["students"]["reader"]["checks"]["check_1_1"]["outcome"] == "passed"


@requires_sandbox
@pytest.mark.slow
def test_an_endless_loop_is_cut_and_costs_only_its_exercise(graded: dict) -> None:
    entry = students_of(graded)["looper"]
    assert entry["checks"]["check_1_1"]["points"] == 0
    assert entry["checks"]["check_1_1"]["outcome"] in ("timeout", "failed")
    assert entry["checks"]["check_1_2"]["outcome"] == "passed" and entry["score"] == 2
    assert entry["seconds"] < 20 + 60  # the limit, and the other exercise and start-up


@requires_sandbox
@pytest.mark.slow
def test_wrong_notebook_and_deleted_check_are_graded_and_reported(graded: dict) -> None:
    s = students_of(graded)
    assert s["practice"]["score"] == 3 and s["practice"]["kind"] == "practice"
    assert any("practice notebook" in n for n in s["practice"]["notes"])
    assert s["deleter"]["score"] == 3  # graded with the pristine check it deleted
    assert any("check cell check_1_1 deleted" in n for n in s["deleter"]["notes"])
    rows = (graded["course"] / "reports" / f"{NAME}.csv").read_text().splitlines()
    assert rows[0].startswith("student,exercise,grade_id,points")
    assert len(rows) == 1 + 2 * len(s)


# --- slow: skipping cells changes no score ------------------------------------------------


def _course_of(tmp: Path, notebook: str) -> grade.SourceAssignment:
    path = SOLUTIONS / f"{notebook}.ipynb"
    source = grading.source_notebook(
        nbformat.read(path, as_version=4), grading.load_points(), path.name
    )
    folder = tmp / "source" / notebook
    folder.mkdir(parents=True)
    nbformat.write(source, folder / f"{notebook}.ipynb")
    return grade.load_source(tmp, notebook)


@requires_sandbox
@pytest.mark.slow
@pytest.mark.parametrize("notebook", ["03_deep_sarsa_mountaincar", "04_deep_q_learning_cartpole"])
def test_grading_the_needed_cells_scores_as_running_every_cell(
    tmp_path: Path, notebook: str
) -> None:
    source = _course_of(tmp_path, notebook)
    answers = {e.grade_id: source.nb.cells[e.answer].source for e in source.exercises}
    nb = released(source.nb)  # answer cells keep their grade ids; their code is set below
    for cell in nb.cells:  # odd exercises solved, even ones not: passes and failures both
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            solved = int(grade_id.rsplit("_", 1)[-1]) % 2 == 1
            cell.source = answers[grade_id] if solved else "raise NotImplementedError()"
    folder = tmp_path / "submitted" / "s1" / notebook
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{notebook}.ipynb")
    # The two gradings at the same time, each in a course directory of its own (its reports).
    copy = tmp_path / "full-run"
    shutil.copytree(tmp_path, copy, ignore=shutil.ignore_patterns("full-run"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        running = pool.submit(
            grade.grade_assignment, copy, notebook, gradebook=False, full=True, echo=lambda _: None
        )
        needed = grade.grade_assignment(tmp_path, notebook, gradebook=False, echo=lambda _: None)
        full = running.result()
    a, b = needed["students"]["s1"], full["students"]["s1"]
    assert {k: v["points"] for k, v in a["checks"].items()} == {
        k: v["points"] for k, v in b["checks"].items()
    }
    assert 0 < needed["students"]["s1"]["score"] < source.max_score
