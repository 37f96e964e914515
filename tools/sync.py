"""Everything derived from the solution notebooks, in one command: ``make sync``.

The complete notebooks in ``notebooks/solutions/`` and the exercise registry
(``course_utils/exercises.toml``) are what authors edit; every other file below is written
from them, in this order (each step reads what the ones before it wrote)::

    1. exercise registry   python -m tools.exercises --check            (check only)
    2. launch cells        python -m tools.launch_cells notebooks/solutions       (in place)
    3. grading stamp       python -m tools.grading stamp notebooks/solutions      (in place)
    4. student notebooks   python -m tools.student_notebooks notebooks/solutions notebooks
    5. translation stubs   python -m tools.translations --stub       (write only; every language)
    6. translations        python -m tools.translations
    7. deploy links        python -m tools.deploy_links
    8. course maps         python -m tools.course_map          (README.md, README.<lang>.md)
    9. lecture plan        python -m tools.lecture_plan       (docs/instructor-guide.md's tables)
   10. README sections     python -m tools.readme_sync                        (check only)
   11. glossary            python -m tools.glossary --check     (check only; if it exists)

``python -m tools.sync`` (``make sync``) runs them all and writes; ``--check``
(``make sync-check``, part of ``make test``) writes nothing, runs every step's check and,
on any drift, names the steps and prints the command that fixes it. The check-only steps
need a person (a registry entry, a README section, a translation or a glossary term): their
own messages say what to edit.

Every step is called in process, as ``main(argv)`` of its module.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["STEPS", "Step", "main", "run"]

FIX = "make sync"


@dataclass(frozen=True)
class Step:
    """One derived thing: its module's ``main`` with the arguments that write and check it."""

    name: str
    module: str
    write: tuple[str, ...] | None  # None: nothing to write, a check only (a person fixes it)
    check: tuple[str, ...] | None  # None: checked by a later step
    optional: bool = False  # skipped while the module does not exist

    def argv(self, checking: bool) -> list[str] | None:
        """The arguments for this mode, or None where the step has nothing to do in it."""
        if checking:
            return None if self.check is None else list(self.check)
        return list(self.check if self.write is None else self.write)  # type: ignore[arg-type]

    def command(self, checking: bool) -> str:
        return " ".join(["python -m", self.module, *(self.argv(checking) or [])])


STEPS: tuple[Step, ...] = (
    Step("exercise registry", "tools.exercises", None, ("--check",)),
    Step(
        "launch cells",
        "tools.launch_cells",
        ("notebooks/solutions",),
        ("--check", "notebooks/solutions"),
    ),
    Step(
        "grading stamp",
        "tools.grading",
        ("stamp", "notebooks/solutions"),
        ("stamp", "--check", "notebooks/solutions"),
    ),
    Step(
        "student notebooks",
        "tools.student_notebooks",
        ("notebooks/solutions", "notebooks"),
        ("--check", "notebooks/solutions", "notebooks"),
    ),
    Step("translation stubs", "tools.translations", ("--stub",), None),
    Step("translations", "tools.translations", (), ("--check",)),
    Step("deploy links", "tools.deploy_links", (), ("--check",)),
    Step("course maps", "tools.course_map", (), ("--check",)),
    Step("lecture plan", "tools.lecture_plan", (), ("--check",)),
    Step("README sections", "tools.readme_sync", None, ()),
    Step("glossary", "tools.glossary", None, ("--check",), optional=True),
)


def _call(module: str, argv: list[str]) -> int:
    try:
        status = importlib.import_module(module).main(argv)
    except SystemExit as exit_:  # argparse's errors
        status = exit_.code if isinstance(exit_.code, int) else 2
    return int(status or 0)


def run(checking: bool, steps: Sequence[Step] | None = None) -> list[Step]:
    """Run every step (writing, or with ``checking`` only checking); the steps that failed."""
    failed = []
    for step in STEPS if steps is None else steps:
        argv = step.argv(checking)
        if argv is None:
            continue
        if step.optional and importlib.util.find_spec(step.module) is None:
            print(f"-- {step.name}: skipped ({step.module} does not exist yet)")
            continue
        print(f"-- {step.name}: {step.command(checking)}", flush=True)
        status = _call(step.module, argv)
        sys.stdout.flush()
        sys.stderr.flush()
        if status != 0:
            failed.append(step)
    return failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.sync", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 on any drift (make sync-check)"
    )
    args = parser.parse_args(argv)
    failed = run(args.check)
    if not failed:
        print("everything derived from the notebooks is up to date" if args.check else "synced")
        return 0
    generated = [s for s in failed if s.write is not None]
    manual = [s for s in failed if s.write is None]
    print(file=sys.stderr)
    if generated:
        names = ", ".join(s.name for s in generated)
        if args.check:
            print(f"out of date: {names}. Fix: `{FIX}` (python -m tools.sync)", file=sys.stderr)
        else:
            print(f"failed: {names} (see the messages above)", file=sys.stderr)
    for step in manual:
        print(
            f"needs a person: {step.name} ({step.command(True)}: see its messages above)",
            file=sys.stderr,
        )
    return 1


if __name__ == "__main__":
    sys.exit(main())
