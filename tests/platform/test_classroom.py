"""A real class hub on this machine: deploy/jupyterhub_config.py, started as `make classroom` does.

One test walks a class through it, over the hub's HTTP and REST API only, as browsers and
the Jupyter servers would:

1. the hub starts (JupyterHub from PyPI, configurable-http-proxy from npm) with the admin
   account of deploy/values.yaml;
2. two students sign up, cannot log in before the instructor approves them, then log in;
3. each server starts as its own Unix user, in an empty home of mode 0700, from the course
   environment outside every home (binder/start is the entrypoint, as in the image), inside
   a cgroup with the values' memory limit;
4. the nbgitpuller link of deploy/links.md, pointed at a local git repository holding the
   student edition (tools.student_edition), clones the course into a student's home, with
   no solutions in it; the student's completed notebook 01 then executes in their server;
5. the instructor lays out the course (tools.grading), generates and releases assignment 01
   through nbgrader's exchange; both students fetch it; one completes and submits it, and also submits
   a forged notebook "as" the other (--student-id and $JUPYTERHUB_USER set to them); the
   other submits their unchanged stub; the instructor collects and autogrades;
6. the grades follow the hub login: the forger's work is graded as theirs, the other's
   submission is their own; a student cannot list or read the other's home, the exchange's
   inbound folder or the hub's state;
7. the hub stops and leaves no process of the class's users and no proxy.

Not covered here, because no Kubernetes runs on this machine: KubeSpawner, the chart's
network policies and persistent volumes, the GitHub login of deploy/values.yaml (the values
are validated against the chart's schema in tests/tools/test_deploy.py instead), the
cluster's exchange (ngshare and its Helm chart: every pod there is uid 1000, so the file
owner this hub relies on tells nothing), the image build (its layout is simulated in
test_deploy.py).

Numbers (time from hub start to the first notebook executed, the servers' memory from their
cgroups) are written to test-artifacts/classroom.json. CLASSROOM_NOTEBOOK=04 executes
notebook 04 instead of 01 (it trains: the measurement of docs/instructor-guide.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import nbformat
import pytest
import yaml

requests = pytest.importorskip("requests")
pytest.importorskip("jupyterhub", reason="the classroom extra: make test installs it")
pytest.importorskip("nativeauthenticator", reason="the classroom extra")
pytest.importorskip("nbgitpuller", reason="the classroom extra")
from tornado.httpclient import HTTPRequest  # noqa: E402
from tornado.websocket import websocket_connect  # noqa: E402

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROXY = REPO / "_build" / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
ARTIFACTS = REPO / "test-artifacts"
VALUES = yaml.safe_load((DEPLOY / "values.yaml").read_text(encoding="utf-8"))
INSTRUCTOR = VALUES["hub"]["config"]["Authenticator"]["admin_users"][0]
STUDENTS = ("student-a", "student-b")
COURSE_ID = "deep-rl-course"
ASSIGNMENT = "01_neural_networks"
NOTEBOOK_OF_ASSIGNMENT = f"{ASSIGNMENT}.ipynb"
NOTEBOOK = {"01": "01_neural_networks.ipynb", "04": "04_deep_q_learning_cartpole.ipynb"}[
    os.environ.get("CLASSROOM_NOTEBOOK", "01")
]
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
FORGED = "# forged by student-a"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def solution_code(source: str) -> str:
    """A solution cell as a student who solved it would leave it: the markers gone."""
    return "\n".join(line for line in source.splitlines() if not MARKER.match(line))


def completed_cells(notebook: Path) -> dict[str, str]:
    """Cell id -> source of every cell of `notebook` holding a solution region."""
    nb = nbformat.read(notebook, as_version=4)
    return {c.id: solution_code(c.source) for c in nb.cells if "### BEGIN SOLUTION" in c.source}


def cgroup_memory(user: str) -> dict[str, int]:
    """The limit, current and peak memory of a user's server, from its cgroup (bytes)."""
    v1 = Path("/sys/fs/cgroup/memory/classroom") / user
    if v1.is_dir():
        read = lambda name: int((v1 / name).read_text())  # noqa: E731
        return {
            "limit": read("memory.limit_in_bytes"),
            "current": read("memory.usage_in_bytes"),
            "peak": read("memory.max_usage_in_bytes"),
        }
    v2 = Path("/sys/fs/cgroup/classroom") / user
    peak = v2 / "memory.peak"
    return {
        "limit": int((v2 / "memory.max").read_text()),
        "current": int((v2 / "memory.current").read_text()),
        "peak": int(peak.read_text()) if peak.exists() else -1,
    }


def reset_peak(user: str) -> None:
    v1 = Path("/sys/fs/cgroup/memory/classroom") / user / "memory.max_usage_in_bytes"
    if v1.exists():
        v1.write_text("0")


class Client:
    """One person's browser (cookies) and their API token, against the hub's public URL."""

    def __init__(self, base: str, name: str, password: str) -> None:
        self.base, self.name, self.password = base, name, password
        self.http = requests.Session()
        self.token = ""

    def _xsrf(self, path: str) -> str:
        self.http.get(f"{self.base}{path}", timeout=30).raise_for_status()
        return self.http.cookies.get("_xsrf", path="/hub/") or self.http.cookies.get("_xsrf")

    def signup(self) -> None:
        xsrf = self._xsrf("/hub/signup")
        data = {
            "username": self.name,
            "signup_password": self.password,
            "signup_password_confirmation": self.password,
            "_xsrf": xsrf,
        }
        self.http.post(f"{self.base}/hub/signup", data=data, timeout=30).raise_for_status()

    def login(self) -> bool:
        xsrf = self._xsrf("/hub/login")
        data = {"username": self.name, "password": self.password, "_xsrf": xsrf}
        r = self.http.post(f"{self.base}/hub/login", data=data, timeout=30, allow_redirects=False)
        if r.status_code != 302:
            return False
        # the login sets a new xsrf cookie, bound to the session
        xsrf = self.http.cookies.get("_xsrf", path="/hub/") or xsrf
        r = self.http.post(
            f"{self.base}/hub/api/users/{self.name}/tokens",
            json={"note": "test_classroom", "expires_in": 3600},
            headers={"X-XSRFToken": xsrf},
            timeout=30,
        )
        r.raise_for_status()
        self.token = r.json()["token"]
        return True

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"Authorization": f"token {self.token}"}
        return self.http.request(
            method, f"{self.base}{path}", headers=headers, timeout=60, **kwargs
        )

    def request_server(self) -> None:
        r = self.api("POST", f"/hub/api/users/{self.name}/server")
        assert r.status_code in (201, 202), r.text

    def wait_for_server(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"/hub/api/users/{self.name}").json()["servers"].get("", {})
            if server.get("ready"):
                return
            time.sleep(0.5)
        raise TimeoutError(f"{self.name}'s server did not start in {timeout} s")


class Kernel:
    """A kernel in a user's server, driven through the server's REST and websocket API."""

    def __init__(self, client: Client, path: str) -> None:
        self.client = client
        r = client.api(
            "POST",
            f"/user/{client.name}/api/sessions",
            json={"path": path, "type": "notebook", "kernel": {"name": "python3"}},
        )
        assert r.status_code == 201, r.text
        self.session = r.json()
        self.id = self.session["kernel"]["id"]
        ws_base = client.base.replace("http", "ws", 1)
        self.url = f"{ws_base}/user/{client.name}/api/kernels/{self.id}/channels"
        self.loop = asyncio.new_event_loop()
        request = HTTPRequest(self.url, headers={"Authorization": f"token {client.token}"})
        self.ws = self.loop.run_until_complete(self._connect(request))

    @staticmethod
    async def _connect(request: HTTPRequest):
        return await websocket_connect(request)

    def run(self, code: str, timeout: float = 600) -> tuple[str, str]:
        """Execute `code`; return (status, output: streams, results and tracebacks)."""
        return self.loop.run_until_complete(self._run(code, timeout))

    async def _run(self, code: str, timeout: float) -> tuple[str, str]:
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": "execute_request",
            "username": self.client.name,
            "session": uuid.uuid4().hex,
            "version": "5.3",
            "date": datetime.now(UTC).isoformat(),
        }
        content = {
            "code": code,
            "silent": False,
            "store_history": True,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        message = {
            "header": header,
            "parent_header": {},
            "metadata": {},
            "content": content,
            "channel": "shell",
            "buffers": [],
        }
        await self.ws.write_message(json.dumps(message))
        output, status, idle = [], None, False
        deadline = time.monotonic() + timeout
        while status is None or not idle:
            raw = await asyncio.wait_for(self.ws.read_message(), deadline - time.monotonic())
            if raw is None:
                raise RuntimeError(f"{self.client.name}'s kernel connection closed")
            if isinstance(raw, bytes):
                continue
            reply = json.loads(raw)
            if reply.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, body = reply["msg_type"], reply["content"]
            if kind == "stream":
                output.append(body["text"])
            elif kind == "error":
                output.append("\n".join(body["traceback"]))
            elif kind == "execute_result":
                output.append(body["data"].get("text/plain", ""))
            elif kind == "execute_reply":
                status = body["status"]
            elif kind == "status" and body["execution_state"] == "idle":
                idle = True
        return status, "".join(output)

    def sh(self, *argv: str, cwd: str = "~", env: dict | None = None) -> tuple[int, str]:
        """Run a command in this user's server (as them, with their server's environment)."""
        code = (
            "import os, subprocess\n"
            f"_env = {{**os.environ, **{env or {}!r}}}\n"
            f"_r = subprocess.run({list(argv)!r}, cwd=os.path.expanduser({cwd!r}), env=_env,"
            " capture_output=True, text=True, timeout=900)\n"
            "print(_r.returncode)\nprint(_r.stdout[-4000:])\nprint(_r.stderr[-4000:])"
        )
        status, out = self.run(code)
        assert status == "ok", out
        first, _, rest = out.partition("\n")
        return int(first), rest

    def close(self) -> None:
        self.ws.close()
        self.client.api("DELETE", f"/user/{self.client.name}/api/sessions/{self.session['id']}")
        self.loop.close()


def make_student_edition(where: Path) -> Path:
    """A bare repository holding the student edition on its branch."""
    bare = where / "deep-rl-course"  # the clone is named after it, as after GitHub's URL
    subprocess.run(["git", "init", "--quiet", "--bare", str(bare)], check=True)
    subprocess.run(
        [sys.executable, "-m", "tools.student_edition", "--into", str(bare), "--allow-dirty"],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return bare


def closed_folders() -> list[Path]:
    """Folders above the course environment's interpreter that other users cannot enter.

    The students' servers run as their own Unix users from this environment, so they must
    reach its Python: a pyenv build under /root (mode 0700) is out of their reach.
    """
    paths = {Path(sys.executable).parent, Path(os.path.realpath(sys.executable)).parent}
    closed = {p for path in paths for p in [path, *path.parents] if not p.stat().st_mode & 0o001}
    return sorted(closed)


@pytest.fixture
def classroom():
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("the single-machine hub creates Unix users: run as root (CI does)")
    if not PROXY.exists():
        pytest.fail(f"{PROXY} is missing: `make unit` installs configurable-http-proxy from npm")
    for name in (INSTRUCTOR, *STUDENTS):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        pytest.fail(f"a Unix user {name!r} exists already: this test creates and removes it")
    state = Path(tempfile.mkdtemp(prefix="classroom-state-"))
    public = Path(tempfile.mkdtemp(prefix="classroom-public-"))  # the git repo, the exchange
    public.chmod(0o755)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CLASSROOM_STATE": str(state),
        "CLASSROOM_URL": base,
        "CLASSROOM_HUB_PORT": str(free_port()),
        "CLASSROOM_PROXY_API_PORT": str(free_port()),
        "CLASSROOM_EXCHANGE": str(public / "exchange"),
        "CLASSROOM_ADMIN_PASSWORD": secrets.token_urlsafe(16),
        # the students' git trusts the root-owned repository they clone from
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": "*",
    }
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "classroom-hub.log"
    # Let other users pass through (not list) those folders for the test's duration; a real
    # single-machine hub installs its environment where every user can read it (/srv, /opt).
    opened = {p: p.stat().st_mode & 0o7777 for p in closed_folders()}
    started = time.monotonic()
    hub, cleanup = None, []
    try:
        for folder, mode in opened.items():
            folder.chmod(mode | 0o001)
        with log.open("w") as log_file:
            hub = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "jupyterhub"),
                    "-f",
                    str(DEPLOY / "jupyterhub_config.py"),
                ],
                cwd=state,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/hub/api", timeout=5).ok:
                    break
            except requests.ConnectionError:
                pass
            if hub.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the hub did not start; its log:\n{log.read_text()[-4000:]}")
            time.sleep(0.3)
        yield {
            "base": base,
            "hub": hub,
            "state": state,
            "public": public,
            "started": started,
            "admin_password": env["CLASSROOM_ADMIN_PASSWORD"],
            "log": log,
            "cleanup": cleanup,
        }
    finally:
        for process in cleanup:
            process.terminate()
            process.wait(10)
        if hub is not None and hub.poll() is None:
            hub.send_signal(signal.SIGTERM)
            try:
                hub.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
                hub.wait(10)
        for name in (INSTRUCTOR, *STUDENTS):
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", "--remove", name], capture_output=True)
            groups = [*Path("/sys/fs/cgroup").glob(f"*/classroom/{name}")]
            groups += [g for g in [Path("/sys/fs/cgroup/classroom") / name] if g.is_dir()]
            for group in groups:
                for _ in range(20):  # empty once the killed processes are reaped
                    try:
                        group.rmdir()
                        break
                    except OSError:
                        time.sleep(0.25)
        for parent in [
            *Path("/sys/fs/cgroup").glob("*/classroom"),
            Path("/sys/fs/cgroup/classroom"),
        ]:
            if parent.is_dir() and not [p for p in parent.iterdir() if p.is_dir()]:
                try:
                    parent.rmdir()
                except OSError:
                    pass  # another hub's servers are in it
        for folder, mode in opened.items():
            folder.chmod(mode)
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(public, ignore_errors=True)


def test_a_class_on_the_single_machine_hub(classroom) -> None:
    base, numbers = classroom["base"], {}
    make_student_edition(classroom["public"])
    # Served as GitHub serves it, over the network (git's own protocol here): a student's git
    # refuses a local repository owned by someone else.
    git_port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
            f"--port={git_port}",
            f"--base-path={classroom['public']}",
            str(classroom["public"]),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    classroom["cleanup"].append(daemon)
    git_url = f"git://127.0.0.1:{git_port}/deep-rl-course"
    for _ in range(50):
        if subprocess.run(["git", "ls-remote", git_url], capture_output=True).returncode == 0:
            break
        time.sleep(0.2)

    # 1-2. Login: the admin exists with its first password; students wait for approval.
    instructor = Client(base, INSTRUCTOR, classroom["admin_password"])
    squatter = Client(base, INSTRUCTOR, "not-the-admin-password-1")
    squatter.signup()  # signing up under the admin's name neither creates nor replaces it
    assert not squatter.login()
    assert instructor.login(), classroom["log"].read_text()[-3000:]
    students = [Client(base, name, f"pw-{secrets.token_hex(8)}") for name in STUDENTS]
    for student in students:
        student.signup()
        assert not student.login(), f"{student.name} logged in before being approved"
        r = instructor.http.get(f"{base}/hub/authorize/{student.name}", timeout=30)
        r.raise_for_status()
        assert student.login(), f"{student.name} cannot log in once approved"
    a, b = students

    # 3. Servers: own Unix user, empty private home, course outside it, cgroup limits.
    for client in (instructor, *students):
        client.request_server()
    for client in (instructor, *students):
        client.wait_for_server()
    numbers["servers_started_s"] = round(time.monotonic() - classroom["started"], 1)
    for client in (instructor, *students):
        home = Path(pwd.getpwnam(client.name).pw_dir)
        assert home.stat().st_mode & 0o777 == 0o700
        assert home.stat().st_uid == pwd.getpwnam(client.name).pw_uid
        assert not REPO.is_relative_to(home)
        memory = cgroup_memory(client.name)
        assert memory["limit"] == int(2.5 * 2**30), memory  # singleuser.memory.limit
    idle = {s.name: cgroup_memory(s.name)["current"] for s in students}
    numbers["server_idle_mib"] = {k: round(v / 2**20) for k, v in idle.items()}

    # 4. The nbgitpuller link of deploy/links.md, at the local student edition.
    link = re.search(r"\((https://[^)]+/git-pull\?[^)]+)\)", (DEPLOY / "links.md").read_text())
    query = {k: v[0] for k, v in parse_qs(urlsplit(link[1]).query).items()}
    assert query["branch"] == "student"
    query["repo"] = git_url
    r = a.http.get(f"{base}/hub/user-redirect/git-pull?{urlencode(query)}", timeout=60)
    assert r.status_code == 200 and urlsplit(r.url).path == f"/user/{a.name}/git-pull", r.url
    pull = a.api(
        "GET",
        f"/user/{a.name}/git-pull/api?{urlencode({'repo': git_url, 'branch': 'student'})}",
        stream=True,
    )
    events = pull.text
    assert pull.status_code == 200 and '"phase": "finished"' in events, events[-2000:]
    clone = Path(pwd.getpwnam(a.name).pw_dir) / "deep-rl-course"
    assert (clone / "notebooks" / NOTEBOOK).is_file()
    assert not (clone / "notebooks" / "solutions").exists()
    assert not list(clone.rglob("*solutions*")), "the student edition carries solutions"
    assert clone.stat().st_uid == pwd.getpwnam(a.name).pw_uid

    # The student completes and runs the pulled notebook in their own server.
    answers = completed_cells(REPO / "notebooks" / "solutions" / NOTEBOOK)
    nb = nbformat.read(clone / "notebooks" / NOTEBOOK, as_version=4)
    assert {c.id for c in nb.cells} >= set(answers)
    kernel = Kernel(a, f"deep-rl-course/notebooks/{NOTEBOOK}")
    reset_peak(a.name)
    executed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        status, out = kernel.run(answers.get(cell.id, cell.source))
        assert status == "ok", f"cell {cell.id} failed in {a.name}'s server:\n{out[-3000:]}"
        executed += 1
    numbers["first_notebook"] = NOTEBOOK
    numbers["hub_start_to_notebook_executed_s"] = round(time.monotonic() - classroom["started"], 1)
    numbers["server_peak_while_notebook_mib"] = round(cgroup_memory(a.name)["peak"] / 2**20)
    assert executed > 5
    kernel.close()

    # 5. The assignment: lay out, generate, release through the exchange.
    teacher = Kernel(instructor, "")
    course = f"~/{COURSE_ID}"
    only = classroom["public"] / "solutions"  # the one assignment this test grades
    only.mkdir()
    shutil.copy2(REPO / "notebooks" / "solutions" / NOTEBOOK_OF_ASSIGNMENT, only)
    subprocess.run(["chmod", "-R", "a+rX", str(only)], check=True)
    solutions = str(only)
    steps = [
        (
            [
                sys.executable,
                "-m",
                "tools.grading",
                "assignments",
                solutions,
                str(Path(pwd.getpwnam(INSTRUCTOR).pw_dir) / COURSE_ID),
            ],
            str(REPO),
        ),
        *[(["nbgrader", "db", "student", "add", s.name], course) for s in students],
        (["nbgrader", "generate_assignment", ASSIGNMENT], course),
        (["nbgrader", "release_assignment", ASSIGNMENT], course),
    ]
    for argv, cwd in steps:
        rc, out = teacher.sh(*argv, cwd=cwd)
        assert rc == 0, f"{argv}: {out}"

    released = REPO / "notebooks" / "solutions" / NOTEBOOK_OF_ASSIGNMENT
    a_kernel, b_kernel = Kernel(a, ""), Kernel(b, "")
    for kern in (a_kernel, b_kernel):
        rc, out = kern.sh("nbgrader", "fetch_assignment", ASSIGNMENT, "--course", COURSE_ID)
        assert rc == 0, out
    fetched = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    for kern in (a_kernel, b_kernel):
        status, out = kern.run(
            f"import os; print(os.path.isfile(os.path.expanduser('~/{fetched}')))"
        )
        assert out.strip() == "True", out

    # Student A forges a submission as B, then submits their own, completed work.
    edit = (
        "import json, os, nbformat\n"
        f"_p = os.path.expanduser('~/{fetched}')\n"
        "_nb = nbformat.read(_p, as_version=4)\n"
        "_answers = json.loads({answers!r})\n"
        "for _c in _nb.cells:\n"
        "    if _c.get('metadata', {{}}).get('nbgrader', {{}}).get('solution') and _c.id in _answers:\n"
        "        _c.source = _answers[_c.id]\n"
        "nbformat.write(_nb, _p)\nprint('edited')"
    )
    forged = {cid: f"{FORGED}\nraise RuntimeError('forged')" for cid in completed_cells(released)}
    status, out = a_kernel.run(edit.format(answers=json.dumps(forged)))
    assert status == "ok", out
    # nbgrader's own flag for "submit as": the name on the file says student-b
    rc, out = a_kernel.sh(
        "nbgrader",
        "submit",
        ASSIGNMENT,
        "--course",
        COURSE_ID,
        f"--CourseDirectory.student_id={b.name}",
        env={"JUPYTERHUB_USER": b.name},
    )
    assert rc == 0, f"the forged submission was not even made: {out}"
    time.sleep(1.1)  # submissions are told apart by their timestamp
    status, out = a_kernel.run(edit.format(answers=json.dumps(completed_cells(released))))
    assert status == "ok", out
    rc, out = a_kernel.sh("nbgrader", "submit", ASSIGNMENT, "--course", COURSE_ID)
    assert rc == 0, out
    rc, out = b_kernel.sh("nbgrader", "submit", ASSIGNMENT, "--course", COURSE_ID)
    assert rc == 0, out

    # 6. Isolation between students.
    status, out = a_kernel.run(
        "import os\n"
        "for _p in [os.path.expanduser('~" + b.name + "'), "
        f"os.path.expanduser('~{b.name}/{fetched}'), {str(classroom['state'])!r},"
        f" {str(classroom['public'] / 'exchange' / COURSE_ID / 'inbound')!r}]:\n"
        "    try:\n"
        "        os.listdir(_p) if os.path.isdir(_p) else open(_p).read()\n"
        "        print('READ', _p)\n"
        "    except PermissionError:\n"
        "        print('denied', _p)\n"
    )
    assert status == "ok" and "READ" not in out and out.count("denied") == 4, out

    # Collect and grade: the submissions are attributed to the hub logins.
    rc, out = teacher.sh("nbgrader", "collect", ASSIGNMENT, cwd=course)
    assert rc == 0, out
    # the forged file is filed under its owner, and the instructor is told
    assert f"claims to be {b.name}'s submission, but {a.name} submitted it" in out, out
    home = Path(pwd.getpwnam(INSTRUCTOR).pw_dir) / COURSE_ID / "submitted"
    b_submitted = (home / b.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    a_submitted = (home / a.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert FORGED not in b_submitted, "a student's forged submission was collected as another's"
    assert FORGED not in a_submitted, "the forger's later, real submission is the one graded"
    started = time.monotonic()
    # two sandboxes at a time: one student each (tools.grade: scores still written in order)
    grade = [sys.executable, "-m", "tools.grading", "grade", str(home.parent), ASSIGNMENT]
    grade += ["--jobs", "2"]
    rc, out = teacher.sh(*grade, cwd=str(REPO))
    numbers["autograde_s"] = round(time.monotonic() - started, 1)
    numbers["autograde"] = "tools.grading grade (sandboxed)"
    assert rc == 0, out
    rc, out = teacher.sh(
        sys.executable,
        "-c",
        "from nbgrader.api import Gradebook\n"
        "with Gradebook('sqlite:///gradebook.db') as gb:\n"
        f"    for s in {list(STUDENTS)!r}:\n"
        f"        print(s, gb.find_submission({ASSIGNMENT!r}, s).score)",
        cwd=course,
    )
    scores = dict(line.split() for line in out.strip().splitlines() if line.startswith("student"))
    numbers["scores"] = scores
    assert float(scores[a.name]) > 0 and float(scores[b.name]) == 0, out
    for kern in (teacher, a_kernel, b_kernel):
        kern.close()

    # 7. A clean stop.
    hub = classroom["hub"]
    hub.send_signal(signal.SIGTERM)
    hub.wait(60)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        left = subprocess.run(
            ["pgrep", "-a", "-f", f"{classroom['state']}|configurable-http-proxy.*{base[7:]}"],
            capture_output=True,
            text=True,
        ).stdout
        left += "".join(
            subprocess.run(["pgrep", "-a", "-u", n], capture_output=True, text=True).stdout
            for n in (INSTRUCTOR, *STUDENTS)
        )
        if not left:
            break
        time.sleep(0.5)
    assert not left, f"left running after the hub stopped:\n{left}"
    (ARTIFACTS / "classroom.json").write_text(json.dumps(numbers, indent=2) + "\n")
    print(json.dumps(numbers, indent=2))
