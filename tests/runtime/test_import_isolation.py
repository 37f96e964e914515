"""The installed package is the student runtime only: importing it never pulls in the
maintainers' notebook tooling (nbformat, nbconvert, nbclient: the dev extra), and the
tools are not part of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

MAINTAINER_ONLY = ("nbformat", "nbconvert", "nbclient")

PROBE = """
import importlib, importlib.util, json, sys
for name in {modules!r}:
    importlib.import_module(name)
print(json.dumps({{
    "loaded": sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r}),
    "tools": importlib.util.find_spec("tools") is not None,
}}))
"""


@pytest.mark.parametrize(
    "modules",
    [
        ["course_utils"],
        ["course_utils.checks"],
        ["course_utils.widgets"],
        ["course_utils", "course_utils.checks", "course_utils.widgets", "course_utils.plotting"],
    ],
)
def test_runtime_imports_no_maintainer_tooling(modules: list[str], tmp_path) -> None:
    # A fresh interpreter outside the repository, as on a student's Colab: only what the
    # installed package pulls in is loaded.
    probe = PROBE.format(modules=modules, forbidden=MAINTAINER_ONLY)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # Colab sets none
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["loaded"] == [], f"importing {modules} loaded {result['loaded']}"
    assert not result["tools"], "the maintainers' tools/ must not be importable once installed"
