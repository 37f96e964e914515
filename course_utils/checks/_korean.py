"""Korean particles after a placeholder: ``{을}``, ``{이}``, ``{은}``, ``{과}``, ``{으로}``.

A Korean particle has two forms, chosen by the sound the word before it ends with: 을/를,
이/가, 은/는, 과/와 (the first after a final consonant, the second after a vowel), and
으로/로 (로 after a vowel *or* ㄹ). A catalogue template cannot know which, since the word
is a value filled in later, so it writes the particle's consonant form as a placeholder
right after the value's: ``"행동 {a}{을} 받음"``. :class:`Template` (what ``_`` returns)
fills the values, then each particle by the value's last sound:

>>> Template("행동 {a}{을} 받음").format(a=2)
'행동 2를 받음'
>>> Template("{name}{이} 바뀜").format(name="`target_q_network`")
'`target_q_network`가 바뀜'
>>> Template("출력이 {value}{으로} 바뀜").format(value="(4, 1)")
'출력이 (4, 1)로 바뀜'

How a value's last sound is read (:func:`final_sound`), after closing brackets, quotes,
backticks, underscores and punctuation at its end are skipped:

- a Hangul syllable: its own final consonant (받침), if any;
- digits: the Sino-Korean reading of the number they end: 0-9 are 영 일 이 삼 사 오 육
  칠 팔 구, and a number ending in zeros ends in 십, 백, 천, 만, 억 or 조 (``10`` 십,
  ``300`` 삼백, ``20000`` 이만); digits after a decimal point are read one by one;
- one Latin letter (``state_b``, ``Q``) or a short all-capital acronym (``DQN``): the
  English name of its last letter, so L and R (엘, 알) end in ㄹ, M and N (엠, 엔) in a
  consonant, every other letter in a vowel;
- a Latin word (``network``, ``sample``, ``__len__``): as Korean loanwords write it,
  ending in ㄹ after ``l`` (모델), in a consonant after ``m``, ``n`` or ``ng`` (액션,
  스트링), and in a vowel otherwise (네트워크, 샘플, 배치);
- anything else (an empty value, a symbol): unknown, and the particle keeps both forms,
  as Korean writing does: ``을(를)``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

__all__ = ["PARTICLES", "Template", "final_sound", "particle"]

Sound = Literal["vowel", "consonant", "rieul"]

# Placeholder -> (after a consonant, after a vowel, both forms when the sound is unknown).
PARTICLES: dict[str, tuple[str, str, str]] = {
    "을": ("을", "를", "을(를)"),
    "이": ("이", "가", "이(가)"),
    "은": ("은", "는", "은(는)"),
    "과": ("과", "와", "과(와)"),
    "으로": ("으로", "로", "(으)로"),
}
_FIELD = re.compile(r"\{(" + "|".join(PARTICLES) + r")\}")
_MARK = re.compile("\x00(" + "|".join(PARTICLES) + ")\x00")

_DIGITS: dict[str, Sound] = {
    "0": "consonant",  # 영
    "1": "rieul",  # 일
    "2": "vowel",  # 이
    "3": "consonant",  # 삼
    "4": "vowel",  # 사
    "5": "vowel",  # 오
    "6": "consonant",  # 육
    "7": "rieul",  # 칠
    "8": "rieul",  # 팔
    "9": "vowel",  # 구
}
# A number ending in n zeros ends in: 십 백 천, then 만 for 4-7 zeros, 억 for 8-11, 조 for
# 12-15 and 경 beyond.
_TENS: dict[int, Sound] = {1: "consonant", 2: "consonant", 3: "consonant"}
_LETTERS = {"l": "rieul", "r": "rieul", "m": "consonant", "n": "consonant"}
_SKIPPED = " \t\n`'\"()[]{}<>.,:;!?_…*"


def _zeros(count: int) -> Sound:
    if count in _TENS:
        return _TENS[count]
    if count <= 11:
        return "consonant"  # 만, 억
    return "vowel" if count <= 15 else "consonant"  # 조, 경


def final_sound(word: str) -> Sound | None:
    """How ``word`` ends when read aloud in Korean: ``"vowel"``, ``"rieul"`` (ㄹ),
    ``"consonant"`` (any other final consonant), or None when that is unknown."""
    if not isinstance(word, str):
        raise TypeError(f"Expected `word` to be a str, actually: {type(word).__name__}")
    end = len(word)
    while end and (word[end - 1] in _SKIPPED or word[end - 1] == ")"):
        # a closing bracket ends the value only when its content was read: "(4, 1)" -> 1
        end -= 1
    text = word[:end]
    if not text:
        return None
    last = text[-1]
    if "\uac00" <= last <= "\ud7a3":
        final = (ord(last) - 0xAC00) % 28
        return "vowel" if final == 0 else "rieul" if final == 8 else "consonant"
    if last.isdigit() and last.isascii():
        digits = re.search(r"[0-9]+$", text).group(0)  # type: ignore[union-attr]
        if text[: -len(digits)].endswith(".") or set(digits) == {"0"}:
            return _DIGITS[last]  # read digit by digit, or zero itself: 영
        stripped = digits.rstrip("0")
        return _DIGITS[stripped[-1]] if stripped == digits else _zeros(len(digits) - len(stripped))
    if last.isascii() and last.isalpha():
        letters = re.search(r"[A-Za-z]+$", text).group(0)  # type: ignore[union-attr]
        if len(letters) == 1 or (letters.isupper() and len(letters) <= 4):
            return _LETTERS.get(letters[-1].lower(), "vowel")  # type: ignore[return-value]
        lower = letters.lower()
        if lower.endswith("l"):
            return "rieul"
        return "consonant" if lower[-1] in "mn" else "vowel"
    return None


def particle(word: str, key: str) -> str:
    """The form of the particle ``key`` (``"을"``, ``"이"``, ``"은"``, ``"과"``, ``"으로"``)
    that follows ``word``.

    >>> particle("행동 3", "을"), particle("모델", "으로"), particle("…", "이")
    ('을', '로', '이(가)')
    """
    if key not in PARTICLES:
        choices = ", ".join(repr(k) for k in PARTICLES)
        raise ValueError(f"Expected `key` to be one of {choices}, actually: {key!r}")
    after_consonant, after_vowel, both = PARTICLES[key]
    sound = final_sound(word)
    if sound is None:
        return both
    if sound == "vowel" or (sound == "rieul" and key == "으로"):
        return after_vowel
    return after_consonant


class Template(str):
    """A message template whose :meth:`format` also fills the particle placeholders."""

    __slots__ = ()

    def format(self, *args: Any, **kwargs: Any) -> str:  # noqa: D102 (str.format, plus particles)
        if "{" not in self or not _FIELD.search(self):
            return str.format(self, *args, **kwargs)
        text = str.format(_FIELD.sub("\x00\\1\x00", self), *args, **kwargs)
        return _MARK.sub(lambda m: particle(text[: m.start()], m.group(1)), text)
