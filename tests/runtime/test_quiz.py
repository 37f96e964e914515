"""The self-check quizzes: right and wrong answers, both languages, bad input, widgets."""

from __future__ import annotations

import ipywidgets
import pytest

from course_utils import checks, quiz

CHOICE = quiz.Choice(
    ("Which flag masks the bootstrap?", "부트스트랩을 막는 플래그는 무엇입니까?"),
    options=["`done`", ("`terminated`", "`terminated`"), ("`truncated`", "`truncated`")],
    answer=1,
    explanation=("A time-limit cut is not an end.", "시간 제한으로 끊긴 것은 끝이 아닙니다."),
)
NUMBER = quiz.Number(
    ("1 / (1 - gamma) for gamma = 0.99?", "gamma = 0.99일 때 1 / (1 - gamma)는?"),
    answer=100,
    tolerance=0.5,
    explanation=("The sum of gamma^k.", "gamma^k의 합입니다."),
)


@pytest.fixture(autouse=True)
def english_afterwards():
    yield
    checks.set_language("en")


@pytest.mark.parametrize(
    ("chosen", "correct", "expected"),
    [
        (1, True, "Correct. A time-limit cut is not an end."),
        (0, False, "Not quite. The answer is “`terminated`”. A time-limit cut is not an end."),
        (2, False, "Not quite. The answer is “`terminated`”."),
    ],
)
def test_a_choice_says_right_or_wrong_and_explains_either_way(chosen, correct, expected):
    feedback = CHOICE.grade(chosen)
    assert feedback.correct is correct
    assert feedback.message.startswith(expected)


@pytest.mark.parametrize(
    ("given", "correct"),
    [(100, True), ("99.6", True), (" 100.5 ", True), ("1,00", True), ("−100", False), (101, False)],
)
def test_a_number_accepts_answers_within_its_tolerance(given, correct):
    assert NUMBER.grade(given).correct is correct


@pytest.mark.parametrize("given", ["", "a hundred", "nan", "inf"])
def test_a_number_asks_for_a_number_when_the_text_is_none(given):
    feedback = NUMBER.grade(given)
    assert not feedback.correct
    assert feedback.message == "Please type a number."


def test_the_language_follows_the_checks_unless_given():
    checks.set_language("ko")
    assert (
        CHOICE.grade(1, language=None).message == "맞습니다. 시간 제한으로 끊긴 것은 끝이 아닙니다."
    )
    assert NUMBER.grade(3, language=None).message.startswith("아닙니다. 정답은 100입니다.")
    assert CHOICE.grade(1, language="en").message.startswith("Correct.")
    box = quiz.show(CHOICE)
    assert box.language == "ko"
    assert "부트스트랩" in box.children[1].children[0].value
    checks.set_language("en")
    assert quiz.show(CHOICE).language == "en"
    assert quiz.show(CHOICE, language="ko").language == "ko"


def test_english_only_text_is_shown_in_both_languages():
    question = quiz.Choice("Two?", options=["1", "2"], answer=1, explanation="")
    assert question.grade(1, language="ko").message == "맞습니다."


def test_clicking_an_option_shows_the_feedback_under_its_question():
    box = quiz.show(CHOICE, NUMBER, language="en")
    assert isinstance(box, ipywidgets.VBox)
    assert [f.value for f in box.feedback] == ["", ""]
    buttons = box.answer_widgets[0]
    assert [b.description for b in buttons] == ["`done`", "`terminated`", "`truncated`"]
    buttons[0].click()
    assert box.feedback[0].value.startswith("❌ Not quite.")
    assert "<code>terminated</code>" in box.feedback[0].value
    buttons[1].click()  # answering again replaces the feedback
    assert box.feedback[0].value.startswith("✅ Correct.")
    assert box.feedback[1].value == ""  # the other question is untouched


def test_the_number_box_is_checked_by_its_button():
    box = quiz.show(NUMBER, language="en")
    text, button = box.answer_widgets[0]
    text.value = "42"
    button.click()
    assert box.feedback[0].value.startswith("❌ Not quite. The answer is 100.")
    text.value = "100"
    button.click()
    assert box.feedback[0].value.startswith("✅ Correct.")


def test_the_text_repr_names_the_quiz_without_a_widget_frontend():
    assert repr(quiz.show(CHOICE, NUMBER, language="en")) == "Self-check: 2"


@pytest.mark.parametrize(
    ("make", "argument"),
    [
        (lambda: quiz.Choice("", ["a", "b"], 0, ""), "`question`"),
        (lambda: quiz.Choice("q", ["a"], 0, ""), "`options`"),
        (lambda: quiz.Choice("q", "ab", 0, ""), "`options`"),
        (lambda: quiz.Choice("q", ["a", ("b",)], 0, ""), "`options[1]`"),
        (lambda: quiz.Choice("q", ["a", "b"], 2, ""), "`answer`"),
        (lambda: quiz.Choice("q", ["a", "b"], True, ""), "`answer`"),
        (lambda: quiz.Choice("q", ["a", "b"], 0, ("en", "")), "`explanation`"),
        (lambda: quiz.Number("q", float("nan"), 0, ""), "`answer`"),
        (lambda: quiz.Number("q", 1, -1, ""), "`tolerance`"),
        (lambda: quiz.show(), "`questions`"),
        (lambda: quiz.show("q"), "`questions[0]`"),
        (lambda: quiz.show(CHOICE, language="fr"), "`language`"),
        (lambda: CHOICE.grade(3), "`chosen`"),
    ],
)
def test_bad_input_names_the_argument(make, argument):
    with pytest.raises(ValueError, match=argument.replace("[", r"\[").replace("]", r"\]")):
        make()


def test_the_quiz_labels_come_from_the_course_catalogue():
    from course_utils import i18n

    assert set(quiz.LABELS.values()) <= set(i18n.KO)
    i18n.set_language("ko")  # the course-wide switch, not only the checks'
    box = quiz.show(NUMBER)
    assert box.language == "ko" and repr(box) == "스스로 점검하기: 1"
    assert box.answer_widgets[0][1].description == "확인"
