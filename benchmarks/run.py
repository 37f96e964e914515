"""`make bench`: the course's agents against Stable-Baselines3, the replay memory, the whole course.

Runs, for each seed and task, the course's solution notebook, then SB3's DQN as the zoo runs it,
then SB3's DQN with the notebook's protocol of greedy checks (course, reference,
reference + protocol, course, ...), then the replay-memory micro-benchmark, then every solution
notebook once; writes results.json, RESULTS.md, learning_curves.png and time_to_solve.png.
Every training run records, apart from its training time, the wall time of its greedy checks
(part of the training time) and of its final evaluation (after it).

    python -m benchmarks.run                      # 20 seeds, both tasks: hours on one core
    python -m benchmarks.run --jobs 8             # the same, 8 runs at a time
    python -m benchmarks.run --seeds 2 --tasks cartpole
    python -m benchmarks.report                   # rebuild RESULTS.md from results.json

--jobs N runs N training runs at once, each in its own process on one torch thread, taken in
the interleaved order, so the runs of one seed still run close in time, but side by side
rather than back to back: they share the machine's memory bandwidth and caches, and their
times are only comparable with each other. Keep N at or below the physical cores.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import importlib.metadata
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.course import BENCH_ENV, run_course, run_whole_course, short_error
from benchmarks.report import SEED_GOAL, write_report
from benchmarks.tasks import SOLUTIONS_DIR, TASKS

BENCH_DIR = Path(__file__).resolve().parent
VERSIONED = ["torch", "gymnasium", "stable-baselines3", "numpy", "nbclient"]
PARTS = ("training", "replay", "whole-course")
# The agents of each seed, in the order they run: the course's notebook, SB3 as the zoo runs
# it (last iterate after the zoo's budget), SB3 with the notebook's greedy checks.
AGENTS = ("course", "reference", "reference-protocol")
# The replay micro-benchmark's sizes (the contract of benchmarks.replay_memory.run).
REPLAY_ARGS = {"n_stored": 100_000, "batch_size": 64}
TINY_REPLAY_ARGS = {"n_stored": 2_000, "batch_size": 64, "repeats": 1, "calls": 20}


# ---------------------------------------------------------------- command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line (see --help)."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    # The goals are stated for seeds 0-19 (benchmarks.report.SEED_GOAL).
    parser.add_argument("--seeds", type=int, default=len(SEED_GOAL), help="number of seeds")
    parser.add_argument(
        "--first-seed", type=int, default=SEED_GOAL.start, help="seeds are first..first+N-1"
    )
    parser.add_argument(
        "--tasks",
        type=task_list,
        default=",".join(TASKS),
        help="comma-separated: " + ",".join(TASKS),
    )
    parser.add_argument(
        "--parts",
        type=parts_list,
        default=",".join(PARTS),
        help="comma-separated subset of: " + ",".join(PARTS),
    )
    parser.add_argument(
        "--no-reference", action="store_true", help="course notebooks only (no SB3 needed)"
    )
    parser.add_argument(
        "--jobs",
        type=positive_int,
        default=1,
        help="training runs at once, one process and one torch thread each; >1 runs the "
        "runs of a seed side by side instead of back to back (see the module's docstring)",
    )
    parser.add_argument(
        "--notebook",
        action="append",
        default=[],
        metavar="TASK=PATH",
        help="run this notebook for TASK instead of the solution notebook",
    )
    parser.add_argument(
        "--solutions-dir", type=Path, default=SOLUTIONS_DIR, help="notebooks of the whole course"
    )
    parser.add_argument("--out-dir", type=Path, default=BENCH_DIR, help="where results go")
    parser.add_argument(
        "--timeout", type=float, default=7200.0, help="seconds per notebook cell / reference run"
    )
    parser.add_argument("--replay-repeats", type=int, help="repeats of the replay benchmark")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep, from the results.json already in --out-dir, the tasks and parts this run "
        "does not run (the report then says which run each part comes from)",
    )
    parser.add_argument("--tiny", action="store_true", help=argparse.SUPPRESS)  # the test's
    return parser.parse_args(argv)


def positive_int(text: str) -> int:
    """Parse --jobs."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def task_list(text: str) -> list[str]:
    """Parse --tasks."""
    tasks = [t.strip() for t in text.split(",") if t.strip()]
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown or not tasks:
        raise argparse.ArgumentTypeError(f"unknown task(s) {unknown}; choose from {list(TASKS)}")
    return tasks


def parts_list(text: str) -> list[str]:
    """Parse --parts."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown part(s) {unknown}; choose from {list(PARTS)}")
    return parts


def notebook_overrides(items: list[str]) -> dict[str, Path]:
    """Parse the --notebook TASK=PATH options."""
    overrides = {}
    for item in items:
        task, sep, path = item.partition("=")
        if not sep or task not in TASKS:
            raise SystemExit(f"--notebook expects TASK=PATH with TASK in {list(TASKS)}: {item!r}")
        overrides[task] = Path(path).resolve()
    return overrides


# ---------------------------------------------------------------- machine


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or what platform knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float:
    """Total memory from /proc/meminfo, in GiB (NaN where unknown)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


def version(package: str) -> str | None:
    """The installed version of `package`, None when it is not installed."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What the results depend on: CPU, cores, memory, threads."""
    return {
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory_gib(),
        "platform": platform.platform(),
        "env": dict(BENCH_ENV),
    }


def speed_probe(steps: int = 300, repeats: int = 5) -> float:
    """Microseconds per DQN gradient step of notebook 04's network (4-128-128-2, batch 64,
    fused Adam, one torch thread): the median of `repeats` timings of `steps` steps.

    The same CPU model name can hide machines of very different speed (two AMD EPYC VMs of
    this project's sessions took 418 and 930 µs for this step), so every part records it:
    read the seconds of parts run on different machines against it.
    """
    import torch
    from torch import nn

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        generator = torch.Generator().manual_seed(0)

        def mlp() -> nn.Module:
            return nn.Sequential(
                nn.Linear(4, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 2)
            )

        net, target = mlp(), mlp()
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
        state, next_state = torch.randn(2, 64, 4, generator=generator)
        action = torch.randint(0, 2, (64, 1), generator=generator)

        def step() -> None:
            with torch.no_grad():
                y = 1.0 + 0.99 * target(next_state).max(dim=1, keepdim=True).values
            loss = nn.functional.mse_loss(net(state).gather(1, action), y)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 10.0)
            optimizer.step()

        for _ in range(steps // 3):  # warm-up
            step()
        timings = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(steps):
                step()
            timings.append((time.perf_counter() - start) / steps * 1e6)
        return statistics.median(timings)
    finally:
        torch.set_num_threads(threads)


def versions() -> dict[str, str | None]:
    """Python and the packages the measurements depend on."""
    return {"python": platform.python_version()} | {p: version(p) for p in VERSIONED}


# ---------------------------------------------------------------- the parts


def run_one(agent: str, task: str, seed: int, args: argparse.Namespace, notebooks: dict) -> dict:
    """One training run of `agent` (one of AGENTS); errors are recorded, not raised."""
    os.environ.update(BENCH_ENV)  # also in a --jobs worker
    run: dict[str, Any] = {"task": task, "seed": seed, "agent": agent, "started": time.time()}
    try:
        if agent == "course":
            saved = args.out_dir / "runs" / f"{task}-seed{seed}.ipynb"
            run |= run_course(notebooks[task], seed, args.timeout, save_to=saved)
        else:
            from benchmarks.reference import run_reference

            protocol = agent == "reference-protocol"
            run |= run_reference(
                task, seed, tiny=args.tiny, timeout=args.timeout, protocol=protocol
            )
    except Exception as error:  # one failed run must not lose hours of others
        run["error"] = short_error(error)
    run["finished"] = time.time()
    return run


def describe(run: dict[str, Any]) -> str:
    """One progress line."""
    head = f"[{run['order']:>2}] {run['task']} seed {run['seed']} {run['agent']:<18}"
    if run.get("error"):
        return f"{head} FAILED: {run['error'].splitlines()[-1][:200]}"
    mean = sum(run["eval_returns"]) / len(run["eval_returns"])

    def known(key: str, spec: str) -> str:
        value = run.get(key)
        return "?" if value is None else format(value, spec)

    return (
        f"{head} {run['training_seconds']:8.1f} s  {run['total_steps']:>7} steps  "
        f"{known('checks', '>3')} checks in {known('check_seconds', '.1f')} s  "
        f"evaluation {known('eval_seconds', '.1f')} s  "
        f"return {mean:8.1f}  peak {run['peak_rss_kib'] / 1024:6.0f} MiB"
    )


def run_training(args: argparse.Namespace, results: dict[str, Any], save) -> None:
    """Every agent's runs, interleaved seed by seed and task by task; --jobs at a time."""
    notebooks = {t: TASKS[t].notebook_path for t in args.tasks} | notebook_overrides(args.notebook)
    agents = AGENTS[:1] if args.no_reference else AGENTS
    order = [
        (agent, task, seed)
        for seed in results["meta"]["seeds"]
        for task in args.tasks
        for agent in agents
    ]

    def record(index: int, run: dict[str, Any]) -> None:
        run["order"] = index
        results["runs"].append(run)
        results["runs"].sort(key=lambda r: r["order"])
        print(describe(run), flush=True)
        save()

    if args.jobs == 1:
        for index, (agent, task, seed) in enumerate(order):
            record(index, run_one(agent, task, seed, args, notebooks))
        return
    # Fresh interpreters ("spawn"): a forked worker would inherit this process's threads.
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
        futures = {
            pool.submit(run_one, agent, task, seed, args, notebooks): index
            for index, (agent, task, seed) in enumerate(order)
        }
        for future in concurrent.futures.as_completed(futures):
            record(futures[future], future.result())


def run_replay(args: argparse.Namespace) -> dict[str, Any]:
    """benchmarks.replay_memory.run on one torch thread; its error when it cannot run."""
    kwargs: dict[str, Any] = dict(TINY_REPLAY_ARGS if args.tiny else REPLAY_ARGS)
    if args.replay_repeats is not None:
        kwargs["repeats"] = args.replay_repeats
    try:
        import torch

        from benchmarks import replay_memory

        torch.set_num_threads(1)
        return {"arguments": kwargs, **replay_memory.run(**kwargs)}
    except Exception as error:
        return {"error": short_error(error, limit=500)}


def jsonable(value: Any) -> Any:
    """numpy and torch scalars as Python numbers, anything else as text (for json.dumps)."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def part_names(args: argparse.Namespace) -> list[str]:
    """The parts of results.json this run writes: ``training:TASK`` per task, replay, whole-course."""
    names = [f"training:{task}" for task in args.tasks] if "training" in args.parts else []
    return names + [part for part in args.parts if part != "training"]


def _git(*words: str) -> str:
    """The output of a git command run in this repository."""
    return subprocess.run(
        ["git", *words], cwd=BENCH_DIR, capture_output=True, text=True, check=True
    ).stdout.strip()


def commit() -> str | None:
    """The repository's commit, with ``+`` when its tracked files differ (None without git)."""
    try:
        return _git("rev-parse", "--short", "HEAD") + (
            "+" if _git("status", "--porcelain", "-uno") else ""
        )
    except (OSError, subprocess.CalledProcessError):
        return None


# The parts of results.json besides the training runs, and their keys there.
PART_KEYS = {"replay": "replay_memory", "whole-course": "whole_course"}


def merged(old: dict[str, Any], new: dict[str, Any], ran: list[str]) -> dict[str, Any]:
    """`new`, plus what `old` holds for the parts `new` did not run (``meta.parts`` says whose).

    A task's training runs come whole from one run or the other; so do the replay and the
    whole-course parts. ``meta.seeds_by_task`` gives each task's seeds, ``meta.tasks`` every task
    with runs, in the order of TASKS. A part kept from a file written before ``meta.parts``
    existed is described by that file's own meta.
    """
    old_meta = old["meta"]
    ran_tasks = {name.split(":", 1)[1] for name in ran if name.startswith("training:")}
    runs = [run for run in old.get("runs", []) if run["task"] not in ran_tasks] + new["runs"]
    old_seeds = old_meta.get("seeds_by_task") or dict.fromkeys(old_meta["tasks"], old_meta["seeds"])
    seeds = {
        t: old_seeds[t]
        for t in old_seeds
        if t not in ran_tasks and any(r["task"] == t for r in runs)
    }
    seeds |= dict.fromkeys(ran_tasks, new["meta"]["seeds"])
    result: dict[str, Any] = {"runs": runs}
    for part, key in PART_KEYS.items():
        source = new if part in ran else old
        if key in source:
            result[key] = source[key]
    kept = [f"training:{t}" for t in seeds if t not in ran_tasks]
    kept += [part for part, key in PART_KEYS.items() if part not in ran and key in result]
    earlier = {
        "date": old_meta.get("date"),
        "argv": old_meta.get("argv", []),
        "commit": None,
        "cpu_model": old_meta.get("machine", {}).get("cpu_model"),
        "usable_cores": old_meta.get("machine", {}).get("usable_cores"),
        "probe_us": old_meta.get("machine", {}).get("probe_us"),
    }
    parts = {name: old_meta.get("parts", {}).get(name, earlier) for name in kept}
    parts |= {name: new["meta"]["parts"][name] for name in ran}
    result["meta"] = new["meta"] | {
        "parts": parts,
        "tasks": [t for t in TASKS if t in seeds],
        "seeds": sorted(set().union(*seeds.values())) if seeds else new["meta"]["seeds"],
        "seeds_by_task": {t: seeds[t] for t in TASKS if t in seeds},
    }
    return result


def save_results(results: dict[str, Any], path: Path) -> None:
    """Write results.json atomically."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1, default=jsonable) + "\n")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every run succeeded."""
    args = parse_args(argv)
    os.environ.update(BENCH_ENV)
    if "training" in args.parts and not args.no_reference and version("stable-baselines3") is None:
        raise SystemExit("Stable-Baselines3 is not installed: run `make bench`, or --no-reference.")
    args.out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "argv": list(sys.argv[1:] if argv is None else argv),
            "tiny": args.tiny,
            "jobs": args.jobs,
            "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
            "tasks": args.tasks,
            "machine": machine_info(),
            "versions": versions(),
        },
        "runs": [],
    }
    ran = part_names(args)
    this_run = {"date": results["meta"]["date"], "argv": results["meta"]["argv"]}
    machine = results["meta"]["machine"]
    machine["probe_us"] = speed_probe()
    this_run |= {"commit": commit()} | {
        k: machine[k] for k in ("cpu_model", "usable_cores", "probe_us")
    }
    results["meta"]["parts"] = {name: this_run for name in ran}
    path = args.out_dir / "results.json"
    old = json.loads(path.read_text()) if args.merge and path.exists() else None

    def written() -> dict[str, Any]:
        return results if old is None else merged(old, results, ran)

    def save() -> None:
        save_results(written(), path)

    start = time.perf_counter()
    if "training" in args.parts:
        run_training(args, results, save)
    if "replay" in args.parts:
        print("[replay] micro-benchmark", flush=True)
        results["replay_memory"] = run_replay(args)
    if "whole-course" in args.parts:
        results["whole_course"] = run_whole_course(
            args.solutions_dir, args.timeout, save_dir=args.out_dir / "runs" / "course"
        )
    results["meta"]["benchmark_seconds"] = time.perf_counter() - start
    final = written()
    save_results(final, path)
    print(f"wrote {path} and {write_report(final, args.out_dir)}")
    failed = [r for r in results["runs"] if r.get("error")]
    failed += [r for r in results.get("whole_course", {}).get("notebooks", []) if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
