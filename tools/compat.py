"""Compatibility run: the course on Colab-like package sets, without constraints.txt.

Colab keeps its own IPython 7, ipywidgets 7, matplotlib and NumPy, and installs only
``course_utils`` and gymnasium over them; `make test` pins the newest of everything. This
tool builds one virtual environment per set below, installs the set, the course package
and the test tools *without* the constraints file, then runs in it

1. the runtime's tests that meet IPython, ipywidgets, matplotlib and NumPy (the display
   of a failed check, widgets, quizzes, figures, progress bars, environments, replay,
   evaluation, checkpoints) and ``course_utils``'s doctests;
2. the solution notebooks' import and check paths: in an IPython shell of that version,
   every code cell of each solution notebook up to its last exercise check (setup, the
   exercises' solutions, the explorers shown before them, the checks), never the
   training runs that follow.

The environments live in the user's cache (``~/.cache/deep-rl-course/compat/``, or
``$COURSE_COMPAT_CACHE``), outside the clone, so that a fresh clone (CI) reuses them: an
environment is built (about a minute each) only when its requirements change (the set,
the test tools, the course's dependencies in pyproject.toml, the Python); a later run
reinstalls only the course package, from the working tree (a few seconds). ``--rebuild``
builds them anew.

``python -m tools.compat`` runs every set; ``--set numpy-1.26`` one of them; ``--list``
names them. The exit status is 0 only if every set passed. torch is always 2.13.0.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import venv
from collections.abc import Iterator
from pathlib import Path

__all__ = ["SETS", "check_paths_source", "main"]

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build" / "compat"  # the notebook runner's scripts (in the clone)
# What Colab runs (its ipykernel 6 names cells by temporary files, IPython 7 cannot say
# "Cell In[n]"), with the only torch these machines install.
COLAB = ["torch==2.13.0", "ipython==7.34.0", "ipywidgets==7.7.1", "ipykernel==6.17.1"]
SETS: dict[str, list[str]] = {
    "numpy-2.0": [*COLAB, "matplotlib==3.9.*", "numpy==2.0.*"],
    "numpy-1.26": [*COLAB, "matplotlib==3.9.*", "numpy==1.26.*"],
}
# The course package with the classic-control renderer, and what the tests import; the
# setuptools that builds the course package (pyproject's build-system) without a download.
# Notebook 06's MinAtar comes from the `beyond` extra, as its Colab cell installs it.
BEYOND = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "optional-dependencies"
]["beyond"]
COURSE = [
    ".",
    "gymnasium[classic-control]>=1.0",
    *BEYOND,
    "pytest>=8",
    "hypothesis>=6.100",
    "PyYAML>=6",
]
BUILD_TOOLS = ["setuptools>=77"]
MARK = ".installed"
# What the course package is built from (pyproject.toml's packages and package data).
PACKAGE_FILES = ["course_utils", "pyproject.toml", "README.md", "LICENSE"]
# The runtime's tests that meet IPython, ipywidgets, matplotlib and NumPy (the checks' own
# tests are torch alone; the notebooks' check cells below run every check under this set).
RUNTIME_TESTS = [
    f"tests/runtime/test_{name}.py"
    for name in (
        "checks_display", "widgets", "quiz", "plotting", "progress", "animation",
        "envs", "replay", "evaluation", "checkpoints", "import_isolation",
    )
]  # fmt: skip


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, **kwargs)


def cache_dir() -> Path:
    """Where the environments live: $COURSE_COMPAT_CACHE, or the user's cache folder."""
    if os.environ.get("COURSE_COMPAT_CACHE"):
        return Path(os.environ["COURSE_COMPAT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "deep-rl-course" / "compat"


def requirements(name: str) -> dict:
    """Everything an environment's install depends on: when any of it changes, the
    environment is built anew (the course package itself is reinstalled on every run)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {
        "set": SETS[name],
        "course": [*COURSE, *BUILD_TOOLS],
        "course_dependencies": pyproject["project"]["dependencies"],
        "build_system": pyproject["build-system"]["requires"],
        "python": sys.version,
        "base_python": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
    }


def _key(name: str) -> str:
    text = json.dumps(requirements(name), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


@contextlib.contextmanager
def _package_copy() -> Iterator[Path]:
    """The course package's sources, copied out of the working tree: building from the
    tree itself would reuse its build/ folder, whose stale files (a renamed module) setuptools
    never deletes and would install."""
    with tempfile.TemporaryDirectory(prefix="compat-course-") as tmp:
        for name in PACKAGE_FILES:
            source, target = ROOT / name, Path(tmp) / name
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target)
        yield Path(tmp)


def _pip_env() -> dict:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PIP_CONSTRAINT", None)  # the point of this run: no constraints file
    return env


def _environment(name: str, rebuild: bool = False) -> Path:
    """The set's virtual environment: built when its requirements changed (or never were
    installed), reused otherwise; either way with the working tree's course package."""
    cache = cache_dir()
    prefix = cache / f"{name}-{_key(name)}"
    python = prefix / "bin" / "python"
    wanted = json.dumps(requirements(name), sort_keys=True)
    mark = prefix / MARK
    # --no-compile: the tests import a small part of what is installed (torch's thousands of
    # modules); what they import is compiled then, once, into the cached environment.
    pip = [str(python), "-m", "pip", "install", "-qq", "--no-compile"]
    with _package_copy() as package:
        if not rebuild and mark.is_file() and mark.read_text() == wanted and python.is_file():
            print(f"compat {name}: reusing {prefix} (requirements unchanged)", flush=True)
            course = [*pip, "--no-deps", "--no-build-isolation", "--force-reinstall", str(package)]
            if _run(course, env=_pip_env()).returncode != 0:
                raise SystemExit(f"compat: reinstalling the course package in {prefix} failed")
            return python
        for stale in cache.glob(f"{name}-*"):  # environments of earlier requirements
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        venv.create(prefix, with_pip=True, clear=True)
        packages = [*SETS[name], str(package), *COURSE[1:], *BUILD_TOOLS]
        if _run([*pip, *packages], env=_pip_env()).returncode != 0:
            raise SystemExit(f"compat: installing the {name} set failed")
    mark.write_text(wanted)
    return python


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """One run at a time per set: two clones sharing the cache never reinstall the course
    package under each other's tests."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def check_paths_source(notebook: Path) -> list[str]:
    """The code cells of ``notebook`` up to its last ``checks.check_`` cell, Colab setup left out.

    >>> cells = check_paths_source(ROOT / "notebooks/solutions/01_neural_networks.ipynb")
    >>> any("checks.check_gradient_descent_step" in cell for cell in cells)
    True
    >>> any("%pip" in cell for cell in cells)
    False
    """
    cells = json.loads(notebook.read_text())["cells"]
    code = [
        "".join(cell["source"])
        for cell in cells
        if cell["cell_type"] == "code" and "colab-setup" not in cell["metadata"].get("tags", [])
    ]
    last = max((i for i, source in enumerate(code) if "checks.check_" in source), default=-1)
    return code[: last + 1]


_NOTEBOOK_RUNNER = r"""
import json, os, sys, time
from IPython.core.interactiveshell import InteractiveShell
import IPython, ipywidgets, matplotlib, numpy, torch
print(f"IPython {IPython.__version__}, ipywidgets {ipywidgets.__version__}, "
      f"matplotlib {matplotlib.__version__}, numpy {numpy.__version__}, torch {torch.__version__}")
shell = InteractiveShell.instance()
# `%matplotlib inline` asks the shell for a GUI event loop, which a kernel has and this
# terminal-less shell does not: inline figures need none.
shell.enable_gui = lambda gui=None: None
failed = 0
for path in sys.argv[1:]:
    os.chdir(os.path.dirname(path))
    cells = json.load(open(sys.argv[0] + ".json"))[path]
    start = time.perf_counter()
    for number, source in enumerate(cells, 1):
        result = shell.run_cell(source, store_history=True)
        if not result.success:
            print(f"FAILED {os.path.basename(path)}: code cell {number}:\n{source[:400]}")
            failed += 1
            break
    print(f"{os.path.basename(path)}: {len(cells)} cells to the last check, "
          f"{time.perf_counter() - start:.1f} s", flush=True)
sys.exit(1 if failed else 0)
"""


def _run_notebooks(python: Path, notebooks: list[Path]) -> int:
    BUILD.mkdir(parents=True, exist_ok=True)
    runner = BUILD / "run_check_paths.py"
    runner.write_text(_NOTEBOOK_RUNNER)
    sources = {str(path): check_paths_source(path) for path in notebooks}
    Path(f"{runner}.json").write_text(json.dumps(sources))
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    env["PYTHONPATH"] = str(ROOT)
    return _run([str(python), str(runner), *sources], env=env).returncode


def run_set(name: str, rebuild: bool = False) -> bool:
    """Installs (when its requirements changed) and tests one set; True if everything passed."""
    with _locked(name):
        return _run_set(name, rebuild)


def _run_set(name: str, rebuild: bool) -> bool:
    started = time.perf_counter()
    python = _environment(name, rebuild)
    installed = time.perf_counter()
    # The repository on the path and importlib's import mode: some tests import others as
    # `tests.runtime.*`, which pytest's default mode does not find outside the course venv.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    pytest = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "--import-mode=importlib"]
    tests = _run([str(python), *pytest, *RUNTIME_TESTS, "course_utils"], env=env).returncode
    notebooks = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
    cells = _run_notebooks(python, notebooks)
    ended = time.perf_counter()
    verdict = "passed" if tests == cells == 0 else "FAILED"
    print(
        f"compat {name}: {verdict} (install {installed - started:.0f} s, "
        f"tests and notebooks {ended - installed:.0f} s)",
        flush=True,
    )
    return tests == cells == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", choices=sorted(SETS), help="one set (repeatable)")
    parser.add_argument("--list", action="store_true", help="name the sets and their packages")
    parser.add_argument(
        "--rebuild", action="store_true", help="build the environments anew, even if unchanged"
    )
    args = parser.parse_args(argv)
    if args.list:
        for name, packages in SETS.items():
            print(f"{name}: {' '.join(packages)}")
        print(f"environments: {cache_dir()}")
        return 0
    results = [run_set(name, args.rebuild) for name in args.set or SETS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
