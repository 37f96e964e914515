"""Lecture decks from the solution notebooks (tools.slides, `make slides`): the slide rule,
no solutions unless asked for, never a solution marker or a solution-only cell."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from tools import slides
from tools.student_notebooks import find_regions, make_student_notebook

ROOT = Path(__file__).resolve().parents[2]
EDITIONS = [ROOT / "notebooks" / "solutions", ROOT / "notebooks" / "ko" / "solutions"]
NOTEBOOKS = sorted(p for folder in EDITIONS for p in folder.glob("[0-9][0-9]*.ipynb"))

md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell

LONG_CODE = "\n".join(f"value_{i} = {i}" for i in range(40))
EXERCISE = '''def double(x):
    """Twice x."""
    # Exercise 1.1: return x doubled
    ### BEGIN SOLUTION
    secret_answer = 2 * x
    return secret_answer
    ### END SOLUTION'''


def toy_notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[
            md("# 01 · Toy\n*A subtitle for the title slide.*", id="title"),
            md("badges here", metadata={"tags": ["badges"]}, id="badges"),
            code("import sys  # colab", metadata={"tags": ["colab-setup"]}, id="colab"),
            md(
                "## 1. Section one\nThe lead sentence. The prose that follows is for the notes.\n\n"
                "$$y = w x + b$$\n\n- first item. its detail\n- second item",
                id="s1",
            ),
            code(
                "x = 1\nprint(x)",
                id="c1",
                outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")],
            ),
            md("**Why a bold lead?** Because it opens a slide of its own.", id="bold"),
            code(LONG_CODE, id="long"),
            md("### Exercise 1.1 — double (3 min)\nWrite `double`.", id="ex-md"),
            code(EXERCISE, id="ex"),
            md(
                "**Answers.** the instructor's secret",
                metadata={"tags": ["solution-only"]},
                id="answers",
            ),
        ]
    )


def body_text(slide: slides.Slide) -> str:
    return BeautifulSoup("".join(slide.body), "html.parser").get_text()


def notes_text(slide: slides.Slide) -> str:
    return BeautifulSoup("".join(slide.notes), "html.parser").get_text()


def test_a_slide_per_heading_and_bold_lead():
    deck = slides.deck_slides(toy_notebook())
    titles = [s.title for s in deck]
    assert titles[:3] == ["01 · Toy", "1. Section one", "Why a bold lead?"]
    assert deck[0].title_slide and "A subtitle" in body_text(deck[0])
    assert deck[2].kicker == "1. Section one"
    assert "Exercise 1.1 — double (3 min)" in titles


def test_prose_in_the_notes_lead_equation_and_lists_on_the_slide():
    section = slides.deck_slides(toy_notebook())[1]
    shown, notes = body_text(section), notes_text(section)
    assert "The lead sentence." in shown
    assert "The prose that follows" not in shown and "The prose that follows" in notes
    assert "$$y = w x + b$$" in "".join(section.body)  # typeset by MathJax in the page
    assert "first item." in shown and "its detail" not in shown and "its detail" in notes


def test_long_code_shows_an_excerpt_and_keeps_it_all_in_the_notes():
    deck = slides.deck_slides(toy_notebook())
    slide = next(s for s in deck if "value_0" in body_text(s))
    assert "value_39" not in body_text(slide) and "26 more lines" in body_text(slide)
    assert "value_39" in notes_text(slide)


@pytest.mark.parametrize("answers", [False, True])
def test_exercise_statement_or_answer_never_markers_never_solution_only(answers):
    deck = slides.deck_slides(toy_notebook(), answers=answers)
    html = slides.render_deck(deck, "toy", "en", answers=answers)
    assert "BEGIN SOLUTION" not in html and "END SOLUTION" not in html
    assert "the instructor's secret" not in html  # solution-only: not even with answers
    assert "badges here" not in html and "# colab" not in html
    assert ("secret_answer" in html) is answers
    stub = 'NotImplementedError("Exercise 1.1: return x doubled")'
    text = BeautifulSoup(html, "html.parser").get_text()
    assert (stub in text) is not answers
    assert "def double(x):" in text and "Twice x." in text  # the signature and docstring


def test_an_exercise_is_shown_whole_over_several_slides():
    body = "\n\n".join(
        f"    def method_{i}(self):\n        '''Doc {i}.'''\n"
        f"        # Exercise 2.{i}: write method {i}\n        ### BEGIN SOLUTION\n"
        f"        return {i}\n        ### END SOLUTION"
        for i in range(1, 10)
    )
    nb = nbformat.v4.new_notebook(cells=[md("## Big"), code("class Big:\n" + body, id="big")])
    deck = slides.deck_slides(nb)
    assert len(deck) >= 2 and all(s.title.startswith("Big") for s in deck)
    shown = "".join(body_text(s) for s in deck)
    for i in range(1, 10):
        assert f'NotImplementedError("Exercise 2.{i}: write method {i}")' in shown


def test_language_is_checked():
    with pytest.raises(ValueError, match="language must be one of"):
        slides.deck_slides(toy_notebook(), language="fr")


def test_markdown_blocks():
    blocks = slides.markdown_blocks(
        "## H\nText\n$$a\n= b$$\n| x |\n|---|\n| 1 |\n\n> quote\n\n```\ncode\n```"
    )
    assert [k for k, _ in blocks] == ["heading", "paragraph", "math", "table", "quote", "fence"]


def test_build_writes_decks_and_their_assets(tmp_path):
    nbformat.write(toy_notebook(), tmp_path / "01_toy.ipynb")
    (out,) = slides.build_slides(tmp_path, tmp_path / "slides")
    assert out.name == "01_toy.slides.html"
    soup = BeautifulSoup(out.read_text(encoding="utf-8"), "html.parser")
    loaded = [t.get("src") for t in soup.find_all("script") if t.get("src")]
    loaded += [t["href"] for t in soup.find_all("link")]
    assert loaded and all(not re.match(r"\w+:", url) for url in loaded), loaded
    for url in loaded:
        assert (out.parent / url).is_file(), url
    (answers,) = slides.build_slides(tmp_path, tmp_path / "slides", answers=True)
    assert answers.name == "01_toy.answers.slides.html"


def test_build_needs_notebooks(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        slides.build_slides(tmp_path, tmp_path / "slides")


def solution_lines(nb) -> list[str]:
    """The distinctive lines of the notebook's solutions: long enough to be unique, and
    not also in the student notebook (``done = ...`` is in a demonstration cell too)."""
    public = "\n".join(c.source for c in make_student_notebook(nb).cells)
    lines = [line.strip() for region in find_regions(nb) for line in region.lines]
    return [
        line for line in lines if len(line) > 25 and not line.startswith("#") and line not in public
    ]


@pytest.mark.slow  # about 5 s a notebook on a loaded 2-core machine
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: "/".join(p.parts[-3:]))
def test_course_decks_carry_no_solutions_unless_asked(path):
    nb = nbformat.read(path, as_version=4)
    language = nb.metadata.get("language", "en")
    class_deck = slides.render_deck(slides.deck_slides(nb), path.stem, language)
    answer_deck = slides.render_deck(
        slides.deck_slides(nb, answers=True), path.stem, language, answers=True
    )
    class_text = BeautifulSoup(class_deck, "html.parser").get_text()
    answer_text = BeautifulSoup(answer_deck, "html.parser").get_text()
    for deck in (class_deck, answer_deck):
        assert "BEGIN SOLUTION" not in deck and "END SOLUTION" not in deck
    secrets = solution_lines(nb)
    assert secrets, f"{path.name}: no solution found to look for"
    shown = [line for line in secrets if line in class_text]
    assert not shown, f"{path.name}: the class deck shows solution lines {shown[:3]}"
    assert all(line in answer_text for line in secrets), path.name
    for region in find_regions(nb):
        assert f"Exercise {region.exercise}:" in class_text, region.exercise
    for cell in nb.cells:
        if "solution-only" in cell.metadata.get("tags", []):
            text = BeautifulSoup(slides._markdown(cell.source), "html.parser").get_text()
            for sentence in re.findall(r"[^.\n]{40,}", text)[:5]:
                assert sentence not in answer_text, f"{path.name}: solution-only text shown"
    titles = {s.title for s in slides.deck_slides(nb)}
    for cell in nb.cells:
        if slides.heading_level(cell) == 2:
            assert slides._title_text(cell.source.split("\n")[0]) in titles


@pytest.mark.parametrize(
    ("source", "level"),
    [("# T", 1), ("## S", 2), ("  \n### D\ntext", 3), ("#hashtag", None), ("text", None)],
)
def test_heading_level(source, level):
    assert slides.heading_level(md(source)) == level
