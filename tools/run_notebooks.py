"""Run notebooks from Python without hanging on widgets: an nbclient ``NotebookClient``.

A cell showing an ``ipywidgets.interactive`` sometimes never finished under nbclient,
the kernel idle (jupyter/nbclient issue 312, nbconvert issues 2003 and 2029): to mimic a
front end's Output widget, nbclient sends comm messages to the kernel on the shell channel
while it is awaiting the cell's reply on that same channel. :class:`WidgetSafeNotebookClient`
turns that emulation off; what the widget shows first is recorded as the cell's own output.
The tests, the benchmarks and the maintainers' tooling execute notebooks with it
(``python -m tools.run_notebooks notebooks/solutions/04_*.ipynb`` re-executes a solution
notebook in place and stores its outputs; run on a translated solution notebook,
``notebooks/<lang>/solutions/NN_name.ipynb``, it marks the outputs as that notebook's own
run, which ``make sync`` then keeps: ``make translated-outputs``); nbval,
which CI uses for the solution notebooks, has its own client, which never writes to the
kernel during a cell.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
>>> _ = WidgetSafeNotebookClient(nb, timeout=60, kernel_name="python3").execute()
>>> nb.cells[0].outputs[0]["data"]["text/plain"]
'2'
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient

__all__ = ["WidgetSafeNotebookClient", "code_fingerprint", "execute_in_place", "main"]


class WidgetSafeNotebookClient(NotebookClient):
    """``nbclient.NotebookClient`` that does not emulate a front end's Output widgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # nbclient's Output-widget emulation writes comm messages back to the kernel on the
        # shell channel in the middle of a cell; with it, a cell holding an `interactive`
        # widget hung intermittently. Without it, what the widget shows on first display is
        # recorded as the cell's own output, which is what a reader of the file wants anyway.
        self.comm_open_handlers = {}


def code_fingerprint(nb: nbformat.NotebookNode) -> str:
    """A hash of ``nb``'s code cells (ids and sources, in order): what its outputs ran."""
    code = [[cell.get("id"), cell.source] for cell in nb.cells if cell.cell_type == "code"]
    text = json.dumps(code, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def execute_in_place(path: Path, timeout: int = 900) -> float:
    """Run a notebook top to bottom in a fresh kernel, in its own folder, and save it with
    its outputs; return the seconds it took. A failing cell raises and nothing is written."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    WidgetSafeNotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        # Widget state (every quiz button's layout and style models) would double a
        # notebook's size for nothing: a live kernel rebuilds the widgets on Run All.
        store_widget_state=False,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    if "language" in nb.metadata:
        # A translated notebook (tools.translations): its outputs now come from this run,
        # which the generator keeps until what it generates for the notebook changes.
        from tools.translations import OUTPUTS, executed_mark

        nb.metadata[OUTPUTS] = executed_mark(path, nb)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.run_notebooks",
        description="Execute solution notebooks in place, as nbval will (one torch thread), "
        "and store their outputs. Then run `make sync`.",
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")  # what `make` exports for nbval
    for path in args.notebooks:
        print(f"{path}: {execute_in_place(path, args.timeout):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
