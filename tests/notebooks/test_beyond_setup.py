"""Notebook 06 needs MinAtar (the ``beyond`` extra): without it, the setup cell stops with a
message that names the install command, not with a bare ModuleNotFoundError for ``minatar``;
and the Colab cell installs it there."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = [
    ROOT / "notebooks" / "solutions" / "06_beyond_dqn.ipynb",
    ROOT / "notebooks" / "06_beyond_dqn.ipynb",
    ROOT / "notebooks" / "ko" / "06_beyond_dqn.ipynb",
]


def cell(path: Path, cell_id: str) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.id == cell_id)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_setup_without_minatar_names_the_install_command(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "minatar" or m.startswith("minatar.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "minatar", None)  # import minatar now fails
    source = cell(path, "imports").replace("torch.set_num_threads(1)", "")
    with pytest.raises(ModuleNotFoundError) as missing:
        exec(compile(source, f"{path.name}:imports", "exec"), {})
    message = str(missing.value)
    assert 'pip install -e ".[beyond]"' in message
    assert "minatar>=1.0.15" in message


def test_colab_cell_installs_minatar() -> None:
    source = cell(NOTEBOOKS[1], "colab-beyond")
    assert '"google.colab" in sys.modules' in source
    assert '%pip install --quiet "minatar>=1.0.15"' in source
