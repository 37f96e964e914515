"""How much English a translated notebook still prints: Latin-letter words in its stored outputs.

For every code cell's stored outputs, the text a reader sees (streams; ``text/plain`` where
nothing richer is shown, a widget's included, which is what a static view of a notebook
without widget state shows; ``text/html`` and ``text/markdown`` with their tags, styles and
``<pre>``/``<code>`` blocks removed; an error's name and message) is split at white space;
a piece counts as an English word when,
its surrounding punctuation stripped, it is two or more Latin letters (``learning``,
``don't``, ``left-right``). Code and numbers do not count: a piece holding a digit, ``_``,
``.``, ``=``, brackets or any other character that is not a letter (``tensor([[0.1,``,
``q_values``, ``torch.Size([2,``) is skipped, and so are backtick-quoted spans. Pictures
are not read: a figure's text is not counted (look at it).

    python -m tools.output_language notebooks/ko/solutions/*.ipynb   # per notebook, total
    python -m tools.output_language --top 20 notebooks/ko/solutions/01_*.ipynb

>>> english_words("에피소드 10: average return 9.5, loss tensor(0.25) `q_values` ok")
['average', 'return', 'loss', 'ok']
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import nbformat

__all__ = ["english_words", "main", "output_texts"]

_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_EDGE = "\"'“”‘’«»()[]{}<>,.;:!?…*"
_TICKS = re.compile(r"`[^`\n]*`")
# Code blocks in HTML (a highlighted listing) are code: removed with their tags.
_TAGS = re.compile(r"<(script|style|pre|code)\b.*?</\1>|<[^>]+>", re.DOTALL | re.IGNORECASE)
# What a front end shows in place of text/plain, when a cell's output has it. (A widget's
# text/plain counts: without stored widget state, a static view of the file shows it.)
_RICH = ("text/html", "text/markdown", "image/png", "image/svg+xml", "image/jpeg")


def english_words(text: str) -> list[str]:
    """The Latin-letter words of ``text`` outside code and numbers (see the module docstring)."""
    words = []
    for piece in _TICKS.sub(" ", text).split():
        piece = piece.strip(_EDGE)
        if len(piece) >= 2 and _WORD.fullmatch(piece):
            words.append(piece)
    return words


def output_texts(nb: nbformat.NotebookNode) -> Iterator[str]:
    """The text a reader sees in each stored output of ``nb``'s code cells."""
    for cell in nb.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else []:
            kind = output.get("output_type")
            if kind == "stream":
                yield output.get("text", "")
            elif kind == "error":
                yield f"{output.get('ename', '')}: {output.get('evalue', '')}"
            elif kind in ("display_data", "execute_result"):
                data = output.get("data", {})
                for mime in ("text/html", "text/markdown"):
                    if mime in data:
                        yield html.unescape(_TAGS.sub(" ", data[mime]))
                if "text/plain" in data and not any(m in data for m in _RICH):
                    yield data["text/plain"]


def count(path: Path) -> Counter[str]:
    """Every English word of the stored outputs of the notebook at ``path``, with its count."""
    nb = nbformat.read(path, as_version=4)
    found: Counter[str] = Counter()
    for text in output_texts(nb):
        found.update(english_words(text))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.output_language",
        description="Count the English words left in notebooks' stored outputs.",
    )
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=0, help="also list the N commonest words")
    args = parser.parse_args(argv)
    total: Counter[str] = Counter()
    for path in args.notebooks:
        found = count(path)
        total += found
        print(f"{path}: {sum(found.values())} English words ({len(found)} distinct)")
    print(f"total: {sum(total.values())} English words ({len(total)} distinct)")
    for word, n in total.most_common(args.top):
        print(f"  {n:5d}  {word}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
