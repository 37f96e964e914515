"""`make sync` and `make sync-check` (tools/sync.py): every derived file in one command."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from tools import sync

ROOT = Path(__file__).resolve().parents[2]


def test_sync_check_passes_on_the_committed_tree(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    status = sync.main(["--check"])
    out, err = capsys.readouterr()
    assert status == 0, out + err


def test_the_steps_run_in_dependency_order() -> None:
    names = [step.name for step in sync.STEPS]
    order = [
        "exercise registry",  # points and numbers come from it
        "launch cells",  # in place, in the solution notebooks
        "grading stamp",  # in place
        "student notebooks",  # copies the two above
        "translation stubs",
        "translations",  # from the stamped, badged solutions and the overlays
        "deploy links",
        "course maps",  # from the translated headings
        "README sections",
    ]
    assert [n for n in names if n in order] == order
    for step in sync.STEPS:
        if not step.optional:
            assert callable(importlib.import_module(step.module).main), step.module


def test_the_docstring_and_the_guide_list_every_step() -> None:
    guide = (ROOT / "docs" / "maintainers.md").read_text(encoding="utf-8")
    for step in sync.STEPS:
        assert step.name in sync.__doc__, step.name
        assert step.module in guide, f"docs/maintainers.md does not name {step.module}"


def _fake(monkeypatch: pytest.MonkeyPatch, name: str, status: dict[str, int]) -> str:
    module = types.ModuleType(name)
    calls: list[list[str]] = []

    def main(argv: list[str]) -> int:
        calls.append(argv)
        return status["check" if "--check" in argv else "write"]

    module.main = main  # type: ignore[attr-defined]
    module.calls = calls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, name, module)
    return name


def test_drift_names_the_step_and_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = _fake(monkeypatch, "fake_stale", {"check": 1, "write": 0})
    fine = _fake(monkeypatch, "fake_fine", {"check": 0, "write": 0})
    steps = (
        sync.Step("stale thing", stale, ("w",), ("--check",)),
        sync.Step("fine thing", fine, ("w",), ("--check",)),
        sync.Step("write only", fine, ("--stub",), None),
    )
    monkeypatch.setattr(sync, "STEPS", steps)
    assert sync.main(["--check"]) == 1
    out, err = capsys.readouterr()
    assert "-- stale thing: python -m fake_stale --check" in out
    assert "out of date: stale thing. Fix: `make sync`" in err
    assert sys.modules[fine].calls == [["--check"]]  # the write-only step is not run
    assert sync.main([]) == 0
    assert sys.modules[fine].calls[1:] == [["w"], ["--stub"]]


def test_a_check_only_step_needs_a_person(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    manual = _fake(monkeypatch, "fake_manual", {"check": 1, "write": 1})
    monkeypatch.setattr(sync, "STEPS", (sync.Step("registry", manual, None, ("--check",)),))
    assert sync.main([]) == 1  # run as a check by `make sync` too
    assert "needs a person: registry (python -m fake_manual --check" in capsys.readouterr().err


def test_an_optional_step_is_skipped_until_its_module_exists(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        sync, "STEPS", (sync.Step("later", "tools.not_written_yet", None, ("--check",), True),)
    )
    assert sync.main(["--check"]) == 0
    assert "later: skipped" in capsys.readouterr().out


def test_make_test_runs_sync_check() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # `test:` names lint and sync-check as prerequisites, run before its recipe, whose last
    # line runs the unit tests, the notebooks and the compat run (two jobs at a time).
    rule = re.search(r"^test:(.*)\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert "sync-check" in rule[1].split(), rule[1]
    jobs = rule[2].strip().splitlines()[-1].split()
    assert {"unit", "notebooks-then-compat"} <= set(jobs), jobs
    chain = re.search(r"^notebooks-then-compat:\n((?:\t.*\n)+)", makefile, re.MULTILINE)[1]
    assert [line.split()[-1] for line in chain.strip().splitlines()] == ["notebooks", "compat"]
    assert re.search(r"^sync-check:.*\n\t.*-m tools\.sync --check$", makefile, re.MULTILINE)
    assert re.search(r"^sync:.*\n\t.*-m tools\.sync$", makefile, re.MULTILINE)
    assert re.search(r"^exercises translations: sync$", makefile, re.MULTILINE)


def test_make_quick_runs_both_shards_side_by_side() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    rule = re.search(r"^quick:(.*)\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert {"lint", "sync-check"} <= set(rule[1].split()), rule[1]
    assert rule[2].split()[-2:] == ["quick-0", "quick-1"] and "-j2" in rule[2]
    shard = re.search(r"^quick-0 quick-1: quick-%:.*\n\t(.*)\n", makefile, re.MULTILINE)[1]
    assert shard.endswith('-m "not slow" --shard $*/2'), shard


def _collect(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def _collected(*args: str) -> list[str]:
    result = _collect(*args)
    assert result.returncode in (0, 4), result.stdout[-2000:] + result.stderr[-2000:]
    return [line for line in result.stdout.splitlines() if "::" in line]


@pytest.mark.slow
def test_the_shards_run_every_selected_test_once() -> None:
    """--shard 0/2 and 1/2 (tests/conftest.py) split what -m selects, nothing lost or doubled."""
    files = ["tests/runtime/test_quiz.py", "tests/tools/test_sync.py"]
    whole = _collected(*files, "-m", "not slow")
    halves = [_collected(*files, "-m", "not slow", "--shard", f"{k}/2") for k in (0, 1)]
    assert len(whole) > 10
    assert sorted(halves[0] + halves[1]) == sorted(whole)
    assert not set(halves[0]) & set(halves[1])
    assert abs(len(halves[0]) - len(halves[1])) <= 1
    result = _collect("--shard", "2/2", files[0])
    assert result.returncode == 4 and "--shard: expected 0 <= K < N" in result.stderr
