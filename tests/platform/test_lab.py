"""`make lab` serves the course: JupyterLab answers and lists the notebooks."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
STAMP = ".venv/.installed-lab-dev"  # the Makefile's install stamp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get_json(url: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def stop(process: subprocess.Popen) -> None:
    """Stop `make` and the Jupyter server it started: they share one process group."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.slow
def test_make_lab_serves_the_notebooks(tmp_path):
    port, token = free_port(), secrets.token_hex(16)
    lab_args = f"--IdentityProvider.token={token} --ServerApp.ip=127.0.0.1"
    log = (tmp_path / "lab.log").open("w+")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    env.pop("DISPLAY", None)  # never open a browser window from a test
    process = subprocess.Popen(
        # -o: serve with the environment as it is; `make test` has installed it already.
        ["make", "-o", STAMP, "lab", f"PORT={port}", f"LAB_ARGS={lab_args}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, stopped as a whole
    )
    api = f"http://127.0.0.1:{port}/api/contents"
    try:
        deadline = time.monotonic() + 120
        status = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, listing = get_json(f"{api}/?token={token}")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                status = None
            if status == 200:
                break
            time.sleep(0.5)
        log.seek(0)
        assert status == 200, f"JupyterLab did not answer on port {port}:\n{log.read()[-3000:]}"
        names = {item["name"] for item in listing["content"]}
        students = {p.name for p in NOTEBOOKS.glob("*.ipynb")}
        assert students <= names, f"missing from the lab's root: {students - names}"
        assert "solutions" in names
        status, solutions = get_json(f"{api}/solutions?token={token}")
        assert status == 200
        listed = {item["name"] for item in solutions["content"]}
        assert {p.name for p in (NOTEBOOKS / "solutions").glob("*.ipynb")} <= listed
        # Without the token the server refuses: `make lab` is not open to anyone on the network.
        assert get_json(f"{api}/")[0] == 403
    finally:
        stop(process)
        log.close()
    assert process.poll() is not None, "make lab is still running"
