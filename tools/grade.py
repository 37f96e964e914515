"""Grade an nbgrader assignment so that a submission cannot change its own score.

``python -m tools.grading grade <course_dir> <assignment> [--student ID ...] [--unsafe]``
(``make grade ASSIGNMENT=...``) replaces ``nbgrader autograde``. For every
``<course_dir>/submitted/<student>/<assignment>/`` it:

1. reads the student's **answer cells** (matched by nbgrader ``grade_id``, or by cell id
   in a submission made in the course's practice notebook) and nothing else of the file:
   every given cell and every check cell comes from the pristine ``source/`` notebook;
2. for each exercise, selects the cells its check needs (:func:`needed_cells`: the
   answer cell, the check cells, and the earlier cells that define a name they use,
   transitively; training and plotting cells are never needed, so they do not run);
3. runs all exercises in one sandbox (:mod:`tools.sandbox`: only the submission folder and
   the course package readable, no network, limits), one forked interpreter per exercise
   (:mod:`tools.grade_runner`), calling the pristine check functions and checking that the
   student's code replaced nothing;
4. writes the scores into nbgrader's gradebook and an ``autograded/`` notebook (so
   ``nbgrader export``, ``formgrader`` and ``generate_feedback`` work as before), and a
   report for the instructor: ``<course_dir>/reports/<assignment>.csv`` (one row per
   check) and ``<assignment>.txt`` (what to look at: tampering, references used, missing
   cells, work in the wrong notebook, time limits), plus ``<assignment>.json``.

Exit status: 0 when every submission was graded, 1 when some could not be, 2 for bad
arguments, 3 when the sandbox cannot run here and ``--unsafe`` was not given.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tools import sandbox

__all__ = [
    "EXERCISE_TIMEOUT_S",
    "CheckCell",
    "GradedExercise",
    "SourceAssignment",
    "Submission",
    "grade_assignment",
    "load_source",
    "needed_cells",
    "read_submission",
    "suspicious",
]

RUNNER = Path(__file__).with_name("grade_runner.py")
# Wall-clock seconds one exercise (its needed cells and its checks) may take. A correct
# exercise of this course checks in under 5 s on the 2-core development VM; 120 s covers a
# slow, shared grading machine and correct but slow code, and ends an endless loop.
EXERCISE_TIMEOUT_S = 120
# Modules imported once before the exercises are forked, so each exercise starts fast.
PRELOAD = [
    "torch",
    "torch._dynamo",  # wraps torch.manual_seed & co. when first imported: before the snapshot
    "torch.optim",
    "numpy",
    "gymnasium",
    "matplotlib.pyplot",
    "IPython.display",
    "tqdm.auto",
    "ipywidgets",
    "course_utils",
    "course_utils.checks",
    "course_utils.widgets",
    "course_utils.plotting",
]

# Answer code that reaches for the grader, the checks' internals or the interpreter's
# machinery: flagged for the instructor to read (the score is kept; see the guide).
SUSPICIOUS = {
    "names the checks or course_utils": r"\bcourse_utils\b|\bchecks\b|ExerciseFailure",
    "changes builtins or modules": r"\bbuiltins\b|__builtins__|sys\.modules|setattr\s*\(",
    "inspects the interpreter": r"\bgc\b\.|\bctypes\b|sys\._getframe|settrace|setprofile|"
    r"__code__|f_locals|f_globals|inspect\.stack",
    "ends the process or starts others": r"os\._exit|sys\.exit|\bsubprocess\b|os\.system|"
    r"os\.fork|os\.kill|signal\.",
    "reads or writes files": r"\bopen\s*\(|\bPath\s*\(|os\.path|\bos\.(listdir|walk|remove|chdir)|"
    r"sqlite3|shutil",
    "uses the network": r"\bsocket\b|urllib|requests\.|http\.client",
}


class GradeError(ValueError):
    """Bad arguments or a course directory that cannot be graded."""


@dataclass(frozen=True)
class CheckCell:
    index: int
    grade_id: str
    points: float


@dataclass(frozen=True)
class GradedExercise:
    """An answer cell of the source and the check cells that grade it."""

    grade_id: str  # exercise_3_1
    answer: int  # cell index in the source
    answer_id: str  # the cell's id (a practice notebook keeps it)
    checks: tuple[CheckCell, ...]

    @property
    def label(self) -> str:
        return self.grade_id.removeprefix("exercise_")


@dataclass
class SourceAssignment:
    name: str
    notebook: str  # file name in source/<name>/
    nb: NotebookNode
    exercises: list[GradedExercise]

    @property
    def max_score(self) -> float:
        return sum(c.points for e in self.exercises for c in e.checks)


def _nbgrader(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def load_source(course_dir: Path, assignment: str) -> SourceAssignment:
    """The pristine source notebook of `assignment` and its exercises (from its metadata)."""
    folder = course_dir / "source" / assignment
    notebooks = sorted(folder.glob("*.ipynb")) if folder.is_dir() else []
    if len(notebooks) != 1:
        found = ", ".join(p.name for p in notebooks) or "none"
        raise GradeError(
            f"assignment {assignment!r}: expected one source notebook in {folder} (found "
            f"{found}); run `make assignments` and `nbgrader generate_assignment {assignment}`"
        )
    nb = nbformat.read(notebooks[0], as_version=4)
    found: list[GradedExercise] = []
    pending: list[CheckCell] = []
    current: tuple[str, int, str] | None = None
    for index, cell in enumerate(nb.cells):
        meta = _nbgrader(cell)
        if cell.cell_type != "code" or not meta:
            continue
        if meta.get("solution") and not meta.get("grade"):
            if current is not None:
                found.append(GradedExercise(*current, tuple(pending)))
            current, pending = (meta["grade_id"], index, cell.get("id", "")), []
        elif meta.get("grade"):
            if current is None:
                raise GradeError(f"{notebooks[0]}: check cell {meta['grade_id']} before any answer")
            pending.append(CheckCell(index, meta["grade_id"], float(meta.get("points", 0))))
    if current is not None:
        found.append(GradedExercise(*current, tuple(pending)))
    if not found:
        raise GradeError(f"{notebooks[0]}: no answer cells with nbgrader metadata")
    return SourceAssignment(assignment, notebooks[0].name, nb, found)


# --------------------------------------------------------------------------- dependencies


def _python(source: str) -> str:
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover
        return source
    return TransformerManager().transform_cell(source)


def _names(source: str) -> tuple[set[str], set[str]]:
    """(names the cell binds at top level, names it reads anywhere)."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return set(), set()
    bound: set[str] = set()
    for node in tree.body:
        for sub in (
            ast.walk(node) if not isinstance(node, ast.FunctionDef | ast.ClassDef) else [node]
        ):
            if isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.add(sub.name)
            elif isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                bound.add(sub.id)
            elif isinstance(sub, ast.alias):
                bound.add((sub.asname or sub.name).split(".")[0])
    return bound, _global_reads(_python(source))


def _global_reads(code: str) -> set[str]:
    """The module-level names a cell reads, at its top level or inside its functions and
    classes (a function's parameters and locals are not the notebook's names)."""
    import symtable

    try:
        top = symtable.symtable(code, "<cell>", "exec")
    except SyntaxError:
        return set()
    names: set[str] = set()
    tables = [top]
    while tables:
        table = tables.pop()
        for symbol in table.get_symbols():
            if not symbol.is_referenced():
                continue
            if table.get_type() == "module" or symbol.is_global():
                names.add(symbol.get_name())
        tables += table.get_children()
    return names


def needed_cells(nb: NotebookNode, targets: Sequence[int], answers: dict[int, str]) -> list[int]:
    """Indices of the code cells that `targets` (an answer cell and its checks) need, in order.

    A cell before the last target is needed when it binds a name that a needed cell reads
    (transitively). `answers` maps answer-cell indices to the code that will run there (the
    student's), whose names count instead of the source's. Every other cell is skipped: a
    cell that trains or plots binds names no check reads, so skipping it cannot change a
    check's outcome (tests/tools/test_grade.py compares with running every cell).
    """
    sources = {i: answers.get(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"}
    names = {i: _names(s) for i, s in sources.items()}
    needed = set(targets)
    wanted: set[str] = set()
    for i in targets:
        wanted |= names[i][1]
    for i in sorted((j for j in sources if j < max(targets)), reverse=True):
        if i in needed:
            continue
        bound, read = names[i]
        if bound & wanted and i < max(targets):
            needed.add(i)
            wanted |= read
    return sorted(needed)


def all_cells_before(nb: NotebookNode, targets: Sequence[int]) -> list[int]:
    """Every code cell up to the last target: what running the notebook would execute."""
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i <= max(targets)]


# --------------------------------------------------------------------------- submissions


@dataclass
class Submission:
    student: str
    path: Path | None
    kind: str  # "release", "practice", or "missing"
    answers: dict[str, str] = field(default_factory=dict)  # exercise grade_id -> code
    notes: list[str] = field(default_factory=list)


_STUB = re.compile(r"raise NotImplementedError")


def read_submission(folder: Path, student: str, source: SourceAssignment) -> Submission:
    """The student's answer cells, and what is unusual about the file."""
    notebooks = sorted(folder.glob("*.ipynb"))
    preferred = [p for p in notebooks if p.name == source.notebook]
    if not notebooks:
        return Submission(student, None, "missing", notes=["no notebook in the submission"])
    path = preferred[0] if preferred else notebooks[0]
    notes = []
    if len(notebooks) > 1:
        notes.append(f"{len(notebooks)} notebooks submitted; graded {path.name}")
    elif not preferred:
        notes.append(f"notebook named {path.name}, not {source.notebook}; graded it")
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - a damaged file is reported, not fatal
        return Submission(student, path, "missing", notes=[f"unreadable notebook: {error}"])
    by_grade_id = {_nbgrader(c).get("grade_id"): c for c in nb.cells if _nbgrader(c)}
    by_id = {c.get("id"): c for c in nb.cells}
    kind = "release" if by_grade_id else "practice"
    if kind == "practice":
        notes.append(
            "made in the practice notebook (no nbgrader metadata), not the nbgrader "
            "release: answers matched by cell id and graded"
        )
    answers = {}
    for exercise in source.exercises:
        cell = by_grade_id.get(exercise.grade_id) or by_id.get(exercise.answer_id)
        if cell is None or cell.cell_type != "code":
            notes.append(f"answer cell {exercise.grade_id} missing (deleted?): 0 points")
            continue
        answers[exercise.grade_id] = cell.source
        for check in exercise.checks:
            ids = {check.grade_id, source.nb.cells[check.index].get("id")}
            if not (ids & set(by_grade_id)) and not (ids & set(by_id)):
                notes.append(
                    f"check cell {check.grade_id} deleted from the submission "
                    "(graded with the pristine check)"
                )
    source_ids = {c.get("id") for c in source.nb.cells}
    added = [c for c in nb.cells if c.cell_type == "code" and c.get("id") not in source_ids]
    added = [c for c in added if _nbgrader(c).get("grade_id") is None and c.source.strip()]
    if added:
        notes.append(f"{len(added)} code cell(s) added outside the answer cells (not run)")
    return Submission(student, path, kind, answers, notes)


def suspicious(code: str) -> list[str]:
    """What in an answer cell an instructor should read (see SUSPICIOUS)."""
    return [what for what, pattern in SUSPICIOUS.items() if re.search(pattern, code)]


# --------------------------------------------------------------------------- the job


def _job(source: SourceAssignment, sub: Submission, full: bool, timeout_s: float) -> dict:
    exercises = []
    answer_index = {e.answer: e.grade_id for e in source.exercises}
    answers = {i: sub.answers.get(g, "") for i, g in answer_index.items()}
    for exercise in source.exercises:
        if exercise.grade_id not in sub.answers:
            continue
        targets = [exercise.answer, *(c.index for c in exercise.checks)]
        if full:
            indices = all_cells_before(source.nb, targets)
        else:
            indices = needed_cells(source.nb, targets, answers)
        checks = {c.index: c for c in exercise.checks}
        cells = []
        for i in indices:
            cell = source.nb.cells[i]
            if i in checks:
                cells.append(
                    {"id": cell.get("id", str(i)), "role": "check", "source": cell.source,
                     "grade_id": checks[i].grade_id}
                )  # fmt: skip
            elif i in answer_index:
                code = answers[i]
                if not code:
                    continue
                cells.append({"id": cell.get("id", str(i)), "role": "answer", "source": code})
            elif not _nbgrader(cell).get("grade"):  # another exercise's check: not needed
                cells.append({"id": cell.get("id", str(i)), "role": "given", "source": cell.source})
        exercises.append({"label": exercise.label, "grade_id": exercise.grade_id, "cells": cells})
    return {
        "exercises": exercises,
        "wall_s": timeout_s,
        "cpu_s": int(timeout_s),
        "preload": PRELOAD,
        "result_path": "/scratch/result.json",
    }


def _package_dir() -> Path:
    """The course package's folder, found without importing it (and torch) here."""
    import importlib.util

    spec = importlib.util.find_spec("course_utils")
    if spec is None or not spec.submodule_search_locations:
        raise GradeError("course_utils is not installed in this environment (make assignments)")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def package_manifest(folder: Path | None = None) -> str:
    """A hash of every file of the course package: writing into it shows."""
    folder = folder or _package_dir()
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def run_job(job: dict, submission_dir: Path | None, *, unsafe: bool) -> tuple[dict | None, str]:
    """Run the job in the sandbox (or, with `unsafe`, without one); (result, log)."""
    scratch = Path(tempfile.mkdtemp(prefix="grade-scratch-"))
    jobdir = Path(tempfile.mkdtemp(prefix="grade-job-"))
    try:
        env = {
            "COURSE_UTILS_GRADING": "1",
            "OMP_NUM_THREADS": "1",
            "MPLBACKEND": "Agg",
            "MPLCONFIGDIR": "/scratch/.matplotlib",
            "PYTHONDONTWRITEBYTECODE": "1",
            "SDL_VIDEODRIVER": "dummy",
        }
        wall = job["wall_s"] * max(1, len(job["exercises"])) + 120
        python = str(Path(sys.executable).absolute())
        if unsafe:
            job = dict(job, result_path=str(scratch / "result.json"))
            (jobdir / "job.json").write_text(json.dumps(job))
            shutil.copy(RUNNER, jobdir / "grade_runner.py")
            command = [python, "-I", str(jobdir / "grade_runner.py"), str(jobdir / "job.json")]
            run_env = {**{k: v for k, v in os.environ.items() if k in ("PATH", "LANG")}, **env}
            run_env["HOME"] = str(scratch)
            run_env["MPLCONFIGDIR"] = str(scratch / ".matplotlib")
            cwd = scratch
        else:
            (jobdir / "job.json").write_text(json.dumps(job))
            shutil.copy(RUNNER, jobdir / "grade_runner.py")
            readable: list[tuple[Path, str]] = [
                (jobdir, "/job"),
                (_package_dir(), str(_package_dir())),
            ]
            if submission_dir is not None:
                readable.append((submission_dir, "/submission"))
            command = sandbox.bwrap_command(
                [python, "-I", "/job/grade_runner.py", "/job/job.json"],
                scratch=scratch,
                readable=readable,
                env=env,
            )
            run_env, cwd = None, scratch
        try:
            done = subprocess.run(
                command, cwd=cwd, env=run_env, capture_output=True, text=True, timeout=wall,
                check=False, start_new_session=True,
            )  # fmt: skip
            log = (done.stdout[-5000:] + done.stderr[-5000:]).strip()
        except subprocess.TimeoutExpired:
            return None, f"the whole run exceeded {wall:.0f} s"
        result_file = scratch / "result.json"
        if not result_file.is_file():
            return None, f"no result (exit {done.returncode}): {log[-2000:]}"
        try:
            return json.loads(result_file.read_text()), log
        except ValueError:
            return None, f"unreadable result (exit {done.returncode})"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.rmtree(jobdir, ignore_errors=True)


# --------------------------------------------------------------------------- scoring


@dataclass
class CheckResult:
    student: str
    exercise: str
    grade_id: str
    points: float
    max_points: float
    outcome: str  # passed, failed, timeout, tampered, reference, missing, crashed
    detail: str = ""


def score(source: SourceAssignment, sub: Submission, result: dict | None, log: str) -> tuple[
    list[CheckResult], list[str], dict
]:  # fmt: skip
    """Rows per check cell, notes for the instructor, and the outputs per cell id."""
    rows, notes, outputs = [], list(sub.notes), {}
    by_label = {e["label"]: e for e in (result or {}).get("exercises", [])}
    if result is None and sub.answers:
        notes.append(f"grading run failed: {log}")
    for exercise in source.exercises:
        code = sub.answers.get(exercise.grade_id)
        flags = suspicious(code or "")
        if flags:
            notes.append(f"{exercise.grade_id}: answer code to read: {'; '.join(flags)}")
        ran = by_label.get(exercise.label)
        passed = {c["grade_id"]: c["passed"] for c in (ran or {}).get("checks", [])}
        problem, detail = None, ""
        if code is None:
            problem, detail = "missing", "answer cell missing"
        elif ran is None:
            problem, detail = "crashed", "the exercise did not run"
        elif ran.get("ended") in ("timeout", "cpu"):
            problem = "timeout"
            detail = f"stopped after {ran.get('seconds')} s (limit {EXERCISE_TIMEOUT_S} s or CPU)"
        elif ran.get("crash") or ran.get("ended") != "ok":
            problem, detail = "crashed", f"the run ended: {ran.get('ended')} {ran.get('crash', '')}"
        elif ran.get("tampering"):
            problem = "tampered"
            detail = "; ".join(ran["tampering"][:8])
        elif ran.get("references"):
            problem = "reference"
            detail = f"answered with the course's reference ({', '.join(ran['references'])})"
        if problem in ("tampered", "crashed", "timeout", "reference"):
            notes.append(f"{exercise.grade_id}: {problem.upper()}: {detail}")
        for cell in (ran or {}).get("cells", []):
            outputs[cell["id"]] = cell
            if cell["role"] == "given" and cell.get("error"):
                notes.append(
                    f"{exercise.grade_id}: given cell {cell['id']} raised "
                    f"{_summary_line(cell['error'])} (after the student's code, or a broken "
                    "grading environment)"
                )
        for check in exercise.checks:
            ok = problem is None and passed.get(check.grade_id) is True
            outcome = problem or ("passed" if ok else "failed")
            if outcome == "failed":
                cell = next(
                    (
                        c
                        for c in (ran or {}).get("cells", [])
                        if c["id"] == source.nb.cells[check.index].get("id")
                    ),
                    {},
                )
                detail = _summary_line(cell.get("error") or "")
            rows.append(
                CheckResult(
                    sub.student, exercise.label, check.grade_id, check.points if ok else 0.0,
                    check.points, outcome, detail[:300],
                )
            )  # fmt: skip
    return rows, notes, outputs


# --------------------------------------------------------------------------- nbgrader


def _summary_line(error: str) -> str:
    """The line of an error that says what went wrong: the check's header, or the last."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    marked = [line for line in lines if line.startswith("❌")]
    return (marked or lines or [""])[0 if marked else -1]


def course_id(course_dir: Path) -> str:
    """The course id in the course directory's nbgrader_config.py (nbgrader's default)."""
    config = course_dir / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8") if config.is_file() else ""
    found = re.search(r"""^c\.CourseDirectory\.course_id\s*=\s*["']([^"']+)["']""", text, re.M)
    return found.group(1) if found else "default_course"


def _feedback_notebook(
    source: SourceAssignment, course_dir: Path, sub: Submission, outputs: dict, rows: list
) -> NotebookNode:
    """The autograded notebook nbgrader's feedback and formgrader read: the release with the
    student's answers, each check cell showing its check's output or diagnosis."""
    release = course_dir / "release" / source.name / source.notebook
    nb = nbformat.read(release, as_version=4) if release.is_file() else None
    if nb is None:  # no release: the source without its solutions
        import copy

        nb = copy.deepcopy(source.nb)
        for cell in nb.cells:
            if _nbgrader(cell).get("solution"):
                cell.source = "raise NotImplementedError()"
    by_row = {r.grade_id: r for r in rows}
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        grade_id = meta.get("grade_id")
        if meta.get("solution") and grade_id in sub.answers:
            cell.source = sub.answers[grade_id]
        ran = outputs.get(cell.get("id"))
        if cell.cell_type != "code" or ran is None:
            if meta.get("grade") and grade_id in by_row and by_row[grade_id].outcome != "passed":
                row = by_row[grade_id]
                cell.outputs = [_error(row.outcome, row.detail or row.outcome)]
            continue
        if ran.get("output"):
            cell.outputs.append(nbformat.v4.new_output("stream", name="stdout", text=ran["output"]))
        row = by_row.get(grade_id)
        if ran.get("error") or (row is not None and row.outcome != "passed"):
            text = ran.get("error") or f"{row.outcome}: {row.detail}"
            name = ran.get("error_name") or row.outcome if row else ran.get("error_name", "Error")
            cell.outputs.append(_error(name, text))
    return nb


def _error(name: str, text: str) -> NotebookNode:
    return nbformat.v4.new_output(
        "error", ename=str(name), evalue=_summary_line(text),
        traceback=text.splitlines(),
    )  # fmt: skip


def save_to_gradebook(
    course_dir: Path, source: SourceAssignment, student: str, rows, folder: Path
) -> str:
    """Write the scores into nbgrader's gradebook as autograde would; '' or why not."""
    db = course_dir / "gradebook.db"
    if not db.is_file():
        return "no gradebook.db (run nbgrader generate_assignment first)"
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.utils import parse_utc

    warnings.filterwarnings("ignore", module="nbgrader")  # SQLAlchemy's autoflush notes
    url, notebook, course = f"sqlite:///{db}", Path(source.notebook).stem, course_id(course_dir)
    stamp = folder / "timestamp.txt"
    extra = {"timestamp": parse_utc(stamp.read_text().strip())} if stamp.is_file() else {}
    with Gradebook(url, course) as gradebook:
        try:
            gradebook.find_assignment(source.name)
        except MissingEntry:
            return f"assignment {source.name} is not in the gradebook"
        gradebook.update_or_create_student(student)
    with Gradebook(url, course) as gradebook:  # a session of its own, as nbgrader autograde does
        gradebook.update_or_create_submission(source.name, student, **extra)
    with Gradebook(url, course) as gradebook:
        for row in rows:
            grade = gradebook.find_grade(row.grade_id, notebook, source.name, student)
            grade.auto_score = row.points
            grade.needs_manual_grade = grade.manual_score is not None
        gradebook.db.commit()
    return ""


# --------------------------------------------------------------------------- the command


def _students(course_dir: Path, assignment: str, only: Sequence[str]) -> list[tuple[str, Path]]:
    root = course_dir / "submitted"
    found = sorted(
        (p.parent.name, p) for p in root.glob(f"*/{assignment}") if p.is_dir()
    ) if root.is_dir() else []  # fmt: skip
    if only:
        unknown = sorted(set(only) - {s for s, _ in found})
        if unknown:
            raise GradeError(f"--student: no submission of {assignment} from {', '.join(unknown)}")
        found = [(s, p) for s, p in found if s in only]
    return found


def grade_assignment(
    course_dir: Path | str,
    assignment: str,
    *,
    students: Sequence[str] = (),
    unsafe: bool = False,
    full: bool = False,
    timeout_s: float = EXERCISE_TIMEOUT_S,
    gradebook: bool = True,
    jobs: int = 1,
    echo=print,
) -> dict:
    """Grade every submission; return the report as a dict (also written to reports/).

    ``jobs`` sandboxes run at the same time (each grades one submission, on about one core);
    the scores, gradebook and reports are still written one submission after the other, in
    the students' order. With ``jobs=1`` each submission is run, then scored, in turn."""
    course_dir = Path(course_dir).resolve()
    if timeout_s <= 0:
        raise GradeError(f"--exercise-timeout must be > 0 seconds, got {timeout_s}")
    if jobs < 1:
        raise GradeError(f"--jobs must be 1 or more, got {jobs}")
    source = load_source(course_dir, assignment)
    found = _students(course_dir, assignment, students)
    if not found:
        raise GradeError(f"no submissions in {course_dir / 'submitted'}/<student>/{assignment}/")
    if not unsafe:
        works, why = sandbox.available()
        if not works:
            raise SandboxError(
                f"cannot sandbox the grading: {why}. Use --unsafe to grade without one."
            )
    manifest = package_manifest()
    report: dict = {"assignment": assignment, "sandboxed": not unsafe, "full": full, "students": {}}
    all_rows: list[CheckResult] = []

    def run(item: tuple[str, Path]) -> tuple[Submission, dict | None, str, float]:
        tic = time.perf_counter()
        sub = read_submission(item[1], item[0], source)
        result, log = (None, "")
        if sub.answers:
            job = _job(source, sub, full, timeout_s)
            result, log = run_job(job, item[1], unsafe=unsafe)
        return sub, result, log, time.perf_counter() - tic

    pool = ThreadPoolExecutor(max_workers=jobs) if jobs > 1 and len(found) > 1 else None
    # One after the other (a generator runs each submission when the loop asks for it), or
    # `jobs` at a time, ahead of the loop; either way in the students' order.
    runs = pool.map(run, found) if pool is not None else (run(item) for item in found)
    try:
        for (student, folder), (sub, result, log, ran_s) in zip(found, runs, strict=True):
            tic = time.perf_counter()
            rows, notes, outputs = score(source, sub, result, log)
            now = package_manifest()
            if now != manifest:
                notes.append(
                    "THE COURSE PACKAGE CHANGED ON DISK while grading this submission"
                    + (f" (or one of the {jobs} graded at the same time)" if pool else "")
                )
                manifest = now
            seconds = ran_s + time.perf_counter() - tic
            total = sum(r.points for r in rows)
            if gradebook:
                why = save_to_gradebook(course_dir, source, student, rows, folder)
                if why:
                    notes.append(f"gradebook not updated: {why}")
                else:
                    target = course_dir / "autograded" / student / assignment
                    target.mkdir(parents=True, exist_ok=True)
                    nbformat.write(
                        _feedback_notebook(source, course_dir, sub, outputs, rows),
                        target / source.notebook,
                    )
            report["students"][student] = {
                "kind": sub.kind,
                "sandboxed": not unsafe,
                "score": total,
                "max_score": source.max_score,
                "seconds": round(seconds, 1),
                "notes": notes,
                "timing": {
                    **(result or {}).get("timing", {}),
                    **{e["label"]: e.get("seconds") for e in (result or {}).get("exercises", [])},
                },
                "checks": {
                    r.grade_id: {
                        "exercise": r.exercise,
                        "points": r.points,
                        "max_points": r.max_points,
                        "outcome": r.outcome,
                        "detail": r.detail,
                    }
                    for r in rows
                },
            }
            all_rows += rows
            flag = "  <-- read the report" if any(_loud(n) for n in notes) else ""
            echo(f"{student}: {total:g}/{source.max_score:g} in {seconds:.1f} s ({sub.kind}){flag}")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    _write_reports(course_dir, assignment, report, all_rows)
    echo(f"report: {course_dir / 'reports' / (assignment + '.txt')}")
    return report


class SandboxError(RuntimeError):
    """The sandbox cannot run here."""


def _loud(note: str) -> bool:
    return any(w in note for w in ("TAMPERED", "REFERENCE", "deleted", "missing", "practice",
                                   "to read", "CHANGED", "TIMEOUT", "CRASHED", "failed"))  # fmt: skip


def _write_reports(course_dir: Path, assignment: str, report: dict, rows) -> None:
    """reports/<assignment>.json, .csv and .txt; grading some students (--student) updates
    their entries and keeps the others'."""
    folder = course_dir / "reports"
    folder.mkdir(exist_ok=True)
    path = folder / f"{assignment}.json"
    merged = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    students = {**merged.get("students", {}), **report["students"]}
    report = {**report, "students": dict(sorted(students.items()))}
    path.write_text(json.dumps(report, indent=1), encoding="utf-8")
    with (folder / f"{assignment}.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["student", "exercise", "grade_id", "points", "max_points", "outcome", "detail"]
        )
        for student, entry in report["students"].items():
            for grade_id, check in entry["checks"].items():
                writer.writerow([
                    student, check["exercise"], grade_id, f"{check['points']:g}",
                    f"{check['max_points']:g}", check["outcome"], check["detail"],
                ])  # fmt: skip
    how = "sandboxed" if report["sandboxed"] else "UNSANDBOXED (--unsafe)"
    lines = [f"Grading report: {assignment} (last run {how})", ""]
    for student, entry in report["students"].items():
        lines.append(
            f"{student}: {entry['score']:g}/{entry['max_score']:g} "
            f"({entry['kind']}, {entry['seconds']} s{'' if entry.get('sandboxed', True) else ', UNSANDBOXED'})"
        )
        lines += [f"    ! {note}" for note in entry["notes"]]
    (folder / f"{assignment}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
