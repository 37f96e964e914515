"""The exercise registry, ``course_utils/exercises.toml``, for the maintainers' tools.

One entry per exercise: its notebook, its check, the check module (and Korean catalogue
module) it lives in, its points and its time estimate. :func:`load` reads and validates it;
:func:`problems` compares it with the solution notebooks (every exercise cell has an entry
and every entry a cell, with the check, heading time and module the entry says).

>>> registry = load()
>>> registry["3.1"].check, registry["3.1"].module, registry["3.1"].points
('check_replay_memory', 'replay_memory', 3)
>>> [e.number for e in by_notebook(registry)["01_neural_networks"]]
['1.1', '1.2']
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.reports import report_check

__all__ = [
    "REGISTRY",
    "Exercise",
    "RegistryError",
    "by_notebook",
    "heading",
    "headings",
    "load",
    "main",
    "problems",
]

ROOT = Path(__file__).resolve().parent.parent
REGISTRY = ROOT / "course_utils" / "exercises.toml"
_FIELDS = {"notebook": str, "check": str, "module": str, "points": (int, float), "minutes": int}
# The heading above an exercise, in any language: "### Exercise 3.1 — the replay memory (25 min)",
# "### 연습 문제 3.1 — 경험 재현 메모리 (25분)": the number, a dash, the title, the time.
_HEADING = re.compile(
    r"^#{2,4} [^\n]*?(?<![\d.])(?P<number>\d+\.\d+) — (?P<title>.+?) \((?P<time>[^()]*)\)\s*$",
    re.MULTILINE,
)


class RegistryError(ValueError):
    """The registry is malformed: a missing or mistyped field, a bad exercise number."""


@dataclass(frozen=True)
class Exercise:
    """One row of the registry."""

    number: str
    notebook: str
    check: str
    module: str
    points: float
    minutes: int

    @property
    def key(self) -> tuple[int, ...]:
        """The number as a sort key: 3.10 after 3.9."""
        return tuple(int(part) for part in self.number.split("."))


def load(path: Path | str = REGISTRY) -> dict[str, Exercise]:
    """Every exercise of the registry, by number, in the course's order."""
    with Path(path).open("rb") as f:
        data = tomllib.load(f)
    unknown = sorted(set(data) - {"exercise"})
    if unknown:
        raise RegistryError(f'{path}: unknown top-level keys {unknown}; expected [exercise."N.M"]')
    found = []
    for number, entry in data.get("exercise", {}).items():
        if not re.fullmatch(r"\d+\.\d+", number):
            raise RegistryError(f"{path}: {number!r} is not an exercise number like '3.1'")
        if not isinstance(entry, dict):
            raise RegistryError(f"{path}: exercise {number} must be a table")
        missing = sorted(set(_FIELDS) - set(entry))
        extra = sorted(set(entry) - set(_FIELDS))
        if missing or extra:
            raise RegistryError(
                f"{path}: exercise {number}: missing {missing}, unknown {extra} "
                f"(fields: {', '.join(_FIELDS)})"
            )
        for field, kind in _FIELDS.items():
            value = entry[field]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise RegistryError(
                    f"{path}: exercise {number}: {field} must be {kind}, got {value!r}"
                )
        if entry["points"] < 0 or entry["minutes"] <= 0:
            raise RegistryError(f"{path}: exercise {number}: points >= 0 and minutes > 0")
        if not entry["check"].startswith("check_"):
            raise RegistryError(f"{path}: exercise {number}: check must be named check_<name>")
        if not re.fullmatch(r"\d\d_[a-z0-9_]+", entry["notebook"]):
            raise RegistryError(
                f"{path}: exercise {number}: notebook is a name like '03_deep_sarsa_mountaincar' "
                f"(no folder, no .ipynb), got {entry['notebook']!r}"
            )
        found.append(Exercise(number=number, **entry))
    found.sort(key=lambda e: e.key)
    return {e.number: e for e in found}


def by_notebook(registry: Mapping[str, Exercise]) -> dict[str, list[Exercise]]:
    """The exercises of each notebook (its file name without ``.ipynb``), in order."""
    notebooks: dict[str, list[Exercise]] = {}
    for exercise in registry.values():
        notebooks.setdefault(exercise.notebook, []).append(exercise)
    return notebooks


def heading(markdown: str, number: str) -> tuple[str, str] | None:
    """The title and time of exercise ``number``'s heading in a markdown cell, if it has one.

    >>> heading("### Exercise 3.1 — the replay memory (25 min)", "3.1")
    ('the replay memory', '25 min')
    >>> heading("### 연습 문제 3.1 — 경험 재현 메모리 (25분)", "3.1")
    ('경험 재현 메모리', '25분')
    """
    for match in _HEADING.finditer(markdown):
        if match["number"] == number:
            return match["title"], match["time"]
    return None


def headings(markdown: str) -> list[tuple[str, str, str]]:
    """Every exercise heading of a markdown cell: (number, title, time)."""
    return [(m["number"], m["title"], m["time"]) for m in _HEADING.finditer(markdown)]


def _defined_functions(path: Path) -> set[str]:
    import ast

    if not path.is_file():
        return set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def problems(
    registry: Mapping[str, Exercise],
    src_dir: Path | str = ROOT / "notebooks" / "solutions",
    checks_dir: Path | str = ROOT / "course_utils" / "checks",
    catalogues: tuple[str, ...] | None = None,
) -> list[str]:
    """Where the registry and the solution notebooks (and the check modules) disagree.

    ``catalogues`` are the check-message catalogue folders each check module needs a file in
    (``_ko`` for Korean); by default one per translation in ``translations/<lang>/``.
    """
    import nbformat

    from tools import grading
    from tools.student_notebooks import find_regions, solution_notebooks

    src_dir, checks_dir = Path(src_dir), Path(checks_dir)
    if catalogues is None:
        from tools.languages import languages

        catalogues = tuple(f"_{lang.code}" for lang in languages(ROOT / "translations"))
    found: list[str] = []
    where = f"{REGISTRY.relative_to(ROOT)}" if REGISTRY.is_relative_to(ROOT) else str(REGISTRY)
    seen: set[str] = set()
    notebooks = {path.stem: path for path in solution_notebooks(src_dir)}
    for name, path in notebooks.items():
        nb = nbformat.read(path, as_version=4)
        numbers = {region.exercise for region in find_regions(nb, path.name)}
        for number in sorted(numbers, key=lambda n: tuple(map(int, n.split(".")))):
            seen.add(number)
            entry = registry.get(number)
            if entry is None:
                found.append(
                    f"{path.name}: Exercise {number} has no entry in {where} "
                    f'(add [exercise."{number}"]: docs/maintainers.md)'
                )
            elif entry.notebook != name:
                found.append(
                    f"{where}: exercise {number} is in {path.name}, not {entry.notebook}.ipynb"
                )
        markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        for number in sorted(numbers & set(registry)):
            entry = registry[number]
            title = heading(markdown, number)
            if title is None:
                found.append(
                    f"{path.name}: Exercise {number} has no heading "
                    f"'### Exercise {number} — <title> ({entry.minutes} min)'"
                )
            elif title[1] != f"{entry.minutes} min":
                found.append(
                    f"{path.name}: Exercise {number}'s heading says ({title[1]}), {where} says "
                    f"minutes = {entry.minutes}"
                )
        try:
            graded = grading.exercises(nb, {}, path.name)
        except grading.GradingError as error:
            found.append(str(error))
            continue
        for exercise in graded:
            calls = " ".join(nb.cells[i].source for i in exercise.check_cells)
            for number in exercise.numbers:
                entry = registry.get(number)
                if entry and not re.search(rf"\bchecks\.{entry.check}\s*\(", calls):
                    found.append(
                        f"{path.name}: the check cell after Exercise {number} does not call "
                        f"checks.{entry.check}(...), which {where} names"
                    )
    for number, entry in registry.items():
        if entry.notebook not in notebooks:
            found.append(
                f"{where}: exercise {number}: no notebook {src_dir}/{entry.notebook}.ipynb"
            )
        elif number not in seen:
            found.append(
                f"{where}: exercise {number}: {entry.notebook}.ipynb has no "
                f"'# Exercise {number}: ...' solution region"
            )
        if entry.check not in _defined_functions(checks_dir / f"{entry.module}.py"):
            found.append(
                f"{where}: exercise {number}: {entry.check} is not defined in "
                f"{checks_dir / entry.module}.py"
            )
        for catalogue in catalogues:
            if not (checks_dir / catalogue / f"{entry.module}.py").is_file():
                found.append(
                    f"{where}: exercise {number}: no catalogue "
                    f"{checks_dir / catalogue / entry.module}.py for its check messages"
                )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tools.exercises``: list the registry; ``--check``: compare it with the
    notebooks and the check modules, exit 1 where they disagree."""
    parser = argparse.ArgumentParser(
        prog="python -m tools.exercises", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 where the registry and the notebooks disagree"
    )
    args = parser.parse_args(argv)
    try:
        table = load()
        if args.check:
            return report_check(
                problems(table),
                f"edit {REGISTRY.relative_to(ROOT)} or the notebook (docs/maintainers.md)",
                f"exercise registry matches the notebooks ({len(table)} exercises)",
            )
    except RegistryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for e in table.values():
        print(
            f"{e.number:>5}  {e.notebook:<28} {e.check:<30} {e.module:<16} {e.points:g} pt  {e.minutes} min"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
