"""Keep README.ko.md in step with README.md, section by section.

README.md is the source. Each ``## `` section of it has a Korean counterpart in README.ko.md,
whose heading names the English section it translates in an HTML comment::

    ## 강의 지도 <!-- en: Course map -->

A Korean section without such a comment must say it has no English counterpart
(``<!-- ko-only -->``, e.g. the glossary). The check fails when an English section has no
Korean counterpart, when a counterpart names a section README.md no longer has, when the
order differs, and when the two course maps list different notebooks::

    python -m tools.readme_sync              # check; exit 1 and say what differs

>>> en = "# T\\n## Start\\ntext\\n## Map\\n| a |\\n"
>>> ko = "# 제목\\n## 시작 <!-- en: Start -->\\n## 용어 <!-- ko-only -->\\n"
>>> problems(en, ko)
["README.md's section 'Map' has no Korean counterpart in README.ko.md (a '## … <!-- en: Map -->' heading)"]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

__all__ = ["problems", "main"]

ROOT = Path(__file__).resolve().parent.parent
_HEADING = re.compile(r"^## (?P<title>.*?)\s*(?:<!--\s*(?P<note>.*?)\s*-->)?\s*$")
# A link to a notebook in a course-map table row: notebooks/NN_name.ipynb or notebooks/ko/...
_NOTEBOOK = re.compile(r"\]\(notebooks/(?:ko/)?(\d\d_[a-z0-9_]+)\.ipynb\)")


def _sections(text: str) -> list[tuple[str, str | None, str]]:
    """The ``## `` sections of a Markdown text: (title, comment, body), outside code fences."""
    sections: list[tuple[str, str | None, list[str]]] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        match = None if fenced else _HEADING.match(line)
        if match:
            sections.append((match["title"], match["note"], []))
        elif sections:
            sections[-1][2].append(line)
    return [(title, note, "\n".join(body)) for title, note, body in sections]


def _course_map(body: str) -> list[str]:
    """The notebooks a course-map section's table rows link to, in order."""
    rows = [line for line in body.splitlines() if line.startswith("| [")]
    return [m.group(1) for row in rows for m in [_NOTEBOOK.search(row)] if m]


def problems(english: str, korean: str) -> list[str]:
    """What keeps ``korean`` (README.ko.md) from matching ``english`` (README.md)."""
    found: list[str] = []
    en_sections = _sections(english)
    en_titles = [title for title, _, _ in en_sections]
    counterparts: list[str] = []
    ko_bodies: dict[str, str] = {}
    for title, note, body in _sections(korean):
        if note == "ko-only":
            continue
        if not note or not note.startswith("en:"):
            found.append(
                f"README.ko.md's section {title!r} names no English section: end its heading "
                "with '<!-- en: <English title> -->' or '<!-- ko-only -->'"
            )
            continue
        source = note[3:].strip()
        if source not in en_titles:
            found.append(
                f"README.ko.md's section {title!r} translates {source!r}, "
                "which README.md no longer has"
            )
            continue
        counterparts.append(source)
        ko_bodies[source] = body
    for title in en_titles:
        if title not in counterparts:
            found.append(
                f"README.md's section {title!r} has no Korean counterpart in README.ko.md "
                f"(a '## … <!-- en: {title} -->' heading)"
            )
    in_both = [title for title in en_titles if title in counterparts]
    if [title for title in counterparts if title in in_both] != in_both:
        found.append("README.ko.md's sections are not in README.md's order: " + ", ".join(in_both))
    for title, _, body in en_sections:
        en_map = _course_map(body)
        if en_map and title in ko_bodies and _course_map(ko_bodies[title]) != en_map:
            found.append(
                f"the course maps differ: README.md lists {en_map}, "
                f"README.ko.md lists {_course_map(ko_bodies[title])}"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository root")
    args = parser.parse_args(argv)
    english = (args.root / "README.md").read_text(encoding="utf-8")
    korean = (args.root / "README.ko.md").read_text(encoding="utf-8")
    found = problems(english, korean)
    for problem in found:
        print(f"README.ko.md: {problem}", file=sys.stderr)
    if found:
        print("fix README.ko.md, then run: python -m tools.readme_sync", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
