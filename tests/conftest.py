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


PLATFORM_TESTS = REPO_ROOT / "tests" / "platform"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in tests/platform/ (install, lab server, browser, Binder) is slow: `make quick`
    leaves it out, `make test` runs it."""
    for item in items:
        if PLATFORM_TESTS in item.path.parents:
            item.add_marker(pytest.mark.slow)
