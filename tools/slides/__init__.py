"""reveal.js slides of the solution notebooks, one slide per section.

``python -m tools.slides notebooks/solutions _build/slides`` (``make slides``) writes
``_build/slides/<name>.slides.html`` for every notebook. The slide structure comes from
the cells' ``slideshow`` metadata, which this module fills in on a copy from the headings:

- the title (``#``) and each section (``##``) start a slide;
- each subsection (``###``) starts a sub-slide, below its section's slide;
- cells tagged ``badges``, ``colab-setup`` or ``solution-only`` are skipped;
- every other cell continues the current (sub-)slide.

A cell whose ``slideshow`` metadata an instructor has set in the notebook (View → Property
Inspector in JupyterLab) keeps it, so any single slide can be tuned by hand; the committed
notebooks are never rewritten by this module.

>>> import nbformat
>>> nb = nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_markdown_cell("# Title"),
...     nbformat.v4.new_markdown_cell("## 1. Section"),
...     nbformat.v4.new_code_cell("x = 1"),
...     nbformat.v4.new_markdown_cell("### 1.1 Detail"),
... ])
>>> slide_types(nb)
['slide', 'slide', '-', 'subslide']
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path
from typing import Any

import nbformat

from tools import cells

__all__ = ["SKIP_TAGS", "build_slides", "heading_level", "main", "slide_types", "with_slideshow"]

SKIP_TAGS = frozenset({cells.BADGES, cells.COLAB_SETUP, cells.SOLUTION_ONLY})
_TYPE_OF_LEVEL = {1: "slide", 2: "slide", 3: "subslide"}


def heading_level(cell: dict[str, Any]) -> int | None:
    """Level of the markdown heading that opens ``cell`` (1 for ``#``), or None.

    >>> heading_level({"cell_type": "markdown", "source": "\\n## Replay memory\\nText"})
    2
    >>> heading_level({"cell_type": "code", "source": "## a comment"}) is None
    True
    """
    if cell.get("cell_type") != "markdown":
        return None
    source = cell.get("source", "")
    if isinstance(source, list):
        source = "".join(source)
    first = source.lstrip().split("\n", 1)[0]
    hashes = len(first) - len(first.lstrip("#"))
    if 1 <= hashes <= 6 and first[hashes : hashes + 1] == " ":
        return hashes
    return None


def slide_types(nb: Any) -> list[str]:
    """The reveal.js slide type of each cell: explicit metadata first, else from headings."""
    types = []
    for cell in nb["cells"]:
        explicit = cell.get("metadata", {}).get("slideshow", {}).get("slide_type")
        if explicit:
            types.append(explicit)
        elif any(cells.has_tag(cell, tag) for tag in SKIP_TAGS):
            types.append("skip")
        else:
            types.append(_TYPE_OF_LEVEL.get(heading_level(cell) or 0, "-"))
    return types


def with_slideshow(nb: Any) -> Any:
    """A copy of ``nb`` whose every cell carries ``slideshow.slide_type``."""
    nb = copy.deepcopy(nb)
    for cell, slide_type in zip(nb["cells"], slide_types(nb), strict=True):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": slide_type}
    return nb


def build_slides(
    source: Path, destination: Path, reveal_url_prefix: str | None = None
) -> list[Path]:
    """Write ``<name>.slides.html`` in ``destination`` for each notebook in ``source``.

    reveal.js is loaded when the slides are shown: from its CDN by default, or from
    ``reveal_url_prefix`` (a folder or URL holding reveal.js, for a lecture hall offline).
    """
    from nbconvert import SlidesExporter  # imported here: slow, and only needed to build

    notebooks = sorted(Path(source).glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"no notebooks in {source}")
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    # Sections are long: let a slide scroll rather than overflow the projector.
    exporter = SlidesExporter(reveal_scroll=True)
    if reveal_url_prefix:
        exporter.reveal_url_prefix = reveal_url_prefix
    written = []
    for path in notebooks:
        nb = with_slideshow(nbformat.read(path, as_version=4))
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
        out = destination / f"{path.stem}.slides.html"
        out.write_text(body, encoding="utf-8")
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.slides", description=__doc__)
    parser.add_argument("source", type=Path, help="folder of notebooks (notebooks/solutions)")
    parser.add_argument("destination", type=Path, help="output folder (_build/slides)")
    parser.add_argument(
        "--reveal-url-prefix", help="where reveal.js is loaded from (default: its CDN)"
    )
    args = parser.parse_args(argv)
    for out in build_slides(args.source, args.destination, args.reveal_url_prefix):
        print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
