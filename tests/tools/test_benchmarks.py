"""The benchmark machinery on tiny budgets, so that `make bench` cannot rot.

The course side (seed injection, notebook execution, reading results back, the report) runs
everywhere with a fake notebook that honours the solution notebooks' contract. The reference
side needs Stable-Baselines3, a benchmark-only dependency, and is skipped without it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks import report, run  # noqa: E402
from benchmarks.course import inject_parameters  # noqa: E402
from benchmarks.tasks import TASKS  # noqa: E402

# The contract of notebooks 03 and 04, in a notebook that trains nothing. Its greedy return
# depends on SEED (seed 0: 470, unsolved; seed 1: 480, solved), so the injection shows.
FAKE_CELLS = [
    ("parameters", "SEED = 0"),
    (
        None,
        "import time\n"
        "import numpy as np\n"
        "start = time.perf_counter()\n"
        "lengths = np.random.default_rng(SEED).integers(10, 50, size=30)\n"
        "stats = {'Returns': lengths.astype(float).tolist(), 'Steps': np.cumsum(lengths).tolist()}\n"
        "total_steps = int(lengths.sum())\n"
        "training_seconds = time.perf_counter() - start\n"
        "eval_returns = np.full(100, 470.0 + 10 * SEED)",
    ),
]


def write_fake_notebook(path: Path) -> Path:
    """Write the fake solution notebook to `path`."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    for tag, source in FAKE_CELLS:
        metadata = {"tags": [tag]} if tag else {}
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata=metadata))
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_injection_follows_the_parameters_cell() -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(s, metadata=m)
        for s, m in [("import numpy", {}), ("SEED = 0", {"tags": ["parameters"]}), ("x = SEED", {})]
    ]
    inject_parameters(nb, {"SEED": 7})
    assert [c.source for c in nb.cells] == ["import numpy", "SEED = 0", "SEED = 7", "x = SEED"]
    with pytest.raises(ValueError, match="parameters"):
        inject_parameters(nbformat.v4.new_notebook(), {"SEED": 1})


@pytest.mark.slow
def test_course_side_runs_without_sb3(tmp_path: Path) -> None:
    """Two seeds of the fake notebook, the whole-course pass and the report; no SB3 needed."""
    fake = write_fake_notebook(tmp_path / "solutions" / "fake.ipynb")
    out = tmp_path / "out"
    argv = ["--tiny", "--seeds", "2", "--tasks", "cartpole", "--no-reference"]
    argv += ["--notebook", f"cartpole={fake}", "--solutions-dir", str(fake.parent)]
    argv += ["--parts", "training,whole-course", "--out-dir", str(out)]
    assert run.main(argv) == 0

    results = json.loads((out / "results.json").read_text())
    runs = results["runs"]
    assert [(r["seed"], r["agent"]) for r in runs] == [(0, "course"), (1, "course")]
    for r in runs:
        assert r.get("error") is None
        assert r["eval_returns"] == [470.0 + 10 * r["seed"]] * 100  # SEED reached the notebook
        assert r["total_steps"] == r["curve"]["steps"][-1] > 0
        assert len(r["curve"]["returns"]) == 30
        assert r["peak_rss_kib"] > 10_000 and r["training_seconds"] >= 0
    assert [TASKS["cartpole"].solved(r["eval_returns"]) for r in runs] == [False, True]
    assert (out / "runs" / "cartpole-seed1.ipynb").exists()

    course = results["whole_course"]
    assert [n["notebook"] for n in course["notebooks"]] == ["fake.ipynb"]
    assert course["peak_rss_kib"] > 10_000 and "error" not in course["notebooks"][0]

    markdown = (out / "RESULTS.md").read_text()
    assert "## CartPole-v1" in markdown and "| course notebook |" in markdown
    assert "1/2" in markdown  # seeds solved
    assert "## Executing the whole course" in markdown
    png = out / "learning_curves.png"
    assert png.exists() and png.stat().st_size < 200_000


@pytest.mark.slow
def test_failures_are_recorded_not_raised(tmp_path: Path) -> None:
    """A notebook breaking the contract fails its run, the benchmark goes on and says so."""
    broken = tmp_path / "broken.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("SEED = 0", metadata={"tags": ["parameters"]})]
    nbformat.write(nb, broken)
    argv = ["--tiny", "--seeds", "1", "--tasks", "mountaincar", "--no-reference"]
    argv += ["--notebook", f"mountaincar={broken}", "--parts", "training"]
    assert run.main(argv + ["--out-dir", str(tmp_path / "out")]) == 1
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "NameError" in results["runs"][0]["error"]
    assert "error: " in (tmp_path / "out" / "RESULTS.md").read_text()


@pytest.mark.slow
def test_reference_and_interleaving(tmp_path: Path) -> None:
    """SB3's DQN on a tiny budget, interleaved with the fake notebook, pair ratios in the report."""
    pytest.importorskip("stable_baselines3")
    fake = write_fake_notebook(tmp_path / "fake.ipynb")
    out = tmp_path / "out"
    argv = ["--tiny", "--seeds", "1", "--tasks", "cartpole", "--parts", "training,replay"]
    argv += ["--notebook", f"cartpole={fake}", "--out-dir", str(out)]
    assert run.main(argv) == 0

    results = json.loads((out / "results.json").read_text())
    assert [r["agent"] for r in results["runs"]] == ["course", "reference"]
    ref = results["runs"][1]
    assert ref.get("error") is None
    assert ref["hyperparameters"]["learning_rate"] == 2.3e-3  # the zoo's CartPole-v1 values
    assert ref["total_steps"] == 512 and ref["torch_threads"] == 1
    assert len(ref["eval_returns"]) == 5 and ref["curve"]["steps"][-1] <= 512
    assert "replay_memory" in results  # timings, or why it could not run

    markdown = (out / "RESULTS.md").read_text()
    assert "| SB3 DQN (zoo) |" in markdown and "× (" in markdown  # a pair ratio
    assert results["meta"]["versions"]["stable-baselines3"]


def test_reference_evaluation_is_seeded() -> None:
    """Greedy evaluation: episode i reset with seed + i, so two evaluations agree exactly."""
    pytest.importorskip("stable_baselines3")
    from benchmarks.reference import evaluate_greedy

    class AlwaysLeft:
        def predict(self, obs, deterministic=False):
            assert deterministic
            return 0, None

    first = evaluate_greedy(AlwaysLeft(), "CartPole-v1", seed=3, n_episodes=4)
    again = evaluate_greedy(AlwaysLeft(), "CartPole-v1", seed=3, n_episodes=4)
    other = evaluate_greedy(AlwaysLeft(), "CartPole-v1", seed=4, n_episodes=4)
    assert first.tolist() == again.tolist()
    assert first[1:].tolist() == other[:3].tolist()  # episode i of seed 3 is episode i-1 of seed 4


def test_report_regenerates_from_results(tmp_path: Path) -> None:
    """`python -m benchmarks.report` rebuilds RESULTS.md from a results.json alone."""
    results = {
        "meta": {
            "date": "2026-01-01 00:00 UTC",
            "argv": [],
            "tiny": False,
            "seeds": [0],
            "tasks": ["mountaincar"],
            "machine": run.machine_info(),
            "versions": run.versions(),
        },
        "runs": [
            {
                "order": i,
                "task": "mountaincar",
                "seed": 0,
                "agent": agent,
                "training_seconds": seconds,
                "wall_seconds": seconds + 1,
                "total_steps": 1000,
                "eval_returns": [-100.0] * 96 + [-200.0] * 4,
                "curve": {"steps": [200, 400], "returns": [-200.0, -150.0]},
                "peak_rss_kib": 300_000,
                "torch_threads": 1,
            }
            for i, (agent, seconds) in enumerate([("course", 20.0), ("reference", 10.0)])
        ],
    }
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    assert report.main([str(path)]) == 0
    markdown = (tmp_path / "RESULTS.md").read_text()
    assert "2.00× (2.00–2.00)" in markdown  # training-time ratio of the pair
    assert "| 1/1 | 1/1 |" in markdown  # solved (mean -104), course target (96 % flags)
