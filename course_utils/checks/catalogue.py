"""The check messages' languages, for the maintainers' tools and the tests.

Students switch languages with ``checks.set_language``; this module is what the tools that
translate notebooks and the tests of the catalogue read:

- :data:`LANGUAGES`: language code -> catalogue (English template -> translated template);
  :data:`KO` is the Korean one, merged from :data:`PARTS`, one table per check module;
- :data:`SUCCESS`: the template of a check's success line, and
  :func:`translate_success_lines`, which puts a stored output's success lines in another
  language;
- :data:`PARTICLES`, :func:`particle` and :class:`Template`: the Korean particles after a
  placeholder (``{을}``, ``{이}``, ``{은}``, ``{과}``, ``{으로}``).

>>> from course_utils.checks.catalogue import KO, SUCCESS, particle
>>> KO[SUCCESS]
'✅ {exercise}: {n}개 속성을 모두 만족합니다.'
>>> "행동 2" + particle("행동 2", "을")
'행동 2를'
"""

from course_utils.checks._i18n import LANGUAGES, SUCCESS, translate_success_lines
from course_utils.checks._ko import KO, PARTS
from course_utils.checks._korean import PARTICLES, Template, final_sound, particle

__all__ = [
    "KO",
    "LANGUAGES",
    "PARTICLES",
    "PARTS",
    "SUCCESS",
    "Template",
    "final_sound",
    "particle",
    "translate_success_lines",
]
