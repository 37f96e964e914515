"""The environment `make lab` and `make test` build: pinned, CPU-only, installed once."""

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)


def in_course_venv() -> bool:
    return VENV.resolve() == (ROOT / ".venv").resolve()


@pytest.mark.skipif(not in_course_venv(), reason="runs inside the .venv that `make` builds")
def test_a_second_make_installs_nothing():
    """`make -q` exits 0 only when the install stamp is newer than pyproject and constraints."""
    result = subprocess.run(
        ["make", "-q", ".venv/.installed-lab-dev"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, (
        "the install stamp is out of date: the next `make test` would reinstall.\n"
        + result.stdout
        + result.stderr
    )


def test_no_cuda_packages_installed():
    names = sorted(d.metadata["Name"] for d in metadata.distributions())
    cuda = [n for n in names if n.lower().startswith(("nvidia-", "nvidia_", "triton"))]
    assert not cuda, f"CUDA packages in the environment (several GB, never wanted here): {cuda}"


def test_torch_is_the_pinned_cpu_build():
    pins = dict(
        line.strip().split("==", 1)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    assert pins["torch"] == "2.13.0"
    assert metadata.version("torch").split("+")[0] == pins["torch"]


def test_every_runtime_dependency_is_pinned():
    """constraints.txt pins what pyproject.toml asks for, so `make test` is reproducible."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["lab"]
    wanted += project["optional-dependencies"]["dev"]
    pinned = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line
    }
    for requirement in wanted:
        name = requirement.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip()
        assert name.lower().replace("_", "-") in pinned, f"{name} is not pinned in constraints.txt"
