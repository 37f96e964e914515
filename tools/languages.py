"""The languages the course is translated into: one folder each in ``translations/``.

A language is data, not code. ``translations/<code>/`` holds its overlays (one
``NN_name.md`` per notebook, :mod:`tools.translations`) and ``language.toml``::

    name = "Korean"                                # in the tools' messages
    set_language_comment = "검사 메시지를 한국어로 표시"  # after checks.set_language(...)
    letters = "[\\uac00-\\ud7a3]"                  # a translated cell contains one (optional)

Everything else follows from the code: the generated notebooks go to ``notebooks/<code>/``
and ``notebooks/<code>/solutions/``, the README to ``README.<code>.md``, and the check
messages come from the catalogue ``course_utils/checks/_<code>/`` (registered in
``course_utils.checks.catalogue.LANGUAGES``). Adding a language: docs/maintainers.md.

>>> [language.code for language in languages()]
['ko']
>>> ko = language("ko")
>>> ko.name, str(ko.student_dir), str(ko.solution_dir), ko.readme
('Korean', 'notebooks/ko', 'notebooks/ko/solutions', 'README.ko.md')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TRANSLATIONS", "Language", "language", "languages"]

TRANSLATIONS = Path("translations")  # relative to the repository root, where the tools run
_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")  # BCP 47-like: ko, pt-BR, zh-Hant
_FIELDS = {"name", "set_language_comment", "letters"}


@dataclass(frozen=True)
class Language:
    """One translation of the course, from ``translations/<code>/language.toml``."""

    code: str
    name: str
    set_language_comment: str = ""
    letters: str = ""  # a regular expression; empty: a translation only has to differ

    @property
    def overlay_dir(self) -> Path:
        return TRANSLATIONS / self.code

    @property
    def student_dir(self) -> Path:
        return Path("notebooks") / self.code

    @property
    def solution_dir(self) -> Path:
        return self.student_dir / "solutions"

    @property
    def readme(self) -> str:
        return f"README.{self.code}.md"

    @property
    def set_language_line(self) -> str:
        """The line the generator adds to the setup cell, after the import of ``checks``."""
        line = f'checks.set_language("{self.code}")'
        return f"{line}  # {self.set_language_comment}" if self.set_language_comment else line

    def is_written_in(self, text: str) -> bool:
        """Whether ``text`` has a letter of this language (always, when ``letters`` is empty)."""
        return not self.letters or re.search(self.letters, text) is not None


def _read(folder: Path) -> Language:
    config = folder / "language.toml"
    data: dict = {}
    if config.is_file():
        with config.open("rb") as f:
            data = tomllib.load(f)
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise ValueError(f"{config}: unknown keys {unknown}; expected {sorted(_FIELDS)}")
    if data.get("letters"):
        re.compile(data["letters"])  # a bad pattern fails here, naming the file
    return Language(
        code=folder.name,
        name=data.get("name", folder.name),
        **{key: data[key] for key in ("set_language_comment", "letters") if key in data},
    )


def languages(translations: Path = TRANSLATIONS) -> list[Language]:
    """Every language with a folder in ``translations/``, by code."""
    if not translations.is_dir():
        return []
    return [
        _read(folder)
        for folder in sorted(translations.iterdir())
        if folder.is_dir() and _CODE.fullmatch(folder.name)
    ]


def language(code: str, translations: Path = TRANSLATIONS) -> Language:
    """The language ``code``; its folder need not exist yet (``--stub`` creates it)."""
    if not _CODE.fullmatch(code):
        raise ValueError(
            f"Expected `code` to be a language code like 'ko' or 'pt-BR', actually: {code!r}"
        )
    return _read(translations / code)
