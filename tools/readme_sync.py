"""Keep each translated README (README.<lang>.md) in step with README.md, section by section.

README.md is the source. Each ``## `` section of it has a counterpart in every
``README.<lang>.md`` (one per language of ``translations/``, :mod:`tools.languages`), whose
heading names the English section it translates in an HTML comment::

    ## 강의 지도 <!-- en: Course map -->

A translated section without such a comment must say it has no English counterpart
(``<!-- ko-only -->`` in README.ko.md, e.g. the glossary). The check fails when an English
section has no counterpart, when a counterpart names a section README.md no longer has, when
the order differs, and when the two course maps list different notebooks (the course maps
themselves are written by :mod:`tools.course_map`)::

    python -m tools.readme_sync              # check; exit 1 and say what differs

>>> en = "# T\\n## Start\\ntext\\n## Map\\n| a |\\n"
>>> ko = "# 제목\\n## 시작 <!-- en: Start -->\\n## 용어 <!-- ko-only -->\\n"
>>> problems(en, ko)
["README.md's section 'Map' has no counterpart in README.ko.md (a '## … <!-- en: Map -->' heading)"]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from tools.languages import languages

__all__ = ["problems", "main"]

ROOT = Path(__file__).resolve().parent.parent
_HEADING = re.compile(r"^## (?P<title>.*?)\s*(?:<!--\s*(?P<note>.*?)\s*-->)?\s*$")
# A link to a notebook in a course-map table row: notebooks/NN_name.ipynb or notebooks/<lang>/...
_NOTEBOOK = re.compile(r"\]\(notebooks/(?:[A-Za-z-]+/)?(\d\d_[a-z0-9_]+)\.ipynb\)")


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


def problems(english: str, korean: str, readme: str = "README.ko.md") -> list[str]:
    """What keeps ``korean`` (the translated README, file name ``readme``: README.<lang>.md)
    from matching ``english`` (README.md)."""
    code = readme.split(".")[1]
    found: list[str] = []
    en_sections = _sections(english)
    en_titles = [title for title, _, _ in en_sections]
    counterparts: list[str] = []
    ko_bodies: dict[str, str] = {}
    for title, note, body in _sections(korean):
        if note == f"{code}-only":
            continue
        if not note or not note.startswith("en:"):
            found.append(
                f"{readme}'s section {title!r} names no English section: end its heading "
                f"with '<!-- en: <English title> -->' or '<!-- {code}-only -->'"
            )
            continue
        source = note[3:].strip()
        if source not in en_titles:
            found.append(
                f"{readme}'s section {title!r} translates {source!r}, which README.md no longer has"
            )
            continue
        counterparts.append(source)
        ko_bodies[source] = body
    for title in en_titles:
        if title not in counterparts:
            found.append(
                f"README.md's section {title!r} has no counterpart in {readme} "
                f"(a '## … <!-- en: {title} -->' heading)"
            )
    in_both = [title for title in en_titles if title in counterparts]
    if [title for title in counterparts if title in in_both] != in_both:
        found.append(f"{readme}'s sections are not in README.md's order: " + ", ".join(in_both))
    for title, _, body in en_sections:
        en_map = _course_map(body)
        if en_map and title in ko_bodies and _course_map(ko_bodies[title]) != en_map:
            found.append(
                f"the course maps differ: README.md lists {en_map}, "
                f"{readme} lists {_course_map(ko_bodies[title])}"
            )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository root")
    args = parser.parse_args(argv)
    english = (args.root / "README.md").read_text(encoding="utf-8")
    failed = False
    for lang in languages(args.root / "translations"):
        path = args.root / lang.readme
        if not path.is_file():
            print(f"{lang.readme}: missing (README.md in {lang.name})", file=sys.stderr)
            failed = True
            continue
        found = problems(english, path.read_text(encoding="utf-8"), lang.readme)
        for problem in found:
            print(f"{lang.readme}: {problem}", file=sys.stderr)
        if found:
            print(f"fix {lang.readme}, then run: python -m tools.readme_sync", file=sys.stderr)
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
