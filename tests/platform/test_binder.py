"""mybinder.org configuration (binder/) and environment.yml for conda users.

Where repo2docker is installed, its dry run (`--no-build`) renders the image's Dockerfile;
everywhere, the files' content is checked: a CPU-only torch (the CUDA wheels alone exceed
mybinder's 2 GB), Python 3.11, the course package, the display-less SDL driver.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# The main packages environment.yml pins explicitly; they must agree with constraints.txt.
MAIN_PACKAGES = ("torch", "gymnasium", "numpy", "matplotlib", "ipywidgets", "tqdm", "jupyterlab")


def constraints() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            pins[name.lower()] = version
    return pins


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split(" #")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def test_binder_uses_python_311():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_binder_installs_cpu_only_torch_and_the_course():
    lines = requirement_lines(BINDER / "requirements.txt")
    torch = constraints()["torch"]
    assert f"--extra-index-url {CPU_INDEX}" in lines
    assert f"torch=={torch}+cpu" in lines, "binder needs the +cpu wheel of the pinned torch"
    assert "-c ../constraints.txt" in lines  # resolved relative to binder/requirements.txt
    assert "-e .[lab,beyond]" in lines  # course_utils, jupyterlab, classic-control, MinAtar
    text = " ".join(lines).lower()
    for heavy in ("nvidia", "cuda", "stable-baselines3", "[bench]", "dev]"):
        assert heavy not in text, f"{heavy} does not belong in the Binder image"


def test_binder_start_sets_a_headless_cpu_environment():
    start = BINDER / "start"
    assert os.access(start, os.X_OK), "binder/start must be executable"
    text = start.read_text()
    assert text.startswith("#!/bin/bash")
    assert "export SDL_VIDEODRIVER=dummy" in text
    assert "export OMP_NUM_THREADS=1" in text
    assert text.rstrip().endswith('exec "$@"')


def test_environment_yml_matches_constraints():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    deps = env["dependencies"]
    assert "python=3.11" in deps
    (pip,) = [d["pip"] for d in deps if isinstance(d, dict)]
    pins = constraints()
    pinned = {}
    for line in pip:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^ ;]+)(\s*;.*)?", line)
        if match:
            pinned.setdefault(match[1].lower(), set()).add(match[3])
    for package in MAIN_PACKAGES:
        assert pinned.get(package), f"environment.yml does not pin {package}"
        versions = {v.removesuffix("+cpu") for v in pinned[package]}
        assert versions == {pins[package]}, f"{package}: {pinned[package]} vs constraints.txt"
    assert f"--extra-index-url {CPU_INDEX}" in pip
    assert f'torch=={pins["torch"]}+cpu ; sys_platform == "linux"' in pip
    assert "-c constraints.txt" in pip and "-e .[lab,dev,beyond]" in pip


# What repo2docker's base environment for Python 3.11 holds of the Jupyter server packages
# (buildpacks/conda/environment.py-3.11-linux-64.lock of jupyter-repo2docker 2026.4.0, frozen
# 2025-10-16), under their PyPI names: the packages binder/requirements.txt installs over.
REPO2DOCKER_BASE = (
    "jupyterhub==5.4.0",  # jupyterhub-singleuser
    "notebook==7.4.7",
    "jupyterlab==4.4.9",
    "jupyterlab_server==2.27.3",
    "jupyter_server==2.17.0",
    "jupyter-resource-usage==1.2.0",
    "jupyter-offlinenotebook==0.3.2",
    "ipywidgets==8.1.7",
    "ipykernel==7.0.1",
    "ipython==9.6.0",
)


def test_pinned_notebook_accepts_the_pinned_jupyterlab():
    """The notebook binder/requirements.txt upgrades to works with the jupyterlab it installs."""
    from packaging.requirements import Requirement

    pins = constraints()
    assert "notebook" in requirement_lines(BINDER / "requirements.txt")
    assert metadata.version("notebook") == pins["notebook"], "the venv is not the pinned one"
    (lab,) = [
        requirement
        for requirement in map(Requirement, metadata.requires("notebook"))
        if requirement.name == "jupyterlab"
    ]
    assert lab.specifier.contains(pins["jupyterlab"]), f"notebook needs {lab}"


@pytest.mark.slow
def test_binder_install_over_repo2docker_base_passes_pip_check(tmp_path):
    """`pip install -r binder/requirements.txt` over repo2docker's base leaves no package
    broken (before: `notebook 7.4.7 requires jupyterlab<4.5`)."""
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    python = str(env_dir / "bin" / "python")
    environ = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    # --no-compile: pip check reads only the packages' metadata, never their bytecode, and
    # byte-compiling torch's thousands of modules costs the install CPU time.
    pip = [python, "-m", "pip", "install", "-qq", "--no-compile"]
    subprocess.run([*pip, *REPO2DOCKER_BASE], check=True, env=environ, timeout=900)
    # binder/requirements.txt as repo2docker runs it, from the repository root, less the
    # PyTorch index line: that index is not reachable from CI machines, whose pip finds the
    # same torch==2.13.0+cpu wheel locally.
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("--extra-index-url") for line in lines)
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "\n".join(line for line in lines if not line.startswith("--extra-index-url"))
        .replace("-c ../constraints.txt", f"-c {ROOT / 'constraints.txt'}")
        .replace("-e .[lab,beyond]", f"-e {ROOT}[lab,beyond]")
    )
    subprocess.run([*pip, "-r", str(requirements)], check=True, env=environ, timeout=1800)
    done = subprocess.run([python, "-m", "pip", "check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def repo2docker() -> list[str] | None:
    exe = shutil.which("repo2docker")
    if exe:
        return [exe]
    try:
        import repo2docker  # noqa: F401
    except ImportError:
        return None
    return [sys.executable, "-m", "repo2docker"]


@pytest.mark.slow
def test_repo2docker_dry_run(tmp_path):
    command = repo2docker()
    if command is None:
        pytest.skip("repo2docker is not installed; the content checks above cover binder/")
    # A copy of binder/ and what it installs, so the dry run does not see untracked files.
    src = tmp_path / "repo"
    src.mkdir()
    for name in ("binder", "course_utils", "pyproject.toml", "constraints.txt", "README.md"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, src / name)
    done = subprocess.run(
        [*command, "--no-build", "--debug", str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-3000:]
    assert "python=3.11" in out
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in out
    assert "R2D_ENTRYPOINT" in out and "binder/start" in out
