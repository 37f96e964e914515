"""How a failed check shows in Jupyter: the diagnosis, and the student's own lines.

IPython (Jupyter, Colab, the ``ipython`` shell) shows an exception through its
``_render_traceback_()`` method when it has one; plain Python, pytest and doctest ignore the
method and print the full traceback as usual. :class:`~course_utils.checks.ExerciseFailure`
uses it so that a student sees what went wrong, not some 30 lines of the check's own code,
whose source holds the reference answers:

- if the student's function raised (the failure's ``__cause__``), the frames of that error
  that are the student's (a notebook cell or their own file: not ``course_utils``, not an
  installed library, not the standard library), with the line of code, and the error;
- then the diagnosis, the failure's message.
"""

from __future__ import annotations

import re
import site
import sys
import sysconfig
import traceback
from pathlib import Path

from course_utils.checks._i18n import _

_COURSE_UTILS = Path(__file__).resolve().parent.parent


def _library_dirs() -> list[Path]:
    """Where installed code lives: the standard library and the site-packages."""
    paths = {
        sysconfig.get_paths().get(key) for key in ("stdlib", "platstdlib", "purelib", "platlib")
    }
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    paths.add(site.getusersitepackages())
    return [Path(path).resolve() for path in paths if path]


def _is_students(filename: str, library_dirs: list[Path]) -> bool:
    """Whether a frame's file is the student's: a notebook cell or their own module."""
    if filename.startswith("<"):  # <ipython-input-...>, <string>; not <frozen importlib...>
        return not filename.startswith("<frozen")
    path = Path(filename).resolve()
    return not any(path.is_relative_to(root) for root in [_COURSE_UTILS, *library_dirs])


_IPYTHON_7_CELL = re.compile(r"<ipython-input-(\d+)-[0-9a-f]+>")


def _cell_number(shell: object, filename: str) -> int | None:
    """The execution count of the cell compiled as ``filename``, for IPython 7.

    IPython 8 answers with ``compile.format_code_name``. IPython 7 alone names a cell
    ``<ipython-input-N-hash>``; under ipykernel 6 (Colab) a cell is a temporary file named
    from a hash of its code, so the cell is found by naming each input of the history again.
    """
    match = _IPYTHON_7_CELL.fullmatch(filename)
    if match:
        return int(match[1])
    compiler = getattr(shell, "compile", None)
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if not hasattr(compiler, "get_code_name") or not isinstance(history, list):
        return None
    for number in range(len(history) - 1, 0, -1):  # the newest first; entry 0 is empty
        raw = history[number]
        if raw and compiler.get_code_name(raw, raw, number) == filename:
            return number
    return None


def _location(filename: str) -> str:
    """``Cell In[3]`` for a notebook cell (as IPython writes it), else ``File "path"``."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return f'File "{filename}"'
    compiler = getattr(shell, "compile", None)
    if hasattr(compiler, "format_code_name"):  # IPython 8 and later
        name = compiler.format_code_name(filename)
        return " ".join(name) if name else f'File "{filename}"'
    number = _cell_number(shell, filename)
    return f"Cell In[{number}]" if number is not None else f'File "{filename}"'


def students_frames(error: BaseException) -> list[str]:
    """The student's frames of ``error``'s traceback, formatted, then the error itself."""
    library_dirs = _library_dirs()
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if _is_students(frame.filename, library_dirs)
    ]
    if not frames:
        return []
    lines = [_("Your code raised an error:")]
    for frame in frames:
        lines.append(f"  {_location(frame.filename)}, line {frame.lineno}, in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    lines.extend(line.rstrip("\n") for line in traceback.format_exception_only(type(error), error))
    return lines


def render(failure: BaseException) -> list[str]:
    """The lines IPython shows for a failed check: the student's frames, then the diagnosis."""
    diagnosis = str(failure).strip("\n").splitlines()
    try:
        cause = failure.__cause__
        frames = students_frames(cause) if cause is not None else []
    except Exception:  # showing the diagnosis matters more than the frames
        frames = []
    return [*frames, "", *diagnosis] if frames else diagnosis
