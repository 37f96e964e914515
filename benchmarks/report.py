"""Turn benchmarks/results.json into RESULTS.md, learning_curves.png and time_to_solve.png.

``python -m benchmarks.report [results.json]`` regenerates them from existing results.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.stats import bootstrap_mean_band, stratified_bootstrap_ci
from benchmarks.tasks import TASKS

AGENTS = {
    "course": "course notebook",
    "reference": "SB3 DQN (zoo), as the zoo runs it",
    "reference-protocol": "SB3 DQN (zoo) + the course's protocol",
}
# What each row reports: which weights are evaluated, when training ends.
PROTOCOLS = {
    "course": "keep-best + early stop (the notebook's greedy checks)",
    "reference": "last iterate after the zoo's full budget",
    "reference-protocol": "keep-best + early stop (the notebook's checks), within the zoo's budget",
}
COLORS = {"course": "tab:blue", "reference": "tab:orange", "reference-protocol": "tab:green"}
LEARNING_CURVES = "learning_curves.png"
TIME_TO_SOLVE = "time_to_solve.png"
CI_LEVEL = 0.95
SMOOTHING_EPISODES = 10
CURVE_POINTS = 200
MIB = 1024  # peak memory is recorded in KiB
NOT_MEASURED = "not measured"
# The goals of the benchmark (issue 28): the course's training time at most this fraction of
# SB3's with the course's protocol (median of the seed pairs), every seed of SEED_GOAL solved
# within SB3's budget of steps.
TIME_RATIO_GOAL = 0.40
SEED_GOAL = range(20)
# And the whole course, every solution notebook once, in at most 5 minutes on one pinned core.
WHOLE_COURSE_GOAL_SECONDS = 300.0


# ---------------------------------------------------------------- selecting and summarizing


def runs_of(results: dict[str, Any], task: str, agent: str) -> list[dict[str, Any]]:
    """The successful runs of `agent` on `task`, by seed."""
    runs = [
        r
        for r in results["runs"]
        if r["task"] == task and r["agent"] == agent and not r.get("error")
    ]
    return sorted(runs, key=lambda r: r["seed"])


def pairs_of(
    results: dict[str, Any], task: str, reference_agent: str = "reference"
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(course, reference) runs of `task` with the same seed, both successful."""
    reference = {r["seed"]: r for r in runs_of(results, task, reference_agent)}
    return [
        (c, reference[c["seed"]])
        for c in runs_of(results, task, "course")
        if c["seed"] in reference
    ]


def median_of(runs: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], float]) -> float:
    """Median of `key` over `runs` (NaN when there are none)."""
    return statistics.median(key(r) for r in runs) if runs else float("nan")


def pair_ratios(
    pairs: Sequence[tuple[dict, dict]], key: Callable[[dict], float | None]
) -> list[float]:
    """course / reference of `key`, seed by seed (each pair ran back to back); pairs where
    either run lacks the measure, or the reference's is 0, are left out."""
    return [key(c) / key(r) for c, r in pairs if key(r) and key(c) is not None]


def eval_mean(run: dict[str, Any]) -> float:
    """Mean greedy evaluation return of a run."""
    return float(np.mean(run["eval_returns"]))


def known_median(runs: Sequence[dict[str, Any]], key: str) -> float | None:
    """Median of `key` over the runs that report it; None when none does."""
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def check_seconds(run: dict[str, Any]) -> float | None:
    """Wall time of a run's greedy checks during training (part of its training time).

    0 for a run that made no check; None where the run did not measure it (runs made before
    the benchmark timed the checks).
    """
    if run.get("check_seconds") is not None:
        return float(run["check_seconds"])
    return 0.0 if run.get("checks") == 0 else None


def learning_seconds(run: dict[str, Any]) -> float | None:
    """Training time without the greedy checks (None where the checks were not timed)."""
    checks = check_seconds(run)
    return None if checks is None else run["training_seconds"] - checks


def eval_seconds(run: dict[str, Any]) -> float | None:
    """Wall time of the final greedy evaluation (None where it was not measured)."""
    return run.get("eval_seconds")


def measured_median(
    runs: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], float | None]
) -> str:
    """Median of `key` over the runs that measured it, "not measured" where none did, and
    how many did where only some did."""
    values = [v for r in runs if (v := key(r)) is not None]
    if not values:
        return NOT_MEASURED
    text = fmt(statistics.median(values))
    return text if len(values) == len(runs) else f"{text} ({len(values)} of {len(runs)} runs)"


def iqm_with_ci(runs: Sequence[dict[str, Any]]) -> tuple[float, float, float]:
    """IQM over seeds of the mean greedy return, and its 95 % stratified-bootstrap CI."""
    return stratified_bootstrap_ci([eval_mean(r) for r in runs], level=CI_LEVEL)


# ---------------------------------------------------------------- formatting


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for a table; a dash for missing values."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{value:,.{digits}f}"


def fmt_ratio(ratios: Sequence[float]) -> str:
    """Median ratio with its range over pairs."""
    if not ratios:
        return "—"
    return f"{statistics.median(ratios):.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"


def fmt_ci(point: float, low: float, high: float) -> str:
    """A point estimate and its interval."""
    if not np.isfinite(point):
        return "—"
    return f"{fmt(point)} [{fmt(low)}, {fmt(high)}]"


def fmt_bool(value: bool | None) -> str:
    """yes / no / dash."""
    return "—" if value is None else ("yes" if value else "no")


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


# ---------------------------------------------------------------- sections


def threads_used(results: dict[str, Any]) -> str:
    """The torch thread counts the runs reported, per agent."""
    parts = []
    for agent, label in AGENTS.items():
        counts = {r.get("torch_threads") for r in results["runs"] if r["agent"] == agent}
        counts -= {None}
        if counts:
            parts.append(f"{label}: {', '.join(map(str, sorted(counts)))}")
    return "; ".join(parts) or "—"


def header_section(results: dict[str, Any]) -> list[str]:
    """Title, date, machine and versions."""
    meta = results["meta"]
    machine, versions = meta["machine"], meta["versions"]
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (`python -m benchmarks.run {' '.join(meta['argv'])}`) "
        f"on {meta['date']}. Do not edit: the next `make bench` overwrites this file.",
        "",
    ]
    if meta.get("tiny"):
        lines += ["**Tiny budgets (test run): these numbers measure nothing.**", ""]
    lines += parts_lines(meta)
    lines += ["## Machine and versions", ""]
    rows = [
        ["CPU", machine["cpu_model"]],
        ["cores", f"{machine['logical_cores']} logical, {machine['usable_cores']} usable"],
        ["memory", f"{fmt(machine['memory_gib'])} GiB"],
        [
            "speed probe",
            probe_text(machine["probe_us"])
            if machine.get("probe_us")
            else "not recorded (a run made before the probe existed)",
        ],
        ["torch threads in the runs", threads_used(results)],
        ["environment", ", ".join(f"{k}={v}" for k, v in machine["env"].items())],
        ["platform", machine["platform"]],
    ]
    rows += [[name, version or "not installed"] for name, version in versions.items()]
    return lines + table(["", ""], rows) + [""]


def cores_text(cores: int) -> str:
    """`cores` usable cores, as the report writes them."""
    return f"{cores} usable core{'s' * (cores != 1)}"


def probe_text(probe_us: float) -> str:
    """The speed probe (`run.speed_probe`) as the report writes it."""
    return f"a gradient step of notebook 04's network in {probe_us:.0f} µs"


def parts_lines(meta: dict) -> list[str]:
    """Which run each part of a merged file (``--merge``) comes from; nothing for a single run."""
    parts = meta.get("parts") or {}
    runs = {(info.get("date"), info.get("commit")) for info in parts.values()}
    if len(runs) <= 1:
        return []
    lines = ["Its parts come from different runs (`--merge`), compare within a part only:", ""]
    for name, info in parts.items():
        argv = " ".join(info.get("argv", []))
        machine = info.get("cpu_model") or "unknown CPU"
        if info.get("usable_cores"):
            machine += f", {cores_text(info['usable_cores'])}"
        if info.get("probe_us"):
            machine += f", {probe_text(info['probe_us'])}"
        lines.append(
            f"- `{name}`: {info.get('date')}, commit {info.get('commit') or 'unknown'}, "
            f"{machine}, `{argv}`"
        )
    return lines + [""]


def _seed_text(meta: dict) -> str:
    """The seeds run, per task where a run was cut short for some task (``seeds_by_task``)."""
    by_task = meta.get("seeds_by_task")
    if not by_task or all(seeds == meta["seeds"] for seeds in by_task.values()):
        return ", ".join(map(str, meta["seeds"]))
    return "; ".join(
        f"{task}: {', '.join(map(str, seeds))} ({len(seeds)})" for task, seeds in by_task.items()
    )


def protocol_section(results: dict[str, Any]) -> list[str]:
    """How the numbers were obtained."""
    meta = results["meta"]
    jobs = meta.get("jobs", 1)
    order = (
        "for each seed and task the course notebook and the reference rows run back to back "
        "(course, reference, reference + protocol, course, ...), so the machine's drift "
        "cancels in the ratios, which are computed pair by pair."
    )
    if jobs > 1:
        order = (
            f"runs taken in the interleaved order (course, reference, reference + protocol, "
            f"course, ...) {jobs} at a time, each in its own process on one torch thread: the "
            "runs of a seed run side by side rather than back to back, sharing the machine, "
            "so ratios still compare runs made close in time, but absolute times depend on "
            "the load."
        )
    lines = [
        "## Protocol",
        "",
        f"- Seeds {_seed_text(meta)}; {order}",
        "- Course: the solution notebook itself, executed with nbclient in a fresh kernel, "
        "`SEED` injected after its `parameters` cell. Reference: Stable-Baselines3 DQN with "
        "rl-baselines3-zoo's hyperparameters (see `benchmarks/reference.py`), in a fresh "
        "Python process. All on one torch thread, `OMP_NUM_THREADS=1`.",
        "- Rows: **course notebook**: keep-best + early stop, the notebook's own greedy checks "
        "during training. **SB3 DQN (zoo), as the zoo runs it**: the last iterate after the "
        "zoo's full `n_timesteps`. **SB3 DQN (zoo) + the course's protocol**: the same "
        "training with the notebook's greedy checks (same cadence, episode count and check "
        "seeds; a `BaseCallback`): the best check's weights are evaluated, training stops "
        "once a check passes (or at the zoo's budget).",
    ]
    for task in meta["tasks"]:
        protocol = TASKS[task].protocol
        if protocol is not None:
            lines.append(f"- Checks on {TASKS[task].env_id}: {protocol.describe()}.")
    lines += [
        "- Check episodes are reset with seeds SEED × 1,000 + 100,000 + k × episodes + i "
        "(check k, episode i), never used in training or in the final evaluation.",
        "- Training time: wall time of training, the greedy checks included for every agent "
        "(the notebook's `training_seconds`, SB3's `model.learn`). Check time: the wall time "
        "of the greedy checks inside it (`GreedyChecks.seconds`, the same class for the "
        "notebook and for SB3 + the protocol); learning time: training time minus check time. "
        "Final evaluation time: wall time of the 100-episode greedy evaluation after training "
        "(the notebook's cell that assigns `eval_returns`; for SB3, `course_utils.evaluate`), "
        "not part of the training time. Training steps: environment steps of training; check "
        "steps: environment steps the checks took, counted apart.",
        "- Return: greedy policy, 100 episodes, episode i reset with 10,000 + SEED + i. "
        "Solved: gymnasium's threshold on the mean (CartPole-v1 ≥ 475, MountainCar-v0 ≥ "
        "−110). Course target (MountainCar): ≥ 95 % of episodes reach the flag "
        "(return > −200) and mean ≥ −120.",
        "- IQM: interquartile mean over seeds of each run's mean greedy return (the mean of "
        "the middle 50 % of runs), with a 95 % percentile stratified-bootstrap confidence "
        "interval (Agarwal et al. 2021, *Deep RL at the Edge of the Statistical Precipice*; "
        "50,000 resamples of the seeds, seeded: computed in NumPy in `benchmarks/stats.py`, "
        "as rliable computes it).",
        "- Peak memory: maximum resident set size of the kernel, or of the reference's "
        "process (the kernel's includes ipykernel, some 50 MiB).",
        "",
    ]
    return lines


def agent_row(results: dict[str, Any], task: str, agent: str) -> list[str] | None:
    """One agent's line of a task's table (None when it did not run)."""
    spec = TASKS[task]
    runs = runs_of(results, task, agent)
    attempted = [r for r in results["runs"] if r["task"] == task and r["agent"] == agent]
    if not attempted:
        return None
    targets = [spec.course_target(r["eval_returns"]) for r in runs]
    check_steps = known_median(runs, "check_steps")
    checks = known_median(runs, "checks")
    return [
        AGENTS[agent],
        PROTOCOLS[agent],
        fmt(median_of(runs, lambda r: r["training_seconds"])),
        measured_median(runs, learning_seconds) if runs else "—",
        measured_median(runs, check_seconds) if runs else "—",
        fmt(median_of(runs, lambda r: r["total_steps"]), 0),
        f"{fmt(checks, 0)} / {fmt(check_steps, 0)}",
        measured_median(runs, eval_seconds) if runs else "—",
        fmt_ci(*iqm_with_ci(runs)) if runs else "—",
        f"{sum(spec.solved(r['eval_returns']) for r in runs)}/{len(attempted)}",
        "—" if spec.flag_fraction is None else f"{sum(map(bool, targets))}/{len(attempted)}",
        fmt(median_of(runs, lambda r: r["peak_rss_kib"] / MIB), 0),
    ]


def task_section(results: dict[str, Any], task: str) -> list[str]:
    """The table of one task: a row per agent, then the course / reference ratios."""
    spec = TASKS[task]
    rows = [row for agent in AGENTS if (row := agent_row(results, task, agent))]
    notes = []
    for reference in ("reference", "reference-protocol"):
        pairs = pairs_of(results, task, reference)
        if not pairs:
            continue
        rows.append(
            [f"**course / {AGENTS[reference]}**", ""]
            + [fmt_ratio(pair_ratios(pairs, lambda r: r["training_seconds"]))]
            + [fmt_ratio(pair_ratios(pairs, learning_seconds))]
            + [fmt_ratio(pair_ratios(pairs, check_seconds))]
            + [fmt_ratio(pair_ratios(pairs, lambda r: r["total_steps"]))]
            + [""]
            + [fmt_ratio(pair_ratios(pairs, eval_seconds))]
            + [""] * 3
            + [fmt_ratio(pair_ratios(pairs, lambda r: r["peak_rss_kib"]))]
        )
        notes.append(f"{len(pairs)} seed pairs against {AGENTS[reference]}")
    header = [
        "agent",
        "protocol",
        "training time (s, median, checks included)",
        "learning time (s, median, checks excluded)",
        "check time (s, median)",
        "training steps (median)",
        "checks / check steps (median)",
        "final evaluation time (s, median)",
        "greedy return: IQM over seeds [95 % CI]",
        "seeds solved",
        "course target",
        "peak memory (MiB, median)",
    ]
    lines = [f"## {spec.env_id}", ""] + table(header, rows) + [""]
    if notes:
        lines += [f"Ratios: median over seed pairs (range): {'; '.join(notes)}.", ""]
    if any(NOT_MEASURED in cell for row in rows for cell in row):
        lines += [not_measured_note(results), ""]
    if any(r.get("check_steps") is None for r in runs_of(results, task, "course")) and runs_of(
        results, task, "course"
    ):
        lines += [
            "Check steps of the course notebook: — where the notebook does not tell them "
            '(neither a top-level `check_steps` nor "(M steps of checks)" in the line its '
            "training loop prints).",
            "",
        ]
    return lines


def not_measured_note(results: dict[str, Any]) -> str:
    """Why a time is missing: those runs were made before the benchmark measured it."""
    days = sorted(
        {
            dt.datetime.fromtimestamp(run["started"], dt.UTC).strftime("%Y-%m-%d")
            for run in results["runs"]
            if "started" in run and (check_seconds(run) is None or eval_seconds(run) is None)
        }
    )
    return (
        f"*{NOT_MEASURED}*: the runs of {', '.join(days) or results['meta']['date']} were made "
        "before the benchmark timed the greedy checks and the final evaluation apart from the "
        "training; the next `make bench` measures them. A run without checks spent no time in "
        "them (0.0)."
    )


def per_seed_section(results: dict[str, Any]) -> list[str]:
    """Every run, in the order it ran."""
    rows = []
    for run in results["runs"]:
        spec = TASKS[run["task"]]
        if run.get("error"):
            rows.append(
                [str(run["order"]), run["task"], str(run["seed"]), AGENTS[run["agent"]]]
                + ["—"] * 9
                + ["error: " + run["error"].splitlines()[-1][:120]]
            )
            continue
        returns = run["eval_returns"]
        rows.append(
            [
                str(run["order"]),
                run["task"],
                str(run["seed"]),
                AGENTS[run["agent"]],
                fmt(run["training_seconds"]),
                fmt(check_seconds(run)),
                fmt(eval_seconds(run)),
                fmt(run["wall_seconds"]),
                fmt(run["total_steps"], 0),
                f"{fmt(run.get('checks'), 0)} / {fmt(run.get('check_steps'), 0)}",
                f"{fmt(eval_mean(run))} [{fmt(min(returns), 0)}, {fmt(max(returns), 0)}]",
                fmt_bool(spec.solved(returns)),
                fmt_bool(spec.course_target(returns)),
                fmt(run["peak_rss_kib"] / MIB, 0),
            ]
        )
    header = [
        "#",
        "task",
        "seed",
        "agent",
        "training (s)",
        "of which checks (s)",
        "final evaluation (s)",
        "whole run (s)",
        "training steps",
        "checks / check steps",
        "greedy return: mean [min, max]",
        "solved",
        "course target",
        "peak MiB",
    ]
    lines = ["## Per-seed results", ""] + table(header, rows) + [""]
    untimed = [r for r in results["runs"] if not r.get("error") and check_seconds(r) is None]
    untimed += [r for r in results["runs"] if not r.get("error") and eval_seconds(r) is None]
    if untimed:
        lines += [
            "Checks and final evaluation: — where the run did not time them (runs made before "
            "the benchmark measured them).",
            "",
        ]
    return lines


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts as (dotted key, leaf value) pairs."""
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in flatten(v, f"{prefix}{k}.")]
    return [(prefix.rstrip("."), value)]


def replay_section(results: dict[str, Any]) -> list[str]:
    """The replay-memory micro-benchmark, as benchmarks.replay_memory.run returned it."""
    replay = results.get("replay_memory")
    if replay is None:
        return []
    lines = ["## Replay memory micro-benchmark", ""]
    if "error" in replay:
        return lines + [f"Not run: {replay['error']}", ""]
    rows = [[key, f"{v:.4g}" if isinstance(v, float) else str(v)] for key, v in flatten(replay)]
    return lines + table(["measure", "value"], rows) + [""]


def whole_course_section(results: dict[str, Any]) -> list[str]:
    """Time and peak memory of executing every solution notebook once."""
    course = results.get("whole_course")
    if course is None:
        return []
    rows = [
        [
            row["notebook"],
            fmt(row["seconds"]),
            fmt(row["peak_rss_kib"] / MIB, 0) if "peak_rss_kib" in row else "—",
            "error: " + row["error"].splitlines()[-1][:120] if "error" in row else "ok",
        ]
        for row in course["notebooks"]
    ]
    rows.append(["**all**", fmt(course["total_seconds"]), fmt(course["peak_rss_kib"] / MIB, 0), ""])
    return (
        [
            "## Executing the whole course",
            "",
            "Every solution notebook executed once, as committed, one fresh kernel each.",
            "",
        ]
        + table(["notebook", "wall time (s)", "kernel peak memory (MiB)", "status"], rows)
        + [""]
    )


def render_markdown(
    results: dict[str, Any], figure: str | None, solve_figure: str | None = None
) -> str:
    """RESULTS.md's text, with the learning curves' `figure` and the time-to-solve
    `solve_figure` where given."""
    lines = header_section(results) + protocol_section(results)
    for task in results["meta"]["tasks"]:
        lines += task_section(results, task)
    lines += goals_section(results)
    if solve_figure:
        lines += time_to_solve_section(results, solve_figure)
    if figure:
        lines += [
            "## Learning curves",
            "",
            f"Training-episode return (moving average over {SMOOTHING_EPISODES} episodes) "
            "against training steps: mean over seeds, band: its 95 % bootstrap confidence "
            "interval over seeds, drawn while every seed is still training (the rows with "
            "early stopping end at their earliest stop; the thin line goes on while half of "
            "the seeds train).",
            "",
            f"![learning curves]({figure})",
            "",
        ]
    lines += per_seed_section(results) + replay_section(results) + whole_course_section(results)
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- learning curves


def smoothed_curve(steps: Sequence[int], returns: Sequence[float], grid: np.ndarray) -> np.ndarray:
    """The moving-average return of the last finished episode at each grid step (NaN outside)."""
    steps = np.asarray(steps, dtype=float)
    if steps.size == 0:
        return np.full(grid.shape, np.nan)
    cumsum = np.cumsum(np.insert(np.asarray(returns, dtype=float), 0, 0.0))
    n = np.arange(1, steps.size + 1)
    window = np.minimum(n, SMOOTHING_EPISODES)
    average = (cumsum[n] - cumsum[n - window]) / window
    index = np.searchsorted(steps, grid, side="right") - 1
    values = average[np.clip(index, 0, None)]
    return np.where((index >= 0) & (grid <= steps[-1]), values, np.nan)


def plot_learning_curves(results: dict[str, Any], path: Path) -> bool:
    """Save the learning curves of every task as a small PNG; False when there is nothing."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in results["meta"]["tasks"] if any(runs_of(results, t, a) for a in AGENTS)]
    if not tasks:
        return False
    fig, axes = plt.subplots(1, len(tasks), figsize=(6 * len(tasks), 4), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        for agent in AGENTS:
            runs = [r for r in runs_of(results, task, agent) if r["curve"]["steps"]]
            if not runs:
                continue
            grid = np.linspace(0, max(r["curve"]["steps"][-1] for r in runs), CURVE_POINTS)
            curves = np.array([smoothed_curve(**r["curve"], grid=grid) for r in runs])
            training = (~np.isnan(curves)).sum(axis=0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                mean = np.nanmean(curves, axis=0)
            # Past a run's end (early stopping), a mean over the seeds left is a different
            # average: the line and its band are drawn where every seed trains, a thin line
            # goes on while at least half of them do.
            everyone = np.where(training == len(runs), mean, np.nan)
            half = np.where(2 * training >= len(runs), mean, np.nan)
            low, high = bootstrap_mean_band(np.nan_to_num(curves), level=CI_LEVEL)
            low[training < len(runs)] = high[training < len(runs)] = np.nan
            ax.plot(
                grid, everyone, color=COLORS[agent], label=f"{AGENTS[agent]} ({len(runs)} seeds)"
            )
            ax.plot(grid, half, color=COLORS[agent], linewidth=0.6, alpha=0.7)
            ax.fill_between(grid, low, high, color=COLORS[agent], alpha=0.2, linewidth=0)
        threshold = TASKS[task].solved_threshold
        ax.axhline(threshold, color="gray", linestyle="--", linewidth=0.8, label="solved")
        ax.set(title=TASKS[task].env_id, xlabel="training steps", ylabel="training return")
        ax.legend(fontsize="x-small", loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return True


# ---------------------------------------------------------------- time to solve


def time_to_solve(
    results: dict[str, Any], task: str, agent: str
) -> tuple[list[float], list[float], int]:
    """Training seconds of the runs of `agent` on `task` that ended solved, of those that did
    not, and the number of runs attempted (failed runs count as not solved, without a time)."""
    spec = TASKS[task]
    attempted = [r for r in results["runs"] if r["task"] == task and r["agent"] == agent]
    runs = runs_of(results, task, agent)
    solved = sorted(r["training_seconds"] for r in runs if spec.solved(r["eval_returns"]))
    unsolved = sorted(r["training_seconds"] for r in runs if not spec.solved(r["eval_returns"]))
    return solved, unsolved, len(attempted)


def plot_time_to_solve(results: dict[str, Any], path: Path) -> bool:
    """Save, per task, the share of seeds solved within t seconds of training, per agent (an
    empirical CDF, one step per solved seed; the unsolved seeds as crosses below it, at their
    training time); False when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in results["meta"]["tasks"] if any(runs_of(results, t, a) for a in AGENTS)]
    if not tasks:
        return False
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4.2), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=True):
        agents = [a for a in AGENTS if runs_of(results, task, a)]
        longest = max(r["training_seconds"] for a in agents for r in runs_of(results, task, a))
        for position, agent in enumerate(agents):
            solved, unsolved, attempted = time_to_solve(results, task, agent)
            share = np.arange(1, len(solved) + 1) / attempted
            color = COLORS[agent]
            label = f"{AGENTS[agent]}: {len(solved)}/{attempted} solved"
            ax.step(
                [0.0, *solved, longest],
                [0.0, *share, share[-1] if solved else 0.0],
                where="post",
                color=color,
                label=label,
            )
            ax.plot(solved, share, "o", color=color, markersize=3)
            below = np.full(len(unsolved), -0.06 * (position + 1))
            ax.plot(unsolved, below, "x", color=color, markersize=5)
        ax.axhline(0.0, color="gray", linewidth=0.5)
        ax.set(
            title=TASKS[task].env_id,
            xlabel="training time (s, checks included)",
            ylabel="share of seeds solved",
            xlim=(0.0, 1.05 * longest),
            ylim=(-0.06 * (len(agents) + 1), 1.05),
        )
        crosses = -0.03 * (len(agents) + 1)  # the middle of the rows of crosses
        ax.set_yticks([crosses, *np.linspace(0.0, 1.0, 6)])
        ax.set_yticklabels(["not solved", *(f"{y:.1f}" for y in np.linspace(0.0, 1.0, 6))])
        ax.legend(fontsize="x-small", loc="upper center", bbox_to_anchor=(0.5, -0.2))
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return True


def time_to_solve_section(results: dict[str, Any], figure: str) -> list[str]:
    """The time-to-solve figure and what it shows."""
    return [
        "## Time to solve, seed by seed",
        "",
        "For each agent, the share of its seeds whose final greedy evaluation is solved "
        "(gymnasium's threshold) within t seconds of training (checks included): one step "
        "per solved seed, at the training time of that run. Crosses below zero: the seeds "
        "not solved, at their training time (a row per agent). The rows with early stopping "
        "end when a check passes; SB3 as the zoo runs it always trains its full budget.",
        "",
        f"![time to solve per seed]({figure})",
        "",
    ]


# ---------------------------------------------------------------- goals


def goals_section(results: dict[str, Any]) -> list[str]:
    """The benchmark's goals for the course, each with what this run measured and by how
    much it misses."""
    rows = []
    goal_seeds = f"{SEED_GOAL.start}–{SEED_GOAL.stop - 1}"
    for task in results["meta"]["tasks"]:
        spec = TASKS[task]
        pairs = pairs_of(results, task, "reference-protocol")
        ratios = pair_ratios(pairs, lambda r: r["training_seconds"])
        if ratios:
            median = statistics.median(ratios)
            met = median <= TIME_RATIO_GOAL
            verdict = "yes" if met else f"no: {median - TIME_RATIO_GOAL:.2f} above"
            rows.append(
                [
                    f"{spec.env_id}: course training time ≤ {TIME_RATIO_GOAL:.2f}× SB3 + the "
                    "course's protocol (median of seed pairs)",
                    f"{median:.2f}× ({len(ratios)} pair{'s' * (len(ratios) != 1)})",
                    verdict,
                ]
            )
        attempted = [r for r in results["runs"] if r["task"] == task and r["agent"] == "course"]
        if attempted:
            solved = {
                r["seed"]
                for r in runs_of(results, task, "course")
                if spec.solved(r["eval_returns"])
            }
            seeds = {r["seed"] for r in attempted}
            missing = sorted(set(SEED_GOAL) - seeds)
            unsolved = sorted(seeds - solved)
            problems = []
            if unsolved:
                problems.append(
                    f"seed{'s' * (len(unsolved) > 1)} {', '.join(map(str, unsolved))} not solved"
                )
            if missing:
                problems.append(f"{len(missing)} of the {len(SEED_GOAL)} seeds not run")
            rows.append(
                [
                    f"{spec.env_id}: course solves every seed of {goal_seeds}",
                    f"{len(solved)}/{len(seeds)} seeds solved",
                    "no: " + "; ".join(problems) if problems else "yes",
                ]
            )
        budgets = [
            r["hyperparameters"]["n_timesteps"]
            for agent in ("reference", "reference-protocol")
            for r in runs_of(results, task, agent)
            if "hyperparameters" in r
        ]
        course = runs_of(results, task, "course")
        if budgets and course:
            budget, longest = min(budgets), max(r["total_steps"] for r in course)
            rows.append(
                [
                    f"{spec.env_id}: the course trains within SB3's budget (the zoo's "
                    "`n_timesteps`)",
                    f"at most {longest:,} training steps, against {budget:,}",
                    "yes" if longest <= budget else f"no: {longest - budget:,} steps over",
                ]
            )
    rows += whole_course_goal(results)
    if not rows:
        return []
    return ["## Goals", ""] + table(["goal", "measured in this run", "met"], rows) + [""]


def whole_course_goal(results: dict[str, Any]) -> list[list[str]]:
    """The whole course's goal row (none when the whole course did not run): at most
    WHOLE_COURSE_GOAL_SECONDS on one pinned core, as nbval runs it in CI."""
    course = results.get("whole_course")
    if course is None:
        return []
    meta = results["meta"]
    part = (meta.get("parts") or {}).get("whole-course", {})
    total = course["total_seconds"]
    cores = part.get("usable_cores", meta["machine"].get("usable_cores"))
    failed = sum("error" in row for row in course["notebooks"])
    measured = f"{total:.0f} s for {len(course['notebooks'])} notebooks"
    measured += f", {cores_text(cores)}" if cores else ""
    over = total - WHOLE_COURSE_GOAL_SECONDS
    verdict = "yes" if over <= 0 else f"no: {over:.0f} s over"
    if failed:
        verdict = f"no: {failed} notebook{'s' * (failed > 1)} failed"
    elif cores != 1:
        verdict += " (not measured on one pinned core, as the goal is stated)"
    goal = f"the whole course in ≤ {WHOLE_COURSE_GOAL_SECONDS:.0f} s on one pinned core"
    return [[goal, measured, verdict]]


# ---------------------------------------------------------------- entry points


def write_report(results: dict[str, Any], out_dir: Path) -> Path:
    """Write RESULTS.md, learning_curves.png and time_to_solve.png into `out_dir`; the
    Markdown file's path."""
    curves, solve = LEARNING_CURVES, TIME_TO_SOLVE
    has_curves = plot_learning_curves(results, out_dir / curves)
    has_solve = plot_time_to_solve(results, out_dir / solve)
    path = out_dir / "RESULTS.md"
    markdown = render_markdown(
        results, curves if has_curves else None, solve if has_solve else None
    )
    path.write_text(markdown, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Regenerate the report from a results.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent / "results.json"
    parser.add_argument("results", type=Path, nargs="?", default=default)
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    print(write_report(results, args.results.parent))
    return 0


if __name__ == "__main__":
    sys.exit(main())
