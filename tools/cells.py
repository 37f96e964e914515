"""The cell tags the course uses, and the one helper that reads them.

>>> has_tag({"metadata": {"tags": [SOLUTION_ONLY]}}, SOLUTION_ONLY)
True
>>> has_tag({"cell_type": "code", "metadata": {}}, PARAMETERS)
False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "BADGES",
    "COLAB_SETUP",
    "INJECTED_PARAMETERS",
    "LEARNING_TARGET",
    "PARAMETERS",
    "SOLUTION_ONLY",
    "has_tag",
]

BADGES = "badges"  # the Colab and Binder badges under a notebook's title (tools.launch_cells)
COLAB_SETUP = "colab-setup"  # the cell that installs course_utils on Colab only
SOLUTION_ONLY = "solution-only"  # answers for instructors: dropped from student notebooks
PARAMETERS = "parameters"  # papermill's convention: the cell holding SEED
INJECTED_PARAMETERS = "injected-parameters"  # papermill's name for a cell that overrides it
LEARNING_TARGET = "nbval-check-output"  # nbval compares this cell's output: the target was met


def has_tag(cell: Mapping[str, Any], tag: str) -> bool:
    """Whether a notebook cell (an nbformat node or a plain dict) carries ``tag``."""
    return tag in cell.get("metadata", {}).get("tags", [])
