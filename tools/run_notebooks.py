"""Run notebooks from Python without hanging on widgets: an nbclient ``NotebookClient``.

A cell showing an ``ipywidgets.interactive`` sometimes never finished under nbclient,
the kernel idle (jupyter/nbclient issue 312, nbconvert issues 2003 and 2029): to mimic a
front end's Output widget, nbclient sends comm messages to the kernel on the shell channel
while it is awaiting the cell's reply on that same channel. :class:`WidgetSafeNotebookClient`
turns that emulation off; what the widget shows first is recorded as the cell's own output.
The tests, the benchmarks and the maintainers' tooling execute notebooks with it; nbval,
which CI uses for the solution notebooks, has its own client, which never writes to the
kernel during a cell.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
>>> _ = WidgetSafeNotebookClient(nb, timeout=60, kernel_name="python3").execute()
>>> nb.cells[0].outputs[0]["data"]["text/plain"]
'2'
"""

from __future__ import annotations

from typing import Any

from nbclient import NotebookClient

__all__ = ["WidgetSafeNotebookClient"]


class WidgetSafeNotebookClient(NotebookClient):
    """``nbclient.NotebookClient`` that does not emulate a front end's Output widgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # nbclient's Output-widget emulation writes comm messages back to the kernel on the
        # shell channel in the middle of a cell; with it, a cell holding an `interactive`
        # widget hung intermittently. Without it, what the widget shows on first display is
        # recorded as the cell's own output, which is what a reader of the file wants anyway.
        self.comm_open_handlers = {}
