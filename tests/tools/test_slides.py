"""reveal.js slides from the solution notebooks (tools.slides, `make slides`)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from tools import slides

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "notebooks" / "solutions"

md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell


def toy_notebook() -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(
        cells=[
            md("# 1. Neural networks"),
            md("badges here", metadata={"tags": ["badges"]}),
            code("import sys", metadata={"tags": ["colab-setup"]}),
            md("## Objectives\n- one"),
            md("## 1. Section one"),
            code("x = 1"),
            md("### 1.1 Detail"),
            code("print('only in the solution')", metadata={"tags": ["solution-only"]}),
            md("### 1.2 More detail"),
            md("## 2. Section two"),
            md("Some text, then\n## a heading that does not open the cell"),
        ]
    )


def top_level_sections(html: str) -> list:
    soup = BeautifulSoup(html, "html.parser")
    return soup.select("div.reveal > div.slides > section")


@pytest.mark.parametrize(
    ("source", "level"),
    [("# T", 1), ("## S", 2), ("  \n### D\ntext", 3), ("#hashtag", None), ("text", None)],
)
def test_heading_level(source, level):
    assert slides.heading_level(md(source)) == level


def test_slide_types_from_headings_and_tags():
    assert slides.slide_types(toy_notebook()) == [
        "slide",
        "skip",
        "skip",
        "slide",
        "slide",
        "-",
        "subslide",
        "skip",
        "subslide",
        "slide",
        "-",
    ]


def test_explicit_metadata_wins_and_notebook_is_not_modified():
    nb = toy_notebook()
    nb.cells[5].metadata["slideshow"] = {"slide_type": "fragment"}
    copy = slides.with_slideshow(nb)
    assert copy.cells[5].metadata.slideshow.slide_type == "fragment"
    assert copy.cells[4].metadata.slideshow.slide_type == "slide"
    assert "slideshow" not in nb.cells[4].metadata


def test_build_one_section_per_heading(tmp_path):
    nbformat.write(toy_notebook(), tmp_path / "01_toy.ipynb")
    (out,) = slides.build_slides(tmp_path, tmp_path / "slides")
    assert out.name == "01_toy.slides.html"
    html = out.read_text(encoding="utf-8")
    sections = top_level_sections(html)
    # Title, Objectives, section one (with two sub-slides), section two.
    assert len(sections) == 4
    assert [len(s.find_all("section", recursive=False)) for s in sections] == [1, 1, 3, 1]
    assert "only in the solution" not in html and "badges here" not in html


def test_build_needs_notebooks(tmp_path):
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        slides.build_slides(tmp_path, tmp_path / "slides")


@pytest.mark.slow
def test_make_slides_builds_every_solution_notebook(tmp_path):
    notebooks = sorted(SOLUTIONS.glob("*.ipynb"))
    if not notebooks:
        pytest.skip("no solution notebooks yet")
    assert slides.main([str(SOLUTIONS), str(tmp_path)]) == 0
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        types = slides.slide_types(nb)
        html = (tmp_path / f"{path.stem}.slides.html").read_text(encoding="utf-8")
        assert len(top_level_sections(html)) == types.count("slide"), path.name
        headings = [slides.heading_level(c) for c in nb.cells]
        assert types.count("slide") >= headings.count(2), f"{path.name}: a section is no slide"
