"""deploy/: the Zero to JupyterHub values for a class of 200, the links, the student edition.

The values file is valid for the chart (merged over its defaults, against its own schema),
logs people in through a real authenticator with secrets from Kubernetes, isolates the pods,
and its limits cover the kernel peaks measured in benchmarks/results.json (what
benchmarks/RESULTS.md reports); the image keeps its entrypoint outside the home volume; every
link in deploy/links.md is a well-formed nbgitpuller URL that opens an existing student
notebook of the student edition, which carries no solutions. The single-machine hub runs in
tests/platform/test_classroom.py.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import subprocess
import types
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from tools import deploy_links, grading, student_edition
from tools.launch_cells import STUDENT_BRANCH, github_slug, repository_url
from tools.student_notebooks import solution_notebooks

REPO = Path(__file__).resolve().parents[2]
VALUES = REPO / "deploy" / "values.yaml"
LINKS = REPO / "deploy" / "links.md"
MEASURED = json.loads((REPO / "benchmarks" / "results.json").read_text())["whole_course"]
# kubespawner reads K, M, G, T as powers of 1024 (and accepts the Ki, Mi, Gi forms too).
_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
# The Jupyter server beside the kernels: 113 MiB idle, measured from the server's cgroup by
# tests/platform/test_classroom.py (2026-12-02); counted generously.
SERVER_MIB = 300
# The chart's schema and defaults (../shared/z2jh/ beside the repository, or $Z2JH_CHART_DIR).
CHART = Path(os.environ.get("Z2JH_CHART_DIR", REPO.parent / "shared" / "z2jh"))


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
        assert query["repo"] == repository and query["branch"] == STUDENT_BRANCH
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
    # one text for both hubs: the single machine reads it from deploy/jupyter/
    assert config == (REPO / "deploy" / "jupyter" / "nbgrader_config.py").read_text()
    assert f'c.CourseDirectory.course_id = "{grading.COURSE_ID}"' in config
    assert "configureExchange" in config  # ngshare on the cluster: pods are all uid 1000
    assert "nbgrader-exchange" not in json.dumps(singleuser["storage"])  # no shared volume


def merge(defaults: dict, values: dict) -> dict:
    """Helm's merge of user values over a chart's defaults: maps merge, null deletes."""
    merged = copy.deepcopy(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def schema_errors(values: dict) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    if not (CHART / "values.schema.yaml").is_file():
        pytest.skip(f"the chart's schema is not here: {CHART} (see deploy/values.yaml)")
    schema = yaml.safe_load((CHART / "values.schema.yaml").read_text())
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(merge(defaults, values))
    ]


def test_values_are_valid_for_the_chart() -> None:
    assert schema_errors(yaml.safe_load(VALUES.read_text())) == []


@pytest.mark.parametrize(
    "mistake",
    [
        {"singleuser": {"memroy": {"limit": "1G"}}},  # misspelt
        {"cull": {"adminUser": False}},  # misspelt
        {"hub": {"networkPolicy": {"egressAllowRules": {"privateIP": False}}}},
        {"singleuser": {"storage": {"capacity": 2}}},  # a number where a string goes
        {"proxy": {"https": {"hosts": "hub.example.edu"}}},  # a string where a list goes
    ],
)
def test_a_misspelt_or_misplaced_key_fails_the_schema(mistake: dict) -> None:
    assert schema_errors(merge(yaml.safe_load(VALUES.read_text()), mistake))


def test_login_is_a_real_authenticator_with_named_admins_and_no_open_door() -> None:
    hub = yaml.safe_load(VALUES.read_text())["hub"]
    config = hub["config"]
    assert config["JupyterHub"]["authenticator_class"] not in {"dummy", "null", "shared-password"}
    admins = config["Authenticator"]["admin_users"]
    assert admins and all(isinstance(name, str) and name for name in admins)
    assert config["Authenticator"]["allow_all"] is False
    assert config["GitHubOAuthenticator"]["allowed_organizations"]
    # secrets come from the Kubernetes secret, never from this file
    for name, value in hub["extraEnv"].items():
        assert isinstance(value, dict) and "secretKeyRef" in value["valueFrom"], name
    assert literal_secrets(yaml.safe_load(VALUES.read_text())) == []


def literal_secrets(node: object, path: str = "") -> list[str]:
    """Keys that name a secret, a token or a password and hold a literal value."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if re.search(r"secret|token|password", str(key), re.I) and isinstance(value, str):
                found.append(where)
            found += literal_secrets(value, where)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += literal_secrets(value, f"{path}[{i}]")
    return found


def test_a_literal_secret_would_be_found() -> None:
    assert literal_secrets({"hub": {"extraEnv": {"OAUTH_CLIENT_SECRET": "abc"}}}) == [
        "hub.extraEnv.OAUTH_CLIENT_SECRET"
    ]


def instructor_hook(spawner: types.SimpleNamespace) -> types.SimpleNamespace:
    """Run the values' hub.extraConfig hook on a stand-in spawner, as the hub would."""
    c = types.SimpleNamespace(KubeSpawner=types.SimpleNamespace(), JupyterHub=None)
    snippet = yaml.safe_load(VALUES.read_text())["hub"]["extraConfig"]["instructors"]
    exec(compile(snippet, "hub.extraConfig.instructors", "exec"), {"c": c})
    c.KubeSpawner.pre_spawn_hook(spawner)
    return spawner


def test_storage_and_memory_hold_an_instructors_grading(singleuser: dict) -> None:
    def student() -> types.SimpleNamespace:
        return types.SimpleNamespace(
            user=types.SimpleNamespace(admin=False),
            storage_capacity=singleuser["storage"]["capacity"],
            mem_limit=singleuser["memory"]["limit"],
        )

    kept = instructor_hook(student())
    assert (kept.storage_capacity, kept.mem_limit) == (
        singleuser["storage"]["capacity"],
        singleuser["memory"]["limit"],
    )
    admin = student()
    admin.user.admin = True
    instructor_hook(admin)
    # the 1.5 GB grading environment (a `make` .venv) and a class's submissions
    assert mib(admin.storage_capacity) >= 1.5 * 1024 + 2 * 1024
    assert mib(admin.mem_limit) >= mib(singleuser["memory"]["limit"])
    # a student's home: the student edition clone and notebooks with outputs
    assert mib(singleuser["storage"]["capacity"]) >= 1024


def test_instructors_long_runs_are_never_culled() -> None:
    cull = yaml.safe_load(VALUES.read_text())["cull"]
    assert cull["adminUsers"] is False  # an autograde run of a class takes hours


def test_user_pods_reach_neither_other_pods_nor_the_cloud_metadata(singleuser: dict) -> None:
    policy = singleuser["networkPolicy"]
    assert policy["enabled"] is True and policy["ingress"] == [] and policy["egress"] == []
    rules = policy["egressAllowRules"]
    assert rules["privateIPs"] is False and rules["cloudMetadataServer"] is False
    assert rules["nonPrivateIPs"] is True  # nbgitpuller pulls the course from GitHub
    # the hub's API (the server's own) and the proxy (ngshare behind it): by label only
    assert singleuser["extraLabels"] == {
        "hub.jupyter.org/network-access-hub": "true",
        "hub.jupyter.org/network-access-proxy-http": "true",
    }


def image_layout(command: str, root: Path) -> Path:
    """Lay out `root` as repo2docker's image of `command`, then mount the home volume.

    repo2docker copies the repository to --target-repo-dir (default: the user's home,
    /home/jovyan) and makes <repo>/binder/start the entrypoint; the hub then mounts an
    empty persistent volume over /home/jovyan. Returns where the entrypoint should be.
    """
    argv = shlex.split(command.replace("\\\n", " "))
    repo_dir = "/home/jovyan"
    if "--target-repo-dir" in argv:
        repo_dir = argv[argv.index("--target-repo-dir") + 1]
    repo = root / repo_dir.lstrip("/")
    for name in ("binder", "course_utils"):
        repo.mkdir(parents=True, exist_ok=True)
        subprocess.run(["cp", "-r", str(REPO / name), str(repo)], check=True)
    home = root / "home" / "jovyan"
    if home.exists():
        subprocess.run(["rm", "-rf", str(home)], check=True)
    home.mkdir(parents=True)  # the empty volume, mounted over the home
    return repo / "binder" / "start"


def test_the_image_entrypoint_survives_the_home_volume(tmp_path: Path) -> None:
    command = deploy_links.build_command(repository_url(REPO / "pyproject.toml"))
    start = image_layout(command, tmp_path / "image")
    assert start.is_file() and os.access(start, os.X_OK)
    assert (start.parent.parent / "course_utils" / "__init__.py").is_file()
    # the regression this catches: repo2docker's default puts both under the mounted home
    without = command.replace(f"--target-repo-dir {deploy_links.TARGET_REPO_DIR}", "")
    assert not image_layout(without, tmp_path / "default").is_file()


def test_the_student_edition_carries_no_solutions(tmp_path: Path) -> None:
    commit = "0" * 40
    files = student_edition.build_tree(REPO, tmp_path / "edition", commit)
    tree = tmp_path / "edition"
    assert not any(f.startswith(("notebooks/solutions/", "notebooks/ko/solutions/")) for f in files)
    assert not any(f.startswith(("tools/", "tests/", "translations/", "docs/")) for f in files)
    students = {p.name for p in (tree / "notebooks").glob("*.ipynb")}
    assert students == {p.name for p in solution_notebooks(REPO / "notebooks")}
    assert (tree / "binder" / "start").is_file() and (tree / "course_utils").is_dir()
    assert student_edition.check_tree(tree) == []
    setup = (tree / "notebooks" / "01_neural_networks.ipynb").read_text()
    assert f"@{commit}" in setup and "@main" not in setup
    # the check itself finds a solution that slipped in
    leaked = tree / "notebooks" / "01_neural_networks.ipynb"
    leaked.write_text(leaked.read_text().replace("NotImplementedError", "### BEGIN SOLUTION", 1))
    assert any("solution region" in p for p in student_edition.check_tree(tree))


def test_the_student_edition_is_committed_to_its_branch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "course.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    # `python -m tools.student_edition --into ... --allow-dirty`, run from the repository in
    # this process (its git commands are the subprocesses that matter)
    monkeypatch.chdir(REPO)
    for _ in range(2):  # the second run finds nothing to commit
        code = student_edition.main(["--into", str(bare), "--allow-dirty"])
        assert code == 0, capsys.readouterr().err
    log = subprocess.run(
        ["git", "--git-dir", str(bare), "log", "--format=%s", STUDENT_BRANCH],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert len(log) == 1 and log[0].startswith("Student edition of ")
    listed = subprocess.run(
        ["git", "--git-dir", str(bare), "ls-tree", "-r", "--name-only", STUDENT_BRANCH],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    assert "notebooks/01_neural_networks.ipynb" in listed and "EDITION.md" in listed
    assert not [f for f in listed if "solutions/" in f]


def test_the_ngshare_exchange_matches_the_hub_values() -> None:
    """The exchange's admins are the hub's, its port the hub service's, its token a secret."""
    hub = yaml.safe_load(VALUES.read_text())["hub"]
    ngshare = yaml.safe_load((REPO / "deploy" / "ngshare-values.yaml").read_text())
    assert ngshare["ngshare"]["admins"] == hub["config"]["Authenticator"]["admin_users"]
    port = ngshare["deployment"]["port"]
    assert f"http://ngshare:{port}" in hub["extraConfig"]["ngshare"]
    assert ngshare["ngshare"]["hub_api_token"] == ""
    assert "deploy/ngshare-values.yaml" in VALUES.read_text()
