"""Lecture decks for a projector, made from the solution notebooks (``make slides``).

``python -m tools.slides notebooks/solutions _build/slides/en`` writes one reveal.js deck,
``<name>.slides.html``, per notebook, and beside them ``assets/`` with reveal.js and MathJax
copied from ``tools/slides/node_modules`` (``npm ci`` there; ``make slides`` does it). The
folder opens from disk, with no network: copy it to the lecture-hall computer as it is.
``--answers`` writes ``<name>.answers.slides.html`` instead, with the exercise solutions.

How a notebook becomes slides (one idea per slide, at a size read from the back row):

- Cells tagged ``badges``, ``colab-setup`` or ``solution-only`` never reach a slide (not
  even with ``--answers``: the written answers are for the instructor's notes).
- Markdown is cut into blocks (headings, paragraphs, lists, tables, display equations,
  quotes, ``<details>`` hints). A heading (``#`` to ``####``) opens a slide titled by it;
  so does a paragraph that starts with a bold phrase (``**Why a target network?** ...``),
  titled by that phrase, under its section's title.
- On the slide: the title, the first sentence of the slide's first paragraph (its lead),
  display equations, tables of at most ``MAX_TABLE_ROWS`` rows, and lists, each item cut to
  its first sentence. Everything else, the whole prose included, goes to the speaker notes
  (press ``s``), where nothing is cut.
- A code cell goes on the slide with its text output (at most ``MAX_OUTPUT_LINES`` lines)
  and its figures. Code longer than ``MAX_CODE_LINES`` (counting a wrapped line as
  several) shows its first ``EXCERPT_LINES`` lines and a comment pointing to the notes,
  which hold it all. An animation shows its middle frame.
- An exercise cell (one with a solution region) shows the exercise's statement: the
  student notebook's version of the cell, with its signature, docstring and the stub that
  raises ``NotImplementedError("Exercise N.M: ...")``; with ``--answers`` the solution,
  without its ``### BEGIN/END SOLUTION`` marker lines. Either is shown whole, over as many
  slides as it needs, cut at blank lines.
- Whatever does not fit under the slide's height budget continues on a slide with the
  same title, "(continued)". Sizes are estimated from text length (a Hangul syllable
  counts two columns); ``tests/tools/test_slides_render.py`` renders every slide in
  headless Chromium at 1920×1080 and fails on any slide that overflows.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_markdown_cell("# 01 · Title\\n*A subtitle.*"),
...     nbformat.v4.new_markdown_cell("## 1. Section\\nFirst sentence. More prose."),
...     nbformat.v4.new_code_cell("x = 1"),
...     nbformat.v4.new_markdown_cell("**Why?** Because."),
... ])
>>> [s.title for s in deck_slides(nb)]
['01 · Title', '1. Section', 'Why?']
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import re
import shutil
import struct
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from tools import cells
from tools.student_notebooks import BEGIN_SOLUTION, END_SOLUTION, make_student_notebook

__all__ = [
    "ASSET_FILES",
    "NODE_DIR",
    "SKIP_TAGS",
    "Slide",
    "build_slides",
    "deck_slides",
    "heading_level",
    "install_assets",
    "main",
    "markdown_blocks",
    "render_deck",
]

SKIP_TAGS = frozenset({cells.BADGES, cells.COLAB_SETUP, cells.SOLUTION_ONLY})
NODE_DIR = Path(__file__).resolve().parent  # package.json, package-lock.json
# What a deck loads, relative to node_modules/, copied to <destination>/assets/.
ASSET_FILES = (
    "reveal.js/dist/reset.css",
    "reveal.js/dist/reveal.css",
    "reveal.js/dist/reveal.js",
    "reveal.js/dist/theme/white.css",
    "reveal.js/dist/theme/fonts/source-sans-pro",
    "reveal.js/plugin/notes/notes.js",
    "mathjax/es5/tex-svg-full.js",
)

# The slide, in reveal.js's layout pixels; reveal scales it to the screen (1.5x at 1080p).
WIDTH, HEIGHT = 1280, 720
BUDGET = 560  # px of content below the title
CODE_COLUMNS = 104  # characters of code per line at the code font size
PROSE_COLUMNS = 78  # characters of prose per line on a slide
MAX_CODE_LINES = 24  # (wrapped) code lines shown whole; longer cells show an excerpt
EXCERPT_LINES = 14
MAX_OUTPUT_LINES = 8
MAX_TABLE_ROWS = 8
MAX_FIGURE_HEIGHT = 430
MIN_FIGURE_HEIGHT = 220
# Estimated heights, px.
CODE_LINE, CODE_PAD = 23, 22
PROSE_LINE, LIST_ITEM_GAP, BLOCK_GAP = 36, 6, 14
MATH_LINE = 62
TABLE_ROW = 38
KICKER = 30

WORDS = {
    "en": {
        "continued": "(continued)",
        "notes": "code shown in full in the notes",
        "more": "more lines",
        "answers": "with the exercise solutions: for the instructor",
        "animation": "One frame of the animation (the notebook plays it).",
    },
    "ko": {
        "continued": "(계속)",
        "notes": "전체 코드는 발표자 노트에",
        "more": "줄 더",
        "answers": "연습 문제 풀이 포함: 강사용",
        "animation": "애니메이션의 한 장면 (노트북에서 재생됩니다).",
    },
}


@dataclass
class Slide:
    """One slide: a title, the HTML of what it shows, and speaker notes (HTML)."""

    title: str
    kicker: str = ""  # the section a sub-idea slide belongs to
    body: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    used: float = 0.0  # estimated px of body
    lead: bool = False  # whether the slide already has its lead sentence
    title_slide: bool = False

    @property
    def budget(self) -> float:
        """Estimated px of body that fit: less under a section's name (the kicker)."""
        return BUDGET - (KICKER if self.kicker else 0)


# ---------------------------------------------------------------- markdown


def _markdown(text: str) -> str:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return markdown2html_mistune(text)


def _inline(text: str) -> str:
    """HTML of one line of markdown, without its paragraph."""
    out = _markdown(text).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", out, flags=re.S)


_LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def markdown_blocks(source: str) -> list[tuple[str, str]]:
    """The top-level blocks of a markdown cell, as ``(kind, text)``.

    Kinds: heading, paragraph, list, table, math, quote, details, html, fence.

    >>> [k for k, _ in markdown_blocks("## H\\nText\\n$$x$$\\n- a\\n- b\\n\\n<details>\\n\\nh\\n</details>")]
    ['heading', 'paragraph', 'math', 'list', 'details']
    """
    blocks: list[tuple[str, str]] = []
    lines = source.split("\n")
    current: list[str] = []

    def close() -> None:
        if current and any(line.strip() for line in current):
            blocks.append((_kind(current), "\n".join(current).strip("\n")))
        current.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            close()
            fence = [line]
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                fence.append(lines[i])
                i += 1
            fence.append(lines[i] if i < len(lines) else "```")
            blocks.append(("fence", "\n".join(fence)))
        elif stripped.startswith("<details"):
            close()
            part = [line]
            while "</details>" not in lines[i] and i + 1 < len(lines):
                i += 1
                part.append(lines[i])
            blocks.append(("details", "\n".join(part)))
        elif stripped.startswith("$$") and not (current and _kind(current) == "list"):
            close()
            part = [line]
            while (sum(p.count("$$") for p in part) % 2) and i + 1 < len(lines):
                i += 1
                part.append(lines[i])
            blocks.append(("math", "\n".join(part)))
        elif _HEADING.match(stripped) and not line.startswith(" "):
            close()
            blocks.append(("heading", stripped))
        elif not stripped:
            close()
        elif current and _kind(current) != _kind([line]) and _kind([line]) in ("list", "table"):
            if not (_kind(current) == "list" and line.startswith((" ", "\t"))):
                close()
            current.append(line)
        else:
            current.append(line)
        i += 1
    close()
    return blocks


def _kind(lines: list[str]) -> str:
    first = lines[0].strip()
    if _LIST_ITEM.match(lines[0]):
        return "list"
    if first.startswith("|"):
        return "table"
    if first.startswith(">"):
        return "quote"
    if first.startswith("<"):
        return "html"
    return "paragraph"


def _list_items(text: str) -> list[str]:
    items: list[str] = []
    for line in text.split("\n"):
        if _LIST_ITEM.match(line) and not line.startswith((" ", "\t")):
            items.append(_LIST_ITEM.sub("", line, count=1))
        elif items:
            items[-1] += " " + line.strip()
    return items


_SENTENCE_END = re.compile(r"([.?!:;])(\s+|$)|\s—\s")
_ABBREVIATIONS = frozenset({"e.g", "i.e", "vs", "cf", "etc", "al", "Fig", "Eq", "approx"})


def first_sentence(text: str, colon: bool = True) -> str:
    """The markdown up to the end of its first sentence, outside maths and code.

    >>> first_sentence("Use $a. b$ here. Then more.")
    'Use $a. b$ here.'
    >>> first_sentence("**Bold.** rest")
    '**Bold.**'
    >>> first_sentence("`f(x)`: what it does; more", colon=False)
    '`f(x)`: what it does'
    """
    in_math = in_code = False
    bold = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "`" and not in_math:
            in_code = not in_code
        elif char == "$" and not in_code:
            in_math = not in_math
        elif text.startswith("**", i) and not (in_math or in_code):
            bold ^= 1
            i += 2
            if not bold and i < len(text) and text[i - 3] in ".?!:":
                return text[:i]
            continue
        elif not (in_math or in_code or bold):
            match = _SENTENCE_END.match(text, i)
            words = text[:i].split()
            if match and not colon and match.group(1) == ":":
                match = None
            if match and words and words[-1].rstrip(".") not in _ABBREVIATIONS:
                return text[: i + 1].rstrip(";") if match.group(1) else text[:i]
        i += 1
    return text.strip()


def _columns(text: str) -> int:
    """Width in columns: East Asian wide characters (Hangul) count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _plain(markdown: str) -> str:
    """Roughly the visible text of a line of markdown (for its length)."""
    text = re.sub(r"\$([^$]*)\$", lambda m: "x" * max(1, len(m.group(1)) // 3), markdown)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[*_`]", "", text)


def _prose_height(markdown: str, columns: int = PROSE_COLUMNS) -> float:
    return PROSE_LINE * max(1, -(-_columns(_plain(markdown)) // columns))


_BOLD_LEAD = re.compile(r"^\*\*(?P<title>[^*]+?)\*\*\s*(?P<rest>.*)$", re.S)


# ---------------------------------------------------------------- code and outputs


# A code line holding Hangul is drawn taller than CODE_LINE: the fallback font's ascent and
# descent exceed the code font's and stretch the line box (measured in headless Chromium: a
# 24-line quiz cell with 8 Korean lines overflowed its estimate by 12 px).
WIDE_LINE = 1.1


def _wrapped_lines(text: str, columns: int = CODE_COLUMNS) -> float:
    """Rows ``text`` takes at ``columns`` per row, a row with wide characters counting more."""
    rows = 0.0
    for line in text.split("\n"):
        width = _columns(line)
        wrapped = max(1, -(-width // columns))
        rows += wrapped * (WIDE_LINE if width > len(line) else 1.0)
    return rows


def _code_html(source: str) -> str:
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return (
        '<pre class="code"><code>'
        + highlight(source, PythonLexer(), HtmlFormatter(nowrap=True))
        + "</code></pre>"
    )


def _output_html(text: str) -> str:
    return f'<pre class="output">{html.escape(text)}</pre>'


def _strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _png_size(data: str) -> tuple[int, int]:
    raw = base64.b64decode(data[:64])
    return struct.unpack(">II", raw[16:24])


_FRAME = re.compile(r'frames\[(\d+)\]\s*=\s*"(data:image/(?:png|jpeg);base64,[^"]+)"')


def _animation_frame(markup: str) -> str | None:
    """The middle frame of a matplotlib ``to_jshtml`` animation, as a data URL."""
    frames = _FRAME.findall(markup)
    if not frames:
        return None
    return frames[len(frames) // 2][1]


def _outputs(cell: dict[str, Any]) -> tuple[str, list[tuple[str, Any]]]:
    """A code cell's text output (joined) and its figures as (data URL, (w, h))."""
    text, figures = [], []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            text.append(output.get("text", ""))
        elif kind == "error":
            text.append("\n".join(output.get("traceback", [])[-1:]))
        elif kind in ("display_data", "execute_result"):
            data = output.get("data", {})
            if "image/png" in data:
                png = data["image/png"].replace("\n", "")
                figures.append((f"data:image/png;base64,{png}", _png_size(png)))
            elif "text/html" in data and _animation_frame(data["text/html"]):
                url = _animation_frame(data["text/html"])
                raw = base64.b64decode(url.split(",", 1)[1][:64])
                size = struct.unpack(">II", raw[16:24]) if url[11:14] == "png" else (640, 480)
                figures.append((url, size, "animation"))
            elif "application/vnd.jupyter.widget-view+json" in data:
                continue  # a widget has no state on a slide; its figure is a display of its own
            elif "text/plain" in data:
                plain = data["text/plain"]
                if not re.fullmatch(r"<(Figure|IPython\.core\.display\.\w+) .*>", plain.strip()):
                    text.append(plain + "\n")
    return _strip_ansi("".join(text)).rstrip("\n"), figures


def _shorten_output(text: str) -> str:
    lines = [line[: CODE_COLUMNS * 2] for line in text.split("\n")]
    if len(lines) > MAX_OUTPUT_LINES:
        more = len(lines) - MAX_OUTPUT_LINES + 1
        lines = lines[: MAX_OUTPUT_LINES - 1] + [f"… (+{more})"]
    return "\n".join(lines)


# A blank line is a place to cut code before a statement at the top or one level in (not
# inside a docstring).
_CUT_BEFORE = re.compile(r"^(\S| {4}(def|class|@|#)\b)")


def _code_chunks(source: str, limit: int = MAX_CODE_LINES) -> list[str]:
    """``source`` cut at blank lines into pieces of at most ``limit`` wrapped lines."""
    chunks: list[list[str]] = [[]]
    paragraph: list[str] = []

    def flush() -> None:
        if not paragraph:
            return
        if chunks[-1] and _wrapped_lines("\n".join(chunks[-1] + paragraph)) > limit:
            chunks.append([])
        chunks[-1].extend(paragraph)
        while _wrapped_lines("\n".join(chunks[-1])) > limit:  # one paragraph too long
            head, tail = [], list(chunks[-1])
            while tail and _wrapped_lines("\n".join(head + tail[:1])) <= limit:
                head.append(tail.pop(0))
            chunks[-1] = head
            chunks.append(tail)
        paragraph.clear()

    lines = source.split("\n")
    for i, line in enumerate(lines):
        after = lines[i + 1] if i + 1 < len(lines) else ""
        if not line.strip() and _CUT_BEFORE.match(after):
            flush()
            if chunks[-1]:
                paragraph.append(line)
        else:
            paragraph.append(line)
    flush()
    return ["\n".join(c).strip("\n") for c in chunks if "".join(c).strip()]


def _without_markers(source: str) -> str:
    return "\n".join(
        line for line in source.split("\n") if line.strip() not in (BEGIN_SOLUTION, END_SOLUTION)
    )


# ---------------------------------------------------------------- slides


class _Deck:
    def __init__(self, language: str) -> None:
        self.words = WORDS[language]
        self.slides: list[Slide] = []
        self.section = ""

    @property
    def slide(self) -> Slide:
        if not self.slides:
            self.slides.append(Slide(title=""))
        return self.slides[-1]

    def open(self, title: str, kicker: str = "", title_slide: bool = False) -> None:
        self.slides.append(Slide(title=title, kicker=kicker, title_slide=title_slide))

    def add(self, markup: str, height: float) -> None:
        """Put ``markup`` on the slide, or on a continuation slide where it does not fit."""
        slide = self.slide
        if slide.body and slide.used + height > slide.budget:
            title = re.sub(r"\s*" + re.escape(self.words["continued"]) + "$", "", slide.title)
            self.slides.append(
                Slide(title=f"{title} {self.words['continued']}", kicker=slide.kicker, lead=True)
            )
            slide = self.slides[-1]
        slide.body.append(markup)
        slide.used += height + BLOCK_GAP

    def note(self, markup: str) -> None:
        self.slide.notes.append(markup)


def heading_level(cell: dict[str, Any]) -> int | None:
    """Level of the markdown heading that opens ``cell`` (1 for ``#``), or None.

    >>> heading_level({"cell_type": "markdown", "source": "\\n## Replay memory\\nText"})
    2
    >>> heading_level({"cell_type": "code", "source": "## a comment"}) is None
    True
    """
    if cell.get("cell_type") != "markdown":
        return None
    first = cell.get("source", "").lstrip().split("\n", 1)[0]
    match = _HEADING.match(first)
    return len(match.group(1)) if match else None


def _title_text(heading: str) -> str:
    return _HEADING.match(heading).group(2).strip()


def _markdown_cell(deck: _Deck, source: str) -> None:
    source = re.sub(r"<!--.*?-->", "", source, flags=re.S)  # invisible, and cut by blocks
    for kind, text in markdown_blocks(source):
        if kind == "heading":
            level = len(text) - len(text.lstrip("#"))
            title = _title_text(text)
            deck.open(title, title_slide=level == 1)
            if level <= 2:
                deck.section = title
            continue
        deck.note(_markdown(text))
        if kind == "paragraph":
            bold = _BOLD_LEAD.match(text)
            if bold and bold.group("title").rstrip()[-1:] in ".?!:":
                title = bold.group("title").strip().rstrip(".:")
                deck.open(title, kicker=deck.section if deck.section != title else "")
                text = bold.group("rest").strip()
                if not text:
                    continue
            slide = deck.slide
            if slide.lead:
                continue
            slide.lead = True
            lead = text if slide.title_slide else first_sentence(text)
            if _columns(_plain(lead)) > 3 * PROSE_COLUMNS:
                continue  # a sentence too long for a slide: notes only
            deck.add(f'<p class="lead">{_inline(lead)}</p>', _prose_height(lead))
        elif kind == "math":
            rows = text.count("\\\\") + 1
            tall = (
                2.0 if "\\dfrac" in text else 1.6 if re.search(r"\\(frac|sum|max_)", text) else 1.0
            )
            deck.add(_markdown(text), MATH_LINE * rows * tall)
            deck.slide.lead = True
        elif kind == "list":
            items = [first_sentence(item, colon=False) for item in _list_items(text)]
            if not items:
                continue
            height = sum(_prose_height(i, PROSE_COLUMNS - 4) + LIST_ITEM_GAP for i in items)
            tag = "ol" if re.match(r"\s*\d", text) else "ul"
            if height > BUDGET:  # a long list: as many slides as it needs
                for item in items:
                    deck.add(
                        f"<{tag}><li>{_inline(item)}</li></{tag}>",
                        _prose_height(item, PROSE_COLUMNS - 4) + LIST_ITEM_GAP,
                    )
            else:
                lis = "".join(f"<li>{_inline(item)}</li>" for item in items)
                deck.add(f"<{tag}>{lis}</{tag}>", height)
            deck.slide.lead = True
        elif kind == "table":
            rows = [r for r in text.split("\n") if r.strip().startswith("|")]
            if len(rows) - 1 <= MAX_TABLE_ROWS:
                deck.add(_markdown(text), TABLE_ROW * (len(rows) - 1) + 10)
        elif kind == "quote":
            inner = re.sub(r"^>\s?", "", text, flags=re.M)
            bold = _BOLD_LEAD.match(inner)
            shown = first_sentence(bold.group("rest")) if bold else first_sentence(inner)
            label = f"<strong>{_inline(bold.group('title'))}</strong> " if bold else ""
            if _columns(_plain(shown)) <= 3 * PROSE_COLUMNS:
                deck.add(
                    f"<blockquote>{label}{_inline(shown)}</blockquote>",
                    _prose_height(shown, PROSE_COLUMNS - 6) + 20,
                )


def _code_cell(deck: _Deck, cell: dict[str, Any], shown: str, exercise: bool) -> None:
    output, figures = _outputs(cell)
    if exercise:
        for chunk in _code_chunks(shown):
            deck.add(_code_html(chunk), CODE_LINE * _wrapped_lines(chunk) + CODE_PAD)
    elif _wrapped_lines(shown) > MAX_CODE_LINES:
        head = "\n".join(_code_chunks(shown, EXCERPT_LINES)[0].split("\n")[:EXCERPT_LINES])
        more = len(shown.split("\n")) - len(head.split("\n"))
        head += f"\n# … {more} {deck.words['more']}: {deck.words['notes']}"
        deck.add(_code_html(head), CODE_LINE * _wrapped_lines(head) + CODE_PAD)
        deck.note(_code_html(shown))
    elif shown.strip():
        deck.add(_code_html(shown), CODE_LINE * _wrapped_lines(shown) + CODE_PAD)
    if output.strip():
        short = _shorten_output(output)
        deck.add(_output_html(short), CODE_LINE * 0.9 * _wrapped_lines(short) + CODE_PAD)
        if short != output:
            deck.note(_output_html(output))
    for url, (width, height), *kind in figures:
        scale = 1.4 if max(width, height) < 800 else 1.0
        shown_h = min(height * scale, MAX_FIGURE_HEIGHT, height * (WIDTH - 100) / width)
        room = deck.slide.budget - deck.slide.used
        if room >= MIN_FIGURE_HEIGHT and room < shown_h:
            shown_h = room
        caption = f"<figcaption>{deck.words['animation']}</figcaption>" if kind else ""
        deck.add(
            f'<figure><img src="{url}" style="height:{shown_h:.0f}px" alt="">{caption}</figure>',
            shown_h + (40 if kind else 0),
        )


def deck_slides(nb: Any, answers: bool = False, language: str | None = None) -> list[Slide]:
    """The slides of a solution notebook (see the module docstring for the rule)."""
    language = language or nb.get("metadata", {}).get("language", "en")
    if language not in WORDS:
        raise ValueError(f"language must be one of {sorted(WORDS)}, got {language!r}")
    student = {c.get("id"): c for c in make_student_notebook(nb).cells}
    deck = _Deck(language)
    for cell in nb["cells"]:
        if any(cells.has_tag(cell, tag) for tag in SKIP_TAGS):
            continue
        if cell["cell_type"] == "markdown":
            _markdown_cell(deck, cell["source"])
        elif cell["cell_type"] == "code":
            exercise = BEGIN_SOLUTION in cell["source"]
            if exercise and not answers:
                if cell.get("id") not in student:
                    raise ValueError(f"exercise cell without an id: {cell['source'][:60]!r}")
                shown = student[cell["id"]]["source"]
            else:
                shown = _without_markers(cell["source"])
            _code_cell(deck, cell, shown, exercise)
    return [s for s in deck.slides if s.title or s.body]


# ---------------------------------------------------------------- the page


_CSS = """
.reveal { font-family: "Source Sans Pro", "Noto Sans CJK KR", "NanumGothic", sans-serif;
  font-size: 28px; }
.reveal .slides > section { height: %(height)dpx; box-sizing: border-box; padding: 18px 36px;
  overflow: hidden; text-align: left; }
.reveal h1, .reveal h2 { text-transform: none; font-family: inherit; letter-spacing: 0;
  color: #1b3a5c; }
.reveal h1 { font-size: 54px; margin: 150px 0 30px; }
.reveal h2 { font-size: 40px; margin: 0 0 14px; line-height: 1.15; }
.reveal .kicker { font-size: 20px; color: #6b7b8c; margin: 0 0 2px; }
.reveal p, .reveal li { line-height: 1.3; margin: 0 0 %(gap)dpx; }
.reveal ul, .reveal ol { display: block; margin: 0 0 %(gap)dpx 1.1em; }
.reveal li { margin-bottom: %(item)dpx; }
.reveal p.lead { color: #333; }
.reveal p code, .reveal li code, .reveal td code, .reveal h2 code { font-size: 0.8em; }
.reveal blockquote { width: auto; margin: 0 0 %(gap)dpx; padding: 8px 18px; font-style: normal;
  background: #fff7e0; border-left: 6px solid #e0a800; box-shadow: none; font-size: 26px; }
.reveal pre { width: 100%%; box-sizing: border-box; box-shadow: none; margin: 0 0 %(gap)dpx; font-size: 18.5px;
  line-height: %(code_line)dpx; white-space: pre-wrap; overflow-wrap: anywhere;
  overflow: auto; max-height: none; }
.reveal pre.code { background: #f6f8fa; border: 1px solid #d8dee4; padding: 8px 12px; }
.reveal pre.output { background: #fff; border-left: 4px solid #9ab; padding: 4px 12px;
  font-size: 17px; color: #222; }
.reveal pre code { padding: 0; max-height: none; overflow: visible; font-family: "DejaVu Sans Mono",
  "NanumGothicCoding", monospace; }
.reveal figure { margin: 0 0 %(gap)dpx; text-align: center; }
.reveal figure img { margin: 0; max-width: 100%%; object-fit: contain; }
.reveal figcaption { font-size: 20px; color: #555; }
.reveal table { font-size: 24px; margin: 0 0 %(gap)dpx; }
.reveal table th, .reveal table td { padding: 3px 14px; }
.reveal mjx-container[display="true"] { margin: 6px 0 !important; }
.reveal mjx-container[display="true"] > svg { max-width: 100%%; }
.reveal .answers { color: #b00020; font-weight: bold; }
"""


def _pygments_css() -> str:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(style="default").get_style_defs(".reveal pre.code")


def render_deck(slides: list[Slide], title: str, language: str, answers: bool = False) -> str:
    """The HTML page of a deck; it loads reveal.js and MathJax from ``assets/`` beside it."""
    words = WORDS[language]
    sections = []
    for number, slide in enumerate(slides, 1):
        parts = []
        if slide.kicker:
            parts.append(f'<p class="kicker">{_inline(slide.kicker)}</p>')
        tag = "h1" if slide.title_slide else "h2"
        parts.append(f"<{tag}>{_inline(slide.title)}</{tag}>")
        if answers and number == 1:
            parts.append(f'<p class="answers">{html.escape(words["answers"])}</p>')
        parts += slide.body
        if slide.notes:
            parts.append('<aside class="notes">' + "\n".join(slide.notes) + "</aside>")
        sections.append(f'<section data-slide="{number}">\n' + "\n".join(parts) + "\n</section>")
    css = _CSS % {
        "height": HEIGHT,
        "gap": BLOCK_GAP,
        "item": LIST_ITEM_GAP,
        "code_line": CODE_LINE,
    }
    config = {
        "width": WIDTH,
        "height": HEIGHT,
        "margin": 0.02,
        "center": False,
        "hash": True,
        "slideNumber": "c/t",
        "transition": "none",
        "controls": True,
        "progress": True,
    }
    return f"""<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="assets/reveal.js/dist/reset.css">
<link rel="stylesheet" href="assets/reveal.js/dist/reveal.css">
<link rel="stylesheet" href="assets/reveal.js/dist/theme/white.css">
<style>{css}{_pygments_css()}</style>
<script>
window.MathJax = {{
  tex: {{ inlineMath: [["$", "$"], ["\\\\(", "\\\\)"]], displayMath: [["$$", "$$"], ["\\\\[", "\\\\]"]],
         processEscapes: true }},
  svg: {{ fontCache: "global" }},
  options: {{ ignoreHtmlClass: "notes" }},
  startup: {{ typeset: true }}
}};
</script>
<script src="assets/mathjax/es5/tex-svg-full.js" defer></script>
</head>
<body>
<div class="reveal"><div class="slides">
{chr(10).join(sections)}
</div></div>
<script src="assets/reveal.js/dist/reveal.js"></script>
<script src="assets/reveal.js/plugin/notes/notes.js"></script>
<script>
Reveal.initialize(Object.assign({json.dumps(config)}, {{ plugins: [RevealNotes] }}));
</script>
</body>
</html>
"""


# ---------------------------------------------------------------- build


def install_assets(node_dir: Path = NODE_DIR) -> Path:
    """``npm ci`` in ``node_dir`` when its node_modules lacks a file the decks load."""
    modules = node_dir / "node_modules"
    if all((modules / f).exists() for f in ASSET_FILES):
        return modules
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            "npm is needed once, to install reveal.js and MathJax into "
            f"{modules} (Debian: apt-get install -y npm)"
        )
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=node_dir, check=True)
    missing = [f for f in ASSET_FILES if not (modules / f).exists()]
    if missing:
        raise RuntimeError(f"npm ci in {node_dir} did not install {missing}")
    return modules


def _copy_assets(destination: Path, modules: Path) -> None:
    for name in ASSET_FILES:
        source, target = modules / name, destination / "assets" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        elif not target.exists() or target.stat().st_mtime < source.stat().st_mtime:
            shutil.copy2(source, target)


def build_slides(
    source: Path, destination: Path, answers: bool = False, modules: Path | None = None
) -> list[Path]:
    """Write a deck per notebook of ``source`` into ``destination``, with its assets."""
    notebooks = sorted(Path(source).glob("[0-9][0-9]*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {source}")
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    _copy_assets(destination, modules or install_assets())
    written = []
    suffix = ".answers.slides.html" if answers else ".slides.html"
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        language = nb.metadata.get("language", "en")
        slides = deck_slides(nb, answers=answers, language=language)
        out = destination / f"{path.stem}{suffix}"
        out.write_text(render_deck(slides, path.stem, language, answers), encoding="utf-8")
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.slides",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source", type=Path, help="folder of solution notebooks")
    parser.add_argument("destination", type=Path, help="output folder (_build/slides/en)")
    parser.add_argument(
        "--answers",
        action="store_true",
        help="show the exercise solutions (writes NN_name.answers.slides.html)",
    )
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        parser.error(f"source: {args.source} is not a folder")
    started = time.perf_counter()
    written = build_slides(args.source, args.destination, answers=args.answers)
    for out in written:
        print(out)
    print(f"{len(written)} decks in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0
