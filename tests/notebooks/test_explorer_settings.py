"""The explorers open at the notebook's own settings (issue 19): notebook 04's ε-schedule
explorer is given the ε schedule it trains with, not the widget's defaults."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat

from tools.cells import notebook_constants

NOTEBOOK = (
    Path(__file__).resolve().parents[2] / "notebooks/solutions/04_deep_q_learning_cartpole.ipynb"
)


def explorer_call() -> ast.Call:
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code" and "epsilon_schedule_explorer(" in cell.source:
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == (
                    "epsilon_schedule_explorer"
                ):
                    return node
    raise AssertionError("notebook 04 shows no epsilon_schedule_explorer")


def test_epsilon_explorer_opens_at_the_training_schedule() -> None:
    keywords = {k.arg: k.value for k in explorer_call().keywords}
    constants = notebook_constants(NOTEBOOK)
    names = {name: constants[name] for name in constants}
    values = {
        arg: eval(compile(ast.Expression(node), "<explorer>", "eval"), {}, names)  # noqa: S307
        for arg, node in keywords.items()
        if arg in ("start", "end", "fraction", "total_steps")
    }
    assert values == {
        "start": constants["EPSILON_START"],
        "end": constants["EPSILON_END"],
        "fraction": constants["EPSILON_DECAY_STEPS"] / constants["MAX_STEPS"],
        "total_steps": constants["MAX_STEPS"],
    }
