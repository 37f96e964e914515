# JupyterHub on one machine for a small class: `make classroom` (docs/instructor-guide.md).
#
# The same choices as the Zero to JupyterHub values beside this file, read from them where
# they are data: the admins (instructors, TAs) are `hub.config.Authenticator.admin_users` of
# deploy/values.yaml, the per-user memory and CPU limits are `singleuser.memory.limit` and
# `singleuser.cpu.limit`; deploy/jupyter/nbgrader_config.py configures nbgrader on both.
#
# - Login: NativeAuthenticator. Anyone may ask for an account at /hub/signup, nobody gets in
#   before an admin approves the account at /hub/authorize. The admins' own accounts cannot be
#   claimed by signing up first: they are created at start with the password in
#   $CLASSROOM_ADMIN_PASSWORD (an environment variable, never a file in the repository), which
#   each admin then changes at /hub/change-password.
# - Every hub user is a Unix user of the same name, created at first start with an empty
#   home of mode 0700; their server runs as that user (LocalProcessSpawner). The course's
#   environment (this checkout's .venv and binder/start, the image's entrypoint) stays
#   outside every home, as on the cluster, where the home volume is mounted over /home/jovyan.
# - Limits: each server runs in its own cgroup with the values' memory and CPU limits.
# - nbgrader's exchange: a shared folder ($CLASSROOM_EXCHANGE); a submission belongs to the
#   Unix user who wrote it, so to the hub login (deploy/jupyter/classroom_exchange.py).
#
# Run as root (it creates users). Environment: CLASSROOM_STATE (hub database and cookie
# secret; mode 0700; default /srv/classroom), CLASSROOM_EXCHANGE (default
# /srv/nbgrader/exchange), CLASSROOM_URL (default http://127.0.0.1:8000), CLASSROOM_HUB_PORT
# and CLASSROOM_PROXY_API_PORT (internal ports), CLASSROOM_ADMIN_PASSWORD (required).
import os
import pwd
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from jupyterhub.spawner import LocalProcessSpawner
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.orm import UserInfo

c = get_config()  # noqa: F821

DEPLOY = Path(__file__).resolve().parent
COURSE = DEPLOY.parent  # the checkout: outside every home, readable by every user
VENV_BIN = Path(sys.executable).parent  # the environment `make classroom` runs the hub from
VALUES = yaml.safe_load((DEPLOY / "values.yaml").read_text(encoding="utf-8"))
ADMINS = set(VALUES["hub"]["config"]["Authenticator"]["admin_users"])
STATE = Path(os.environ.get("CLASSROOM_STATE", "/srv/classroom")).resolve()
PUBLIC = os.environ.get("CLASSROOM_URL", "http://127.0.0.1:8000").rstrip("/")
HUB_PORT = int(os.environ.get("CLASSROOM_HUB_PORT", "8081"))
PROXY_API_PORT = int(os.environ.get("CLASSROOM_PROXY_API_PORT", "8001"))
# nbgrader's exchange: a folder every user may write into (inbound/ is write-only to them).
EXCHANGE = Path(os.environ.get("CLASSROOM_EXCHANGE", "/srv/nbgrader/exchange")).resolve()
PROXY = COURSE / "_build" / "classroom" / "node_modules" / ".bin" / "configurable-http-proxy"
# A Unix user name: the hub user names are the system user names.
USERNAME = r"[a-z][a-z0-9_-]{0,30}"
_UNITS = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}

ADMIN_PASSWORD = os.environ.get("CLASSROOM_ADMIN_PASSWORD", "")
if len(ADMIN_PASSWORD) < 12:
    sys.exit(
        "deploy/jupyterhub_config.py: set CLASSROOM_ADMIN_PASSWORD (12 characters or more), "
        f"the first password of the admin accounts {sorted(ADMINS)} from deploy/values.yaml"
    )
if urlsplit(PUBLIC).scheme not in {"http", "https"}:
    sys.exit(f"deploy/jupyterhub_config.py: CLASSROOM_URL is not an http(s) URL: {PUBLIC!r}")
STATE.mkdir(parents=True, exist_ok=True)
STATE.chmod(0o700)  # the hub's database and cookie secret
EXCHANGE.mkdir(parents=True, exist_ok=True)
EXCHANGE.chmod(0o1777)  # nbgrader wants the root writable by all; sticky: nobody deletes another's


def memory_bytes(quantity: str) -> int:
    """kubespawner's reading of a memory quantity (K, M, G, T as powers of 1024)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGT]?)i?", str(quantity))
    if not match:
        raise ValueError(f"singleuser.memory.limit: not a memory quantity: {quantity!r}")
    return int(float(match[1]) * _UNITS.get(match[2], 1))


class ClassroomAuthenticator(NativeAuthenticator):
    """NativeAuthenticator whose admin accounts exist before anyone can sign up."""

    def create_user(self, username, password, **kwargs):
        if self.normalize_username(username) in self.admin_users:
            self.log.warning("Refused a signup under the admin name %r", username)
            return None  # nativeauthenticator would pre-approve it: whoever came first
        return super().create_user(username, password, **kwargs)

    def add_user(self, user):
        if user.name in self.admin_users and self.get_user(user.name) is None:
            import bcrypt

            hashed = bcrypt.hashpw(ADMIN_PASSWORD.encode(), bcrypt.gensalt())
            self.db.add(UserInfo(username=user.name, password=hashed, is_authorized=True))
            self.db.commit()
            self.log.info("Created the admin account %s (change its password)", user.name)
        return super().add_user(user)


class CgroupLimits:
    """A per-user cgroup (v1 or v2) holding the memory and CPU limit of one server."""

    ROOT = Path("/sys/fs/cgroup")

    def __init__(self, name: str, memory: int, cpus: float) -> None:
        self.dirs: list[Path] = []
        v2 = self.ROOT / "cgroup.controllers"
        if v2.is_file():
            parent = self.ROOT / "classroom"
            parent.mkdir(exist_ok=True)
            for level in (self.ROOT, parent):
                (level / "cgroup.subtree_control").write_text("+memory +cpu")
            group = parent / name
            group.mkdir(exist_ok=True)
            (group / "memory.max").write_text(str(memory))
            (group / "memory.swap.max").write_text("0")
            (group / "cpu.max").write_text(f"{int(cpus * 100_000)} 100000")
            self.dirs = [group]
        else:
            memory_group = self.ROOT / "memory" / "classroom" / name
            cpu_group = self.ROOT / "cpu" / "classroom" / name
            memory_group.mkdir(parents=True, exist_ok=True)
            cpu_group.mkdir(parents=True, exist_ok=True)
            (memory_group / "memory.limit_in_bytes").write_text(str(memory))
            (cpu_group / "cpu.cfs_period_us").write_text("100000")
            (cpu_group / "cpu.cfs_quota_us").write_text(str(int(cpus * 100_000)))
            self.dirs = [memory_group, cpu_group]

    def enter(self) -> None:
        """Move the calling process into the cgroup (runs in the child, before exec)."""
        for group in self.dirs:
            fd = os.open(group / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, str(os.getpid()).encode())
            finally:
                os.close(fd)


class ClassroomSpawner(LocalProcessSpawner):
    """Each user's server as their own Unix user, in their own cgroup."""

    def user_env(self, env):
        env = super().user_env(env)
        env["PATH"] = f"{VENV_BIN}:/usr/local/bin:/usr/bin:/bin"
        return env

    async def start(self):
        name = self.user.name
        if not re.fullmatch(USERNAME, name):
            raise ValueError(f"hub user name {name!r} is not a Unix user name ({USERNAME})")
        try:
            pwd.getpwnam(name)
        except KeyError:
            # An empty home (no skeleton files), readable by its owner only.
            empty = STATE / "empty-skel"
            empty.mkdir(exist_ok=True)
            subprocess.run(
                ["useradd", "--create-home", "--skel", str(empty), "--shell", "/bin/bash", name],
                check=True,
            )
        home = Path(pwd.getpwnam(name).pw_dir)
        home.chmod(0o700)
        self._limits = CgroupLimits(name, memory_bytes(self.mem_limit), self.cpu_limit)
        return await super().start()

    def make_preexec_fn(self, name):
        drop_privileges = super().make_preexec_fn(name)
        limits = self._limits

        def preexec():
            limits.enter()
            drop_privileges()

        return preexec


c.JupyterHub.bind_url = PUBLIC
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{HUB_PORT}"
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True  # `make classroom` stopped = every server stopped
c.ConfigurableHTTPProxy.command = [str(PROXY)]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")

c.JupyterHub.authenticator_class = ClassroomAuthenticator
c.Authenticator.admin_users = ADMINS
c.Authenticator.username_pattern = USERNAME
c.NativeAuthenticator.open_signup = False  # an admin approves every account
# The gate is the approval above: NativeAuthenticator authenticates only approved accounts,
# so every account it authenticates may log in (JupyterHub 5 otherwise wants allowed_users).
c.Authenticator.allow_all = True
c.NativeAuthenticator.minimum_password_length = 10
c.NativeAuthenticator.check_common_password = True
c.NativeAuthenticator.allowed_failed_logins = 5
c.NativeAuthenticator.seconds_before_next_try = 600

c.JupyterHub.spawner_class = ClassroomSpawner
c.Spawner.cmd = [str(COURSE / "binder" / "start"), str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.mem_limit = VALUES["singleuser"]["memory"]["limit"]
c.Spawner.cpu_limit = float(VALUES["singleuser"]["cpu"]["limit"])
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    **VALUES["singleuser"]["extraEnv"],
    # nbgrader_config.py (the course id, the exchange) and its OwnerCollect
    "JUPYTER_CONFIG_PATH": str(DEPLOY / "jupyter"),
    "PYTHONPATH": str(DEPLOY / "jupyter"),
    "NBGRADER_EXCHANGE_ROOT": str(EXCHANGE),
}
