"""Hold the Korean edition to its glossary, ``translations/ko/glossary.toml``.

The glossary gives each English term its one Korean rendering and the variants it rules
out. This tool reads the overlays (``translations/ko/*.md``, each cell next to its English
source in ``notebooks/solutions/``) and the check messages' catalogue
(``course_utils/checks/_ko/*.py``, each message next to its English template) and reports:

- a *forbidden variant*: a Korean cell or message that renders a term some other way
  (신경망 for a bare "network", 부트스트래핑, 손잡이 for "knob", ...). A variant that is the
  rendering of another term is allowed as often as that term's English occurs in the same
  cell or message (신경망 for "neural network");
- a *first use without the English*: in each notebook, the first occurrence of a term marked
  ``first_use`` must read "타깃 네트워크(target network)".

Code in backticks, formulas, link targets and HTML are not read. Commands (from the
repository root)::

    python -m tools.glossary            # list every violation and the pending ones
    python -m tools.glossary --check    # the same; exit 1 on a violation (make sync-check)

>>> term = Term("knob", "장치", forbidden=("손잡이",))
>>> [str(v) for v in violations([Unit("a.md", "cell x", "a knob", "손잡이 하나", 3)], [term])]
["a.md:3: cell x: '손잡이' is not the glossary's rendering of 'knob': write '장치'"]
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "GLOSSARY",
    "Term",
    "Unit",
    "Violation",
    "catalogue_units",
    "first_use_violations",
    "load",
    "main",
    "overlay_units",
    "prose",
    "readme_problems",
    "readme_units",
    "violations",
]

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = Path("translations") / "ko" / "glossary.toml"
OVERLAY_DIR = Path("translations") / "ko"
SOURCE_DIR = Path("notebooks") / "solutions"
CATALOGUE_DIR = Path("course_utils") / "checks" / "_ko"

_HEADER = re.compile(r"^<!-- cell: (?P<id>\S+) en: [0-9a-f]{12}(?P<todo> todo)? -->$")
# What is not prose: fenced and inline code, formulas, link targets, HTML comments and tags.
_NOT_PROSE = re.compile(
    r"```.*?```|`[^`\n]+`|\$\$.*?\$\$|(?<![\\$])\$[^$\n]+\$|\]\([^)\s]+\)|<!--.*?-->|<[^>\n]+>",
    re.DOTALL,
)


def prose(text: str) -> str:
    """``text`` with its code, formulas, link targets and HTML blanked out (same length, so
    that offsets still give line numbers).

    >>> prose("`신경망` and $x$ 신경망").split()
    ['and', '신경망']
    """
    return _NOT_PROSE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


@dataclass(frozen=True)
class Term:
    """One glossary entry: the English term, its Korean rendering, what it rules out."""

    en: str
    ko: str
    forbidden: tuple[str, ...] = ()
    short: tuple[str, ...] = ()
    first_use: bool = False
    en_pattern: str = ""

    def english(self, text: str) -> int:
        """How often the term occurs in the English ``text``."""
        pattern = self.en_pattern or rf"\b{re.escape(self.en)}s?\b"
        return len(re.findall(pattern, text, flags=re.IGNORECASE))


@dataclass(frozen=True)
class Unit:
    """A piece of Korean to check: a notebook cell or a check message, with its English."""

    path: str
    where: str  # "cell <id>" or "message '<English template>'"
    english: str
    korean: str
    line: int = 1  # the line of the file the Korean starts on


@dataclass(frozen=True)
class Violation:
    path: str
    line: int
    where: str
    found: str
    term: Term
    kind: str = "forbidden"  # or "first use"

    def key(self) -> tuple[str, str, str, str]:
        """What a ``[[pending]]`` entry names: file, message or cell, term, variant."""
        return (self.path, self.where, self.term.en, self.found)

    def __str__(self) -> str:
        head = f"{self.path}:{self.line}: {self.where}: "
        if self.kind == "first use":
            return (
                f"{head}first use of '{self.term.ko}' ({self.found!r}) gives no English: "
                f"write '{self.term.ko}({self.term.en})'"
            )
        return (
            f"{head}{self.found!r} is not the glossary's rendering of {self.term.en!r}: "
            f"write {self.term.ko!r}"
        )


@dataclass
class Glossary:
    terms: list[Term]
    pending: list[tuple[str, str, str, str]] = field(default_factory=list)


def load(path: Path) -> Glossary:
    """The glossary file: its ``[[term]]`` and ``[[pending]]`` tables."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    terms = []
    for raw in data.get("term", []):
        unknown = set(raw) - {"en", "ko", "forbidden", "short", "first_use", "en_pattern", "note"}
        if unknown or not {"en", "ko"} <= set(raw):
            raise ValueError(f"{path}: term {raw!r}: needs en and ko; unknown keys {unknown}")
        terms.append(
            Term(
                raw["en"],
                raw["ko"],
                tuple(raw.get("forbidden", ())),
                tuple(raw.get("short", ())),
                bool(raw.get("first_use", False)),
                raw.get("en_pattern", ""),
            )
        )
    for term in terms:
        for pattern in (*term.forbidden, term.en_pattern):
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(
                    f"{path}: term {term.en!r}: bad pattern {pattern!r}: {error}"
                ) from None
    pending = [(p["file"], p["where"], p["term"], p["found"]) for p in data.get("pending", [])]
    return Glossary(terms, pending)


def _line(unit: Unit, offset: int) -> int:
    return unit.line + unit.korean.count("\n", 0, offset)


def violations(units: Iterable[Unit], terms: Sequence[Term]) -> list[Violation]:
    """Every forbidden variant in ``units``, less those another term's English accounts for."""
    renders: dict[str, list[Term]] = {}
    for term in terms:
        for form in (term.ko, *term.short):
            renders.setdefault(form, []).append(term)
    found = []
    for unit in units:
        korean = prose(unit.korean)
        allowance: Counter[str] = Counter()
        for form, owners in renders.items():
            allowance[form] = sum(owner.english(unit.english) for owner in owners)
        matches = [
            (match.start(), match.end(), term)
            for term in terms
            for pattern in term.forbidden
            for match in re.finditer(pattern, korean)
        ]
        # One report per variant: 온라인 신경망 is the online network's, not also the network's.
        matches = [
            (start, end, term)
            for start, end, term in matches
            if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in matches)
        ]
        for start, end, term in sorted(matches, key=lambda m: m[0]):
            text = korean[start:end]
            if allowance[text] > 0:
                allowance[text] -= 1
                continue
            found.append(Violation(unit.path, _line(unit, start), unit.where, text, term))
    return found


def first_use_violations(units: Sequence[Unit], terms: Sequence[Term]) -> list[Violation]:
    """In one notebook's cells (in order): first occurrences of ``first_use`` terms that do
    not give the English in parentheses."""
    found = []
    for term in terms:
        if not term.first_use:
            continue
        forms = sorted({term.ko, *term.short}, key=len, reverse=True)
        anywhere = re.compile("|".join(re.escape(form) for form in forms))
        right = re.compile(
            rf"{re.escape(term.ko)}\**\s?\((?:{re.escape(term.en)}|{term.en_pattern or '$^'})",
            re.IGNORECASE,
        )
        for unit in units:
            korean = prose(unit.korean)
            match = anywhere.search(korean)
            if match:
                if not right.match(korean, match.start()):
                    snippet = korean[match.start() : match.end() + 12].split("\n")[0]
                    found.append(
                        Violation(
                            unit.path,
                            _line(unit, match.start()),
                            unit.where,
                            snippet,
                            term,
                            "first use",
                        )
                    )
                break
    return found


def _entries(path: Path) -> dict[str, tuple[str, int]]:
    """An overlay's translated entries: cell id -> (Korean, the line its text starts on)."""
    entries: dict[str, tuple[str, int]] = {}
    current, start, body = None, 0, []
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines, 1):
        match = _HEADER.match(line.strip())
        if match:
            if current:
                entries[current] = ("\n".join(body), start)
            # An entry still marked todo holds the English, not a translation: not read.
            current = None if match["todo"] else match["id"]
            start, body = number + 1, []
        elif current:
            body.append(line)
    if current:
        entries[current] = ("\n".join(body), start)
    return entries


def overlay_units(root: Path) -> dict[str, list[Unit]]:
    """Each overlay's cells, in the English notebook's order, with their English source."""
    notebooks: dict[str, list[Unit]] = {}
    for path in sorted((root / OVERLAY_DIR).glob("*.md")):
        source = root / SOURCE_DIR / f"{path.stem}.ipynb"
        if not source.exists():
            continue
        cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
        entries = _entries(path)
        relative = str(path.relative_to(root))
        notebooks[relative] = [
            Unit(relative, f"cell {cell['id']}", "".join(cell["source"]), *entries[cell["id"]])
            for cell in cells
            if cell["cell_type"] == "markdown" and cell.get("id") in entries
        ]
    return notebooks


def catalogue_units(root: Path) -> list[Unit]:
    """Every message of the Korean catalogue, with its English template and its line."""
    units = []
    for path in sorted((root / CATALOGUE_DIR).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                    if isinstance(key.value, str) and isinstance(value.value, str):
                        short = key.value if len(key.value) <= 60 else key.value[:57] + "..."
                        units.append(
                            Unit(
                                str(path.relative_to(root)),
                                f"message {short!r}",
                                key.value,
                                value.value,
                                value.lineno,
                            )
                        )
    return units


README_KO = Path("README.ko.md")
_GLOSSARY_HEADING = re.compile(r"^## 용어집")


def _readme_sections(text: str) -> list[tuple[str, str, int]]:
    """(heading note or title, body, first line) of each ``## `` section; "" for the top."""
    sections: list[tuple[str, list[str], int]] = [("", [], 1)]
    fenced = False
    for number, line in enumerate(text.split("\n"), 1):
        fenced = fenced != line.startswith("```")
        heading = re.match(r"^## (.*?)\s*(?:<!--\s*(.*?)\s*-->)?\s*$", line)
        if heading and not fenced:
            sections.append((heading[2] or heading[1], [], number))
        sections[-1][1].append(line)
    return [(name, "\n".join(body), start) for name, body, start in sections]


def readme_units(root: Path) -> list[Unit]:
    """README.ko.md's sections, each with the README.md section it translates (``ko-only``
    sections, such as the glossary itself, have no English and are not read)."""
    korean_path, english_path = root / README_KO, root / "README.md"
    if not korean_path.exists() or not english_path.exists():
        return []
    english = {
        name: body for name, body, _ in _readme_sections(english_path.read_text(encoding="utf-8"))
    }
    units = []
    for name, body, start in _readme_sections(korean_path.read_text(encoding="utf-8")):
        source = name[3:].strip() if name.startswith("en:") else name
        if name == "" or source in english:
            where = f"section {source!r}" if source else "introduction"
            units.append(Unit(str(README_KO), where, english[source], body, start))
    return units


def readme_problems(root: Path, terms: Sequence[Term]) -> list[str]:
    """The rows of README.ko.md's glossary table that the glossary file does not hold: each
    row's Korean and English must be one term's ``ko`` and ``en`` (or `` / ``-separated
    terms')."""
    path = root / README_KO
    if not path.exists():
        return []
    by_en = {term.en.lower(): term for term in terms}
    found, inside = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith("## "):
            inside = bool(_GLOSSARY_HEADING.match(line))
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not inside or not line.startswith("| ") or len(cells) < 2 or cells[0] == "한국어":
            continue
        korean, english = cells[0], cells[1]
        pairs = [(korean, english)]
        if english.lower() not in by_en:
            pairs = list(zip(korean.split(" / "), english.split(" / "), strict=False))
        for ko, en in pairs:
            term = by_en.get(en.strip().lower())
            if term is None or ko.strip() != term.ko:
                want = f"ko = {term.ko!r}" if term else "no term"
                found.append(
                    f"{README_KO}:{number}: glossary row {ko.strip()!r} | {en.strip()!r}: "
                    f"{GLOSSARY} has {want} for {en.strip()!r}"
                )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 on a violation")
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository root")
    parser.add_argument(
        "--pending",
        action="store_true",
        help="print the catalogue's violations as [[pending]] entries for the glossary file",
    )
    args = parser.parse_args(argv)
    glossary = load(args.root / GLOSSARY)
    notebooks = overlay_units(args.root)
    found = violations([u for units in notebooks.values() for u in units], glossary.terms)
    for units in notebooks.values():
        found += first_use_violations(units, glossary.terms)
    found += violations(readme_units(args.root), glossary.terms)
    found += violations(catalogue_units(args.root), glossary.terms)
    if args.pending:
        for v in found:
            if v.path.startswith(str(CATALOGUE_DIR)):
                print(
                    f"[[pending]]\nfile = {json.dumps(v.path)}\nwhere = {json.dumps(v.where, ensure_ascii=False)}\n"
                    f"term = {json.dumps(v.term.en)}\nfound = {json.dumps(v.found, ensure_ascii=False)}\n"
                )
        return 0
    pending = set(glossary.pending)
    failing = [v for v in found if v.key() not in pending]
    fixed = pending - {v.key() for v in found}
    for violation in sorted(failing, key=lambda v: (v.path, v.line)):
        print(violation, file=sys.stderr)
    waiting = [v for v in found if v.key() in pending]
    if waiting:
        print(f"{len(waiting)} pending (listed in {GLOSSARY}, not failing):", file=sys.stderr)
        for violation in sorted(waiting, key=lambda v: (v.path, v.line)):
            print(f"  pending: {violation}", file=sys.stderr)
    for path, where, term, text in sorted(fixed):
        print(
            f"{GLOSSARY}: pending entry ({path}, {where}, {term!r}, {text!r}) no longer "
            "occurs: delete it",
            file=sys.stderr,
        )
    readme = readme_problems(args.root, glossary.terms)
    for problem in readme:
        print(problem, file=sys.stderr)
    bad = len(failing) + len(fixed) + len(readme)
    if bad:
        print(
            f"{bad} glossary problem(s): use the rendering {GLOSSARY} gives, or change the "
            "glossary there",
            file=sys.stderr,
        )
    else:
        print(f"glossary: {sum(map(len, notebooks.values()))} cells and the catalogue agree")
    return 1 if args.check and bad else 0


if __name__ == "__main__":
    sys.exit(main())
