"""The READMEs' course maps are written from the notebooks and the registry (tools.course_map)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tools import course_map
from tools import exercises as registry
from tools.launch_cells import notebook_badges

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_course_maps_are_current(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    changed, problems = course_map.run(ROOT, check=True)
    assert (changed, problems) == ([], [])


def test_the_exercise_column_lists_the_registry_with_the_headings_titles() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if "(notebooks/03_deep_sarsa" in line)
    exercises = course_map.split_row(row)[-1]
    numbers = [part.split(" ")[0] for part in exercises.split(" · ")]
    assert numbers == [
        e.number for e in registry.by_notebook(registry.load())["03_deep_sarsa_mountaincar"]
    ]
    assert "3.1 the replay memory" in exercises


# --------------------------------------------------------------------------- a small course

README = """# Course
## Course map

| notebook | open | topics | time | exercises |
|---|---|---|---|---|
| [01 · Old title](notebooks/01_x.ipynb) | old badges | layers, `a | b` | 60 min | 1.1 stale |
| [09 · Gone](notebooks/09_gone.ipynb) | x | y | 1 min | — |

## License
"""


def _notebook(title: str, *headings: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(title, id="title")]
    nb.cells += [nbformat.v4.new_markdown_cell(h, id=f"h{i}") for i, h in enumerate(headings)]
    return nb


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[project.urls]\nRepository = "https://github.com/o/r"\n', encoding="utf-8"
    )
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    nbformat.write(
        _notebook(
            "# 01 · Layers\n*subtitle*",
            "### Exercise 1.1 — a layer (5 min)",
            "text\n### Exercise 1.2 — a step (3 min)",
        ),
        tmp_path / "notebooks" / "solutions" / "01_x.ipynb",
    )
    nbformat.write(_notebook("# 02 · New"), tmp_path / "notebooks" / "solutions" / "02_y.ipynb")
    (tmp_path / "README.md").write_text(README, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


TABLE = {
    "1.1": registry.Exercise("1.1", "01_x", "check_a", "m", 1, 5),
    "1.2": registry.Exercise("1.2", "01_x", "check_b", "m", 1, 3),
}


def test_rows_are_rewritten_added_and_reported(course: Path) -> None:
    edition = course_map.editions(course)[0]
    text, notes = course_map.rewrite(README, edition, TABLE)
    rows = [line for line in text.splitlines() if line.startswith("| [")]
    assert rows[0] == (
        "| [01 · Layers](notebooks/01_x.ipynb) | "
        f"{notebook_badges('01_x.ipynb', folder='notebooks')} | layers, `a | b` | 60 min | "
        "1.1 a layer · 1.2 a step |"
    )
    assert rows[2].startswith("| [02 · New](notebooks/02_y.ipynb) | ")
    assert rows[2].endswith(" |  |  | — |")  # topics and time to write
    assert any("row 02_y: write its topics and time" in note for note in notes)
    assert any("row 09_gone: no notebook" in note for note in notes)
    assert course_map.rewrite(text, edition, TABLE)[0] == text  # idempotent


def test_a_translated_readme_uses_its_own_headings(course: Path) -> None:
    (course / "translations" / "eo").mkdir(parents=True)
    (course / "notebooks" / "eo" / "solutions").mkdir(parents=True)
    nbformat.write(
        _notebook(
            "# 01 · Tavoloj", "### Ekzerco 1.1 — tavolo (5 min)", "### Ekzerco 1.2 — paŝo (3 min)"
        ),
        course / "notebooks" / "eo" / "solutions" / "01_x.ipynb",
    )
    (course / "README.eo.md").write_text(
        README.replace("notebooks/01_x", "notebooks/eo/01_x").replace("\n| [09", "\n<!-- [09"),
        encoding="utf-8",
    )
    editions = course_map.editions(course)
    assert [e.readme.name for e in editions] == ["README.md", "README.eo.md"]
    text, _ = course_map.rewrite((course / "README.eo.md").read_text(), editions[1], TABLE)
    assert "| [01 · Tavoloj](notebooks/eo/01_x.ipynb) |" in text
    assert "| 1.1 tavolo · 1.2 paŝo |" in text


def test_main_writes_then_checks(
    course: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(course_map.registry, "load", lambda path=None: TABLE)
    assert course_map.main(["--check"]) == 1
    assert "README.md: course map out of date (run `make sync`)" in capsys.readouterr().err
    assert course_map.main([]) == 1  # written, but two rows need a person
    assert "1.1 a layer · 1.2 a step" in (course / "README.md").read_text(encoding="utf-8")
    assert "course map out of date" not in capsys.readouterr().err
