"""The course's language: one switch for everything course_utils prints, draws or labels.

A notebook chooses its language once, in its setup cell: ``course_utils.set_language("ko")``
(or ``checks.set_language("ko")``, the same switch, which the Korean notebooks' setup cell
calls). From then on the exercise checks' messages, the progress bars' labels, the titles,
axes and legends of :mod:`course_utils.plotting`'s figures, the controls of
:mod:`course_utils.widgets`, the caption of :func:`~course_utils.show_episode` and the
quizzes' buttons are in that language; English is the default.

Two kinds of text, two rules:

- **course_utils' own labels** are written once, in English, and looked up with
  :func:`label` in :data:`KO`, the Korean catalogue (English key -> Korean). Placeholders
  are filled after the lookup: ``label("average of {n}").format(n=10)``.
  ``tests/runtime/test_i18n.py`` fails on a label without a Korean entry.
- **a notebook's own text** (a title, a variant's name, the reason a run stopped) stays the
  caller's: a ``str`` is shown as given, in every language; an ``(English, Korean)`` pair
  shows the current language's half (:func:`pick`).

Selecting Korean also lets matplotlib draw Hangul: a Korean font (NanumGothic, SIL Open Font
License, from the ``koreanize-matplotlib`` package; else one already installed) is
registered and appended, as a fallback, to ``rcParams["font.family"]``, so Latin text keeps
its font and Hangul takes the fallback's. Going back to English removes it again; English
users' settings are never touched.

>>> from course_utils import i18n
>>> i18n.set_language("ko")
>>> i18n.label("average of {n}").format(n=10), i18n.pick(("push left", "왼쪽으로 밀기"))
('10개 이동 평균', '왼쪽으로 밀기')
>>> i18n.set_language("en")
>>> i18n.label("average of {n}").format(n=10), i18n.pick(("push left", "왼쪽으로 밀기"))
('average of 10', 'push left')
>>> i18n.set_language("fr")
Traceback (most recent call last):
...
ValueError: Expected `language` to be one of 'en', 'ko', actually: 'fr'
"""

from __future__ import annotations

import dataclasses
import sys
import warnings
from importlib import metadata
from pathlib import Path

__all__ = [
    "KNOWN_KOREAN_FAMILIES",
    "KO",
    "LANGUAGES",
    "Text",
    "get_language",
    "korean_font",
    "label",
    "pick",
    "set_language",
    "use_korean_font",
]

LANGUAGES = ("en", "ko")
Text = str | tuple[str, str]  # a caller's text: English for every language, or (English, Korean)

# English label -> Korean. Terms as in README.ko.md's glossary. Hangul never inside $...$:
# matplotlib's mathtext draws with its own fonts, which have no Hangul.
KO: dict[str, str] = {
    # training.py: GreedyChecks.summary
    "best greedy check {best:.1f} after {done} check ({steps:,} steps of checks)": (
        "가장 좋은 탐욕 검사 {best:.1f}, 검사 {done}번 뒤(검사에 쓴 스텝 {steps:,})"
    ),
    "best greedy check {best:.1f} after {done} checks ({steps:,} steps of checks)": (
        "가장 좋은 탐욕 검사 {best:.1f}, 검사 {done}번 뒤(검사에 쓴 스텝 {steps:,})"
    ),
    # progress.py
    "training": "학습",
    "step": "스텝",
    "{desc} (stopped at step {step})": "{desc} ({step} 스텝에서 멈춤)",
    "{desc}: {step} of {total} steps": "{desc}: {total} 스텝 중 {step} 스텝",
    "{where}: the last training run ({run}) stopped before its end (interrupted, or an "
    "error): the network is only partly trained, and `stats` may still be an earlier run's, "
    "since the training function never returned. Run the training cell to its end first.": (
        "{where}: 마지막 학습({run})이 끝나기 전에 멈췄습니다(중단 또는 오류). 신경망은 일부만 "
        "학습되었고, 학습 함수가 값을 돌려주지 않았으므로 `stats`는 이전 학습의 것일 수 "
        "있습니다. 먼저 학습 셀을 끝까지 실행하세요."
    ),
    # plotting.py: plot_stats
    "Returns": "리턴",
    "Return": "리턴",
    "Loss": "손실",
    "Mean loss": "평균 손실",
    "Steps": "스텝",
    "Epsilon": "탐험률 ε",
    "Episode": "에피소드",
    "Update": "갱신",
    "average of {n}": "{n}개 이동 평균",
    "no values to plot": "그릴 값이 없습니다",
    "no finite values ({n} nan/inf) to plot": "그릴 유한한 값이 없습니다(nan/inf {n}개)",
    "plot_stats: stats[{name}] holds {n} infinite value(s), which cannot be drawn (has the "
    "training diverged? a smaller learning rate may help)": (
        "plot_stats: stats[{name}]에 그릴 수 없는 무한대 값이 {n}개 있습니다(학습이 "
        "발산했습니까? 학습률을 줄이면 나아질 수 있습니다)"
    ),
    "plot_stats: stats[{name}] holds no finite value: its panel is empty": (
        "plot_stats: stats[{name}]에 유한한 값이 하나도 없어 그 패널은 비어 있습니다"
    ),
    # plotting.py: state-space figures
    "Position": "위치",
    "Velocity": "속도",
    "Cost-to-go": "cost-to-go 곡면",
    "Greedy action": "탐욕 행동",
    r"Greedy action $\arg\max_a \hat q(s, a)$": "탐욕 행동 argmaxₐ q̂(s, a)",
    # plotting.py: didactic figures
    "One neuron: y = {activation}({w} x + {b})": "뉴런 하나: y = {activation}({w} x + {b})",
    "gradient descent": "경사 하강법",
    "minimum": "최솟값",
    "α = {alpha}: loss {first} → {last} after {steps} steps": (
        "α = {alpha}: {steps} 스텝 뒤 손실 {first} → {last}"
    ),
    " (diverges)": " (발산)",
    "t = {t}: greedy action {action}": "t = {t}: 탐욕 행동 {action}",
    "Step": "스텝",
    "fraction × total_steps": "fraction × total_steps (감소가 끝나는 스텝)",
    "ε: {start} → {end} over the first {fraction} of {total} steps": (
        "ε: {total} 스텝 중 처음 {fraction} 동안 {start} → {end}"
    ),
    # widgets.py
    "activation": "활성화",
    "steps": "스텝 수",
    "snapshot": "스냅숏",
    "start": "시작",
    "end": "끝",
    "fraction": "비율",
    # animation.py
    "{env_id}: {steps} steps, return {ret}": "{env_id}: {steps} 스텝, 리턴 {ret}",
    # quiz.py
    "Self-check": "스스로 점검하기",
    "Correct.": "맞습니다.",
    "Not quite.": "아닙니다.",
    "The answer is {answer}.": "정답은 {answer}입니다.",
    "Check": "확인",
    "Please type a number.": "숫자를 입력하세요.",
    "Not graded; answer as often as you like.": "채점하지 않습니다. 몇 번이든 답해 보세요.",
    # this module
    "No Korean font found: figures will draw Hangul as boxes. Install one with `pip install "
    "koreanize-matplotlib` (or, on Debian and Ubuntu, `apt-get install fonts-nanum`), then "
    "restart the kernel.": (
        "한국어 글꼴이 없어 그림의 한글이 네모로 그려집니다. `pip install koreanize-matplotlib`"
        "(Debian과 Ubuntu에서는 `apt-get install fonts-nanum`)로 설치한 뒤 커널을 다시 "
        "시작하세요."
    ),
}

_CATALOGUES: dict[str, dict[str, str]] = {"en": {}, "ko": KO}


class _State:
    language = "en"
    font: str | None = None  # the Korean family found (registered once per process)
    added: str | None = None  # the family this module appended to rcParams["font.family"]
    warned = False  # the missing-font warning is given once per process


def set_language(language: str) -> None:
    """Shows everything course_utils prints, draws or labels in ``language``, ``"en"`` or ``"ko"``.

    ``checks.set_language`` is the same function. Korean also lets figures draw Hangul
    (see :func:`korean_font`); English undoes that.
    """
    if not isinstance(language, str) or language not in LANGUAGES:
        choices = ", ".join(repr(code) for code in LANGUAGES)
        raise ValueError(f"Expected `language` to be one of {choices}, actually: {language!r}")
    _State.language = language
    # The exercise checks keep a copy that their `_` reads (course_utils/checks/_i18n.py,
    # which takes it from get_language() when it is imported): kept in step here.
    checks_i18n = sys.modules.get("course_utils.checks._i18n")
    if checks_i18n is not None:
        checks_i18n._current = language
    if language == "ko":
        use_korean_font()
    else:
        _drop_korean_font()


def get_language() -> str:
    """The language course_utils uses now: ``"en"`` (the default) or ``"ko"``."""
    return _State.language


def label(english: str, language: str | None = None) -> str:
    """course_utils' label ``english`` in ``language`` (by default the current one).

    The English itself where the catalogue has no entry (a test keeps every label covered).
    """
    language = _State.language if language is None else language
    if language not in _CATALOGUES:
        choices = ", ".join(repr(code) for code in LANGUAGES)
        raise ValueError(f"Expected `language` to be one of {choices}, actually: {language!r}")
    return _CATALOGUES[language].get(english, english)


def pick(text: Text, name: str = "text", language: str | None = None) -> str:
    """A caller's ``text`` in ``language`` (by default the current one).

    ``text`` is a ``str``, shown as given in every language, or an ``(English, Korean)`` pair;
    anything else is a ValueError naming the argument, ``name``.

    >>> pick("Episode"), pick(("Episode", "에피소드"), language="ko")
    ('Episode', '에피소드')
    >>> pick(["Episode"], name="xlabels['Returns']")
    Traceback (most recent call last):
    ...
    ValueError: Expected `xlabels['Returns']` to be a str or an (English, Korean) pair of them, got ['Episode']
    """
    language = _State.language if language is None else language
    if isinstance(text, str):
        return text
    if isinstance(text, tuple) and len(text) == 2 and all(isinstance(part, str) for part in text):
        return text[1] if language == "ko" else text[0]
    raise ValueError(
        f"Expected `{name}` to be a str or an (English, Korean) pair of them, got {text!r}"
    )


# --- a font that draws Hangul ------------------------------------------------------------

# Families that hold Hangul, tried in this order when koreanize-matplotlib is not installed:
# Debian's fonts-nanum (binder/apt.txt), Noto CJK, Windows' and macOS's own.
KNOWN_KOREAN_FAMILIES = (
    "NanumGothic",
    "NanumBarunGothic",
    "Noto Sans CJK KR",
    "Noto Sans KR",
    "Source Han Sans KR",
    "Malgun Gothic",
    "Apple SD Gothic Neo",
    "AppleGothic",
    "UnDotum",
    "Noto Sans CJK JP",
)


def _packaged_fonts() -> list[Path]:
    """koreanize-matplotlib's NanumGothic.ttf and NanumGothicBold.ttf (regular first; bold so
    that a bold label finds its weight instead of logging a fallback), found without importing
    the package (its import changes ``rcParams`` for the whole session); [] when it is not
    installed."""
    try:
        distribution = metadata.distribution("koreanize-matplotlib")
    except metadata.PackageNotFoundError:
        return []
    found = {
        file.name: Path(str(distribution.locate_file(file))) for file in distribution.files or []
    }
    paths = [found.get(name) for name in ("NanumGothic.ttf", "NanumGothicBold.ttf")]
    if paths[0] is None or not paths[0].is_file():
        return []
    return [path for path in paths if path is not None and path.is_file()]


def korean_font() -> str | None:
    """The name of a font family that draws Hangul, registered with matplotlib; None if none.

    koreanize-matplotlib's NanumGothic first (the same font on every machine), else the first
    of :data:`KNOWN_KOREAN_FAMILIES` that matplotlib's font manager already knows.
    """
    if _State.font is not None:
        return _State.font
    from matplotlib import font_manager

    paths = _packaged_fonts()
    if paths:
        for path in paths:
            font_manager.fontManager.addfont(str(path))
        # NanumGothicBold.ttf declares weight 600 (semibold), so a bold (700) label still
        # logs "Failed to find font weight bold ... now using 600": list the file as the bold
        # it is named and drawn as.
        bold = {str(path) for path in paths[1:]}
        font_manager.fontManager.ttflist = [
            dataclasses.replace(entry, weight=700) if entry.fname in bold else entry
            for entry in font_manager.fontManager.ttflist
        ]
        _State.font = font_manager.FontProperties(fname=str(paths[0])).get_name()
        return _State.font
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    _State.font = next((family for family in KNOWN_KOREAN_FAMILIES if family in known), None)
    return _State.font


def use_korean_font() -> str | None:
    """Appends :func:`korean_font` to ``rcParams["font.family"]`` as a fallback (once).

    Warns, once, with how to install one, when there is none. Returns the family, or None.
    """
    from matplotlib import rcParams

    family = korean_font()
    if family is None:
        if not _State.warned:
            _State.warned = True
            warnings.warn(
                label(
                    "No Korean font found: figures will draw Hangul as boxes. Install one with "
                    "`pip install koreanize-matplotlib` (or, on Debian and Ubuntu, `apt-get "
                    "install fonts-nanum`), then restart the kernel."
                ),
                UserWarning,
                stacklevel=3,
            )
        return None
    families = list(rcParams["font.family"])
    if family not in families:
        rcParams["font.family"] = [*families, family]
        _State.added = family
    return family


def _drop_korean_font() -> None:
    """Removes the family :func:`use_korean_font` appended, if it is still there."""
    if _State.added is None or "matplotlib" not in sys.modules:
        return
    from matplotlib import rcParams

    families = list(rcParams["font.family"])
    if _State.added in families:
        families.remove(_State.added)
        rcParams["font.family"] = families or ["sans-serif"]
    _State.added = None
