"""Run notebooks from Python without hanging: an nbclient ``NotebookClient`` that polls.

A cell showing an ``ipywidgets.interactive`` sometimes never finished under nbclient,
the kernel idle (jupyter/nbclient issue 312, nbconvert issues 2003 and 2029): to mimic a
front end's Output widget, nbclient sends comm messages to the kernel on the shell channel
while it is awaiting the cell's reply on that same channel. :class:`PollingNotebookClient`
turns that emulation off (what the widget shows first is recorded as the cell's own output)
and also waits for kernel messages in slices of one second, so that a missed wake-up costs
a second, not the run. The tests, the benchmarks and the maintainers' tooling execute
notebooks with it; nbval, which CI uses for the solution notebooks, has its own client,
which never writes to the kernel during a cell.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
>>> _ = PollingNotebookClient(nb, timeout=60, kernel_name="python3").execute()
>>> nb.cells[0].outputs[0]["data"]["text/plain"]
'2'
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from queue import Empty
from typing import Any

from nbclient import NotebookClient

__all__ = ["PollingNotebookClient", "POLL_SECONDS"]

POLL_SECONDS = 1.0


def _polling(wait_for_msg: Callable[..., Awaitable[dict[str, Any]]]):
    """Wrap a channel's async ``get_msg`` so that it never waits more than POLL_SECONDS."""

    async def get_msg(timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = POLL_SECONDS if deadline is None else deadline - time.monotonic()
            try:
                return await wait_for_msg(timeout=max(0.0, min(POLL_SECONDS, remaining)))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    return get_msg


class PollingNotebookClient(NotebookClient):
    """``nbclient.NotebookClient`` whose shell and IOPub waits poll (see the module docstring),
    and which does not emulate a front end's Output widgets."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # nbclient's Output-widget emulation writes comm messages back to the kernel on the
        # shell channel in the middle of a cell; with it, a cell holding an `interactive`
        # widget hung intermittently. Without it, what the widget shows on first display is
        # recorded as the cell's own output, which is what a reader of the file wants anyway.
        self.comm_open_handlers = {}

    async def async_start_new_kernel_client(self):
        kernel_client = await super().async_start_new_kernel_client()
        for channel in (kernel_client.shell_channel, kernel_client.iopub_channel):
            channel.get_msg = _polling(channel.get_msg)
        return kernel_client
