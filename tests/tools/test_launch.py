"""Launch badges and the Colab setup cell (tools.launch_cells)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import types
from contextlib import redirect_stdout
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from tools import launch_cells as launch
from tools.languages import languages

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "notebooks" / "solutions"
REPO = "https://github.com/deep-rl-course/deep-rl-course"


def toy_notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 1. Title\nSubtitle."),
            nbformat.v4.new_markdown_cell("## Objectives"),
            nbformat.v4.new_code_cell("x = 1"),
        ]
    )


def test_repository_url_is_read_from_pyproject():
    assert launch.repository_url() == REPO
    assert launch.github_slug(launch.repository_url()) == "deep-rl-course/deep-rl-course"


@pytest.mark.parametrize(
    "url", ["http://github.com/a/b", "https://gitlab.com/a/b", "https://github.com/a", ""]
)
def test_github_slug_rejects_other_urls(url):
    with pytest.raises(ValueError, match="Expected"):
        launch.github_slug(url)


def test_badges_point_to_the_student_notebook_of_the_student_edition():
    badges = launch.notebook_badges("01_neural_networks.ipynb", REPO)
    assert (
        "https://colab.research.google.com/github/deep-rl-course/deep-rl-course/blob/student/"
        "notebooks/01_neural_networks.ipynb" in badges
    )
    assert (
        "https://mybinder.org/v2/gh/deep-rl-course/deep-rl-course/student"
        "?urlpath=lab/tree/notebooks/01_neural_networks.ipynb" in badges
    )
    assert "/main/" not in badges and "/HEAD" not in badges  # main carries the solutions
    # A solution path gives the same badges: students open notebooks/NN_name.ipynb.
    assert launch.notebook_badges("notebooks/solutions/01_neural_networks.ipynb", REPO) == badges


def test_readme_badges_open_a_notebook_and_the_course_of_the_student_edition():
    badges = launch.readme_badges(REPO)
    # Colab opens a notebook (a bare repository URL opens Colab's GitHub picker instead)
    colab = re.search(r"\]\((https://colab.research.google.com/github[^)]+)\)", badges)[1]
    assert colab.endswith("/blob/student/notebooks/01_neural_networks.ipynb"), colab
    assert "deep-rl-course/student?urlpath=lab/tree/notebooks)" in badges


@pytest.mark.parametrize(
    ("readme", "folder"),
    [
        ("README.md", "notebooks"),
        *((lang.readme, lang.student_dir.as_posix()) for lang in languages(ROOT / "translations")),
    ],
)
def test_readme_course_tables_open_each_notebook_on_colab_and_binder(readme, folder):
    text = (ROOT / readme).read_text(encoding="utf-8")
    rows = [
        line for line in text.splitlines() if re.match(rf"\| \[\d\d .*\]\({folder}/\d\d_", line)
    ]
    assert len(rows) == len(solution_notebooks()), f"{readme}: course table rows"
    for row in rows:
        name = re.search(rf"\]\({folder}/(\d\d_[a-z0-9_]+\.ipynb)\)", row)[1]
        assert launch.notebook_badges(name, REPO, folder) in row, f"{readme}: {name}"


def test_sync_inserts_after_title_and_is_idempotent():
    nb = toy_notebook()
    assert launch.sync_notebook(nb, "01_x.ipynb", REPO)
    tags = [c.metadata.get("tags", []) for c in nb.cells]
    assert tags[1:3] == [[launch.BADGES_TAG], [launch.SETUP_TAG]]
    assert [c.id for c in nb.cells[1:3]] == ["badges", "colab-setup"]
    assert len(nb.cells) == 5
    assert not launch.sync_notebook(nb, "01_x.ipynb", REPO)
    nbformat.validate(nb)


def test_sync_keeps_execution_results_and_moves_stale_cells():
    nb = toy_notebook()
    launch.sync_notebook(nb, "01_x.ipynb", REPO)
    setup = nb.cells[2]
    setup.execution_count = 1
    setup.metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
    assert not launch.sync_notebook(nb, "01_x.ipynb", REPO), "running a notebook made it stale"
    # An out-of-date copy placed elsewhere is moved back and rewritten.
    nb.cells.append(nb.cells.pop(1))
    nb.cells[-1].source = "old badges"
    assert launch.sync_notebook(nb, "01_x.ipynb", REPO)
    assert nb.cells[1].source == launch.notebook_badges("01_x.ipynb", REPO)
    assert nb.cells[2].execution_count == 1
    assert len(nb.cells) == 5


def test_sync_needs_a_title_cell():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(ValueError, match="title"):
        launch.sync_notebook(nb, "01_x.ipynb", REPO)


def run_setup_cell(namespace: dict) -> str:
    code = TransformerManager().transform_cell(launch.colab_setup_source(REPO))
    out = io.StringIO()
    with redirect_stdout(out):
        exec(compile(code, "<colab-setup>", "exec"), namespace)
    return out.getvalue()


def test_setup_cell_does_nothing_outside_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)

    def no_magic(*args):
        raise AssertionError(f"the setup cell ran {args} outside Colab")

    ip = types.SimpleNamespace(run_line_magic=no_magic)
    assert run_setup_cell({"get_ipython": lambda: ip}) == ""


def test_setup_cell_on_colab_keeps_colabs_packages(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    calls = []
    ip = types.SimpleNamespace(run_line_magic=lambda name, line: calls.append((name, line)))
    run_setup_cell({"get_ipython": lambda: ip})
    assert [name for name, _ in calls] == ["pip", "pip"]
    course, gym = (line for _, line in calls)
    assert "--no-deps" in course and f"git+{REPO}@{launch.release_tag()}" in course
    assert "@main" not in course  # a fixed release, never a moving branch
    assert "koreanize-matplotlib" in course  # the Korean figures' font, without its deps
    assert "gymnasium" in gym and "classic-control" not in gym
    for package in ("torch", "ipywidgets", "pygame", "matplotlib"):
        assert package not in gym, f"the setup cell would replace Colab's {package}"


def test_setup_cell_passes_ruff(tmp_path):
    nb = toy_notebook()
    launch.sync_notebook(nb, "01_x.ipynb", REPO)
    nbformat.write(nb, tmp_path / "01_x.ipynb")
    ruff = [sys.executable, "-m", "ruff"]
    config = ["--config", str(ROOT / "pyproject.toml")]
    for args in (["check", *config], ["format", "--check", *config]):
        done = subprocess.run([*ruff, *args, str(tmp_path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def test_main_writes_then_checks(tmp_path, capsys):
    nbformat.write(toy_notebook(), tmp_path / "01_x.ipynb")
    assert launch.main(["--check", str(tmp_path)]) == 1
    assert launch.main([str(tmp_path)]) == 0
    assert launch.main(["--check", str(tmp_path)]) == 0
    assert "01_x.ipynb" in capsys.readouterr().out


def solution_notebooks() -> list[Path]:
    notebooks = sorted(SOLUTIONS.glob("*.ipynb"))
    if not notebooks:
        pytest.skip("no solution notebooks yet")
    return notebooks


def test_solution_notebooks_have_current_badges_and_setup(capsys):
    solution_notebooks()
    status = launch.main(["--check", str(SOLUTIONS)])
    assert status == 0, capsys.readouterr().out


def test_student_notebooks_carry_the_same_cells():
    for solution in solution_notebooks():
        student = solution.parent.parent / solution.name
        if not student.exists():
            continue
        cells = nbformat.read(student, as_version=4).cells[1:3]
        want = nbformat.read(solution, as_version=4).cells[1:3]
        assert [(c.cell_type, c.source) for c in cells] == [
            (c.cell_type, c.source) for c in want
        ], f"{student.name}: badge/setup cells differ from the solution's; run `make sync`"


def test_readme_has_the_course_badges():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert launch.readme_badges() in readme, (
        "README.md lacks the course badges; paste the output of "
        '`python -c "from tools.launch_cells import readme_badges; print(readme_badges())"`'
    )


def test_setup_cell_pins_a_release_or_a_commit():
    assert '@v0.1.0"' in launch.colab_setup_source(REPO, "v0.1.0")
    assert "@" + "a" * 40 in launch.colab_setup_source(REPO, "a" * 40)
    for ref in ("main", "student", "HEAD", "abc123"):
        with pytest.raises(ValueError, match="release tag"):
            launch.colab_setup_source(REPO, ref)
