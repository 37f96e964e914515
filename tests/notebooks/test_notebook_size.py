"""The notebooks stay small: no stored widget state, and no notebook over 1.5 MB.

Widget state (every quiz button's layout and style models) once doubled notebooks 01 and 02;
a live kernel rebuilds the widgets on Run All, so the files never need it
(tools/run_notebooks.py stores none, tools/student_notebooks.py drops it).
"""

from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(
    p for p in (REPO / "notebooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
)
LIMIT = 1_500_000  # bytes; 03, with its inline animation, is the largest (about 1.3 MB)


def test_the_notebooks_are_found() -> None:
    assert len(NOTEBOOKS) >= 24  # 6 notebooks x (solution, student) x (English, Korean)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(REPO)))
def test_no_widget_state_and_small(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    assert "widgets" not in nb.metadata, (
        f"{path.name}: stored widget state; re-run with tools.run_notebooks"
    )
    assert path.stat().st_size < LIMIT, f"{path.name}: {path.stat().st_size:,} bytes"
