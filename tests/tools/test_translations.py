"""The Korean edition (tools/translations.py) against the English notebooks.

- the committed Korean notebooks are what the generator writes (no drift);
- every markdown cell of every notebook has a current Korean translation (CI's
  "every translation is current"), keeping the English's code, formulas and links;
- the proof that the Korean notebooks run: their code cells are the English code cells,
  which nbval executes, plus one line, ``checks.set_language("ko")``; their outputs are the
  English outputs with the success lines translated, or, once executed in the language
  (``make translated-outputs``), that run's outputs, kept while what it ran is current;
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

from course_utils.checks import catalogue as messages
from course_utils.checks.catalogue import translate_success_lines
from tools import launch_cells
from tools import translations as tr
from tools.cells import BADGES, has_tag
from tools.languages import Language, language, languages
from tools.student_notebooks import solution_notebooks

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIR = ROOT / "notebooks" / "solutions"
ENGLISH_STUDENT_DIR = ROOT / "notebooks"
SOURCES = solution_notebooks(SOURCE_DIR)
NOTEBOOKS = [pytest.param(path.name, id=path.stem) for path in SOURCES]
LANGUAGES = [pytest.param(lang, id=lang.code) for lang in languages(ROOT / "translations")]


def read(path: Path) -> NotebookNode:
    return nbformat.read(path, as_version=4)


# --------------------------------------------------------------------------- the repository


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tools run from the repository root (their paths are relative to it)."""
    monkeypatch.chdir(ROOT)


def test_the_course_has_a_translation() -> None:
    assert LANGUAGES, "translations/ holds no language folder"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translated_notebooks_are_what_the_generator_writes(lang: Language, at_root: None) -> None:
    """Drift only: each generated file equals what `make sync` writes now."""
    drift = [
        problem
        for problem in tr.check(SOURCE_DIR, only=[lang.code])
        if not problem.startswith(f"{lang.overlay_dir}: ")
    ]
    assert not drift, "\n".join([*drift, "run `make sync`"])


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_markdown_cell_has_a_current_translation(lang: Language, name: str) -> None:
    nb = read(SOURCE_DIR / name)
    entries = tr._overlay(ROOT / lang.overlay_dir, name)
    found = tr.problems(nb, entries, name, lang)
    assert not found, "\n".join(
        [
            *map(str, found),
            f"see `python -m tools.translations --todo --lang {lang.code} {name[:2]}`",
        ]
    )


def _code_cells(nb: NotebookNode) -> list[tuple[str, str]]:
    return [(cell.id, cell.source) for cell in nb.cells if cell.cell_type == "code"]


def _without_set_language(source: str, lang: Language) -> str:
    return "\n".join(line for line in source.split("\n") if line != lang.set_language_line)


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.parametrize("edition", ["solutions", "students"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_code_cells_are_the_english_ones_plus_set_language(
    lang: Language, edition: str, name: str
) -> None:
    """The translated notebooks run because the English ones do (nbval executes those): same
    cells in the same order, same code, except one added line in one cell."""
    folders = {
        "solutions": (SOURCE_DIR, ROOT / lang.solution_dir),
        "students": (ENGLISH_STUDENT_DIR, ROOT / lang.student_dir),
    }[edition]
    english, translated = (read(folder / name) for folder in folders)
    assert [(c.id, c.cell_type) for c in translated.cells] == [
        (c.id, c.cell_type) for c in english.cells
    ]
    added = [
        cell_id
        for (cell_id, source), (_, en_source) in zip(
            _code_cells(translated), _code_cells(english), strict=True
        )
        if source != en_source
    ]
    assert len(added) == 1, f"set_language should be added to one cell, not {added}"
    for (_, source), (_, en_source) in zip(
        _code_cells(translated), _code_cells(english), strict=True
    ):
        assert _without_set_language(source, lang) == en_source
    setup = next(c.source for c in translated.cells if c.id == added[0])
    assert setup.count(lang.set_language_line) == 1
    lines = setup.split("\n")
    before = lines[lines.index(lang.set_language_line) - 1]
    assert "checks" in before or before.strip() == ")", "right after the import of checks"


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_outputs_are_the_english_ones_with_success_lines_translated(
    lang: Language, name: str
) -> None:
    english, translated = read(SOURCE_DIR / name), read(ROOT / lang.solution_dir / name)
    if not tr.english_run(translated):
        pytest.skip("executed in its language (make translated-outputs): its own outputs")
    for en_cell, tr_cell in zip(english.cells, translated.cells, strict=True):
        if en_cell.cell_type != "code":
            continue
        assert len(tr_cell.outputs) == len(en_cell.outputs)
        assert tr_cell.get("execution_count") == en_cell.get("execution_count")
        for en_out, tr_out in zip(en_cell.outputs, tr_cell.outputs, strict=True):
            if en_out.output_type == "stream":
                assert tr_out.text == translate_success_lines(en_out.text, lang.code)
            else:
                assert tr_out == en_out


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_badges_open_the_translated_notebook(lang: Language, name: str) -> None:
    folder = lang.student_dir.as_posix()
    for path in (ROOT / lang.solution_dir, ROOT / lang.student_dir):
        badges = [c for c in read(path / name).cells if has_tag(c, BADGES)]
        assert len(badges) == 1
        assert badges[0].source == launch_cells.notebook_badges(name, folder=folder)
        assert f"{folder}/{name}" in badges[0].source


@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_translation_has_a_readme_with_the_badges(lang: Language) -> None:
    readme = (ROOT / lang.readme).read_text(encoding="utf-8")
    for source in SOURCES:
        assert (
            launch_cells.notebook_badges(source.name, folder=lang.student_dir.as_posix()) in readme
        )
    for command in ("make lab", "make test"):
        assert command in readme
    assert lang.readme in (ROOT / "README.md").read_text(encoding="utf-8")


# Korean content: what the Korean edition itself must say.


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_korean_outputs_have_no_english_success_line(name: str) -> None:
    korean = read(ROOT / language("ko", ROOT / "translations").solution_dir / name)
    for cell in korean.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                assert "properties hold." not in output.text


def test_readme_ko_glossary() -> None:
    readme = (ROOT / "README.ko.md").read_text(encoding="utf-8")
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


# --------------------------------------------------------------------------- a small course
# In a language the course does not have (Esperanto, "eo"): a language is a folder of
# translations/ and a catalogue, nothing in tools/translations.py.

ESPERANTO = "eo"
SUCCESS_EO = "✅ {exercise}: ĉiuj {n} ecoj validas."
LANGUAGE_TOML = (
    'name = "Esperanto"\nset_language_comment = "mesaĝoj en Esperanto"\nletters = "(?i)[ĉĝĥĵŝŭ]"\n'
)


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
    """A repository with one notebook, a pyproject (the badges read its URL) and one
    language, Esperanto: its folder of translations/ and its catalogue."""
    (tmp_path / "pyproject.toml").write_text(
        '[project.urls]\nRepository = "https://github.com/o/r"\n', encoding="utf-8"
    )
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    nbformat.write(_notebook(), tmp_path / "notebooks" / "solutions" / "01_x.ipynb")
    (tmp_path / "translations" / ESPERANTO).mkdir(parents=True)
    (tmp_path / "translations" / ESPERANTO / "language.toml").write_text(
        LANGUAGE_TOML, encoding="utf-8"
    )
    # The catalogue: every check message (here the English itself), the success line in Esperanto.
    catalogue = {template: template for template in tr.message_templates()}
    monkeypatch.setitem(messages.LANGUAGES, ESPERANTO, {**catalogue, messages.SUCCESS: SUCCESS_EO})
    monkeypatch.chdir(tmp_path)
    return tmp_path


def eo() -> Language:
    return language(ESPERANTO)


def _write_overlay(course: Path, text: str) -> None:
    (course / eo().overlay_dir / "01_x.md").write_text(text, encoding="utf-8")


def _translated(title: str = "# Title", prose: str = "Use `gather` on $q$.") -> str:
    return (
        f"<!-- cell: title en: {tr.source_hash(title)} -->\n# Ĉefa titolo\n\n"
        f"<!-- cell: prose en: {tr.source_hash(prose)} -->\nUzu `gather` ĉe $q$.\n"
    )


def test_a_missing_translation_fails_the_check_naming_notebook_and_cell(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tr.main([]) == 0  # generating works without any translation (English shown)
    assert tr.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "translations/eo: 01_x.ipynb: cell title: markdown cell has no translation" in err
    assert "01_x.ipynb: cell prose: markdown cell has no translation" in err
    assert "make sync" in err


def test_a_complete_translation_passes(course: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_overlay(course, _translated())
    assert tr.main([]) == 0
    assert tr.main(["--check"]) == 0, capsys.readouterr().err
    translated = read(course / "notebooks" / "eo" / "solutions" / "01_x.ipynb")
    assert translated.cells[0].source == "# Ĉefa titolo"
    setup_line = translated.cells[2].source.split("\n")[4]  # after the `)` of the import
    assert setup_line == 'checks.set_language("eo")  # mesaĝoj en Esperanto'
    assert translated.cells[4].outputs[0].text == "✅ f: ĉiuj 3 ecoj validas.\n"
    assert "notebooks/eo/01_x.ipynb" in translated.cells[1].source
    assert translated.metadata["language"] == "eo"
    student = read(course / "notebooks" / "eo" / "01_x.ipynb")
    assert 'raise NotImplementedError("Exercise 1.1: return x")' in student.cells[4].source
    assert student.cells[4].outputs == []


def test_two_languages_side_by_side(course: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second folder is a second edition; --lang limits a command to one of them."""
    _write_overlay(course, _translated())
    (course / "translations" / "pt-BR").mkdir()
    monkeypatch.setitem(messages.LANGUAGES, "pt-BR", messages.LANGUAGES[ESPERANTO])
    assert [lang.code for lang in languages()] == ["eo", "pt-BR"]
    assert tr.main(["--lang", "pt-BR"]) == 0
    assert (course / "notebooks" / "pt-BR" / "solutions" / "01_x.ipynb").exists()
    assert not (course / "notebooks" / "eo").exists()
    assert tr.main([]) == 0
    assert (course / "notebooks" / "eo" / "01_x.ipynb").exists()
    assert tr.main(["--stub", "--lang", "pt-BR"]) == 0
    assert (course / "translations" / "pt-BR" / "01_x.md").exists()
    assert tr.main(["--check", "--lang", "eo"]) == 0
    assert tr.main(["--check"]) == 1  # pt-BR's entries are todo


def _execute(course: Path, text: str = "ŝajnigita\n") -> Path:
    """What `python -m tools.run_notebooks` does to the translated notebook, without a kernel:
    new outputs, and the mark of what ran."""
    path = course / "notebooks" / "eo" / "solutions" / "01_x.ipynb"
    nb = read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    nb.metadata[tr.OUTPUTS] = tr.executed_mark(path.relative_to(course), nb)
    nbformat.write(nb, path)
    return path


def _outputs(path: Path) -> list[str]:
    return [o.text for c in read(path).cells if c.cell_type == "code" for o in c.outputs]


def test_executed_outputs_are_kept_while_what_ran_is_current(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_overlay(course, _translated())
    assert tr.main([]) == 0
    assert "01_x.ipynb: outputs from the English run" in capsys.readouterr().err
    path = _execute(course)
    assert tr.main([]) == 0
    assert tr.main(["--check"]) == 0
    assert "English run" not in capsys.readouterr().err
    assert _outputs(path) == ["ŝajnigita\n", "ŝajnigita\n"]
    assert tr.english_outputs() == []
    # The student notebook carries neither outputs nor the mark.
    student = read(course / "notebooks" / "eo" / "01_x.ipynb")
    assert tr.OUTPUTS not in student.metadata
    # A change to the markdown keeps them: the code and its English run are the same.
    _write_overlay(course, _translated().replace("Ĉefa titolo", "Alia titolo"))
    assert tr.main([]) == 0
    assert _outputs(path) == ["ŝajnigita\n", "ŝajnigita\n"]


def _edit_english(course: Path, change: str) -> None:
    source = course / "notebooks" / "solutions" / "01_x.ipynb"
    nb = read(source)
    if change == "code":
        nb.cells[2].source += "\ny = 2"
    else:  # the English notebook re-executed: other outputs
        nb.cells[4].outputs[0].text = "✅ f: all 4 properties hold.\n"
    nbformat.write(nb, source)


@pytest.mark.parametrize("change", ["code", "english outputs", "hand-edited code", "catalogue"])
def test_executed_outputs_fall_back_to_the_english_run_when_stale(
    course: Path, change: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _write_overlay(course, _translated())
    assert tr.main([]) == 0
    path = _execute(course)
    if change == "hand-edited code":
        nb = read(path)
        nb.cells[2].source += "\nz = 3"
        nb.metadata[tr.OUTPUTS] = tr.executed_mark(path.relative_to(course), nb)
        nbformat.write(nb, path)
    elif change == "catalogue":
        catalogue = {**messages.LANGUAGES[ESPERANTO], messages.SUCCESS: "✅ {exercise}: {n} ecoj."}
        monkeypatch.setitem(messages.LANGUAGES, ESPERANTO, catalogue)
    else:
        _edit_english(course, change)
    capsys.readouterr()
    assert tr.main([]) == 0
    outputs = _outputs(path)
    assert "ŝajnigita\n" not in outputs and outputs[-1].startswith("✅ f: ")
    assert tr.english_outputs() == [Path("notebooks/eo/solutions/01_x.ipynb")]
    assert tr.main(["--check"]) == 0, "a warning, not a failure"
    err = capsys.readouterr().err
    assert "warning: notebooks/eo/solutions/01_x.ipynb: outputs from the English run" in err
    assert "make translated-outputs" in err
    assert tr.main(["--english-outputs"]) == 0
    assert capsys.readouterr().out == "notebooks/eo/solutions/01_x.ipynb\n"


def test_a_language_without_a_catalogue_is_refused(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (course / "translations" / "xx").mkdir()
    assert tr.main(["--lang", "xx"]) == 2
    assert "no check-message catalogue for 'xx'" in capsys.readouterr().err
    assert tr.main(["--check", "--lang", "xx"]) == 1
    assert "no check-message catalogue" in capsys.readouterr().err


def test_a_changed_english_source_makes_the_translation_stale(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_overlay(course, _translated())
    nbformat.write(
        _notebook(prose="Use `gather` on $q$, row by row."),
        course / "notebooks" / "solutions" / "01_x.ipynb",
    )
    tr.main([])
    translated = read(course / "notebooks" / "eo" / "solutions" / "01_x.ipynb")
    assert translated.cells[3].source == "Use `gather` on $q$, row by row."  # not outdated
    assert tr.main(["--check"]) == 1
    assert "01_x.ipynb: cell prose: English source changed since it was translated" in (
        capsys.readouterr().err
    )
    tr.main(["--todo"])
    out = capsys.readouterr().out
    assert "row by row" in out and "Uzu `gather` ĉe $q$." in out


def test_generated_notebooks_out_of_date_fail_the_check(
    course: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_overlay(course, _translated())
    tr.main([])
    _write_overlay(course, _translated().replace("# Ĉefa titolo", "# Nova ĉefa titolo"))
    assert tr.main(["--check"]) == 1
    assert "differs from what the generator writes (run `make sync`)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("overlay", "kind"),
    [
        (_translated().replace(" -->\n# Ĉefa", " todo -->\n# Ĉefa"), "todo"),
        (_translated() + "\n<!-- cell: gone en: 000000000000 -->\nForiris\n", "orphan"),
        (_translated().replace("# Ĉefa titolo", "# Title again"), "english"),
        (_translated().replace("$q$.", "q."), "markup"),
        (_translated().replace("# Ĉefa titolo", "**Ĉefa (title)**a"), "emphasis"),
    ],
    ids=["todo", "orphan", "english", "markup", "emphasis"],
)
def test_each_kind_of_problem_is_reported(course: Path, overlay: str, kind: str) -> None:
    _write_overlay(course, overlay)
    nb = read(course / "notebooks" / "solutions" / "01_x.ipynb")
    found = tr.problems(
        nb, tr._overlay(course / eo().overlay_dir, "01_x.ipynb"), "01_x.ipynb", eo()
    )
    assert [p.kind for p in found] == [kind]
    if kind == "english":
        assert "translation has no Esperanto in it" in str(found[0])


def test_without_letters_an_unchanged_english_cell_is_untranslated(course: Path) -> None:
    """A language.toml without `letters`: a translation must differ from the English."""
    (course / eo().overlay_dir / "language.toml").write_text('name = "Esperanto"\n')
    _write_overlay(course, _translated().replace("# Ĉefa titolo", "# Title"))
    nb = read(course / "notebooks" / "solutions" / "01_x.ipynb")
    found = tr.problems(
        nb, tr._overlay(course / eo().overlay_dir, "01_x.ipynb"), "01_x.ipynb", eo()
    )
    assert [(p.cell_id, p.kind) for p in found] == [("title", "english")]
    assert eo().set_language_line == 'checks.set_language("eo")'


def test_malformed_or_duplicate_headers_are_refused() -> None:
    with pytest.raises(ValueError, match="malformed entry header"):
        tr.parse_overlay("<!-- cell: a en: xyz -->\ntext\n", "01_x.md")
    with pytest.raises(ValueError, match="appears twice"):
        tr.parse_overlay(
            "<!-- cell: a en: 000000000000 -->\na\n<!-- cell: a en: 000000000000 -->\nb\n"
        )


def test_stub_adds_missing_cells_and_keeps_translations(course: Path) -> None:
    _write_overlay(course, _translated().split("\n\n")[0] + "\n")  # only the title translated
    assert tr.stub(eo()) == [eo().overlay_dir / "01_x.md"]
    entries = tr._overlay(course / eo().overlay_dir, "01_x.ipynb")
    assert entries["title"].text == "# Ĉefa titolo" and not entries["title"].todo
    assert entries["prose"].todo and entries["prose"].text == "Use `gather` on $q$."
    assert tr.stub(eo()) == []  # idempotent
    nbformat.write(_notebook(prose="New prose."), course / "notebooks" / "solutions" / "01_x.ipynb")
    tr.stub(eo())
    assert tr._overlay(course / eo().overlay_dir, "01_x.ipynb")["prose"].text == "New prose."


def test_stub_starts_a_new_language(course: Path) -> None:
    assert tr.main(["--stub", "--lang", "fr"]) == 0
    text = (course / "translations" / "fr" / "01_x.md").read_text(encoding="utf-8")
    assert text.startswith("<!-- fr overlay of notebooks/solutions/01_x.ipynb")
    assert f"<!-- cell: title en: {tr.source_hash('# Title')} todo -->" in text


def test_a_notebook_that_never_imports_checks_is_refused(course: Path) -> None:
    nb = _notebook()
    nb.cells[2].source = "x = 1"
    with pytest.raises(ValueError, match="no code cell imports `checks`"):
        tr.translate_notebook(nb, {}, "01_x.ipynb", eo())


def test_message_templates_are_found() -> None:
    templates = tr.message_templates()
    assert "✅ {exercise}: all {n} properties hold." in templates
    assert all(re.fullmatch(r"\w+\.py:\d+", where) for where in templates.values())


def test_the_tool_names_no_language() -> None:
    """Languages are data: no language code, folder or script in tools/translations.py's code
    (its docstrings may show examples)."""
    import ast

    tree = ast.parse(Path(tr.__file__).read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    strings = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]
    codes = [lang.code for lang in languages(ROOT / "translations")]
    for text in strings:
        assert text not in codes, f"tools/translations.py names the language {text!r}"
        assert not any(f"/{code}" in text or f"{code}/" in text for code in codes), text
        assert not re.search(r"[\u0080-\uffff]", text) or text.startswith("✅"), text
