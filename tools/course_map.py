"""The course maps of the READMEs, written from the notebooks and the exercise registry.

``README.md``'s course map is a table with one row per notebook::

    | notebook | open | topics | time | exercises |
    | [01 · Neural networks and autograd](notebooks/01_neural_networks.ipynb) | <badges> | ... |

Three of its columns are derived, and rewritten here: *notebook* (the title cell's heading
and the link), *open* (the launch badges, :func:`tools.launch_cells.notebook_badges`) and
*exercises* (each exercise the registry, ``course_utils/exercises.toml``, lists for the
notebook, with the title of its heading ``### Exercise N.M — <title> (K min)``). *topics* and
*time* are prose, written by hand and kept. Every translated edition's README,
``README.<lang>.md`` (:mod:`tools.languages`), gets the same, from its own notebooks in
``notebooks/<lang>/solutions/``, so its titles are the translated headings.

A notebook without a row gets one, after the last (its topics and time empty: ``--check``
then asks for them); a row whose notebook is gone is reported, never deleted::

    python -m tools.course_map            # rewrite the course maps (make sync)
    python -m tools.course_map --check    # exit 1 if one is out of date (make sync-check)

>>> split_row("| [a](n) | `x | y` | z |")
['[a](n)', '`x | y`', 'z']
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools import exercises as registry
from tools.languages import languages
from tools.launch_cells import notebook_badges
from tools.reports import report_check
from tools.student_notebooks import solution_notebooks

__all__ = ["Edition", "editions", "main", "rewrite", "split_row"]

FIX = "make sync"
_ROW_LINK = re.compile(
    r"^\[[^\]]*\]\((?P<folder>notebooks/(?:[^/)]+/)?)(?P<name>\d\d_[a-z0-9_]+)\.ipynb\)$"
)


@dataclass(frozen=True)
class Edition:
    """One README and the notebooks its course map lists."""

    readme: Path
    solutions: Path  # the complete notebooks the titles come from
    folder: str  # where the rows link to: notebooks, notebooks/<lang>


def editions(root: Path = Path(".")) -> list[Edition]:
    """The English README and one per language with a README.<lang>.md."""
    found = [Edition(root / "README.md", root / "notebooks" / "solutions", "notebooks")]
    for lang in languages(root / "translations"):
        if (root / lang.readme).is_file():
            found.append(
                Edition(root / lang.readme, root / lang.solution_dir, lang.student_dir.as_posix())
            )
    return found


def split_row(row: str) -> list[str]:
    """The cells of a Markdown table row (a ``|`` inside backticks does not split)."""
    cells, current, code = [], [], False
    for char in row.strip().strip("|"):
        if char == "`":
            code = not code
        if char == "|" and not code:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    cells.append("".join(current).strip())
    return cells


def _title(nb: nbformat.NotebookNode, name: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            first = cell.source.strip().split("\n")[0]
            if first.startswith("# "):
                return first[2:].strip()
            break
    raise ValueError(f"{name}: the first markdown cell is not a '# NN · Title' heading")


def _exercises(nb: nbformat.NotebookNode, name: str, listed: list[registry.Exercise]) -> str:
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    parts = []
    for exercise in listed:
        found = registry.heading(markdown, exercise.number)
        if found is None:
            raise ValueError(
                f"{name}: no heading for Exercise {exercise.number} "
                "('### Exercise N.M — <title> (K min)')"
            )
        parts.append(f"{exercise.number} {found[0]}")
    return " · ".join(parts) or "—"


def rewrite(
    text: str, edition: Edition, table: dict[str, registry.Exercise]
) -> tuple[str, list[str]]:
    """``text`` (a README) with its course map rewritten; and what needs a human (rows of
    notebooks that are gone, rows without topics or time)."""
    per_notebook = registry.by_notebook(table)
    sources = {path.stem: path for path in solution_notebooks(edition.solutions)}
    lines = text.split("\n")
    rows: dict[str, int] = {}
    notes: list[str] = []
    for index, line in enumerate(lines):
        if not line.startswith("| ["):
            continue
        cells = split_row(line)
        match = _ROW_LINK.match(cells[0])
        if not match or len(cells) != 5:
            continue
        rows[match["name"]] = index
    if not rows:
        raise ValueError(
            f"{edition.readme}: no course map (rows '| [NN · title](notebooks/...) |')"
        )
    for name, path in sources.items():
        nb = nbformat.read(path, as_version=4)
        link = f"[{_title(nb, path.name)}]({edition.folder}/{name}.ipynb)"
        badges = notebook_badges(path.name, folder=edition.folder)
        exercises = _exercises(nb, path.name, per_notebook.get(name, []))
        if name in rows:
            cells = split_row(lines[rows[name]])
            topics, time = cells[2], cells[3]
        else:
            topics = time = ""
            after = max(rows.values())
            lines.insert(after + 1, "")
            rows = {n: i + (i > after) for n, i in rows.items()}
            rows[name] = after + 1
        lines[rows[name]] = f"| {link} | {badges} | {topics} | {time} | {exercises} |"
        if not topics or not time:
            notes.append(f"{edition.readme}: course map row {name}: write its topics and time")
    for name in rows:
        if name not in sources:
            notes.append(
                f"{edition.readme}: course map row {name}: no notebook {edition.solutions}/"
                f"{name}.ipynb (delete the row)"
            )
    return "\n".join(lines), notes


def run(root: Path = Path("."), check: bool = False) -> tuple[list[Path], list[str]]:
    """Rewrite (or with ``check`` only compare) every README's course map: the files that
    differ, and the problems to report."""
    table = registry.load(root / registry.REGISTRY.relative_to(registry.ROOT))
    changed, problems = [], []
    for edition in editions(root):
        old = edition.readme.read_text(encoding="utf-8")
        new, notes = rewrite(old, edition, table)
        problems += notes
        if new != old:
            changed.append(edition.readme)
            if check:
                problems.append(f"{edition.readme}: course map out of date (run `{FIX}`)")
            else:
                edition.readme.write_text(new, encoding="utf-8", newline="\n")
    return changed, problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.course_map", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    parser.add_argument("--root", type=Path, default=Path("."), help="the repository root")
    args = parser.parse_args(argv)
    try:
        changed, problems = run(args.root, check=args.check)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.check:
        return report_check(problems, f"run `{FIX}`", "course maps up to date")
    for path in changed:
        print(f"wrote {path}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
