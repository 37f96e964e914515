"""Execute the course's own solution notebooks and read back what they measured.

The benchmark runs the notebooks themselves, never a re-implementation: the seed is injected
after the cell tagged ``parameters`` (papermill's convention), every cell runs in a fresh
kernel, and one extra cell, executed in the same kernel, prints the notebook's results as JSON.

Notebook contract: a code cell tagged ``parameters`` holding ``SEED = 0``; after execution the
kernel holds ``eval_returns`` (100 greedy returns), ``training_seconds``, ``total_steps`` and
``stats`` with the lists ``"Returns"`` and ``"Steps"`` (cumulative env steps per episode).
Optional: ``greedy_checks``, the :class:`course_utils.GreedyChecks` of the training run, whose
``steps`` (environment steps the greedy checks took) and ``done`` (how many checks ran) are
read; else ``check_steps`` and ``checks_done``; what the kernel lacks is read from the line
the training loop prints ("... after N checks (M steps of checks)",
``GreedyChecks.summary()``). The checks' wall time is ``greedy_checks.seconds`` (else
``check_seconds``); the final evaluation's is ``eval_seconds`` where the kernel holds it, else
the benchmark times the notebook's cell that assigns ``eval_returns`` (the first such cell).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from tools.cells import INJECTED_PARAMETERS, PARAMETERS, has_tag
from tools.run_notebooks import WidgetSafeNotebookClient as NotebookClient

# Every execution, notebook or reference, runs headless on one thread.
BENCH_ENV = {"SDL_VIDEODRIVER": "dummy", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
MARKER = "__BENCHMARK_RESULT__"


def peak_rss_kib() -> int:
    """This process's peak resident memory in KiB: VmHWM, the high-water mark of its image.

    Not getrusage's ru_maxrss: Linux carries the launching process's peak across fork and exec,
    so a kernel started by a process holding 600 MiB would report at least 600 MiB.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource  # elsewhere than Linux

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# The same function, defined in the kernel by the probes.
PEAK_RSS = inspect.getsource(peak_rss_kib).replace("{", "{{").replace("}", "}}")

# Read the peak resident memory of the kernel process.
PEAK_PROBE = (
    PEAK_RSS
    + """\
import json as _bench_json
print({marker!r} + _bench_json.dumps({{"peak_rss_kib": peak_rss_kib()}}))
"""
)

# Read the notebook's results, as the contract above names them.
RESULT_PROBE = (
    PEAK_RSS
    + """\
import json as _bench_json, sys as _bench_sys
import numpy as _bench_np
_bench_torch = _bench_sys.modules.get("torch")
def _bench_checks(attribute, name, kind=int):
    if hasattr(globals().get("greedy_checks"), attribute):
        return kind(getattr(globals()["greedy_checks"], attribute))
    return kind(globals()[name]) if name in globals() else None
print({marker!r} + _bench_json.dumps({{
    "torch_threads": _bench_torch.get_num_threads() if _bench_torch else None,
    "eval_returns": _bench_np.asarray(eval_returns, dtype=float).ravel().tolist(),
    "training_seconds": float(training_seconds),
    "total_steps": int(total_steps),
    "curve": {{
        "steps": [int(s) for s in stats["Steps"]],
        "returns": [float(r) for r in stats["Returns"]],
    }},
    "peak_rss_kib": peak_rss_kib(),
    "check_steps": _bench_checks("steps", "check_steps"),
    "checks": _bench_checks("done", "checks_done"),
    "check_seconds": _bench_checks("seconds", "check_seconds", float),
    "eval_seconds": float(eval_seconds) if "eval_seconds" in globals() else None,
}}))
"""
)
# The training loops' last line:
# "60000 steps, ...; best greedy check -99.0 after 24 checks (2,519 steps of checks)".
CHECKS_PRINTED = re.compile(r"after (\d+) checks?\b(?: \(([\d,]+) steps of checks\))?")
# The notebooks' final greedy evaluation: the cell that assigns `eval_returns`.
EVALUATION_CELL = re.compile(r"^eval_returns\s*=", re.M)


def bench_env() -> dict[str, str]:
    """The environment every benchmarked process gets: this one, headless and single-threaded."""
    return {**os.environ, **BENCH_ENV}


def inject_parameters(nb: NotebookNode, parameters: dict[str, Any]) -> NotebookNode:
    """Insert a cell assigning `parameters` right after the cell tagged ``parameters``.

    The new cell is tagged ``injected-parameters``, like papermill's, so the notebook's defaults
    stay visible and the injected values override them.
    """
    index = next(
        (
            i
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and has_tag(cell, PARAMETERS)
        ),
        None,
    )
    if index is None:
        raise ValueError(f"the notebook has no code cell tagged {PARAMETERS!r}")
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": [INJECTED_PARAMETERS]})
    nb.cells.insert(index + 1, cell)
    return nb


def parse_probe(cell: NotebookNode) -> dict[str, Any]:
    """The JSON the probe cell printed after `MARKER`."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            for line in output.get("text", "").splitlines():
                if line.startswith(MARKER):
                    return json.loads(line[len(MARKER) :])
    raise RuntimeError("the probe cell printed no result")


def execute_with_probe(
    nb: NotebookNode,
    cwd: Path,
    probe_source: str,
    timeout: float | None,
    cell_seconds: list[float] | None = None,
) -> tuple[dict[str, Any], float]:
    """Run every cell of `nb` in a fresh kernel, then `probe_source` in the same kernel.

    Returns the probe's JSON and the wall time of executing the notebook (kernel start and
    probe excluded); each cell's wall time is appended to `cell_seconds` when given. Raises
    nbclient's CellExecutionError when a cell fails.
    """
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    with client.setup_kernel(env=bench_env()):
        start = time.perf_counter()
        for index, cell in enumerate(nb.cells):
            cell_start = time.perf_counter()
            client.execute_cell(cell, index)
            if cell_seconds is not None:
                cell_seconds.append(time.perf_counter() - cell_start)
        seconds = time.perf_counter() - start
        probe = nbformat.v4.new_code_cell(probe_source.format(marker=MARKER))
        nb.cells.append(probe)
        client.execute_cell(probe, len(nb.cells) - 1)
    return parse_probe(probe), seconds


def evaluation_cell(nb: NotebookNode) -> int | None:
    """The index of the notebook's final greedy evaluation: the first code cell that assigns
    ``eval_returns`` at its top level (None when there is none)."""
    return next(
        (
            i
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and EVALUATION_CELL.search(cell.source)
        ),
        None,
    )


def printed_checks(nb: NotebookNode) -> tuple[int | None, int | None]:
    """The number of greedy checks the training loop printed it ran, and their environment
    steps where it printed them (from the last such line); None for what it did not print."""
    found: tuple[int | None, int | None] = (None, None)
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if output.get("output_type") == "stream":
                for match in CHECKS_PRINTED.finditer(output.get("text", "")):
                    steps = match.group(2)
                    found = (int(match.group(1)), int(steps.replace(",", "")) if steps else None)
    return found


def run_course(
    notebook: Path, seed: int, timeout: float | None = None, save_to: Path | None = None
) -> dict[str, Any]:
    """Execute `notebook` with ``SEED = seed`` and return what it measured.

    Keys: eval_returns, training_seconds, total_steps, curve (steps, returns), peak_rss_kib,
    wall_seconds (the whole notebook, evaluation and plots included), checks, check_steps and
    check_seconds (None where the notebook does not tell), eval_seconds (the wall time of the
    final evaluation; None where the notebook has no cell assigning ``eval_returns``). The
    executed notebook is written to `save_to` when given, failed or not.
    """
    nb = inject_parameters(nbformat.read(notebook, as_version=4), {"SEED": seed})
    cell_seconds: list[float] = []
    try:
        result, seconds = execute_with_probe(
            nb, notebook.parent, RESULT_PROBE, timeout, cell_seconds
        )
    finally:
        if save_to is not None:
            save_to.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, save_to)
    checks, check_steps = printed_checks(nb)
    if result.get("checks") is None:
        result["checks"] = checks
    if result.get("check_steps") is None:
        result["check_steps"] = check_steps
    evaluation = evaluation_cell(nb)
    if result.get("eval_seconds") is None and evaluation is not None:
        result["eval_seconds"] = cell_seconds[evaluation]
    return {**result, "wall_seconds": seconds}


def run_whole_course(
    solutions_dir: Path, timeout: float | None = None, save_dir: Path | None = None
) -> dict[str, Any]:
    """Execute every notebook of `solutions_dir` once, as it stands, one kernel each.

    Returns per notebook its wall time and the kernel's peak RSS (or the error), and the total.
    """
    rows = []
    for notebook in sorted(solutions_dir.glob("*.ipynb")):
        print(f"[course] executing {notebook.name}", flush=True)
        nb = nbformat.read(notebook, as_version=4)
        row: dict[str, Any] = {"notebook": notebook.name}
        start = time.perf_counter()
        try:
            probe, row["seconds"] = execute_with_probe(nb, notebook.parent, PEAK_PROBE, timeout)
            row["peak_rss_kib"] = probe["peak_rss_kib"]
        except Exception as error:  # a failing notebook is reported, the others still run
            row["seconds"] = time.perf_counter() - start
            row["error"] = short_error(error)
        finally:
            if save_dir is not None:
                save_dir.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, save_dir / notebook.name)
        rows.append(row)
    return {
        "notebooks": rows,
        "total_seconds": sum(row["seconds"] for row in rows),
        "peak_rss_kib": max((row.get("peak_rss_kib", 0) for row in rows), default=0),
    }


def short_error(error: BaseException, limit: int = 2000) -> str:
    """The error's type and the end of its message (a cell error's message holds a traceback)."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", f"{type(error).__name__}: {error}")
    return text if len(text) <= limit else "..." + text[-limit:]
