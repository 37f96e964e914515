"""The Korean edition (tools/translations.py) against the English notebooks.

- the committed Korean notebooks are what the generator writes (no drift);
- every markdown cell of every notebook has a current Korean translation (CI's
  "every translation is current"), keeping the English's code, formulas and links;
- the proof that the Korean notebooks run: their code cells are the English code cells,
  which nbval executes, plus one line, ``checks.set_language("ko")``; their outputs are the
  English outputs with the success lines translated;
- on a small notebook in a temporary folder: missing, stale, todo, orphan and untranslated
  entries are reported with the notebook and the cell id, ``--check`` exits 1, ``--stub``
  adds what is missing without touching a translation.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode

from course_utils.checks.catalogue import translate_success_lines
from tools import launch_cells
from tools import translations as tr
from tools.cells import BADGES, has_tag
from tools.student_notebooks import solution_notebooks

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "notebooks" / "solutions"
ENGLISH_STUDENT_DIR = ROOT / "notebooks"
OVERLAY_DIR = ROOT / tr.OVERLAY_DIR
KOREAN_STUDENT_DIR = ROOT / tr.STUDENT_DIR
KOREAN_SOLUTION_DIR = ROOT / tr.SOLUTION_DIR
SOURCES = solution_notebooks(SOURCE_DIR)
NOTEBOOKS = [pytest.param(path.name, id=path.stem) for path in SOURCES]


def read(path: Path) -> NotebookNode:
    return nbformat.read(path, as_version=4)


# --------------------------------------------------------------------------- the repository


def test_korean_notebooks_are_what_the_generator_writes() -> None:
    """Drift only: each generated file equals what `make translations` writes now."""
    drift = [
        problem
        for problem in tr.check(SOURCE_DIR, OVERLAY_DIR, KOREAN_STUDENT_DIR, KOREAN_SOLUTION_DIR)
        if not problem.startswith(tuple(p.name for p in SOURCES))
    ]
    assert not drift, "\n".join([*drift, "run `make translations`"])


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_markdown_cell_has_a_current_translation(name: str) -> None:
    nb = read(SOURCE_DIR / name)
    entries = tr._overlay(OVERLAY_DIR, name)
    found = tr.problems(nb, entries, name)
    assert not found, "\n".join(
        [*map(str, found), f"see `python -m tools.translations --todo {name[:2]}`"]
    )


def _code_cells(nb: NotebookNode) -> list[tuple[str, str]]:
    return [(cell.id, cell.source) for cell in nb.cells if cell.cell_type == "code"]


def _without_set_language(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if line != tr.SET_LANGUAGE_LINE)


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.parametrize(
    "folders",
    [(SOURCE_DIR, KOREAN_SOLUTION_DIR), (ENGLISH_STUDENT_DIR, KOREAN_STUDENT_DIR)],
    ids=["solutions", "students"],
)
def test_code_cells_are_the_english_ones_plus_set_language(
    name: str, folders: tuple[Path, Path]
) -> None:
    """The Korean notebooks run because the English ones do (nbval executes those): same
    cells in the same order, same code, except one added line in one cell."""
    english, korean = (read(folder / name) for folder in folders)
    assert [(c.id, c.cell_type) for c in korean.cells] == [
        (c.id, c.cell_type) for c in english.cells
    ]
    added = [
        cell_id
        for (cell_id, source), (_, en_source) in zip(
            _code_cells(korean), _code_cells(english), strict=True
        )
        if source != en_source
    ]
    assert len(added) == 1, f"set_language should be added to one cell, not {added}"
    for (_, source), (_, en_source) in zip(_code_cells(korean), _code_cells(english), strict=True):
        assert _without_set_language(source) == en_source
    setup = next(c.source for c in korean.cells if c.id == added[0])
    assert setup.count(tr.SET_LANGUAGE_LINE) == 1
    lines = setup.split("\n")
    before = lines[lines.index(tr.SET_LANGUAGE_LINE) - 1]
    assert "checks" in before or before.strip() == ")", "right after the import of checks"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_outputs_are_the_english_ones_with_success_lines_in_korean(name: str) -> None:
    english, korean = read(SOURCE_DIR / name), read(KOREAN_SOLUTION_DIR / name)
    for en_cell, ko_cell in zip(english.cells, korean.cells, strict=True):
        if en_cell.cell_type != "code":
            continue
        assert len(ko_cell.outputs) == len(en_cell.outputs)
        assert ko_cell.get("execution_count") == en_cell.get("execution_count")
        for en_out, ko_out in zip(en_cell.outputs, ko_cell.outputs, strict=True):
            if en_out.output_type == "stream":
                assert ko_out.text == translate_success_lines(en_out.text, "ko")
                assert "properties hold." not in ko_out.text
            else:
                assert ko_out == en_out


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_badges_open_the_korean_notebook(name: str) -> None:
    for folder in (KOREAN_SOLUTION_DIR, KOREAN_STUDENT_DIR):
        badges = [c for c in read(folder / name).cells if has_tag(c, BADGES)]
        assert len(badges) == 1
        assert badges[0].source == launch_cells.notebook_badges(name, folder="notebooks/ko")
        assert f"notebooks/ko/{name}" in badges[0].source


def test_readme_ko_badges_and_glossary() -> None:
    readme = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    for source in SOURCES:
        assert launch_cells.notebook_badges(source.name, folder="notebooks/ko") in readme
    for term in (
        "타깃 네트워크",
        "경험 재현 메모리",
        "replay memory",
        "부트스트랩",
        "과대추정",
        "terminated",
        "truncated",
        "행동 정책",
        "목표 정책",
        "온폴리시",
        "오프폴리시",
    ):
        assert term in readme
    for command in ("make lab", "make test"):
        assert command in readme
    assert "README.ko.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- a small course


def _notebook(title: str = "# Title", prose: str = "Use `gather` on $q$.") -> NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(title, id="title"),
        nbformat.v4.new_markdown_cell("badges", id="badges", metadata={"tags": [BADGES]}),
        nbformat.v4.new_code_cell(
            "%matplotlib inline\nfrom course_utils import (\n    checks,\n)\nx = 1", id="setup"
        ),
        nbformat.v4.new_markdown_cell(prose, id="prose"),
        nbformat.v4.new_code_cell(
            "def f(x):\n    # Exercise 1.1: return x\n    ### BEGIN SOLUTION\n    return x\n"
            "    ### END SOLUTION\nchecks.check_f(f)",
            id="exercise",
        ),
    ]
    nb.cells[4].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="✅ f: all 3 properties hold.\n")
    ]
    return nb


@pytest.fixture
def course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with one notebook and a pyproject (the badges read its URL)."""
    (tmp_path / "pyproject.toml").write_text(
        '[project.urls]\nRepository = "https://github.com/o/r"\n', encoding="utf-8"
    )
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    nbformat.write(_notebook(), tmp_path / "notebooks" / "solutions" / "01_x.ipynb")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write_overlay(course: Path, text: str) -> None:
    (course / tr.OVERLAY_DIR).mkdir(parents=True, exist_ok=True)
    (course / tr.OVERLAY_DIR / "01_x.md").write_text(text, encoding="utf-8")


def _translated(title: str = "# Title", prose: str = "Use `gather` on $q$.") -> str:
    return (
        f"<!-- cell: title en: {tr.source_hash(title)} -->\n# 제목\n\n"
        f"<!-- cell: prose en: {tr.source_hash(prose)} -->\n$q$에 `gather`를 쓰세요.\n"
    )


def test_a_missing_translation_fails_the_check_naming_notebook_and_cell(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tr.main([]) == 0  # generating works without any translation (English shown)
    assert tr.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "01_x.ipynb: cell title: markdown cell has no translation" in err
    assert "01_x.ipynb: cell prose: markdown cell has no translation" in err


def test_a_complete_translation_passes(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_overlay(course, _translated())
    assert tr.main([]) == 0
    assert tr.main(["--check"]) == 0, capsys.readouterr().err
    korean = read(course / "notebooks" / "ko" / "solutions" / "01_x.ipynb")
    assert korean.cells[0].source == "# 제목"
    assert korean.cells[2].source.split("\n")[4] == tr.SET_LANGUAGE_LINE  # after the `)`
    assert korean.cells[4].outputs[0].text == "✅ f: 3개 속성을 모두 만족합니다.\n"
    assert "notebooks/ko/01_x.ipynb" in korean.cells[1].source
    student = read(course / "notebooks" / "ko" / "01_x.ipynb")
    assert 'raise NotImplementedError("Exercise 1.1: return x")' in student.cells[4].source
    assert student.cells[4].outputs == []


def test_a_changed_english_source_makes_the_translation_stale(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_overlay(course, _translated())
    nbformat.write(
        _notebook(prose="Use `gather` on $q$, row by row."),
        course / "notebooks" / "solutions" / "01_x.ipynb",
    )
    tr.main([])
    korean = read(course / "notebooks" / "ko" / "solutions" / "01_x.ipynb")
    assert (
        korean.cells[3].source == "Use `gather` on $q$, row by row."
    )  # English, not outdated Korean
    assert tr.main(["--check"]) == 1
    assert "01_x.ipynb: cell prose: English source changed since it was translated" in (
        capsys.readouterr().err
    )
    tr.main(["--todo"])
    out = capsys.readouterr().out
    assert "row by row" in out and "$q$에 `gather`를 쓰세요." in out


def test_generated_notebooks_out_of_date_fail_the_check(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_overlay(course, _translated())
    tr.main([])
    _write_overlay(course, _translated().replace("# 제목", "# 새 제목"))
    assert tr.main(["--check"]) == 1
    assert "differs from what the generator writes" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("overlay", "kind"),
    [
        (_translated().replace(" -->\n# 제목", " todo -->\n# 제목"), "todo"),
        (_translated() + "\n<!-- cell: gone en: 000000000000 -->\n사라진 셀\n", "orphan"),
        (_translated().replace("# 제목", "# Title again"), "english"),
        (_translated().replace("$q$에 `gather`", "q에 `gather`"), "markup"),
        (_translated().replace("# 제목", "**제목(title)**은"), "emphasis"),
    ],
    ids=["todo", "orphan", "english", "markup", "emphasis"],
)
def test_each_kind_of_problem_is_reported(course: Path, overlay: str, kind: str) -> None:
    _write_overlay(course, overlay)
    nb = read(course / "notebooks" / "solutions" / "01_x.ipynb")
    found = tr.problems(nb, tr._overlay(course / tr.OVERLAY_DIR, "01_x.ipynb"), "01_x.ipynb")
    assert [p.kind for p in found] == [kind]


def test_malformed_or_duplicate_headers_are_refused() -> None:
    with pytest.raises(ValueError, match="malformed entry header"):
        tr.parse_overlay("<!-- cell: a en: xyz -->\n텍스트\n", "01_x.md")
    with pytest.raises(ValueError, match="appears twice"):
        tr.parse_overlay(
            "<!-- cell: a en: 000000000000 -->\n가\n<!-- cell: a en: 000000000000 -->\n나\n"
        )


def test_stub_adds_missing_cells_and_keeps_translations(course: Path) -> None:
    _write_overlay(course, _translated().split("\n\n")[0] + "\n")  # only the title translated
    assert tr.stub() == [tr.OVERLAY_DIR / "01_x.md"]
    entries = tr._overlay(course / tr.OVERLAY_DIR, "01_x.ipynb")
    assert entries["title"].text == "# 제목" and not entries["title"].todo
    assert entries["prose"].todo and entries["prose"].text == "Use `gather` on $q$."
    assert tr.stub() == []  # idempotent
    nbformat.write(_notebook(prose="New prose."), course / "notebooks" / "solutions" / "01_x.ipynb")
    tr.stub()
    assert tr._overlay(course / tr.OVERLAY_DIR, "01_x.ipynb")["prose"].text == "New prose."


def test_a_notebook_that_never_imports_checks_is_refused() -> None:
    nb = _notebook()
    nb.cells[2].source = "x = 1"
    with pytest.raises(ValueError, match="no code cell imports `checks`"):
        tr.translate_notebook(nb, {}, "01_x.ipynb")


def test_message_templates_are_found() -> None:
    templates = tr.message_templates()
    assert "✅ {exercise}: all {n} properties hold." in templates
    assert all(re.fullmatch(r"\w+\.py:\d+", where) for where in templates.values())
