"""A bubblewrap sandbox for running one student's submission.

The command ``bwrap`` (Debian's ``bubblewrap``) starts the process in new namespaces (user,
PID, network, IPC, UTS, cgroup; ``--unshare-all``) with a file system built from nothing:

- read-only: the system's ``/usr`` (and the ``/bin``, ``/lib`` links), the Python that runs
  the venv, the venv, and the ``course_utils`` package, each at its own path;
- read-only at ``/submission``: the student's submitted folder, and nothing beside it;
- writable: a fresh scratch folder at ``/scratch`` (the working directory and ``$HOME``),
  and an empty ``/tmp`` in memory;
- nothing else: no ``source/``, ``release/``, other submissions, ``gradebook.db``, the
  repository or its ``notebooks/solutions``; no network (only a loopback device).

Inside, the process runs as ``nobody`` (uid 65534) with every capability dropped, under
``prlimit`` limits on its address space, processes and file size, and the caller's
wall-clock limit. :func:`available` proves that bubblewrap works here by running a
sandboxed ``true``; :func:`install_hint` says how to get it.

>>> cmd = bwrap_command(["python", "-c", "pass"], scratch=Path("/tmp/s"), readable=[])
>>> cmd[0], "--unshare-all" in cmd, "--cap-drop" in cmd
('bwrap', True, True)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Limits",
    "SandboxUnavailable",
    "available",
    "bwrap_command",
    "install_hint",
    "python_paths",
]

SANDBOX_UID = 65534  # nobody


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    memory_bytes: int = 6 * 1024**3  # address space; torch alone maps about 1.5 GiB
    processes: int = 256
    file_bytes: int = 256 * 1024**2

    def prlimit(self) -> list[str]:
        return [
            "prlimit",
            f"--as={self.memory_bytes}",
            f"--nproc={self.processes}",
            f"--fsize={self.file_bytes}",
            "--",
        ]


def python_paths() -> list[Path]:
    """What the running Python needs, read-only: its installation and the venv."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    paths.add(Path(os.path.realpath(sys.executable)).parent.parent)
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        value = sysconfig.get_paths().get(key)
        if value:
            paths.add(Path(value).resolve())
    # /usr is bound as a whole; keep the minimal set of roots (no path inside another).
    roots = sorted(p for p in paths if not _inside(p, Path("/usr")))
    return [p for p in roots if not any(p != q and _inside(p, q) for q in roots)]


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64", "sbin"):
        link = Path("/") / name
        if link.is_symlink():
            args += ["--symlink", os.readlink(link), str(link)]
        elif link.is_dir():
            args += ["--ro-bind", str(link), str(link)]
    # Fonts for matplotlib and the dynamic linker's cache; not the rest of /etc.
    for name in ("/etc/fonts", "/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives"):
        if Path(name).exists():
            args += ["--ro-bind", name, name]
    return args


def bwrap_command(
    command: Sequence[str],
    *,
    scratch: Path,
    readable: Sequence[tuple[Path, str]] | Sequence[Path] = (),
    env: dict[str, str] | None = None,
    limits: Limits = Limits(),
    python: Sequence[Path] | None = None,
) -> list[str]:
    """The bwrap command line that runs `command` as described in the module docstring.

    `readable`: extra read-only paths, each a path (bound at itself) or ``(path, target)``.
    """
    args = ["bwrap", "--unshare-all", "--die-with-parent", "--new-session"]
    # The empty /tmp first: the binds below land on top of it, so a repository or venv that
    # lives under /tmp (a CI clone) stays visible instead of being hidden by the tmpfs.
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    args += _system_binds()
    for path in python_paths() if python is None else python:
        args += ["--ro-bind", str(path), str(path)]
    for item in readable:
        source, target = (item, str(item)) if isinstance(item, Path) else item
        args += ["--ro-bind", str(Path(source).resolve()), target]
    args += ["--bind", str(scratch), "/scratch", "--chdir", "/scratch"]
    args += ["--clearenv", "--setenv", "HOME", "/scratch", "--setenv", "PATH", "/usr/bin:/bin"]
    for key, value in (env or {}).items():
        args += ["--setenv", key, value]
    args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    args += ["--cap-drop", "ALL"]
    return args + limits.prlimit() + list(command)


def install_hint() -> str:
    if shutil.which("bwrap") is None:
        return (
            "bubblewrap is not installed: `sudo apt-get install -y bubblewrap` (Debian/Ubuntu); "
            "`make grade` installs it itself when run as root"
        )
    return (
        "bwrap is installed but cannot create namespaces here (a container without user "
        "namespaces? try `sysctl kernel.unprivileged_userns_clone=1`, or run as root)"
    )


def available() -> tuple[bool, str]:
    """Whether a sandboxed process really starts here, and if not, why."""
    if shutil.which("bwrap") is None:
        return False, install_hint()
    scratch = Path(os.environ.get("TMPDIR", "/tmp"))
    cmd = bwrap_command(["true"], scratch=scratch, python=[])
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return False, f"{install_hint()} ({error})"
    if done.returncode != 0:
        return False, f"{install_hint()}: {done.stderr.strip()[-500:]}"
    return True, "bubblewrap works"
