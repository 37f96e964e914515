"""The course in a real browser: Debian's Chromium drives JupyterLab as a student would.

It serves a copy of notebooks/ with JupyterLab on localhost, opens every student and
solution notebook, runs the solution notebook 01 completely in the page (Run All), and
reads the page: every cell ran, no traceback, no "Error displaying widget", and widgets
rendered. Screenshots go to test-artifacts/browser/.

Chromium is driven through the DevTools protocol with websocket-client (already installed
with jupyter_server), so neither a WebDriver nor a downloaded browser is needed. Where
Chromium is missing, the test installs Debian's package (as root, with apt-get) and is
skipped, with the reason, only where that is impossible.

Run it alone with:  .venv/bin/python -m pytest -q tests/test_browser.py
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import websocket

from tools.slides import browser as slides_browser

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
RUN_NOTEBOOK = "solutions/01_*.ipynb"  # the notebook run end to end in the page
RUN_TIMEOUT_S = 150
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
    "--remote-debugging-port=0",
]
# User settings of the served lab: every cell in the DOM (no windowing), no autosave,
# no news or update pop-ups.
LAB_SETTINGS = {
    "notebook-extension/tracker": {"windowingMode": "none"},
    "docmanager-extension/plugin": {"autosave": False},
    "apputils-extension/notification": {"checkForUpdates": False, "fetchNews": "false"},
}

# A rendered ipywidget (the "Error displaying widget" box has no widget-* class).
WIDGET = '.jupyter-widgets[class*="widget-"]'

pytestmark = pytest.mark.slow


# ---------------------------------------------------------------- chromium


def chromium_executable() -> str:
    """Debian's chromium, installed with apt-get if missing; skip where that is impossible.

    The lecture decks' browser check needs the same browser: one installer, in tools.slides.
    """
    try:
        return slides_browser.chromium_executable()
    except RuntimeError as error:
        pytest.skip(f"real-browser test skipped: {error}")


class Page:
    """The few DevTools-protocol calls the test needs, over one websocket."""

    def __init__(self, ws_url: str) -> None:
        self.ws = websocket.create_connection(ws_url, timeout=120, suppress_origin=True)
        self.last_id = 0

    def call(self, method: str, **params):
        self.last_id += 1
        self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def js(self, expression: str):
        """Value of a JavaScript expression (awaited when it is a promise)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description", details))
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                shot = self.screenshot("timeout-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", what))
                raise AssertionError(
                    f"timed out after {timeout:.0f} s waiting for {what} (screenshot: {shot})"
                )
            time.sleep(0.5)

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        self.ws.close()


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(process: subprocess.Popen) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=wait)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def wait_http(url: str, timeout: float, process: subprocess.Popen, log: Path) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on localhost serving a copy of notebooks/ (the originals stay untouched),
    started once for the module's tests (each closes the notebooks it opens, and their
    kernels)."""
    tmp_path = tmp_path_factory.mktemp("lab")
    served = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, served, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = tmp_path / "lab-settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "lab-workspaces"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "SDL_VIDEODRIVER": "dummy",
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
    }
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={served}"]
    command += [f"--port={port}", "--no-browser", "--ServerApp.ip=127.0.0.1"]
    command += [f"--IdentityProvider.token={token}", "--LabApp.expose_app_in_browser=True"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = tmp_path / "lab.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/api/status?token={token}", 120, process, log)
        yield base, token, served
    finally:
        stop(process)


@pytest.fixture(scope="module")
def page(tmp_path_factory, fonts):
    """One Chromium for the module's tests, started after the fonts are installed."""
    executable = chromium_executable()
    tmp_path = tmp_path_factory.mktemp("chromium")
    profile = tmp_path / "chromium-profile"
    log = tmp_path / "chromium.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or process.poll() is not None:
                raise AssertionError(f"chromium did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        targets = json.loads(wait_http(f"http://127.0.0.1:{port}/json/list", 30, process, log))
        (target,) = [t for t in targets if t["type"] == "page"][:1]
        browser_page = Page(target["webSocketDebuggerUrl"])
        yield browser_page
        browser_page.close()
    finally:
        stop(process)


# ---------------------------------------------------------------- JupyterLab in the page


def panel(path: str) -> str:
    """JavaScript expression: the notebook panel showing ``path`` (or undefined)."""
    return (
        "[...(window.jupyterapp?.shell.widgets('main') ?? [])]"
        f".find(w => w.context?.path === {json.dumps(path)})"
    )


def read_notebook(path: str) -> str:
    """JavaScript: the state of the notebook as the student sees it."""
    return f"""(() => {{
  const panel = {panel(path)};
  const node = panel.node;
  const cells = panel.content.widgets;
  const stderr = [...node.querySelectorAll(
      '[data-mime-type="application/vnd.jupyter.stderr"]')].map(e => e.innerText);
  return {{
    path: panel.context.path,
    cells: cells.length,
    renderedCells: node.querySelectorAll('.jp-Cell').length,
    unexecuted: cells.filter(c => c.model.type === 'code'
        && c.model.sharedModel.getSource().trim() && c.model.executionCount === null).length,
    pending: [...node.querySelectorAll('.jp-InputPrompt')]
        .filter(e => e.innerText.includes('*')).length,
    kernel: panel.sessionContext.session?.kernel?.status ?? 'none',
    errors: stderr.filter(t => /Traceback|\\b\\w*(Error|Exception)\\b/.test(t))
        .map(t => t.slice(-1500)),
    widgetErrors: node.innerText.split('\\n').filter(l => l.includes('Error displaying widget')),
    dialogs: [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText),
  }};
}})()"""


def is_ready(path: str) -> str:
    """JavaScript: the notebook is loaded, every cell rendered, its kernel idle (or a dialog)."""
    return f"""(() => {{
  if (document.querySelectorAll('.jp-Dialog').length > 0) return true;
  const panel = {panel(path)};
  return !!(panel && panel.context.isReady
    && panel.sessionContext.session?.kernel?.status === 'idle'
    && panel.node.querySelectorAll('.jp-Cell').length === panel.content.widgets.length);
}})()"""


def open_notebook(page: Page, path: str) -> dict:
    page.js(
        "window.jupyterapp.commands.execute('docmanager:open', "
        f"{{path: {json.dumps(path)}, factory: 'Notebook'}}).then(() => true)"
    )
    page.wait_for(is_ready(path), 90, f"{path} to render with an idle kernel")
    time.sleep(1)  # let outputs and widgets settle
    return page.js(read_notebook(path))


def close_notebook(page: Page, path: str) -> None:
    page.js(
        f"(async () => {{ const p = {panel(path)}; await p.sessionContext.shutdown();"
        " p.context.model.dirty = false; p.dispose(); return true; })()"
    )


def screenshot_name(path: str, suffix: str = "") -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", path.removesuffix(".ipynb")) + suffix


def assert_clean(state: dict, shot: Path) -> None:
    where = f"{state['path']} (screenshot: {shot})"
    assert not state["dialogs"], f"{where}: a dialog opened: {state['dialogs']}"
    assert state["renderedCells"] == state["cells"], f"{where}: not every cell was rendered"
    assert not state["errors"], f"{where}: a cell failed:\n" + "\n---\n".join(state["errors"])
    assert not state["widgetErrors"], f"{where}: {state['widgetErrors']}"


def test_course_runs_in_a_real_browser(page, lab):
    base, token, served = lab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):
        old.unlink()
    notebooks = sorted(p.relative_to(served).as_posix() for p in served.glob("*.ipynb"))
    notebooks += sorted(p.relative_to(served).as_posix() for p in served.glob("solutions/*.ipynb"))
    to_run = sorted(p.relative_to(served).as_posix() for p in served.glob(RUN_NOTEBOOK))
    if not to_run:
        pytest.skip(f"no notebook matches {RUN_NOTEBOOK} yet")
    run_path = to_run[0]
    started = time.monotonic()

    # 1. The URL a Binder badge uses (lab/tree/<path>) opens the notebook in JupyterLab.
    page.call("Page.navigate", url=f"{base}/lab/tree/{run_path}?token={token}")
    page.wait_for("!!window.jupyterapp", 60, "JupyterLab to load")
    page.wait_for(is_ready(run_path), 120, f"{run_path} to render with an idle kernel")
    time.sleep(1)
    shot = page.screenshot(screenshot_name(run_path, "-opened"))
    assert_clean(page.js(read_notebook(run_path)), shot)

    # 2. Run All, as a student would, and wait until every cell has run.
    page.js(
        "(async () => { const app = window.jupyterapp;"
        f" const panel = {panel(run_path)}; app.shell.activateById(panel.id);"
        " await app.commands.execute('notebook:clear-all-cell-outputs');"
        " window.__runAll = undefined;"
        " app.commands.execute('notebook:run-all-cells').then("
        "   ok => { window.__runAll = String(ok); }, e => { window.__runAll = 'error ' + e; });"
        " return true; })()"
    )
    try:
        # Done when Run All has returned and the kernel is idle; stop early on a dialog
        # (e.g. "kernel restarting") or a dead kernel.
        page.wait_for(
            f"(() => {{ const status = {panel(run_path)}.sessionContext.session?.kernel?.status;"
            " return (window.__runAll !== undefined && status === 'idle') || status === 'dead'"
            " || document.querySelectorAll('.jp-Dialog').length > 0; })()",
            RUN_TIMEOUT_S,
            f"Run All of {run_path}",
        )
    finally:
        shot = page.screenshot(screenshot_name(run_path, "-ran-end"))
    state = page.js(read_notebook(run_path))
    assert_clean(state, shot)
    assert page.js("window.__runAll") == "true", f"Run All reported failure: {state}"
    assert state["unexecuted"] == 0 and state["pending"] == 0, f"cells did not run: {state}"
    # Widgets render once their models arrive from the kernel.
    page.wait_for(
        f"(() => {{ const node = {panel(run_path)}.node;"
        f" return node.querySelectorAll({json.dumps(WIDGET)}).length > 0"
        " && !node.innerText.includes('Loading widget...'); })()",
        30,
        f"a widget to render in {run_path}",
    )
    assert_clean(page.js(read_notebook(run_path)), shot)
    run_s = time.monotonic() - started
    page.js(
        f"{panel(run_path)}.node.querySelector({json.dumps(WIDGET)})"
        ".scrollIntoView({block: 'center'}) ?? true"
    )
    time.sleep(0.5)
    page.screenshot(screenshot_name(run_path, "-ran-widget"))
    close_notebook(page, run_path)

    # 3. Every other notebook opens and renders cleanly.
    for path in notebooks:
        if path == run_path:
            continue
        state = open_notebook(page, path)
        assert_clean(state, page.screenshot(screenshot_name(path)))
        close_notebook(page, path)
    print(f"\nbrowser test: ran {run_path} in {run_s:.0f} s; screenshots in {ARTIFACTS}")


# ---------------------------------------------------------------- the Korean edition

KOREAN_NOTEBOOK = "ko/solutions/01_neural_networks.ipynb"  # translated, with stored outputs
# JavaScript: whether the page's sans-serif font draws a Hangul syllable differently from a
# code point no font has (the .notdef box, "tofu"); false when no Korean font is installed.
HANGUL_RENDERS = """(() => {
  const draw = text => {
    const canvas = document.createElement('canvas');
    canvas.width = 64; canvas.height = 64;
    const context = canvas.getContext('2d');
    context.font = '40px sans-serif';
    context.fillText(text, 4, 48);
    return context.getImageData(0, 0, 64, 64).data.join(',');
  };
  return draw('학') !== draw(String.fromCodePoint(0x10FFFD)) && draw('학') !== draw('습');
})()"""


def korean_font() -> str:
    """A font with Hangul for Chromium: Debian's fonts-nanum, installed if missing (root);
    '' when there is one, else why the Korean test cannot run."""
    found = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True)
    if found.returncode == 0 and found.stdout.strip():
        return ""
    how = "install fonts-nanum or fonts-noto-cjk to run this test"
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return f"Korean browser test skipped: no font with Hangul; {how}"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq", "fonts-nanum"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        return f"Korean browser test skipped: apt-get failed ({done.stderr[-300:]}); {how}"
    return ""


@pytest.fixture(scope="module")
def fonts() -> str:
    """The Korean font, installed before Chromium starts (it reads its font list once);
    '' or why it is missing."""
    return korean_font()


@pytest.fixture
def korean_font_installed(fonts):
    if fonts:
        pytest.skip(fonts)
    yield


def test_korean_notebook_shows_in_a_real_browser(korean_font_installed, page, lab):
    """A Korean notebook opens through its Binder URL and shows Korean prose, Korean check
    lines and Hangul glyphs (not boxes), with no error."""
    base, token, served = lab
    if not (served / KOREAN_NOTEBOOK).exists():
        pytest.skip(f"{KOREAN_NOTEBOOK} not generated yet (make translations)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.call("Page.navigate", url=f"{base}/lab/tree/{KOREAN_NOTEBOOK}?token={token}")
    page.wait_for("!!window.jupyterapp", 60, "JupyterLab to load")
    page.wait_for(is_ready(KOREAN_NOTEBOOK), 120, f"{KOREAN_NOTEBOOK} to render")
    time.sleep(1)
    shot = page.screenshot(screenshot_name(KOREAN_NOTEBOOK, "-opened"))
    assert_clean(page.js(read_notebook(KOREAN_NOTEBOOK)), shot)
    text = page.js(f"{panel(KOREAN_NOTEBOOK)}.node.innerText")
    assert "학습 목표" in text, f"no Korean heading rendered (screenshot: {shot})"
    assert "속성을 모두 만족합니다" in text, f"no Korean check line (screenshot: {shot})"
    assert page.js(HANGUL_RENDERS), f"Hangul drawn as boxes: no Korean font (screenshot: {shot})"
