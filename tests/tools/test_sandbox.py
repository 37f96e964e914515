"""tools.sandbox: what a sandboxed process can see and do, tried from inside it.

Each probe runs the same Python code twice, outside and inside the sandbox, so a probe that
"fails" inside proves the sandbox, not a missing file: outside, the file is read.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import sandbox

REPO = Path(__file__).resolve().parents[2]
SOLUTION = REPO / "notebooks" / "solutions" / "04_deep_q_learning_cartpole.ipynb"

PROBE = """
import json, os, socket, sys
result = {}
def attempt(name, action):
    try:
        action()
        result[name] = "ok"
    except BaseException as error:
        result[name] = type(error).__name__
attempt("read_solution", lambda: open(sys.argv[1], "rb").read(10))
attempt("list_repository", lambda: os.listdir(sys.argv[2]))
result["repository"] = sorted(os.listdir(sys.argv[2])) if os.path.isdir(sys.argv[2]) else []
if sys.argv[4] == "reads only":  # outside: never write into the package or fill memory
    print(json.dumps(result))
    sys.exit(0)
attempt("write_package", lambda: open(os.path.join(sys.argv[3], "evil.py"), "w").write("x"))
attempt("write_scratch", lambda: open("scratch.txt", "w").write("x"))
attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
attempt("memory", lambda: bytearray(8 * 1024**3))
result["uid"] = os.getuid()
print(json.dumps(result))
"""


def probe(tmp_path: Path, sandboxed: bool) -> dict:
    import course_utils

    package = str(Path(course_utils.__file__).parent)
    args = [str(SOLUTION), str(REPO), package, "all" if sandboxed else "reads only"]
    command = [sys.executable, "-I", "-c", PROBE, *args]
    scratch = tmp_path / ("in" if sandboxed else "out")
    scratch.mkdir()
    if sandboxed:
        limits = sandbox.Limits(memory_bytes=2 * 1024**3)
        command = sandbox.bwrap_command(
            command, scratch=scratch, readable=[Path(package)], limits=limits
        )
    done = subprocess.run(
        command, cwd=scratch, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_command_line_isolates_and_limits() -> None:
    cmd = sandbox.bwrap_command(["true"], scratch=Path("/tmp/x"), readable=[Path("/srv/sub")])
    assert cmd[:2] == ["bwrap", "--unshare-all"] and "--cap-drop" in cmd
    i = cmd.index("/srv/sub")
    assert cmd[i - 1 : i + 2] == ["--ro-bind", "/srv/sub", "/srv/sub"]
    j = cmd.index("/tmp/x")
    assert cmd[j - 1 : j + 2] == ["--bind", "/tmp/x", "/scratch"]
    assert str(REPO) not in cmd  # the repository is never bound, only the package inside it
    assert any(a.startswith("--as=") for a in cmd)


@pytest.mark.slow
@pytest.mark.skipif(not sandbox.available()[0], reason=sandbox.available()[1])
def test_inside_the_sandbox_the_answers_the_package_and_the_network_are_out_of_reach(
    tmp_path: Path,
) -> None:
    outside = probe(tmp_path, sandboxed=False)
    assert outside["read_solution"] == "ok" and outside["list_repository"] == "ok"
    inside = probe(tmp_path, sandboxed=True)
    assert inside["read_solution"] == "FileNotFoundError"
    # The repository's folder exists only as the mount point of the venv and the package.
    assert "notebooks" in outside["repository"]
    assert set(inside["repository"]) <= {".venv", "course_utils"}, inside["repository"]
    assert inside["write_package"] == "OSError"  # read-only file system
    assert inside["write_scratch"] == "ok"
    assert inside["network"] == "OSError"  # no route: only loopback exists
    assert inside["memory"] == "MemoryError"  # the address-space limit
    assert inside["uid"] == sandbox.SANDBOX_UID
    assert not (Path(__import__("course_utils").__file__).parent / "evil.py").exists()
