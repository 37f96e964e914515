"""Decks in a real browser: Debian's headless Chromium, offline, at 1920×1080.

``python -m tools.slides.browser check _build/slides/en/*.slides.html`` shows every slide
of each deck and reports, by slide number, a slide whose content is taller or wider than
the slide, and a code block clipped on the right; it also reports a deck in which
reveal.js did not start, MathJax left maths untypeset, or anything asked for the network.
``python -m tools.slides.browser screenshots _build/slides/en docs/img/slides`` writes three
small PNGs per deck for the instructor guide (see :func:`pick_slides`).

The network is off twice over: Chromium resolves no host name
(``--host-resolver-rules``), and the page blocks every http(s) request through the
DevTools protocol, which also records it, so a deck that tries to load a CDN fails the
check instead of silently rendering without it. Chromium is driven over the DevTools
protocol with websocket-client (installed with jupyter_server); no WebDriver is needed.
Where Chromium or a Korean font is missing, :func:`chromium_executable` installs Debian's
packages (as root, with apt-get), or says how.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Browser",
    "DeckReport",
    "chromium_executable",
    "check_deck",
    "main",
    "pick_slides",
    "screenshots",
]

VIEWPORT = (1920, 1080)
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--allow-file-access-from-files",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    f"--window-size={VIEWPORT[0]},{VIEWPORT[1]}",
    "--remote-debugging-port=0",
]
# The browser, a font with Hangul, and one with the checks' emoji (✅).
DEBIAN_PACKAGES = ("chromium", "fonts-nanum", "fonts-noto-color-emoji")
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:", "chrome:", "devtools:")


def _apt_install(packages: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock = ["-o", "DPkg::Lock::Timeout=300"]
    for command in (
        ["apt-get", *lock, "update", "-qq"],
        ["apt-get", *lock, "install", "-y", "-qq", *packages],
    ):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            raise RuntimeError(f"`{' '.join(command)}` failed: {done.stderr.strip()[-400:]}")


def _has_korean_font() -> bool:
    if not shutil.which("fc-list"):
        return False
    found = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True)
    return found.returncode == 0 and bool(found.stdout.strip())


def chromium_executable(install: bool = True) -> str:
    """Debian's chromium (and a Korean font), installed with apt-get where missing.

    Raises RuntimeError, saying how to install them, where that is impossible (not root,
    no apt-get) or ``install`` is false.
    """
    missing = []
    if not shutil.which("chromium"):
        missing.append("chromium")
    if not _has_korean_font():
        missing.append("fonts-nanum")
    if not Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf").exists():
        missing.append("fonts-noto-color-emoji")
    if missing:
        how = f"install Debian's {' and '.join(missing)}: apt-get install -y {' '.join(missing)}"
        if not install or os.geteuid() != 0 or not shutil.which("apt-get"):
            raise RuntimeError(f"the slide check needs a browser and fonts; {how}")
        _apt_install(missing)
    found = shutil.which("chromium")
    if not found:
        raise RuntimeError("apt-get installed no chromium executable")
    return found


class Browser:
    """One headless Chromium page with the network blocked (a context manager)."""

    def __init__(self, executable: str | None = None) -> None:
        import websocket  # imported here: only the maintainers' tools need it

        self.executable = executable or chromium_executable()
        self.profile = Path(tempfile.mkdtemp(prefix="slides-chromium-"))
        log = self.profile.parent / f"{self.profile.name}.log"
        self.log = log
        with log.open("w") as out:
            self.process = subprocess.Popen(
                [
                    self.executable,
                    *CHROMIUM_FLAGS,
                    f"--user-data-dir={self.profile}",
                    "about:blank",
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            port_file = self.profile / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.exists() and port_file.read_text().strip()):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"chromium did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.1)
            port = port_file.read_text().split()[0]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as r:
                targets = json.loads(r.read())
            target = next(t for t in targets if t["type"] == "page")
            self.ws = websocket.create_connection(
                target["webSocketDebuggerUrl"], timeout=120, suppress_origin=True
            )
            self.last_id = 0
            self.requests: list[str] = []  # every non-local URL the page asked for
            self.console_errors: list[str] = []
            self.call("Network.enable")
            self.call("Network.setBlockedURLs", urls=["http://*", "https://*", "ws://*", "wss://*"])
            self.call("Runtime.enable")
            self.call("Page.enable")
            self.call(
                "Emulation.setDeviceMetricsOverride",
                width=VIEWPORT[0],
                height=VIEWPORT[1],
                deviceScaleFactor=1,
                mobile=False,
            )
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _event(self, message: dict) -> None:
        method = message.get("method")
        if method == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(LOCAL_SCHEMES):
                self.requests.append(url)
        elif method == "Runtime.exceptionThrown":
            details = message["params"]["exceptionDetails"]
            self.console_errors.append(
                details.get("exception", {}).get("description", details.get("text", "?"))[:300]
            )

    def call(self, method: str, **params):
        self.last_id += 1
        self.ws.send(json.dumps({"id": self.last_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self._event(message)

    def js(self, expression: str):
        """The value of a JavaScript expression (awaited when it is a promise)."""
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise RuntimeError(details.get("exception", {}).get("description", str(details)))
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.js(expression):
                return True
            time.sleep(0.1)
        return False

    def open(self, path: Path) -> None:
        self.requests.clear()
        self.console_errors.clear()
        self.call("Page.navigate", url=Path(path).resolve().as_uri())
        self.wait_for("document.readyState === 'complete'", 60)

    def screenshot(self, scale: float = 1.0) -> bytes:
        clip = {"x": 0, "y": 0, "width": VIEWPORT[0], "height": VIEWPORT[1], "scale": scale}
        data = self.call("Page.captureScreenshot", format="png", clip=clip)["data"]
        return base64.b64decode(data)

    def close(self) -> None:
        ws = getattr(self, "ws", None)
        if ws is not None:
            ws.close()
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
                self.process.wait(timeout=wait)
                break
            except ProcessLookupError:
                break
            except subprocess.TimeoutExpired:
                continue
        shutil.rmtree(self.profile, ignore_errors=True)
        self.log.unlink(missing_ok=True)


# ---------------------------------------------------------------- checking a deck

# Shows every slide in turn and measures it in reveal.js's layout pixels (before scaling).
_MEASURE = """(() => {
  const cfg = Reveal.getConfig();
  const out = [];
  Reveal.getSlides().forEach((slide, index) => {
    if (slide.querySelector(':scope > section')) return;  // a vertical stack, not a slide
    const at = Reveal.getIndices(slide);
    Reveal.slide(at.h, at.v);
    const problems = [];
    const tall = Math.max(slide.scrollHeight, slide.offsetHeight);
    if (tall > cfg.height + 1) problems.push(`content ${tall} px tall in a ${cfg.height} px slide`);
    const wide = Math.max(slide.scrollWidth, slide.offsetWidth);
    if (wide > cfg.width + 1) problems.push(`content ${wide} px wide in a ${cfg.width} px slide`);
    slide.querySelectorAll('pre').forEach(pre => {
      if (pre.closest('aside')) return;
      if (pre.scrollWidth > pre.clientWidth + 1)
        problems.push(`code clipped on the right: ${pre.scrollWidth} px of text in a ${pre.clientWidth} px block`);
      if (pre.scrollHeight > pre.clientHeight + 1)
        problems.push(`code clipped at the bottom: ${pre.scrollHeight} px in ${pre.clientHeight} px`);
    });
    const visible = slide.cloneNode(true);
    visible.querySelectorAll('aside, pre, code, mjx-container, script').forEach(e => e.remove());
    if (/\\$[^$\\s]|\\\\(frac|hat|theta|gamma|max)\\b/.test(visible.textContent))
      problems.push('untypeset maths: ' + visible.textContent.match(/.{0,30}(\\$|\\\\(frac|hat|theta|gamma|max)).{0,30}/)[0]);
    out.push({number: index + 1, problems, height: tall});
  });
  Reveal.slide(0, 0);
  return {
    slides: out.length,
    ready: Reveal.isReady(),
    maths: document.querySelectorAll('.slides mjx-container').length,
    mathErrors: document.querySelectorAll('.slides mjx-merror, .slides [data-mjx-error]').length,
    measured: out,
  };
})()"""

_READY = "typeof Reveal !== 'undefined' && Reveal.isReady && Reveal.isReady()"
_MATHJAX_DONE = (
    "(typeof MathJax === 'undefined' || !MathJax.startup || !MathJax.startup.promise) ? false"
    " : MathJax.startup.promise.then(() => true)"
)


@dataclass
class DeckReport:
    """What a browser saw of one deck."""

    path: Path
    slides: int = 0
    ready: bool = False
    maths: int = 0
    math_errors: int = 0
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # uncaught JavaScript exceptions
    overflowing: dict[int, list[str]] = field(default_factory=dict)  # slide number -> problems
    heights: list[int] = field(default_factory=list)

    def problems(self) -> list[str]:
        """One line per problem; empty when the deck is fine."""
        lines = []
        if not self.ready:
            lines.append("reveal.js did not initialise")
        if self.math_errors:
            lines.append(f"{self.math_errors} maths expressions failed to typeset")
        lines += [f"asked the network for {url}" for url in self.requests]
        lines += [f"JavaScript error: {e}" for e in self.errors]
        for number, problems in sorted(self.overflowing.items()):
            lines += [f"slide {number}: {p}" for p in problems]
        return [f"{self.path.name}: {line}" for line in lines]


def check_deck(browser: Browser, path: Path, timeout: float = 60) -> DeckReport:
    """Open a deck from disk and measure every slide (see the module docstring)."""
    report = DeckReport(path=Path(path))
    browser.open(path)
    report.ready = browser.wait_for(_READY, timeout)
    if report.ready:
        browser.wait_for(_MATHJAX_DONE, timeout)
        browser.js("document.fonts.ready.then(() => true)")
        measured = browser.js(_MEASURE)
        report.slides = measured["slides"]
        report.maths, report.math_errors = measured["maths"], measured["mathErrors"]
        report.heights = [m["height"] for m in measured["measured"]]
        report.overflowing = {
            m["number"]: m["problems"] for m in measured["measured"] if m["problems"]
        }
    time.sleep(0.2)  # let late requests arrive
    browser.js("true")
    report.requests = list(browser.requests)
    report.errors = list(browser.console_errors)
    return report


# ---------------------------------------------------------------- screenshots

_PICK = """(() => {
  const slides = [...document.querySelectorAll('.reveal .slides > section')];
  const first = (test) => slides.findIndex((s, i) => i > 0 && test(s));
  const exercise = first(s => /NotImplementedError/.test(s.textContent));
  const figure = first(s => s.querySelector('figure img'));
  const maths = first(s => s.querySelector('mjx-container[display="true"]'));
  return [exercise, figure, maths];
})()"""


def pick_slides(browser: Browser) -> list[tuple[str, int]]:
    """Which slides (0-based) of the open deck to show, by role: the title, the first
    exercise statement and the first figure (else the first display equation, else the
    middle slide)."""
    exercise, figure, maths = browser.js(_PICK)
    total = browser.js("document.querySelectorAll('.reveal .slides > section').length")
    chosen = [("title", 0)]
    for role, index in (
        ("exercise", exercise),
        ("figure", figure),
        ("maths", maths),
        ("middle", total // 2),
    ):
        if index is not None and index >= 0 and index not in dict(chosen).values():
            chosen.append((role, index))
        if len(chosen) == 3:
            break
    return chosen


def _small_png(png: bytes) -> bytes:
    """The screenshot as a palette PNG (256 colours), optimised."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    small = image.quantize(colors=128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def screenshots(browser: Browser, decks: list[Path], destination: Path) -> list[Path]:
    """Three 960×540 PNGs per deck, ``<deck>-<role>.png`` (see :func:`pick_slides`), in
    ``destination``; the deck's earlier PNGs there are replaced."""
    destination.mkdir(parents=True, exist_ok=True)
    written = []
    for deck in decks:
        browser.open(deck)
        if not browser.wait_for(_READY, 60):
            raise RuntimeError(f"{deck}: reveal.js did not initialise")
        browser.wait_for(_MATHJAX_DONE, 60)
        browser.js("document.fonts.ready.then(() => true)")
        stem = deck.name.split(".")[0]
        for old in destination.glob(f"{stem}-*.png"):
            old.unlink()
        for role, index in pick_slides(browser):
            browser.js(f"Reveal.slide({index}, 0) || true")
            time.sleep(0.3)
            out = destination / f"{stem}-{role}.png"
            out.write_bytes(_small_png(browser.screenshot(scale=0.5)))
            written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.slides.browser", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="measure every slide of the decks")
    check.add_argument("decks", nargs="+", type=Path)
    shots = sub.add_parser("screenshots", help="three small PNGs per deck")
    shots.add_argument("source", type=Path, help="folder of built decks (_build/slides/en)")
    shots.add_argument("destination", type=Path, help="folder for the PNGs (docs/img/slides)")
    args = parser.parse_args(argv)
    with Browser() as browser:
        if args.command == "check":
            failed = False
            for deck in args.decks:
                report = check_deck(browser, deck)
                print(
                    f"{deck.name}: {report.slides} slides, {len(report.overflowing)} "
                    f"overflowing, {report.maths} maths"
                )
                for line in report.problems():
                    print("  " + line)
                failed |= bool(report.problems())
            return 1 if failed else 0
        decks = sorted(args.source.glob("*.slides.html"))
        decks = [d for d in decks if not d.name.endswith(".answers.slides.html")]
        if not decks:
            parser.error(f"source: no decks in {args.source} (make slides)")
        for out in screenshots(browser, decks, args.destination):
            print(f"{out} ({out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
