"""The language of the check messages: English (the source) or Korean.

Every sentence a check can show is written once, in English, wrapped in :func:`_` where it
is used (or in :func:`N_` where it is defined ahead of use, as in a module-level table, and
then passed through :func:`_` when shown). :func:`_` looks the English template up in the
catalogue of the current language (``course_utils/checks/_ko/`` for Korean) and returns
it untranslated when the language is English. Placeholders are filled *after* the lookup,
``_("shape {shape}").format(shape=...)``, so one template covers every value (a Korean
template writes a particle after a value as ``{을}``, ``{이}``, ``{은}``, ``{과}`` or
``{으로}``, and :class:`~course_utils.checks._korean.Template` picks its form); code in
backticks stays code in every language (``tests/runtime/test_checks_korean.py`` holds the
catalogue to that, and to covering every template).

The notebook chooses the language, once, in its setup cell; no environment variable:

>>> from course_utils import checks
>>> checks.set_language("ko")
>>> print(_("hint"))
힌트
>>> checks.set_language("en")
>>> print(_("hint"))
hint
>>> checks.set_language("fr")
Traceback (most recent call last):
...
ValueError: Expected `language` to be one of 'en', 'ko', actually: 'fr'
"""

from __future__ import annotations

import re

from course_utils import i18n as course_i18n
from course_utils.checks._ko import KO
from course_utils.checks._korean import Template

__all__ = ["LANGUAGES", "N_", "_", "get_language", "set_language", "translate_success_lines"]

LANGUAGES: dict[str, dict[str, str]] = {"en": {}, "ko": KO}
# The course-wide language (course_utils/i18n.py), which keeps this copy in step.
_current = course_i18n.get_language()


def set_language(language: str) -> None:
    """Show the check messages, and all of course_utils, in ``language``: ``"en"`` (the
    default) or ``"ko"``; the same as ``course_utils.set_language``."""
    course_i18n.set_language(language)


def get_language() -> str:
    """The language the check messages are shown in now: ``"en"`` or ``"ko"``."""
    return course_i18n.get_language()


def _(template: str) -> str:
    """``template`` in the current language; the English itself when it has no translation."""
    return Template(LANGUAGES[_current].get(template, template))


def N_(template: str) -> str:
    """Mark ``template`` for translation where it is defined; translate it with :func:`_`."""
    return template


SUCCESS = N_("✅ {exercise}: all {n} properties hold.")


def _template_pattern(template: str) -> re.Pattern[str]:
    """A regular expression matching ``template`` with any value in its placeholders."""
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)
    )
    return re.compile(f"^{pattern}$", re.MULTILINE)


def translate_success_lines(text: str, language: str) -> str:
    """``text`` (a stored cell output) with every check success line in ``language``.

    The Korean notebooks keep the outputs of the executed English ones; the one line a
    check prints is what running them in Korean would have printed.

    >>> print(translate_success_lines("✅ q_loss: all 7 properties hold.\\nloss 0.1", "ko"))
    ✅ q_loss: 7개 속성을 모두 만족합니다.
    loss 0.1
    """
    if language not in LANGUAGES:
        choices = ", ".join(repr(code) for code in LANGUAGES)
        raise ValueError(f"Expected `language` to be one of {choices}, actually: {language!r}")
    translated = LANGUAGES[language].get(SUCCESS, SUCCESS)
    return _template_pattern(SUCCESS).sub(
        lambda match: translated.format(**match.groupdict()), text
    )
