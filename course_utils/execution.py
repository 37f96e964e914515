"""Run notebooks from Python without hanging: an nbclient ``NotebookClient`` that polls.

nbclient waits for kernel messages with ``get_msg(timeout=None)``. With ipywidgets in a
cell, that wait sometimes never wakes up although the reply has arrived (jupyter/nbclient
issue 312): the notebook "hangs" with an idle kernel. :class:`PollingNotebookClient` waits
in slices of one second instead, so a missed wake-up costs at most a second. The tests,
the benchmarks and the maintainers' tooling execute notebooks with it; nbval, which CI
uses for the solution notebooks, has its own blocking client and is not affected.

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
    """``nbclient.NotebookClient`` whose shell and IOPub waits poll (see the module docstring)."""

    async def async_start_new_kernel_client(self):
        kernel_client = await super().async_start_new_kernel_client()
        for channel in (kernel_client.shell_channel, kernel_client.iopub_channel):
            channel.get_msg = _polling(channel.get_msg)
        return kernel_client
