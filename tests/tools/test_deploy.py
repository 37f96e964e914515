"""deploy/: the Zero to JupyterHub values for a class of 200, and the nbgitpuller links.

The values file parses, its per-user limits cover the kernel peaks measured in
benchmarks/results.json (what benchmarks/RESULTS.md reports), and every link in
deploy/links.md is a well-formed nbgitpuller URL that opens an existing student notebook.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tools import deploy_links, grading
from tools.launch_cells import BRANCH, github_slug, repository_url
from tools.student_notebooks import solution_notebooks

REPO = Path(__file__).resolve().parents[2]
VALUES = REPO / "deploy" / "values.yaml"
LINKS = REPO / "deploy" / "links.md"
MEASURED = json.loads((REPO / "benchmarks" / "results.json").read_text())["whole_course"]
# kubespawner reads K, M, G, T as powers of 1024 (and accepts the Ki, Mi, Gi forms too).
_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
# The Jupyter server beside the kernels: not measured by the benchmarks; a generous guess.
SERVER_MIB = 300


@pytest.fixture(scope="module")
def singleuser() -> dict:
    return yaml.safe_load(VALUES.read_text())["singleuser"]


def mib(quantity: str | int) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMGT]?)i?", str(quantity))
    assert match, f"not a memory quantity kubespawner reads: {quantity!r}"
    number, unit = match.groups()
    return float(number) * _UNITS.get(unit, 1) / 2**20


def peak_mib() -> float:
    peaks = [row["peak_rss_kib"] for row in MEASURED["notebooks"]]
    assert len(peaks) == len(solution_notebooks(REPO / "notebooks" / "solutions"))
    return max(peaks) / 1024


def test_memory_limits_cover_the_measured_kernel_peaks(singleuser: dict) -> None:
    peak = peak_mib()
    assert 300 < peak < 1024  # the run measured real kernels (423 MiB on 2026-11-24)
    # the guarantee holds one kernel at its peak and the server, with 25 % headroom
    assert mib(singleuser["memory"]["guarantee"]) >= 1.25 * (peak + SERVER_MIB)
    # the limit holds three kernels at their peak and the server
    assert mib(singleuser["memory"]["limit"]) >= 3 * peak + SERVER_MIB
    assert mib(singleuser["memory"]["limit"]) >= mib(singleuser["memory"]["guarantee"])


def test_one_cpu_per_student_on_one_torch_thread(singleuser: dict) -> None:
    assert singleuser["cpu"]["limit"] >= 1  # the measured 1-CPU times hold
    assert 0 < singleuser["cpu"]["guarantee"] <= singleuser["cpu"]["limit"]
    assert singleuser["extraEnv"]["OMP_NUM_THREADS"] == "1"


def test_idle_servers_are_culled_but_never_mid_notebook() -> None:
    cull = yaml.safe_load(VALUES.read_text())["cull"]
    assert cull["enabled"] is True
    assert cull["timeout"] > 3 * max(row["seconds"] for row in MEASURED["notebooks"])
    assert cull["every"] < cull["timeout"]


def test_the_image_is_the_binder_environment(singleuser: dict) -> None:
    assert singleuser["image"]["name"] and singleuser["image"]["tag"]
    assert (REPO / "binder" / "requirements.txt").is_file()
    command = deploy_links.build_command(repository_url(REPO / "pyproject.toml"))
    assert command.startswith("repo2docker ") and "nbgitpuller" in command


def test_links_are_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the tools read pyproject.toml and deploy/ from the root
    assert deploy_links.main(["--check"]) == 0, "run `python -m tools.deploy_links`"


def test_links_open_existing_student_notebooks() -> None:
    repository = repository_url(REPO / "pyproject.toml")
    hub = deploy_links.hub_url(VALUES)
    urls = re.findall(r"https://[^)>\s]+/git-pull\?[^)>\s]+", LINKS.read_text())
    students = {p.name for p in solution_notebooks(REPO / "notebooks")}
    opened = set()
    for url in urls:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}" == hub
        assert parts.path == "/hub/user-redirect/git-pull"
        query = {
            key: values[0] for key, values in parse_qs(parts.query, strict_parsing=True).items()
        }
        assert query["repo"] == repository and query["branch"] == BRANCH
        clone = github_slug(repository).split("/")[1]
        prefix = f"lab/tree/{clone}/"
        assert query["urlpath"].startswith(prefix)
        target = REPO / query["urlpath"].removeprefix(prefix)
        assert target.is_file() or target == REPO / "notebooks", f"{url} opens {target}"
        opened.add(target.name)
    assert opened == students | {"notebooks"}


def test_student_servers_use_the_course_and_exchange_of_the_grading_config(
    singleuser: dict,
) -> None:
    config = singleuser["extraFiles"]["nbgrader-config"]["stringData"]
    assert f'c.CourseDirectory.course_id = "{grading.COURSE_ID}"' in config
    mounts = {m["mountPath"] for m in singleuser["storage"]["extraVolumeMounts"]}
    assert 'c.Exchange.root = "/srv/nbgrader/exchange"' in config
    assert "/srv/nbgrader/exchange" in mounts
