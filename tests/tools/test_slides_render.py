"""Every slide of every deck in headless Chromium at 1920×1080, with the network blocked.

The decks (English, Korean, and the English answer decks) are built once; one browser
measures them all (tools.slides.browser). A deck fails on any slide that overflows the
slide or clips code on the right, naming the slide; on reveal.js not starting; on maths
left untypeset or a MathJax error; and on any request to the network. A planted deck
proves that each of those checks can fail.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from tools import slides
from tools.slides import browser as slide_browser

ROOT = Path(__file__).resolve().parents[2]
EDITIONS = {
    "en": ROOT / "notebooks" / "solutions",
    "ko": ROOT / "notebooks" / "ko" / "solutions",
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> list[Path]:
    out = tmp_path_factory.mktemp("slides")
    built = []
    for language, source in EDITIONS.items():
        if sorted(source.glob("[0-9][0-9]*.ipynb")):
            built += slides.build_slides(source, out / language)
    built += slides.build_slides(EDITIONS["en"], out / "en", answers=True)
    return built


@pytest.fixture(scope="module")
def browser():
    try:
        executable = slide_browser.chromium_executable()
    except RuntimeError as error:
        pytest.skip(f"slide rendering test skipped: {error}")
    with slide_browser.Browser(executable) as page:
        yield page


def test_every_slide_of_every_deck_fits_offline(browser, decks):
    started = time.monotonic()
    problems, counts = [], []
    for deck in decks:
        report = slide_browser.check_deck(browser, deck)
        problems += report.problems()
        counts.append(f"{deck.parent.name}/{deck.name.split('.')[0]}: {report.slides}")
        assert report.slides > 5, f"{deck}: only {report.slides} slides"
        assert report.maths > 0, f"{deck}: no maths typeset"
    print(f"\n{len(decks)} decks in {time.monotonic() - started:.0f} s: " + ", ".join(counts))
    assert not problems, "\n".join(problems)


def test_the_check_fails_where_it_should(browser, tmp_path):
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# 01 · Planted\n*Maths: $x^2$.*"),
            nbformat.v4.new_markdown_cell("## Too tall"),
            nbformat.v4.new_markdown_cell("## Too wide"),
            nbformat.v4.new_markdown_cell("## Fine"),
        ]
    )
    nbformat.write(nb, tmp_path / "01_planted.ipynb")
    (deck,) = slides.build_slides(tmp_path, tmp_path / "out")
    good = slide_browser.check_deck(browser, deck)
    assert good.ready and good.maths == 1 and not good.problems(), good.problems()

    html = deck.read_text(encoding="utf-8")
    html = html.replace("<h2>Too tall</h2>", '<h2>Too tall</h2><div style="height:900px"></div>')
    html = html.replace(
        "<h2>Too wide</h2>", '<h2>Too wide</h2><pre style="white-space:pre">' + "x" * 400 + "</pre>"
    )
    html = html.replace(
        "</head>", '<script src="https://cdn.example.org/reveal.js"></script></head>'
    )
    deck.write_text(html, encoding="utf-8")
    bad = slide_browser.check_deck(browser, deck)
    assert set(bad.overflowing) == {2, 3}, bad.problems()
    assert "tall" in bad.overflowing[2][0] and "clipped on the right" in bad.overflowing[3][0]
    assert bad.requests == ["https://cdn.example.org/reveal.js"]

    no_assets = deck.with_name("no-assets.slides.html")
    no_assets.write_text(html.replace('src="assets/', 'src="missing/'), encoding="utf-8")
    broken = slide_browser.check_deck(browser, no_assets, timeout=5)
    assert not broken.ready and "reveal.js did not initialise" in broken.problems()[0]
