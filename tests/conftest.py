"""Test settings shared by every test: headless plotting and rendering, the repository on the path."""

import os
import sys
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame renders without a screen

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # figures are drawn, never shown

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

try:  # the dev extra; tools/compat.py installs it too
    from hypothesis import settings
except ImportError:  # pragma: no cover
    settings = None
if settings is not None:
    # No per-example deadline (hypothesis' default is 200 ms): on shared CI cores a slow
    # example is the machine, not the code, and the properties are what these tests check.
    settings.register_profile("course", deadline=None)
    settings.load_profile("course")

# `benchmarks` is a folder of the repository, not an installed package.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture
def style_unchanged():
    """No rcParams changed and pyplot keeps no figure (course_utils never touches global
    style); the plotting and widget tests use it for every test."""
    before, figures = dict(matplotlib.rcParams), plt.get_fignums()
    yield
    assert dict(matplotlib.rcParams) == before
    assert plt.get_fignums() == figures


@pytest.fixture(autouse=True)
def course_language_is_english():
    """Every test starts and ends with the course in English: a test (or a doctest) that chose
    Korean and did not switch back once made a later English caption test fail in CI, in an
    order that a run of one file never shows. Only when course_utils is already imported."""

    def english() -> None:
        i18n = sys.modules.get("course_utils.i18n")
        if i18n is not None and i18n.get_language() != "en":
            i18n.set_language("en")

    english()
    yield
    english()


PLATFORM_TESTS = REPO_ROOT / "tests" / "platform"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/platform/ (install, lab server, browser, Binder) is slow: `make quick`
    leaves it out, `make test` runs it."""
    for item in items:
        if PLATFORM_TESTS in item.path.parents:
            item.add_marker(pytest.mark.slow)


# --- --shard K/N: `make quick` runs two halves of the suite side by side, one per core ---------


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shard",
        metavar="K/N",
        help="run only the tests at positions K, K+N, K+2N, ... (from 0) of those selected: "
        "N such runs side by side run every test once (make quick: 0/2 and 1/2)",
    )


class _Shard:
    """Keeps every N-th selected test from the K-th: tests alternate between the shards within
    each file, so the shards take about the same time without measuring anything."""

    def __init__(self, spec: str) -> None:
        try:
            k, n = (int(part) for part in spec.split("/"))
        except ValueError:
            raise pytest.UsageError(f"--shard: expected K/N such as 0/2, got {spec!r}") from None
        if not 0 <= k < n:
            raise pytest.UsageError(f"--shard: expected 0 <= K < N, got {spec!r}")
        self.k, self.n = k, n

    @pytest.hookimpl(trylast=True)  # after -m and -k have deselected theirs
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        others = [item for i, item in enumerate(items) if i % self.n != self.k]
        items[:] = items[self.k :: self.n]
        config.hook.pytest_deselected(items=others)


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("--shard")
    if spec is not None:
        config.pluginmanager.register(_Shard(spec), "course-shard")
