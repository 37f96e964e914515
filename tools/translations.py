"""The translated editions: notebooks generated from the English ones and translation overlays.

English is the source. Every folder ``translations/<lang>/`` is one language (its
``language.toml``: :mod:`tools.languages`); nothing here names one. For every complete
notebook ``notebooks/solutions/NN_name.ipynb`` and every language ``<lang>``:

- ``translations/<lang>/NN_name.md`` (the *overlay*, edited by translators) holds the
  translation of each markdown cell, keyed by cell id, with the hash of the English source it
  translates;
- ``notebooks/<lang>/solutions/NN_name.ipynb`` is generated: the English notebook with its
  markdown replaced by the overlay's, its code cells unchanged except one added line,
  ``checks.set_language("<lang>")``, right after the setup line that imports ``checks``, and
  its stored outputs kept, the checks' success lines translated through the same catalogue
  the checks use (what running the notebook in that language prints); or, once it has been
  executed in that language (``make translated-outputs``, :mod:`tools.run_notebooks`), that
  run's outputs, kept while what it ran is what the generator writes: the same code, the
  same English outputs, the same catalogues (:func:`outputs_fingerprint`; otherwise back to
  the English run's, and ``--check`` warns without failing);
- ``notebooks/<lang>/NN_name.ipynb``, the translated student notebook, is that notebook
  through the same generator as the English ones
  (:func:`tools.student_notebooks.make_student_notebook`).

The badge cell is not translated: it is rewritten to open the translated notebook. A markdown
cell without a current translation (none, marked ``todo``, or translated from an English
source that has changed since: a *stale* one) is shown in English, and ``--check`` fails.

The overlay format
------------------
Markdown, so that LaTeX and code need no escaping and the file previews on GitHub. Each
entry starts with a header comment on its own line, then the translated markdown of the cell::

    <!-- cell: 934ffdb6 en: 3f2a9c01b7de -->
    # 3. Deep SARSA: ...

``en`` is :func:`source_hash` of the English cell source that was translated (sha256, first
12 hex digits). A header ending in ``todo`` marks an entry still to translate (its text is
the English, as ``--stub`` writes it). Text before the first header is ignored.

Commands (from the repository root; ``make sync`` runs the first, ``make sync-check`` the
second; each covers every language, ``--lang CODE`` only that one)::

    python -m tools.translations            # write notebooks/<lang>/ and .../solutions/
    python -m tools.translations --check    # CI: exit 1 on a missing, stale or orphan
                                            # translation or a generated notebook out of date
    python -m tools.translations --todo [NN_name ...]  # what to translate, with the English
    python -m tools.translations --stub [NN_name ...]  # add the missing cells, marked todo
                                            # (--stub --lang CODE starts a new language)
    python -m tools.translations --messages # check-message templates the catalogue lacks
    python -m tools.translations --english-outputs [NN ...]  # solution notebooks still
                                            # showing the English run's outputs

>>> source_hash("# Title")
'79aeaf7ba450'
>>> entries = parse_overlay("<!-- cell: a en: 79aeaf7ba450 -->\\n# 제목\\n")
>>> entries["a"].text, entries["a"].source_hash, entries["a"].todo
('# 제목', '79aeaf7ba450', False)
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager
from nbformat import NotebookNode

from course_utils import i18n
from course_utils.checks.catalogue import LANGUAGES, translate_success_lines
from tools import launch_cells
from tools.cells import BADGES, has_tag
from tools.languages import Language, language, languages
from tools.run_notebooks import code_fingerprint
from tools.student_notebooks import make_student_notebook, notebook_text, solution_notebooks

__all__ = [
    "Entry",
    "Problem",
    "check",
    "generate",
    "kept_markup",
    "unclosed_emphasis",
    "main",
    "message_templates",
    "parse_overlay",
    "problems",
    "source_hash",
    "stub",
    "todo",
    "translate_notebook",
]

SOURCE_DIR = Path("notebooks/solutions")
CHECKS_DIR = Path(__file__).resolve().parent.parent / "course_utils" / "checks"
FIX = "make sync"  # the command that regenerates every derived file (tools/sync.py)

_HEADER = re.compile(r"^<!-- cell: (?P<id>\S+) en: (?P<hash>[0-9a-f]{12})(?P<todo> todo)? -->$")


def source_hash(source: str) -> str:
    """The hash an overlay entry stores of the English it translates: sha256, 12 hex digits."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Entry:
    """One translated cell of an overlay."""

    cell_id: str
    source_hash: str
    text: str
    todo: bool = False


@dataclass(frozen=True)
class Problem:
    """Why a notebook's translation is not current: missing, todo, stale, orphan, or drift."""

    notebook: str
    cell_id: str
    kind: str
    language: str = "the language"

    def __str__(self) -> str:
        what = {
            "missing": "markdown cell has no translation",
            "todo": "translation marked todo",
            "stale": "English source changed since it was translated",
            "orphan": "translation of a cell the English notebook no longer has",
            "english": f"translation has no {self.language} in it",
            "emphasis": "bold or italic that Markdown leaves as literal stars: after `)` or "
            "another punctuation mark, `**` closes only before a space or punctuation "
            "(write **term**(gloss)x, not **term(gloss)**x)",
            "markup": "code, formulas, links or HTML tags differ from the English "
            "(`python -m tools.translations --todo` shows which)",
            "catalogue": "no check-message catalogue for this language in "
            "course_utils.checks.catalogue.LANGUAGES (docs/maintainers.md, adding a language)",
        }[self.kind]
        return f"{self.notebook}: cell {self.cell_id}: {what}"


def parse_overlay(text: str, name: str = "overlay") -> dict[str, Entry]:
    """The entries of an overlay file, by cell id (text before the first header ignored)."""
    entries: dict[str, Entry] = {}
    header: re.Match[str] | None = None
    body: list[str] = []

    def close() -> None:
        if header is None:
            return
        if header["id"] in entries:
            raise ValueError(f"{name}: cell {header['id']} appears twice")
        entries[header["id"]] = Entry(
            header["id"], header["hash"], "\n".join(body).strip("\n"), bool(header["todo"])
        )

    for line in text.split("\n"):
        match = _HEADER.match(line.strip())
        if match:
            close()
            header, body = match, []
        elif line.strip().startswith("<!-- cell:"):
            raise ValueError(
                f"{name}: malformed entry header {line.strip()!r}; expected "
                "'<!-- cell: <id> en: <12 hex digits> -->' (optionally ending in ' todo -->')"
            )
        else:
            body.append(line)
    close()
    return entries


def _overlay(overlay_dir: Path, notebook: str) -> dict[str, Entry]:
    path = overlay_dir / f"{Path(notebook).stem}.md"
    if not path.exists():
        return {}
    return parse_overlay(path.read_text(encoding="utf-8"), str(path))


def _translatable(cell: NotebookNode) -> bool:
    """Markdown cells are translated, except the badges, which the generator writes."""
    return cell.cell_type == "markdown" and not has_tag(cell, BADGES)


# What a translation keeps exactly as in the English: code, formulas, links, HTML tags.
_KEPT = re.compile(
    r"```.*?```"  # fenced code
    r"|`[^`\n]+`"  # inline code
    r"|\$\$.*?\$\$"  # display math
    r"|(?<![\\$])\$[^$\n]+\$"  # inline math
    r"|\]\([^)\s]+\)"  # link targets
    r"|</?(?:details|summary|div|br|img)\b[^>]*>",  # the HTML the notebooks use
    re.DOTALL,
)


def kept_markup(markdown: str) -> list[str]:
    """The code, formulas, link targets and HTML tags of ``markdown``, sorted: a translation
    must keep the same ones.

    >>> kept_markup("Use `gather`, $r + γ q$ and [the docs](https://x.org).")
    ['$r + γ q$', '](https://x.org)', '`gather`']
    """
    return sorted(match.group(0) for match in _KEPT.finditer(markdown))


def _punctuation(char: str) -> bool:
    return char != "" and unicodedata.category(char)[0] in "PS"


def _space(char: str) -> bool:
    return char == "" or char.isspace()


def unclosed_emphasis(markdown: str) -> int:
    """How many ``*`` or ``**`` runs of ``markdown`` CommonMark would show as literal stars.

    CommonMark closes ``**`` only when what follows is a space or punctuation if what comes
    before is punctuation: ``**층(layer)**은`` stays literal; ``**층**(layer)은`` is bold.
    (An approximation of its delimiter rules: runs pair by length, in order.)

    >>> unclosed_emphasis("**층(layer)**은"), unclosed_emphasis("**층**(layer)은")
    (2, 0)
    """
    text = re.sub(r"`[^`\n]*`|\$\$.*?\$\$|\$[^$\n]+\$", "x", markdown, flags=re.DOTALL)
    open_runs: list[str] = []
    broken = 0
    for match in re.finditer(r"(?<![*\\])\*+(?!\*)", text):
        run, start, end = match.group(0), match.start(), match.end()
        before = text[start - 1] if start else ""
        after = text[end] if end < len(text) else ""
        left = not _space(after) and (
            not _punctuation(after) or _space(before) or _punctuation(before)
        )
        right = not _space(before) and (
            not _punctuation(before) or _space(after) or _punctuation(after)
        )
        if right and run in open_runs:
            while open_runs.pop() != run:
                broken += 1
        elif left:
            open_runs.append(run)
        elif not (before.isspace() and after.isspace()):  # a lone " * " is just a star
            broken += 1
    return broken + len(open_runs)


def _untranslated(english: str, translation: str, lang: Language) -> bool:
    """Whether ``translation`` is still the English: without the language's letters (where
    ``language.toml`` names them and the English has none), or the English unchanged."""
    if lang.letters:
        return not lang.is_written_in(english) and not lang.is_written_in(translation)
    return translation.strip() == english.strip()


def problems(
    nb: NotebookNode, entries: dict[str, Entry], notebook: str, lang: Language
) -> list[Problem]:
    """Every markdown cell of ``nb`` without a current translation, and every orphan entry."""
    found = []
    ids = set()
    for cell in nb.cells:
        if not _translatable(cell):
            continue
        ids.add(cell.id)
        entry = entries.get(cell.id)
        kind = None
        if entry is None:
            kind = "missing"
        elif entry.todo:
            kind = "todo"
        elif entry.source_hash != source_hash(cell.source):
            kind = "stale"
        elif _untranslated(cell.source, entry.text, lang):
            kind = "english"
        elif kept_markup(entry.text) != kept_markup(cell.source):
            kind = "markup"
        elif unclosed_emphasis(entry.text) > unclosed_emphasis(cell.source):
            kind = "emphasis"
        if kind:
            found.append(Problem(notebook, cell.id, kind, lang.name))
    found += [
        Problem(notebook, cell_id, "orphan", lang.name) for cell_id in entries if cell_id not in ids
    ]
    return found


def _checks_import_end(source: str) -> int | None:
    """The line number (1-based) where the top-level statement importing ``checks`` ends."""
    # Line magics (`%matplotlib inline`) become one Python line each: line numbers are kept.
    python = TransformerManager().transform_cell(source)
    try:
        tree = ast.parse(python)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "course_utils":
            if any(alias.name == "checks" and alias.asname is None for alias in node.names):
                return node.end_lineno
        if isinstance(node, ast.Import) and any(
            alias.name == "course_utils.checks" and alias.asname == "checks" for alias in node.names
        ):
            return node.end_lineno
    return None


def _add_set_language(source: str, end: int, lang: Language) -> str:
    lines = source.split("\n")
    return "\n".join([*lines[:end], lang.set_language_line, *lines[end:]])


OUTPUTS = "translation"  # an executed notebook's metadata: {"executed": ..., "code": ...}
ENGLISH_RUN = "outputs from the English run: execute with `make translated-outputs`"


def outputs_fingerprint(translated: NotebookNode, english: NotebookNode, lang: Language) -> str:
    """What a translated notebook's outputs come from: its code cells, the English run's
    outputs (re-executing the English invalidates them, so numbers the prose quotes stay in
    step) and the language's catalogues (check messages, course_utils' labels)."""
    payload = {
        "code": code_fingerprint(translated),
        "english outputs": [c.get("outputs", []) for c in english.cells if c.cell_type == "code"],
        "checks": sorted(LANGUAGES.get(lang.code, {}).items()),
        "labels": sorted(i18n._CATALOGUES.get(lang.code, {}).items()),
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _keep_executed(translated: NotebookNode, executed: NotebookNode, stamp: str) -> bool:
    """Put the outputs of ``executed`` (the notebook as last written, perhaps executed since by
    ``tools.run_notebooks``) into ``translated`` when they come from a run of this very
    notebook: same fingerprint, same code. Returns whether it did."""
    mark = executed.metadata.get(OUTPUTS, {})
    if mark.get("executed") != stamp or mark.get("code") != code_fingerprint(translated):
        return False
    ran = {cell.get("id"): cell for cell in executed.cells if cell.cell_type == "code"}
    for cell in translated.cells:
        if cell.cell_type == "code":
            cell.outputs = copy.deepcopy(ran[cell.id].outputs)
            cell.execution_count = ran[cell.id].execution_count
            if "execution" in ran[cell.id].metadata:
                cell.metadata["execution"] = copy.deepcopy(ran[cell.id].metadata["execution"])
    translated.metadata[OUTPUTS] = copy.deepcopy(mark)
    return True


def _translate_outputs(cell: NotebookNode, lang: Language) -> None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            output["text"] = translate_success_lines(output["text"], lang.code)


def _require_catalogue(lang: Language) -> None:
    if lang.code not in LANGUAGES:
        raise ValueError(
            f"{lang.overlay_dir}: no check-message catalogue for {lang.code!r} in "
            "course_utils.checks.catalogue.LANGUAGES (docs/maintainers.md, adding a language)"
        )


def translate_notebook(
    nb: NotebookNode,
    entries: dict[str, Entry],
    notebook: str,
    lang: Language,
    folder: str | None = None,
    executed: NotebookNode | None = None,
) -> NotebookNode:
    """The complete notebook of ``nb`` in ``lang`` (a new object): see the module docstring.
    ``executed``: the translated notebook as it is now; its outputs are kept when they come
    from executing this notebook (``metadata["translation"]["executed"]``)."""
    _require_catalogue(lang)
    translated = copy.deepcopy(nb)
    placed = False
    for cell in translated.cells:
        if cell.cell_type == "markdown" and has_tag(cell, BADGES):
            cell.source = launch_cells.notebook_badges(
                notebook, folder=folder or lang.student_dir.as_posix()
            )
        elif _translatable(cell):
            entry = entries.get(cell.id)
            if entry and not entry.todo and entry.source_hash == source_hash(cell.source):
                cell.source = entry.text
        elif cell.cell_type == "code":
            end = None if placed else _checks_import_end(cell.source)
            if end is not None:
                cell.source = _add_set_language(cell.source, end, lang)
                placed = True
            _translate_outputs(cell, lang)
    if not placed:
        raise ValueError(
            f"{notebook}: no code cell imports `checks`; where would it set the language?"
        )
    # A marker for readers and tools; Jupyter ignores it.
    translated.metadata["language"] = lang.code
    if executed is not None:
        _keep_executed(translated, executed, outputs_fingerprint(translated, nb, lang))
    return translated


def english_run(nb: NotebookNode) -> bool:
    """Whether a translated notebook's outputs are the English run's (success lines
    translated), not its own execution's."""
    return OUTPUTS not in nb.metadata


def executed_mark(path: Path, nb: NotebookNode, src_dir: Path = SOURCE_DIR) -> dict[str, str]:
    """What :mod:`tools.run_notebooks` stores in a translated notebook it has just executed
    (``nb``, read from ``path``): the fingerprint of what the generator writes for it now,
    and of the code it ran. The generator keeps the outputs while both still match."""
    lang = language(nb.metadata["language"])
    english = nbformat.read(src_dir / path.name, as_version=4)
    fresh = translate_notebook(english, _overlay(lang.overlay_dir, path.name), path.name, lang)
    return {"executed": outputs_fingerprint(fresh, english, lang), "code": code_fingerprint(nb)}


def _read(path: Path) -> NotebookNode | None:
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError):  # missing or not a notebook: generated afresh
        return None


def _translated(source: Path, lang: Language) -> NotebookNode:
    nb = nbformat.read(source, as_version=4)
    entries = _overlay(lang.overlay_dir, source.name)
    executed = _read(lang.solution_dir / source.name)
    return translate_notebook(nb, entries, source.name, lang, executed=executed)


def _texts(source: Path, lang: Language) -> tuple[str, str]:
    """The translated complete notebook's and student notebook's file contents."""
    translated = _translated(source, lang)
    student = make_student_notebook(translated, source.name)
    student.metadata.pop(OUTPUTS, None)  # it has no outputs
    return notebook_text(translated), notebook_text(student)


def english_outputs(src_dir: Path = SOURCE_DIR, only: Sequence[str] = ()) -> list[Path]:
    """The translated solution notebooks (as the generator writes them now) whose outputs are
    the English run's: those ``make translated-outputs`` executes."""
    return [
        lang.solution_dir / source.name
        for lang in _languages(only)
        if lang.code in LANGUAGES  # without a catalogue: nothing to generate (--check says so)
        for source in solution_notebooks(src_dir)
        if english_run(_translated(source, lang))
    ]


def _languages(only: Sequence[str] = ()) -> list[Language]:
    found = languages()
    if only:
        found = [language(code) for code in only]
    return found


def generate(src_dir: Path = SOURCE_DIR, only: Sequence[str] = ()) -> list[Path]:
    """Write every translated complete and student notebook, of every language (or those in
    ``only``); return the paths (unchanged files are left untouched)."""
    written = []
    for lang in _languages(only):
        written += _generate(src_dir, lang)
    return written


def _generate(src_dir: Path, lang: Language) -> list[Path]:
    written = []
    for source in solution_notebooks(src_dir):
        for folder, text in zip(
            (lang.solution_dir, lang.student_dir), _texts(source, lang), strict=True
        ):
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / source.name
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                target.write_text(text, encoding="utf-8", newline="\n")
            written.append(target)
    return written


def check(src_dir: Path = SOURCE_DIR, only: Sequence[str] = ()) -> list[str]:
    """Everything that keeps a translated edition from being current; empty when all are."""
    found: list[str] = []
    for lang in _languages(only):
        found += _check(src_dir, lang)
    return found


def _check(src_dir: Path, lang: Language) -> list[str]:
    overlay_dir = lang.overlay_dir
    if lang.code not in LANGUAGES:
        return [str(Problem(str(overlay_dir), "-", "catalogue", lang.name))]
    found: list[str] = []
    sources = solution_notebooks(src_dir)
    for source in sources:
        nb = nbformat.read(source, as_version=4)
        entries = _overlay(overlay_dir, source.name)
        found += [f"{overlay_dir}: {p}" for p in problems(nb, entries, source.name, lang)]
        for folder, text in zip(
            (lang.solution_dir, lang.student_dir), _texts(source, lang), strict=True
        ):
            target = folder / source.name
            if not target.exists():
                found.append(f"{target}: missing (run `{FIX}`)")
            elif target.read_text(encoding="utf-8") != text:
                found.append(f"{target}: differs from what the generator writes (run `{FIX}`)")
    names = {source.name for source in sources}
    for folder in (lang.solution_dir, lang.student_dir):
        found += [
            f"{p}: no English notebook {src_dir / p.name}"
            for p in solution_notebooks(folder)
            if p.name not in names
        ]
    found += [
        f"{p}: no English notebook {src_dir / (p.stem + '.ipynb')}"
        for p in sorted(overlay_dir.glob("*.md"))
        if p.stem + ".ipynb" not in names
    ]
    return found


def _selected(src_dir: Path, names: Sequence[str]) -> list[Path]:
    sources = solution_notebooks(src_dir)
    if not names:
        return sources
    chosen = [s for s in sources if s.stem in names or s.name in names or s.stem[:2] in names]
    if not chosen:
        raise ValueError(f"no notebook in {src_dir} matches {list(names)}")
    return chosen


def todo(lang: Language, src_dir: Path = SOURCE_DIR, names: Sequence[str] = ()) -> str:
    """For translators: each missing, todo or stale cell with its header line and its English
    (and, for a stale one, the translation to revise)."""
    out = []
    for source in _selected(src_dir, names):
        nb = nbformat.read(source, as_version=4)
        entries = _overlay(lang.overlay_dir, source.name)
        cells = {cell.id: cell for cell in nb.cells}
        for problem in problems(nb, entries, source.name, lang):
            out.append(f"# {problem}")
            if problem.kind == "orphan":
                out.append("")
                continue
            cell = cells[problem.cell_id]
            out.append(f"<!-- cell: {cell.id} en: {source_hash(cell.source)} -->")
            out.append(cell.source)
            if problem.kind == "markup":
                en = Counter(kept_markup(cell.source))
                tr = Counter(kept_markup(entries[cell.id].text))
                out.append(f"# more often in the English: {sorted((en - tr).elements())}")
                out.append(f"# more often in the translation: {sorted((tr - en).elements())}")
                out.append(entries[cell.id].text)
            if problem.kind == "stale":
                out.append(
                    f"# the translation to revise (translated from {entries[cell.id].source_hash}):"
                )
                out.append(entries[cell.id].text)
            out.append("")
    return "\n".join(out)


def _overlay_text(nb: NotebookNode, entries: dict[str, Entry], preamble: str) -> str:
    """An overlay file with one entry per markdown cell, in the notebook's order; entries of
    cells the notebook lacks are kept at the end (``--check`` reports them)."""
    parts = [preamble.rstrip("\n")] if preamble.strip() else []
    ids = []
    for cell in nb.cells:
        if not _translatable(cell):
            continue
        ids.append(cell.id)
        entry = entries.get(cell.id)
        if entry is None or (entry.todo and entry.source_hash != source_hash(cell.source)):
            entry = Entry(cell.id, source_hash(cell.source), cell.source, True)
        flag = " todo" if entry.todo else ""
        parts.append(f"<!-- cell: {entry.cell_id} en: {entry.source_hash}{flag} -->\n{entry.text}")
    for cell_id, entry in entries.items():
        if cell_id not in ids and not entry.todo:  # a todo entry of a removed cell goes
            flag = " todo" if entry.todo else ""
            parts.append(f"<!-- cell: {cell_id} en: {entry.source_hash}{flag} -->\n{entry.text}")
    return "\n\n".join(parts) + "\n"


_PREAMBLE = (
    "<!-- {language} overlay of notebooks/solutions/{name}: see translations/README.md.\n"
    "     One entry per markdown cell: a header line, then the translated markdown. -->\n"
)


def stub(lang: Language, src_dir: Path = SOURCE_DIR, names: Sequence[str] = ()) -> list[Path]:
    """Add every untranslated markdown cell to its overlay, marked ``todo``, with the English
    as the text to replace (refreshed when the English changes; dropped when its cell goes),
    and put the entries in the notebook's order. Returns the files changed."""
    changed = []
    overlay_dir = lang.overlay_dir
    overlay_dir.mkdir(parents=True, exist_ok=True)
    for source in _selected(src_dir, names):
        nb = nbformat.read(source, as_version=4)
        path = overlay_dir / f"{source.stem}.md"
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        first = _HEADER_ANYWHERE.search(old)
        preamble = (
            old[: first.start()]
            if first
            else (old or _PREAMBLE.format(language=lang.name, name=source.name))
        )
        text = _overlay_text(nb, parse_overlay(old, str(path)), preamble)
        if text != old:
            path.write_text(text, encoding="utf-8", newline="\n")
            changed.append(path)
    return changed


_HEADER_ANYWHERE = re.compile(r"^<!-- cell: ", re.MULTILINE)


def message_templates(checks_dir: Path = CHECKS_DIR) -> dict[str, str]:
    """Every check-message template: the string literal in each ``_(...)`` or ``N_(...)`` call
    of ``course_utils/checks``, with where it first appears (``module.py:line``)."""
    found: dict[str, str] = {}
    for path in sorted(checks_dir.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        calls = sorted(
            (node for node in ast.walk(tree) if isinstance(node, ast.Call)),
            key=lambda node: (node.lineno, node.col_offset),
        )
        for node in calls:
            if (
                isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, f"{path.name}:{node.lineno}")
    return found


def untranslated_messages(lang: Language) -> dict[str, str]:
    """Templates the catalogue of ``lang`` lacks, with where they are used."""
    catalogue = LANGUAGES.get(lang.code, {})
    return {t: where for t, where in message_templates().items() if t not in catalogue}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.translations",
        description="Generate the translated notebooks from the English ones and translations/.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="report what is not current; exit 1")
    mode.add_argument("--todo", action="store_true", help="print the cells to translate")
    mode.add_argument("--stub", action="store_true", help="add missing cells to the overlays")
    mode.add_argument("--messages", action="store_true", help="check messages not translated")
    mode.add_argument(
        "--english-outputs",
        action="store_true",
        help="list the translated solution notebooks whose outputs are the English run's",
    )
    parser.add_argument(
        "--lang",
        action="append",
        default=[],
        metavar="CODE",
        help="only this language (a folder of translations/; --stub creates it)",
    )
    parser.add_argument(
        "notebooks", nargs="*", help="for --todo/--stub/--english-outputs: NN or NN_name"
    )
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if args.check:
        found = check(only=args.lang)
        untranslated = 0
        for lang in _languages(args.lang):
            for template, where in untranslated_messages(lang).items():
                print(f"{where}: check message without {lang.name}: {template!r}", file=sys.stderr)
                untranslated += 1
        _warn_english_outputs(args.lang)
        for problem in found:
            print(problem, file=sys.stderr)
        if found or untranslated:
            print(
                "translate with `python -m tools.translations --todo` (see translations/README.md), "
                f"then `{FIX}`",
                file=sys.stderr,
            )
            return 1
        codes = ", ".join(lang.code for lang in _languages(args.lang)) or "none"
        print(f"translations up to date ({codes}; {len(solution_notebooks(SOURCE_DIR))} notebooks)")
        return 0
    if args.todo:
        for lang in _languages(args.lang):
            print(f"# ---- {lang.name} ({lang.overlay_dir})\n{todo(lang, names=args.notebooks)}")
        return 0
    if args.stub:
        for lang in _languages(args.lang):
            for path in stub(lang, names=args.notebooks):
                print(f"updated {path}")
        return 0
    if args.messages:
        for lang in _languages(args.lang):
            print(f"# ---- {lang.name}: course_utils/checks/_{lang.code}/")
            for template, where in untranslated_messages(lang).items():
                print(f"    # {where}\n    {template!r}: '',")
        return 0
    if args.english_outputs:
        chosen = {p.name for p in _selected(SOURCE_DIR, args.notebooks)}
        for path in english_outputs(only=args.lang):
            if path.name in chosen:
                print(path)
        return 0
    for path in generate(only=args.lang):
        print(f"wrote {path}")
    _warn_english_outputs(args.lang)
    return 0


def _warn_english_outputs(only: Sequence[str]) -> None:
    """A warning, not a failure: executing every translated notebook takes many minutes."""
    for path in english_outputs(only=only):
        print(f"warning: {path}: {ENGLISH_RUN}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
