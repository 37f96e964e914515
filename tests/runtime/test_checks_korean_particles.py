"""Korean particles after a placeholder (``{을}``, ``{이}``, ``{은}``, ``{과}``, ``{으로}``):
the form follows the last sound of the value filled in, read as Korean reads it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from course_utils import checks
from course_utils.checks.catalogue import KO, PARTICLES, Template, final_sound, particle

CASES = [
    # (value, 을, 이, 은, 과, 으로)
    ("행동", "을", "이", "은", "과", "으로"),
    ("모델", "을", "이", "은", "과", "로"),  # ㄹ: 로
    ("네트워크", "를", "가", "는", "와", "로"),
    ("0", "을", "이", "은", "과", "으로"),  # 영
    ("1", "을", "이", "은", "과", "로"),  # 일
    ("2", "를", "가", "는", "와", "로"),  # 이
    ("3", "을", "이", "은", "과", "으로"),  # 삼
    ("4", "를", "가", "는", "와", "로"),  # 사
    ("5", "를", "가", "는", "와", "로"),  # 오
    ("6", "을", "이", "은", "과", "으로"),  # 육
    ("7", "을", "이", "은", "과", "로"),  # 칠
    ("8", "을", "이", "은", "과", "로"),  # 팔
    ("9", "를", "가", "는", "와", "로"),  # 구
    ("10", "을", "이", "은", "과", "으로"),  # 십
    ("12", "를", "가", "는", "와", "로"),  # 십이
    ("100", "을", "이", "은", "과", "으로"),  # 백
    ("20000", "을", "이", "은", "과", "으로"),  # 이만
    ("0.5", "를", "가", "는", "와", "로"),  # 영 점 오
    ("3.1", "을", "이", "은", "과", "로"),  # 삼 점 일
    ("(4, 1)", "을", "이", "은", "과", "로"),  # the 1 inside the brackets
    ("[1, 2, 3]", "을", "이", "은", "과", "으로"),
    ("`target_q_network`", "를", "가", "는", "와", "로"),  # 네트워크
    ("state_b", "를", "가", "는", "와", "로"),  # 비
    ("Q", "를", "가", "는", "와", "로"),  # 큐
    ("L", "을", "이", "은", "과", "로"),  # 엘
    ("DQN", "을", "이", "은", "과", "으로"),  # 디큐엔
    ("`__len__`", "을", "이", "은", "과", "으로"),  # 렌
    ("torch.int64", "를", "가", "는", "와", "로"),
    ("ReplayMemory(6)", "을", "이", "은", "과", "으로"),  # 육
    ("model", "을", "이", "은", "과", "로"),  # 모델
    ("…", "을(를)", "이(가)", "은(는)", "과(와)", "(으)로"),  # unknown: both forms
    ("", "을(를)", "이(가)", "은(는)", "과(와)", "(으)로"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] or "empty" for c in CASES])
def test_particle_follows_the_last_sound(case: tuple[str, ...]) -> None:
    value, *expected = case
    assert [particle(value, key) for key in PARTICLES] == expected


def test_a_template_fills_values_then_particles() -> None:
    assert Template("행동 {a}{을} 받음").format(a=2) == "행동 2를 받음"
    assert Template("{x}{이} {y}{으로}").format(x="모델", y=7) == "모델이 7로"
    assert Template("{0}{은} {n:.0%}").format("삼", n=0.5) == "삼은 50%"
    assert Template("no particle {a}").format(a="{을}") == "no particle {을}"  # a value's braces


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="`key`"):
        particle("행동", "를")
    with pytest.raises(TypeError, match="`word`"):
        final_sound(3)  # type: ignore[arg-type]


DIGITS = "영일이삼사오육칠팔구"


def reading(n: int) -> str:
    """The Sino-Korean reading of ``n`` >= 0, written independently of _korean.py."""
    if n == 0:
        return "영"
    groups = ["", "만", "억", "조", "경"]
    words = []
    for g, name in enumerate(groups):
        part = (n // 10 ** (4 * g)) % 10000
        if not part:
            continue
        text = ""
        for value, unit in ((1000, "천"), (100, "백"), (10, "십"), (1, "")):
            digit = part // value % 10
            if digit:
                text += ("" if digit == 1 and unit else DIGITS[digit]) + unit
        words.insert(0, text + name)
    return "".join(words)


@given(st.integers(min_value=0, max_value=10**19))
def test_a_number_takes_the_particle_of_its_reading(n: int) -> None:
    for key in PARTICLES:
        assert particle(str(n), key) == particle(reading(n), key), (n, reading(n))


@given(st.sampled_from(range(0xAC00, 0xD7A4)).map(chr), st.sampled_from(sorted(PARTICLES)))
def test_a_hangul_syllable_takes_the_particle_of_its_final(syllable: str, key: str) -> None:
    final = (ord(syllable) - 0xAC00) % 28
    consonant, vowel, _both = PARTICLES[key]
    expected = vowel if final == 0 or (final == 8 and key == "으로") else consonant
    assert particle(syllable, key) == expected
    assert particle(f"`{syllable}`)", key) == expected  # closing code and brackets skipped


def test_the_catalogue_marks_particles_instead_of_writing_both_forms() -> None:
    both = [form for _c, _v, form in PARTICLES.values()]
    left = [v for v in KO.values() for form in both if "}" + form in v or "}`" + form in v]
    assert not left, "write {을}, {이}, ... after a placeholder, not both forms:\n" + "\n".join(
        left
    )


def test_a_korean_diagnosis_picks_the_particle() -> None:
    def returns_nothing(q_values_b: Any, action_b: Any) -> None:
        return None

    checks.set_language("ko")
    try:
        with pytest.raises(checks.ExerciseFailure) as raised:
            checks.check_select_q_values(returns_nothing)
    finally:
        checks.set_language("en")
    # "end the function with a `return` of {what}." with what = "행동의 Q(s, a)" (ends in ")")
    hint = next(line for line in str(raised.value).splitlines() if "힌트" in line)
    assert hint.endswith("함수 끝에서 선택한 행동의 Q(s, a)를 `return`하세요."), hint
