"""nbgrader metadata for the solution notebooks, and the nbgrader course directory.

The complete notebooks in ``notebooks/solutions/`` are nbgrader source notebooks as they
are: their solution regions already use nbgrader's ``### BEGIN SOLUTION`` markers, and this
tool writes the cell metadata that nbgrader reads (schema 3)::

    python -m tools.grading stamp notebooks/solutions            # write the metadata
    python -m tools.grading stamp --check notebooks/solutions    # missing or stale? exit 1
    python -m tools.grading assignments notebooks/solutions _build/grading   # make assignments
    python -m tools.grading assignments notebooks/ko/solutions _build/grading-ko \
        --course-id deep-rl-course-ko                                      # the Korean course
    python -m tools.grading grade _build/grading NN_name [--student ID] [--unsafe]
                                                                 # make grade ASSIGNMENT=NN_name

``grade`` replaces ``nbgrader autograde``: see :mod:`tools.grade` (pristine checks, a
bubblewrap sandbox per submission, a report of tampering) and docs/instructor-guide.md.

What is stamped
---------------
- An **exercise cell** (a code cell holding a solution region, with its
  ``# Exercise N.M: ...`` line) becomes an *autograded answer*:
  ``solution: true, grade: false, locked: false, grade_id: "exercise_N_M"``.
- A **check cell** (a code cell that calls ``checks.check_<name>(...)``, after an exercise
  cell and before the next one) becomes an *autograder test*:
  ``grade: true, locked: true, solution: false, grade_id: "check_N_M"`` and the exercise's
  ``points`` from the exercise registry, ``course_utils/exercises.toml``
  (:mod:`tools.exercises`), the one place points are written.
- Every other cell carries no nbgrader metadata: the tool owns the ``nbgrader`` key of
  every cell, so an exercise that moves or disappears leaves nothing stale behind. Running
  it twice changes nothing.

A cell holding several exercises is one answer cell (``exercise_3_1-3_2``); its check
cells share the exercises' points, one exercise per check when the counts match. Further
check cells after one exercise are ``check_N_M_b``, ``check_N_M_c``, ...

Cells tagged ``solution-only``
------------------------------
They hold instructors' answers to "Questions to think about". nbgrader has no cell that is
removed from the student version: a markdown "solution" cell must also be a graded one
(a *manually graded answer*), which would turn optional reflection into marks that someone
grades by hand, and stop the autograder from giving full marks on its own. So they get no
nbgrader metadata (``--check`` rejects any), and ``make assignments`` leaves them out of the
nbgrader source notebook it writes, the same rule as the student notebooks and the slides.
Release from the course directory that command writes, not from ``notebooks/solutions/``.

The course directory
--------------------
``assignments`` writes, for every solution notebook ``NN_name.ipynb``::

    <course>/nbgrader_config.py
    <course>/source/NN_name/NN_name.ipynb     (stamped; solution-only cells dropped)

ready for ``nbgrader generate_assignment NN_name`` run from ``<course>``. The configuration
gives each cell :data:`CELL_TIMEOUT_S` seconds, enough for the longest training cell on a
slower grading machine: grading runs the notebooks exactly as students do.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook()
>>> nb.cells = [
...     nbformat.v4.new_code_cell("def f(x):\\n    # Exercise 1.1: double x\\n"
...         "    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION", id="f"),
...     nbformat.v4.new_code_cell("checks.check_f(f)", id="check-f")]
>>> stamp_notebook(nb, {"1.1": 3})
True
>>> nb.cells[1].metadata["nbgrader"]["grade_id"], nb.cells[1].metadata["nbgrader"]["points"]
('check_1_1', 3)
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from tools import cells
from tools import exercises as registry
from tools.reports import report_check
from tools.student_notebooks import (
    AuthoringError,
    find_regions,
    notebook_text,
    solution_notebooks,
)

__all__ = [
    "CELL_TIMEOUT_S",
    "COURSE_ID",
    "COURSE_ID_KO",
    "POINTS_FILE",
    "Exercise",
    "GradingError",
    "assignment_name",
    "check_folder",
    "config_text",
    "exercises",
    "expected_metadata",
    "load_points",
    "main",
    "make_course",
    "source_notebook",
    "stamp_folder",
    "stamp_notebook",
]

SCHEMA_VERSION = 3
COURSE_ID = "deep-rl-course"
# The Korean edition is a course of its own (same assignment names, its own course id), so
# both can be released on one hub: `make assignments` writes it to <course>-ko.
COURSE_ID_KO = "deep-rl-course-ko"
POINTS_FILE = registry.REGISTRY
# Seconds nbgrader gives one cell. The longest cell is notebook 05's ablation: 169-211 s on
# the 2-core benchmark VM (benchmarks/RESULTS.md), about 4 min on a laptop; 900 s leaves
# room for a slower, shared grading machine and for a correct but slower student loop,
# while a student's endless loop still ends. nbgrader's own default (30 s) would cut every
# training cell short.
CELL_TIMEOUT_S = 900

_CHECK_CALL = re.compile(r"\bchecks\.check_\w+\s*\(")


class GradingError(ValueError):
    """A solution notebook that cannot be turned into an nbgrader source notebook."""


@dataclass(frozen=True)
class Exercise:
    """One answer cell, the exercises it holds, its check cells and their points."""

    numbers: tuple[str, ...]  # ("2.1",)
    answer_cell: int
    check_cells: tuple[int, ...]
    points: tuple[float, ...]  # one per check cell; they sum to the exercises' points

    @property
    def label(self) -> str:
        """``3_1``, or ``3_1-3_2`` for a cell holding several exercises (ids allow no dot)."""
        return "-".join(n.replace(".", "_") for n in self.numbers)

    @property
    def grade_id(self) -> str:
        return f"exercise_{self.label}"

    def check_ids(self) -> list[str]:
        """``check_3_1``, then ``check_3_1_b``, ``check_3_1_c``, ... for further check cells."""
        base = f"check_{self.label}"
        return [
            base if k == 0 else f"{base}_{chr(ord('a') + k)}" for k in range(len(self.check_cells))
        ]

    @property
    def total_points(self) -> float:
        return sum(self.points)


def load_points(path: Path | str = POINTS_FILE) -> dict[str, float]:
    """The points table: exercise number -> points, with the default under ``"default"``.

    ``path`` is the exercise registry (``[exercise."N.M"]`` tables, each with ``points``), or
    a plain table (``default = 1`` and ``[points]`` ``"N.M" = 2``: ``--points`` for a course
    of other notebooks). An exercise the registry lacks gets ``default`` = 1 point, and
    ``stamp`` names it; the registry test fails on it.
    """
    with Path(path).open("rb") as f:
        data = tomllib.load(f)
    if "exercise" in data:
        table = {number: e.points for number, e in registry.load(path).items()}
        table["default"] = 1
        return table
    table = {str(k): v for k, v in data.get("points", {}).items()}
    table["default"] = data.get("default", 1)
    for key, value in table.items():
        if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
            raise GradingError(f"{path}: points for {key!r} must be a number >= 0, got {value!r}")
        if key != "default" and not re.fullmatch(r"\d+\.\d+", key):
            raise GradingError(f"{path}: {key!r} is not an exercise number like '3.1'")
    return table


def _points_of(number: str, points: Mapping[str, float]) -> float:
    return points.get(number, points.get("default", 1))


def _is_check(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and bool(_CHECK_CALL.search(cell.source))


def exercises(
    nb: NotebookNode, points: Mapping[str, float], name: str = "notebook"
) -> list[Exercise]:
    """The exercises of a complete notebook, with their answer and check cells, in order."""
    try:
        regions = find_regions(nb, name)
    except AuthoringError as error:
        raise GradingError(str(error)) from error
    numbers: dict[int, list[str]] = {}
    for region in regions:  # one exercise may have several regions in its cell
        in_cell = numbers.setdefault(region.cell_index, [])
        if region.exercise not in in_cell:
            in_cell.append(region.exercise)
    answers = sorted(numbers)
    checks: dict[int, list[int]] = {index: [] for index in answers}
    for index, cell in enumerate(nb.cells):
        if index in numbers or cells.has_tag(cell, cells.SOLUTION_ONLY) or not _is_check(cell):
            continue
        before = [a for a in answers if a < index]
        if not before:
            raise GradingError(
                f"{name}, cell {index} (id {cell.get('id', '?')!r}) calls a check before any "
                "exercise: a check cell follows the exercise it checks."
            )
        checks[before[-1]].append(index)
    found = []
    for index in answers:
        exercise_numbers = tuple(numbers[index])
        check_cells = tuple(checks[index])
        if not check_cells:
            raise GradingError(
                f"{name}, cell {index}: Exercise {', '.join(exercise_numbers)} has no check cell "
                "after it (a cell calling checks.check_<name>(...)) to grade it."
            )
        each = [_points_of(n, points) for n in exercise_numbers]
        if len(check_cells) == len(each):
            shares = tuple(each)
        else:  # one check for several exercises, or several checks for one: share equally
            total = sum(each)
            shares = tuple(total / len(check_cells) for _ in check_cells)
            shares = tuple(int(s) if float(s).is_integer() else s for s in shares)
        found.append(Exercise(exercise_numbers, index, check_cells, shares))
    return found


def expected_metadata(
    nb: NotebookNode, points: Mapping[str, float], name: str = "notebook"
) -> dict[int, dict[str, Any]]:
    """Cell index -> the ``nbgrader`` metadata that cell should carry (others: none)."""
    wanted: dict[int, dict[str, Any]] = {}
    for exercise in exercises(nb, points, name):
        wanted[exercise.answer_cell] = {
            "grade": False,
            "grade_id": exercise.grade_id,
            "locked": False,
            "schema_version": SCHEMA_VERSION,
            "solution": True,
        }
        for index, grade_id, share in zip(
            exercise.check_cells, exercise.check_ids(), exercise.points, strict=True
        ):
            wanted[index] = {
                "grade": True,
                "grade_id": grade_id,
                "locked": True,
                "points": share,
                "schema_version": SCHEMA_VERSION,
                "solution": False,
            }
    return wanted


def stamp_notebook(
    nb: NotebookNode, points: Mapping[str, float] | None = None, name: str = "notebook"
) -> bool:
    """Write the nbgrader metadata into `nb` in place; return whether anything changed."""
    wanted = expected_metadata(nb, load_points() if points is None else points, name)
    changed = False
    for index, cell in enumerate(nb.cells):
        have = cell.metadata.get("nbgrader")
        want = wanted.get(index)
        if want is None and have is not None:
            del cell.metadata["nbgrader"]
            changed = True
        elif want is not None and have != want:
            cell.metadata["nbgrader"] = want
            changed = True
    return changed


def _problems(nb: NotebookNode, points: Mapping[str, float], name: str) -> list[str]:
    wanted = expected_metadata(nb, points, name)
    problems = []
    for index, cell in enumerate(nb.cells):
        have, want = cell.metadata.get("nbgrader"), wanted.get(index)
        where = f"{name}, cell {index} (id {cell.get('id', '?')!r})"
        if want is None and have is not None:
            kind = "a solution-only cell" if cells.has_tag(cell, cells.SOLUTION_ONLY) else "it"
            problems.append(f"{where}: nbgrader metadata where none belongs ({kind})")
        elif want is not None and have is None:
            problems.append(f"{where}: no nbgrader metadata (wants {want['grade_id']})")
        elif want is not None and have != want:
            diff = {k: (have.get(k), v) for k, v in want.items() if have.get(k) != v}
            extra = sorted(set(have) - set(want))
            problems.append(f"{where}: stale nbgrader metadata {diff}, extra keys {extra}")
    return problems


def _unused_points(
    found: Mapping[str, list[Exercise]], points: Mapping[str, float], table: str = POINTS_FILE.name
) -> list[str]:
    """A message for table entries naming exercises none of the notebooks has."""
    numbers = {n for listed in found.values() for e in listed for n in e.numbers}
    stale = sorted(k for k in points if k != "default" and k not in numbers)
    if not stale:
        return []
    return [
        f"{table} gives points to exercises no solution notebook has: "
        f"{', '.join(stale)} (renumbered? update the table)"
    ]


def stamp_folder(folder: Path | str, points_file: Path | str = POINTS_FILE) -> list[Path]:
    """Stamp every solution notebook in `folder`; return the ones that changed."""
    points = load_points(points_file)
    changed = []
    for path in solution_notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        if stamp_notebook(nb, points, path.name):
            path.write_text(notebook_text(nb), encoding="utf-8", newline="\n")
            changed.append(path)
    return changed


def check_folder(folder: Path | str, points_file: Path | str = POINTS_FILE) -> list[str]:
    """Every missing or stale piece of nbgrader metadata in `folder` (empty: up to date),
    and points-table entries for exercises that none of its notebooks has."""
    points = load_points(points_file)
    problems, found = [], {}
    for path in solution_notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        found[path.name] = exercises(nb, points, path.name)
        problems += _problems(nb, points, path.name)
    return problems + _unused_points(found, points, Path(points_file).name)


def assignment_name(path: Path | str) -> str:
    """The nbgrader assignment (and notebook) name of a solution notebook: its stem."""
    return Path(path).stem


def source_notebook(nb: NotebookNode, points: Mapping[str, float], name: str) -> NotebookNode:
    """The nbgrader source notebook: stamped, without ``solution-only`` cells (a copy)."""
    source = copy.deepcopy(nb)
    source.cells = [c for c in source.cells if not cells.has_tag(c, cells.SOLUTION_ONLY)]
    stamp_notebook(source, points, name)
    return source


def config_text(timeout_s: int = CELL_TIMEOUT_S, course_id: str = COURSE_ID) -> str:
    """The ``nbgrader_config.py`` of the course directory."""
    return (
        f'''\
# nbgrader configuration of the deep-RL course, written by `make assignments`
# (python -m tools.grading assignments); change tools/grading.py, not this file.
# Run nbgrader from this folder: it reads this file from the working directory.
c = get_config()  # noqa: F821

c.CourseDirectory.course_id = "{course_id}"
# Seconds per cell, for `nbgrader autograde` (which runs every cell, training included:
# the longest, notebook 05's ablation, takes about 4 min on a laptop; nbgrader's default of
# 30 s would stop it). Grade with `make grade` instead: it runs only what the checks need,
# in a sandbox, with the pristine checks (tools/grade.py).
c.Execute.timeout = {timeout_s}
# A solution region outside an answer cell is an error, never a leaked solution.
c.ClearSolutions.enforce_metadata = True
'''
        + _WIDGET_SAFE
    )


# The nbgrader_config.py part that keeps `nbgrader autograde` (and generate_solution) from
# hanging on a widget cell. nbclient stands in for a browser's Output widget (which
# `ipywidgets.interact` draws into): it answers the kernel's comm messages with its own, sent on
# the shell channel from inside its IOPub handler, while it awaits the cell's execute_reply on
# that same channel (nbclient/output_widget.py); nbconvert's ExecutePreprocessor, which nbgrader
# uses, runs each cell in its own pass of the event loop. The reply can then be missed: nbgrader
# waits out the cell's timeout, kernel and nbgrader both idle (jupyter/nbclient#312). Notebook
# 01's two `interact` explorers did it to the round-trip test in CI, and to every run of two
# autogrades side by side on this 2-core machine (10 of 10); without the stand-in, 10 of 10
# side by side graded in 18 s each. Grading needs no widget state: the widgets' outputs stay in the
# cell outputs instead of the widget's.
_WIDGET_SAFE = '''
# nbclient's stand-in for the Output widget can make it miss a cell's reply after a widget
# cell and wait out the cell's timeout (jupyter/nbclient#312): grading runs without it.
from nbgrader.converters import Autograde as _Autograde
from nbgrader.converters import GenerateSolution as _GenerateSolution
from nbgrader.preprocessors import Execute as _Execute


class WidgetSafeExecute(_Execute):
    """nbgrader's Execute, without nbclient's stand-in for ipywidgets' Output widget."""

    def on_comm_open_jupyter_widget(self, msg):
        return None


def _widget_safe(converter, trait):
    default = converter.class_traits()[trait].default()
    return [WidgetSafeExecute if p is _Execute else p for p in default]


c.Autograde.autograde_preprocessors = _widget_safe(_Autograde, "autograde_preprocessors")
c.GenerateSolution.preprocessors = _widget_safe(_GenerateSolution, "preprocessors")
'''


def make_course(
    src_dir: Path | str,
    course_dir: Path | str,
    points_file: Path | str = POINTS_FILE,
    course_id: str = COURSE_ID,
) -> list[Path]:
    """Lay out an nbgrader course directory; return the source notebooks written.

    Existing ``source/`` folders of these assignments are replaced; everything else in
    `course_dir` (the gradebook, releases, submissions) is left alone.
    """
    points = load_points(points_file)
    course = Path(course_dir)
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(config_text(course_id=course_id), encoding="utf-8")
    written = []
    for path in solution_notebooks(src_dir):
        nb = nbformat.read(path, as_version=4)
        name = assignment_name(path)
        folder = course / "source" / name
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        target = folder / f"{name}.ipynb"
        target.write_text(
            notebook_text(source_notebook(nb, points, path.name)), encoding="utf-8", newline="\n"
        )
        written.append(target)
    return written


def _summary(folder: Path, points: Mapping[str, float], table: str = POINTS_FILE.name) -> list[str]:
    lines, found = [], {}
    for path in solution_notebooks(folder):
        nb = nbformat.read(path, as_version=4)
        found[path.name] = exercises(nb, points, path.name)
        for e in found[path.name]:
            default = [n for n in e.numbers if n not in points]
            note = f"  (default points for {', '.join(default)})" if default else ""
            lines.append(
                f"  {path.stem}  Exercise {', '.join(e.numbers)}: {e.total_points:g} point(s), "
                f"cells {e.answer_cell} -> {', '.join(map(str, e.check_cells))}{note}"
            )
    return lines + [f"warning: {m}" for m in _unused_points(found, points, table)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.grading",
        description="nbgrader metadata for the solution notebooks, and the course directory.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    stamp = commands.add_parser("stamp", help="write (or --check) the nbgrader cell metadata")
    stamp.add_argument("folder", type=Path, help="folder of solution notebooks")
    stamp.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    course = commands.add_parser("assignments", help="lay out an nbgrader course directory")
    course.add_argument("folder", type=Path, help="folder of solution notebooks")
    course.add_argument("course_dir", type=Path, help="the nbgrader course directory")
    course.add_argument(
        "--course-id",
        default=COURSE_ID,
        help=f"nbgrader course id (default {COURSE_ID}; the Korean edition: {COURSE_ID_KO})",
    )
    for sub in (stamp, course):
        sub.add_argument(
            "--points",
            type=Path,
            default=POINTS_FILE,
            help="points: the exercise registry (default) or a TOML table",
        )
    grade = commands.add_parser(
        "grade",
        help="grade every submission of an assignment in a sandbox (replaces nbgrader autograde)",
    )
    grade.add_argument("course_dir", type=Path, help="the nbgrader course directory")
    grade.add_argument("assignment", help="the assignment name, e.g. 03_deep_sarsa_mountaincar")
    grade.add_argument(
        "--student", action="append", default=[], help="grade only this student (repeatable)"
    )
    grade.add_argument(
        "--unsafe", action="store_true", help="grade without the sandbox (trusted code only)"
    )
    grade.add_argument(
        "--exercise-timeout",
        type=float,
        default=None,
        help="wall-clock seconds per exercise (default: tools.grade.EXERCISE_TIMEOUT_S)",
    )
    grade.add_argument(
        "--full",
        action="store_true",
        help="run every cell before each check, not only the cells it needs (slower)",
    )
    grade.add_argument(
        "--jobs", type=int, default=1, help="sandboxes at a time (about one core each; default 1)"
    )
    args = parser.parse_args(argv)
    if args.command == "grade":
        return _grade(args)
    try:
        if not solution_notebooks(args.folder):
            print(f"error: no NN_*.ipynb notebooks in {args.folder}", file=sys.stderr)
            return 2
        if args.command == "assignments":
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", args.course_id):
                print(
                    f"error: --course-id {args.course_id!r}: letters, digits, . _ -",
                    file=sys.stderr,
                )
                return 2
            for path in make_course(args.folder, args.course_dir, args.points, args.course_id):
                print(f"wrote {path}")
            print("\n".join(_summary(args.folder, load_points(args.points), args.points.name)))
            print(f"next: cd {args.course_dir} && nbgrader generate_assignment <name>")
            return 0
        if args.check:
            problems = check_folder(args.folder, args.points)
            return report_check(
                problems,
                f"run `python -m tools.grading stamp {args.folder}`",
                f"nbgrader metadata up to date ({len(solution_notebooks(args.folder))})",
            )
        for path in stamp_folder(args.folder, args.points):
            print(f"stamped {path}")
        print("\n".join(_summary(args.folder, load_points(args.points), args.points.name)))
    except GradingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


def _grade(args: argparse.Namespace) -> int:
    from tools import grade

    timeout = grade.EXERCISE_TIMEOUT_S if args.exercise_timeout is None else args.exercise_timeout
    try:
        report = grade.grade_assignment(
            args.course_dir,
            args.assignment,
            students=args.student,
            unsafe=args.unsafe,
            full=args.full,
            timeout_s=timeout,
            jobs=args.jobs,
        )
    except grade.SandboxError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3
    except grade.GradeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    failed = [s for s, entry in report["students"].items() if entry.get("failed")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
