"""Turn the complete notebooks in ``notebooks/solutions/`` into the student notebooks.

The complete notebook is the only file an author edits. ``make sync`` runs (among the
steps of :mod:`tools.sync`)::

    python -m tools.student_notebooks notebooks/solutions notebooks          # write
    python -m tools.student_notebooks --check notebooks/solutions notebooks  # drift? exit 1

Every ``NN_name.ipynb`` (two leading digits) in the source folder becomes
``NN_name.ipynb`` in the destination folder:

- a solution region becomes, at the same indentation, one line that raises
  ``NotImplementedError("Exercise N.M: <what to write>")``, so the cell still parses and a
  function body stays non-empty; lines after the region are kept;
- cells tagged ``solution-only`` are dropped;
- outputs and execution counts are cleared, and so is output state in the metadata
  (``execution`` and ``ExecuteTime`` timings, ``scrolled``, the notebook's saved widget
  state); so is nbgrader's cell metadata (``nbgrader``: grade ids, points, locks, written
  by ``python -m tools.grading stamp``), which is for the instructor's grading, not for
  students; cell ids and all other metadata are kept, so a change to a solution shows as
  a small diff;
- the file is written by nbformat, deterministically, with a trailing newline.

The solution region convention
------------------------------
Regions use nbgrader's delimiters, so an instructor can also grade with nbgrader.
nbgrader's ``ClearSolutions`` recognises a delimiter only when the *stripped line equals*
``### BEGIN SOLUTION`` (or ``### END SOLUTION``): text after the marker would hide the
region from nbgrader. The exercise text therefore goes on a comment line of the form
``# Exercise N.M: <what to write>``, immediately above the ``BEGIN`` marker, at the same
indentation. That comment becomes the stub's message (nbgrader leaves it in place as the
instruction above its own stub). In the complete notebook::

    def make_target_network(q_network):
        '''An independent copy of q_network: same weights, frozen, in eval mode.'''
        # Exercise 3.1: return an independent, frozen copy of q_network
        ### BEGIN SOLUTION
        target_q_network = copy.deepcopy(q_network)
        target_q_network.requires_grad_(False)
        return target_q_network.eval()
        ### END SOLUTION

and in the student notebook::

    def make_target_network(q_network):
        '''An independent copy of q_network: same weights, frozen, in eval mode.'''
        raise NotImplementedError("Exercise 3.1: return an independent, frozen copy of q_network")

A region without that comment, an unbalanced or nested marker, a marker with extra text on
its line, or a marker outside a code cell (written answers go in a cell tagged
``solution-only``) is an :class:`AuthoringError` naming the notebook and the cell. Lines
kept after a region should not use names the region defines: the student's code may not.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook()
>>> nb.cells = [nbformat.v4.new_code_cell(
...     "def f(x):\\n    # Exercise 1.1: return x doubled\\n"
...     "    ### BEGIN SOLUTION\\n    return 2 * x\\n    ### END SOLUTION",
...     id="double")]
>>> print(make_student_notebook(nb).cells[0].source)
def f(x):
    raise NotImplementedError("Exercise 1.1: return x doubled")
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from tools import cells
from tools.reports import report_check

__all__ = [
    "BEGIN_SOLUTION",
    "END_SOLUTION",
    "SOLUTION_ONLY_TAG",
    "AuthoringError",
    "SolutionRegion",
    "find_regions",
    "make_student_notebook",
    "notebook_text",
    "solution_notebooks",
    "generate",
    "check",
    "main",
]

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
SOLUTION_ONLY_TAG = cells.SOLUTION_ONLY

_EXERCISE = re.compile(r"#\s*Exercise\s+(?P<number>\d+\.\d+)\s*:\s*(?P<text>\S.*?)\s*")
_NOTEBOOK_NAME = re.compile(r"\d\d.*\.ipynb")
# Output state and timing noise, meaningless once outputs are cleared; and the grading
# internals (grade ids, points, locks) that tools.grading stamps for nbgrader.
_CELL_METADATA_DROPPED = ("execution", "ExecuteTime", "scrolled", "nbgrader")
_NOTEBOOK_METADATA_DROPPED = ("widgets",)


class AuthoringError(ValueError):
    """A solution notebook breaks the solution-region convention."""


@dataclass(frozen=True)
class SolutionRegion:
    """One solution region: where it is, which exercise, and the lines it hides."""

    notebook: str
    cell_index: int
    cell_id: str
    exercise: str  # "3.1"
    message: str  # "Exercise 3.1: return a frozen copy of q_network"
    lines: tuple[str, ...]  # the solution lines, as written (markers excluded)


def _where(notebook: str, index: int, cell: NotebookNode) -> str:
    return f"{notebook}, cell {index} (id {cell.get('id', '?')!r})"


def _is_marker_like(stripped: str) -> bool:
    """A comment that mentions a delimiter: nbgrader would miss it unless it is exact."""
    return stripped.startswith("#") and ("BEGIN SOLUTION" in stripped or "END SOLUTION" in stripped)


def _split_cell(
    source: str, notebook: str, index: int, cell: NotebookNode
) -> tuple[list[str], list[SolutionRegion]]:
    """The student lines of one code cell, and the regions found in it."""
    kept: list[str] = []
    regions: list[SolutionRegion] = []
    region: list[str] | None = None
    header: re.Match[str] | None = None
    where = _where(notebook, index, cell)
    for number, line in enumerate(source.split("\n"), start=1):
        stripped = line.strip()
        if stripped == BEGIN_SOLUTION:
            if region is not None:
                raise AuthoringError(f"{where}, line {number}: nested {BEGIN_SOLUTION!r}.")
            indent = line[: len(line) - len(line.lstrip())]
            above = kept[-1] if kept else ""
            header = _EXERCISE.fullmatch(above.strip())
            if header is None or above[: len(above) - len(above.lstrip())] != indent:
                raise AuthoringError(
                    f"{where}, line {number}: a solution region needs the exercise text on the "
                    f"line just above {BEGIN_SOLUTION!r}, at the same indentation, e.g. "
                    f"'{indent}# Exercise 3.1: return a frozen copy of q_network'; "
                    f"found {above.strip()!r}."
                )
            message = f"Exercise {header['number']}: {header['text']}"
            kept[-1] = (
                f"{indent}raise NotImplementedError({json.dumps(message, ensure_ascii=False)})"
            )
            region = []
        elif stripped == END_SOLUTION:
            if region is None or header is None:
                raise AuthoringError(f"{where}, line {number}: {END_SOLUTION!r} without a BEGIN.")
            if not any(body.strip() for body in region):
                raise AuthoringError(f"{where}, line {number}: the solution region is empty.")
            regions.append(
                SolutionRegion(
                    notebook,
                    index,
                    cell.get("id", ""),
                    header["number"],
                    f"Exercise {header['number']}: {header['text']}",
                    tuple(region),
                )
            )
            region = None
        elif _is_marker_like(stripped):
            raise AuthoringError(
                f"{where}, line {number}: {stripped!r} looks like a solution marker but is not "
                f"exactly {BEGIN_SOLUTION!r} or {END_SOLUTION!r} alone on its line (nbgrader "
                "compares the whole stripped line, so it would not see it either)."
            )
        elif region is not None:
            region.append(line)
        else:
            kept.append(line)
    if region is not None:
        raise AuthoringError(f"{where}: {BEGIN_SOLUTION!r} without a matching {END_SOLUTION!r}.")
    return kept, regions


def _solution_only(cell: NotebookNode) -> bool:
    return cells.has_tag(cell, SOLUTION_ONLY_TAG)


def find_regions(nb: NotebookNode, name: str = "notebook") -> list[SolutionRegion]:
    """Every solution region of a complete notebook, in order (solution-only cells skipped).

    Raises :class:`AuthoringError` where the convention is broken.
    """
    regions: list[SolutionRegion] = []
    for index, cell in enumerate(nb.cells):
        if _solution_only(cell):
            continue
        if cell.cell_type != "code":
            if any(_is_marker_like(line.strip()) for line in cell.source.split("\n")):
                raise AuthoringError(
                    f"{_where(name, index, cell)}: solution markers in a {cell.cell_type} cell; "
                    f"put written answers in a cell tagged {SOLUTION_ONLY_TAG!r}."
                )
            continue
        regions += _split_cell(cell.source, name, index, cell)[1]
    seen: dict[str, SolutionRegion] = {}
    for region in regions:
        # One exercise may have several regions in its own cell (the methods of a class it
        # asks for), never in two cells: its check follows the one cell.
        first = seen.setdefault(region.exercise, region)
        if first.cell_index != region.cell_index:
            raise AuthoringError(
                f"{name}: Exercise {region.exercise} appears twice (cells "
                f"{first.cell_index} and {region.cell_index})."
            )
    return regions


def make_student_notebook(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The student version of a complete notebook (a new object; `nb` is not changed)."""
    find_regions(nb, name)  # validate the whole notebook first, with precise messages
    student = copy.deepcopy(nb)
    if student.nbformat_minor < 5:  # cell ids arrived in nbformat 4.5
        student.nbformat_minor = 5
    for key in _NOTEBOOK_METADATA_DROPPED:
        student.metadata.pop(key, None)
    cells = []
    for index, cell in enumerate(student.cells):
        if _solution_only(cell):
            continue
        if "id" not in cell:  # deterministic, so that regenerating gives the same file
            cell.id = hashlib.sha1(f"{name}:{index}:{cell.source}".encode()).hexdigest()[:8]
        for key in _CELL_METADATA_DROPPED:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.source = "\n".join(_split_cell(cell.source, name, index, cell)[0])
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)
    student.cells = cells
    return student


def notebook_text(nb: NotebookNode) -> str:
    """The exact file contents nbformat writes for `nb`, with a trailing newline."""
    nbformat.validate(nb)
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def solution_notebooks(src_dir: Path | str) -> list[Path]:
    """The complete notebooks: every ``NN*.ipynb`` in `src_dir`, sorted by name."""
    return sorted(p for p in Path(src_dir).glob("*.ipynb") if _NOTEBOOK_NAME.fullmatch(p.name))


def _student_text(source: Path) -> str:
    nb = nbformat.read(source, as_version=4)
    return notebook_text(make_student_notebook(nb, source.name))


def generate(src_dir: Path | str, dst_dir: Path | str) -> list[Path]:
    """Write the student notebook of every complete notebook; return the paths written.

    A file whose contents would not change is left untouched (its mtime too).
    """
    dst = Path(dst_dir)
    dst.mkdir(parents=True, exist_ok=True)
    written = []
    for source in solution_notebooks(src_dir):
        target = dst / source.name
        text = _student_text(source)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="\n")
        written.append(target)
    return written


def check(src_dir: Path | str, dst_dir: Path | str) -> list[str]:
    """Student notebooks that differ from what :func:`generate` would write, with the reason.

    An empty list means everything is up to date. A student notebook without a complete
    notebook behind it is reported too.
    """
    dst = Path(dst_dir)
    problems = []
    sources = solution_notebooks(src_dir)
    for source in sources:
        target = dst / source.name
        if not target.exists():
            problems.append(f"{target}: missing")
        elif target.read_text(encoding="utf-8") != _student_text(source):
            problems.append(f"{target}: differs from {source}")
    names = {source.name for source in sources}
    for orphan in solution_notebooks(dst):
        if orphan.name not in names:
            problems.append(f"{orphan}: no complete notebook {Path(src_dir) / orphan.name}")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the student notebooks, or with --check report drift (exit 1)."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.student_notebooks",
        description="Generate student notebooks from the complete notebooks.",
    )
    parser.add_argument("--check", action="store_true", help="report drift, write nothing")
    parser.add_argument("src_dir", type=Path, help="folder of complete notebooks")
    parser.add_argument("dst_dir", type=Path, help="folder of student notebooks")
    args = parser.parse_args(argv)
    try:
        if args.check:
            problems = check(args.src_dir, args.dst_dir)
            return report_check(
                problems,
                "run `make sync` to regenerate the student notebooks",
                f"student notebooks up to date ({len(solution_notebooks(args.src_dir))})",
            )
        for path in generate(args.src_dir, args.dst_dir):
            print(f"wrote {path}")
    except AuthoringError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
