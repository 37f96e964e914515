"""How a failed check shows: in IPython the diagnosis and the student's own lines only,
never the check's source (which holds the reference answers); elsewhere the full traceback.
"""

from __future__ import annotations

import inspect
import json
import os
import pkgutil
import re
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

import course_utils.checks
from course_utils import checks
from course_utils.checks import ExerciseFailure

# A real IPython shell in a fresh interpreter, so that this process's display hooks and
# `get_ipython()` stay as the other tests expect. Each cell's output ends with a separator.
SHELL = """
import json, sys
from traitlets.config import Config
from IPython.core.interactiveshell import InteractiveShell

config = Config()
config.HistoryManager.enabled = False
if sys.argv[2]:  # ipykernel's compiler names each cell by a temporary file (Colab's case)
    config.InteractiveShell.compiler_class = sys.argv[2]
shell = InteractiveShell.instance(config=config)
for cell in json.loads(sys.argv[1]):
    shell.run_cell(cell, store_history=True)
    print({separator!r}, flush=True)
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SEPARATOR = "=" * 20 + " end of cell " + "=" * 20

CELLS = {
    "setup": "from course_utils import checks\nimport torch.nn.functional as F",
    "wrong value": (
        "def q_loss(q_network, state_b, action_b, target_b):\n"
        "    return F.mse_loss(q_network(state_b).max(dim=1, keepdim=True).values, target_b)\n"
        "checks.check_q_loss(q_loss)"
    ),
    "student error": (
        "def q_loss(q_network, state_b, action_b, target_b):\n"
        '    return len(state_b) + "oops"\n'
        "checks.check_q_loss(q_loss)"
    ),
    "error inside torch": (
        "def q_loss(q_network, state_b, action_b, target_b):\n"
        "    return F.mse_loss(q_network(state_b).gather(1, action_b), target_b.tolist())\n"
        "checks.check_q_loss(q_loss)"
    ),
}


# IPython's own compiler names a cell `<ipython-input-N-hash>` in IPython 7, ipykernel's
# (Jupyter, Colab) a temporary file; IPython 8 and later say which cell either is. `make
# compat` runs these tests under IPython 7.
COMPILERS = {"IPython": "", "ipykernel": "ipykernel.compiler.XCachingCompiler"}


@pytest.fixture(scope="module", params=sorted(COMPILERS))
def shown(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """What IPython printed for each cell of CELLS, with each compiler of COMPILERS."""
    if request.param == "ipykernel":
        pytest.importorskip("ipykernel.compiler")
    env = {**os.environ, "IPYTHONDIR": str(tmp_path_factory.mktemp("ipython"))}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SHELL.format(separator=SEPARATOR),
            json.dumps(list(CELLS.values())),
            COMPILERS[request.param],
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    outputs = done.stdout.split(SEPARATOR + "\n")
    assert len(outputs) == len(CELLS) + 1, done.stdout + done.stderr
    return dict(zip(CELLS, outputs, strict=False))


def check_source_lines() -> set[str]:
    """Every non-blank line of the checks' own source code, stripped."""
    modules = [course_utils.checks] + [
        __import__(f"course_utils.checks.{info.name}", fromlist=["_"])
        for info in pkgutil.iter_modules(course_utils.checks.__path__)
    ]
    return {
        line.strip() for module in modules for line in inspect.getsource(module).splitlines()
    } - {""}


def assert_no_check_internals(output: str) -> None:
    output = ANSI.sub("", output)
    assert "Unexpected exception formatting" not in output  # our renderer did not crash
    assert "Traceback" not in output
    assert "course_utils" not in output
    assert "site-packages" not in output
    leaked = [line for line in check_source_lines() if len(line) >= 12 and line in output]
    assert not leaked, f"lines of the check's source shown: {leaked}"


def assert_diagnosis(output: str) -> None:
    for part in ("❌ q_loss:", "expected:", "got:", "likely cause:", "hint:"):
        assert part in output


def test_ipython_shows_the_diagnosis_alone(shown: dict[str, str]) -> None:
    output = shown["wrong value"]
    assert_diagnosis(output)
    assert "max used instead of the action taken" in output
    assert_no_check_internals(output)
    assert output.lstrip().startswith("❌"), "nothing before the diagnosis"


def test_ipython_shows_the_students_line_then_the_diagnosis(shown: dict[str, str]) -> None:
    output = shown["student error"]
    assert_diagnosis(output)
    assert_no_check_internals(output)
    assert "Cell In[3], line 2, in q_loss" in output
    assert 'return len(state_b) + "oops"' in output
    assert "TypeError: unsupported operand" in output
    assert output.index('"oops"') < output.index("❌"), "the student's line comes first"


def test_ipython_hides_library_frames_of_a_students_error(shown: dict[str, str]) -> None:
    output = shown["error inside torch"]
    assert_diagnosis(output)
    assert_no_check_internals(output)
    assert "Cell In[4], line 2, in q_loss" in output
    assert "target_b.tolist())" in output
    assert "functional.py" not in output


def broken(q_values_b, action_b):
    return q_values_b.gather(1, action_b) + "oops"


def test_plain_python_keeps_the_full_traceback() -> None:
    with pytest.raises(ExerciseFailure) as failure:
        checks.check_select_q_values(broken)
    text = "".join(traceback.format_exception(failure.value))
    assert str(Path("course_utils", "checks", "harness.py")) in text
    assert "course_utils.checks.ExerciseFailure" in text
    assert isinstance(failure.value.__cause__, TypeError)


def test_render_traceback_outside_ipython() -> None:
    with pytest.raises(ExerciseFailure) as failure:
        checks.check_select_q_values(broken)
    lines = failure.value._render_traceback_()
    assert all(isinstance(line, str) for line in lines)
    text = "\n".join(lines)
    assert f'File "{__file__}"' in text and "in broken" in text
    assert 'q_values_b.gather(1, action_b) + "oops"' in text
    assert text.index("TypeError") < text.index("❌")
    assert "course_utils" not in text


class _Compiler:
    """IPython 7's compiler under ipykernel 6: a cell is a file named by its code's hash."""

    def get_code_name(self, raw_code: str, transformed_code: str, number: int) -> str:
        return f"/tmp/ipykernel_1/{abs(hash(raw_code))}.py"


class _Shell:
    def __init__(self, inputs: list[str]) -> None:
        self.compile = _Compiler()
        self.history_manager = type("History", (), {"input_hist_raw": ["", *inputs]})()


@pytest.mark.parametrize(
    ("inputs", "filename", "shown"),
    [
        (["a = 1", "b = 2"], "<ipython-input-7-0123456789ab>", "Cell In[7]"),
        (
            ["a = 1", "def f():\n    b = 2"],
            f"/tmp/ipykernel_1/{abs(hash('a = 1'))}.py",
            "Cell In[1]",
        ),
        (["a = 1", "a = 1"], f"/tmp/ipykernel_1/{abs(hash('a = 1'))}.py", "Cell In[2]"),  # newest
        (["a = 1"], "/home/student/helpers.py", 'File "/home/student/helpers.py"'),
    ],
)
def test_location_without_format_code_name(monkeypatch, inputs, filename, shown) -> None:
    """IPython 7 (Colab) has no `compile.format_code_name`: the cell is still `Cell In[n]`."""
    from course_utils.checks import _rendering

    fake = type("IPython", (), {"get_ipython": staticmethod(lambda: _Shell(inputs))})
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert _rendering._location(filename) == shown
