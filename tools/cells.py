"""Reading the course's notebooks: the cell tags it uses, and its hyperparameter constants.

>>> has_tag({"metadata": {"tags": [SOLUTION_ONLY]}}, SOLUTION_ONLY)
True
>>> has_tag({"cell_type": "code", "metadata": {}}, PARAMETERS)
False
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat

__all__ = [
    "BADGES",
    "COLAB_SETUP",
    "INJECTED_PARAMETERS",
    "LEARNING_TARGET",
    "PARAMETERS",
    "SOLUTION_ONLY",
    "has_tag",
    "notebook_constants",
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


def notebook_constants(path: Path | str) -> dict[str, Any]:
    """The ``UPPER_CASE = literal`` assignments of a notebook's code cells, by name.

    A notebook's hyperparameters and learning targets are written once, in the notebook;
    the benchmarks and the tests read them from there. Tuple assignments of literals
    (``A, B = 1, 2``) count too; anything computed, and assignments into subscripts or
    attributes, are skipped.

    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
    ...     "A = 1\\nB, C = 2.0, 'x'\\nw = 3\\nD = len([])\\nm[:6, 7] = 1.0\\nE, F = G")])
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "nb.ipynb")
    >>> nbformat.write(nb, path)
    >>> notebook_constants(path)
    {'A': 1, 'B': 2.0, 'C': 'x'}
    """
    constants: dict[str, Any] = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith(("%", "!")):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:  # a cell with IPython magics further down
            continue
        for node in tree.body:
            if not isinstance(node, ast.Assign) or len(node.targets) != 1:
                continue
            target = node.targets[0]
            if not isinstance(target, ast.Name | ast.Tuple):  # a[0] = ..., obj.x = ...
                continue
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError):  # not a literal
                continue
            if isinstance(target, ast.Name):
                names, values = [target], [value]
            elif isinstance(value, tuple | list):
                names, values = target.elts, list(value)
            else:
                continue
            for name, item in zip(names, values, strict=False):
                if isinstance(name, ast.Name) and name.id.isupper():
                    constants[name.id] = item
    return constants
