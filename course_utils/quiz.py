"""Self-check quizzes: two to four short questions at the end of a notebook section.

A quiz never blocks "Run All": it is a box of buttons that waits for a click and keeps
nothing between cells. After an answer it says whether the answer was right and shows the
explanation, right or wrong (as the Hugging Face course's quizzes do). Nothing is recorded
or graded.

Each text is either English alone or an ``(English, Korean)`` pair; the quiz shows the
course's language (``course_utils.set_language("ko")``, or ``checks.set_language("ko")``,
which the Korean notebooks' setup cell calls), unless ``language=`` says otherwise; its own
labels come from the catalogue of :mod:`course_utils.i18n`. It works with ipywidgets 7
(Colab) and 8.

>>> from course_utils import quiz
>>> question = quiz.Choice(
...     ("What does `gather(1, action_b)` keep?", "`gather(1, action_b)`는 무엇을 남깁니까?"),
...     options=["one value per row", "one value per column"],
...     answer=0,
...     explanation="Row i keeps column action_b[i].",
... )
>>> question.grade(1).correct
False
>>> print(question.grade(0, language="ko").message)
맞습니다. Row i keeps column action_b[i].
>>> quiz.Number("1 / (1 - 0.99) = ?", answer=100, tolerance=0.5, explanation="").grade(99.9).correct
True
>>> box = quiz.show(question)  # the last line of a cell: the quiz appears under it
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets

from course_utils import i18n
from course_utils.i18n import LANGUAGES, Text

__all__ = ["Choice", "Feedback", "Number", "Quiz", "show"]

# The quiz's own labels, in English: i18n.KO holds their Korean.
LABELS: dict[str, str] = {
    "title": "Self-check",
    "correct": "Correct.",
    "wrong": "Not quite.",
    "answer_is": "The answer is {answer}.",
    "check": "Check",
    "not_a_number": "Please type a number.",
    "hint": "Not graded; answer as often as you like.",
}


def _check_text(value: object, name: str) -> Text:
    """``value`` if it is a non-empty str or a pair of non-empty strs (English, Korean)."""
    if isinstance(value, str) and value.strip():
        return value
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(part, str) and part.strip() for part in value)
    ):
        return value
    raise ValueError(
        f"Expected `{name}` to be a non-empty str or an (English, Korean) pair of them, "
        f"got {value!r}"
    )


def _language(language: str | None) -> str:
    """``language``, or the course's language when it is None."""
    if language is None:
        return i18n.get_language()  # the notebook's choice, read-only
    if language not in LANGUAGES:
        raise ValueError(f"Expected `language` to be one of {LANGUAGES}, got {language!r}")
    return language


def _pick(text: Text, language: str) -> str:
    """The text in ``language``; English where no Korean was given."""
    if isinstance(text, str):
        return text
    return text[1] if language == "ko" else text[0]


def _render(text: str) -> str:
    """``text`` as HTML: escaped, with `code` in backticks set as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


def _label(key: str, language: str) -> str:
    return i18n.label(LABELS[key], language)


@dataclass(frozen=True)
class Feedback:
    """What a quiz says after an answer: whether it was right, and the text it shows."""

    correct: bool
    message: str


@dataclass(frozen=True)
class Choice:
    """A multiple-choice question: ``options[answer]`` is the right one."""

    question: Text
    options: Sequence[Text]
    answer: int
    explanation: Text

    def __post_init__(self) -> None:
        _check_text(self.question, "question")
        if isinstance(self.options, str) or len(self.options) < 2:
            raise ValueError(
                f"Expected `options` to hold at least two options, got {self.options!r}"
            )
        for i, option in enumerate(self.options):
            _check_text(option, f"options[{i}]")
        if isinstance(self.answer, bool) or not isinstance(self.answer, int):
            raise ValueError(
                f"Expected `answer` to be an int index into `options`, got {self.answer!r}"
            )
        if not 0 <= self.answer < len(self.options):
            raise ValueError(
                f"Expected `answer` to be an index from 0 to {len(self.options) - 1}, got {self.answer}"
            )
        if self.explanation != "":
            _check_text(self.explanation, "explanation")

    def grade(self, chosen: int, language: str | None = "en") -> Feedback:
        """The feedback for choosing ``options[chosen]``."""
        if (
            isinstance(chosen, bool)
            or not isinstance(chosen, int)
            or not 0 <= chosen < len(self.options)
        ):
            raise ValueError(f"Expected `chosen` to be an index into `options`, got {chosen!r}")
        language = _language(language)
        correct = chosen == self.answer
        parts = [_label("correct" if correct else "wrong", language)]
        if not correct:
            answer = _pick(self.options[self.answer], language)
            parts.append(_label("answer_is", language).format(answer=f"“{answer}”"))
        if self.explanation:
            parts.append(_pick(self.explanation, language))
        return Feedback(correct, " ".join(parts))


@dataclass(frozen=True)
class Number:
    """A numeric question: any answer within ``tolerance`` of ``answer`` is right."""

    question: Text
    answer: float
    tolerance: float
    explanation: Text

    def __post_init__(self) -> None:
        _check_text(self.question, "question")
        for name in ("answer", "tolerance"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
            ):
                raise ValueError(f"Expected `{name}` to be a finite number, got {value!r}")
        if self.tolerance < 0:
            raise ValueError(f"Expected `tolerance` to be >= 0, got {self.tolerance!r}")
        if self.explanation != "":
            _check_text(self.explanation, "explanation")

    def grade(self, given: float | str, language: str | None = "en") -> Feedback:
        """The feedback for the answer ``given`` (a number, or the text typed into the box)."""
        language = _language(language)
        try:
            value = float(str(given).strip().replace(",", "").replace("−", "-"))
        except ValueError:
            return Feedback(False, _label("not_a_number", language))
        if not math.isfinite(value):
            return Feedback(False, _label("not_a_number", language))
        correct = abs(value - self.answer) <= self.tolerance
        parts = [_label("correct" if correct else "wrong", language)]
        if not correct:
            parts.append(_label("answer_is", language).format(answer=f"{self.answer:g}"))
        if self.explanation:
            parts.append(_pick(self.explanation, language))
        return Feedback(correct, " ".join(parts))


Question = Choice | Number


class Quiz(ipywidgets.VBox):
    """The widget :func:`show` returns: a title, then one box per question.

    ``feedback[i]`` is the ``HTML`` widget under question ``i``; ``answer_widgets[i]`` its
    buttons (a :class:`Choice`) or its text box and check button (a :class:`Number`).
    """

    def __init__(self, questions: Sequence[Question], language: str) -> None:
        self.questions = list(questions)
        self.language = language
        self.feedback: list[ipywidgets.HTML] = []
        self.answer_widgets: list[list[ipywidgets.Widget]] = []
        boxes: list[ipywidgets.Widget] = [
            ipywidgets.HTML(
                f"<b>{html.escape(_label('title', language))}</b> "
                f"<i>({html.escape(_label('hint', language))})</i>"
            )
        ]
        for number, question in enumerate(self.questions, start=1):
            feedback = ipywidgets.HTML("")
            text = _render(_pick(question.question, language))
            heading = ipywidgets.HTML(f"{number}. {text}")
            if isinstance(question, Choice):
                controls = [
                    self._option_button(question, i, feedback) for i in range(len(question.options))
                ]
                answer_box: ipywidgets.Widget = ipywidgets.VBox(controls)
            else:
                box = ipywidgets.Text(
                    value="", placeholder="…", layout=ipywidgets.Layout(width="10em")
                )
                button = ipywidgets.Button(description=_label("check", language))
                button.on_click(
                    lambda _button, q=question, b=box, f=feedback: self._answer(q, b.value, f)
                )
                controls = [box, button]
                answer_box = ipywidgets.HBox(controls)
            self.feedback.append(feedback)
            self.answer_widgets.append(controls)
            boxes.append(ipywidgets.VBox([heading, answer_box, feedback]))
        super().__init__(boxes)

    def _option_button(
        self, question: Choice, index: int, feedback: ipywidgets.HTML
    ) -> ipywidgets.Button:
        label = _pick(question.options[index], self.language)
        button = ipywidgets.Button(
            description=label,
            tooltip=label,
            layout=ipywidgets.Layout(width="auto", max_width="100%"),
        )
        button.on_click(lambda _button: self._answer(question, index, feedback))
        return button

    def _answer(self, question: Question, given: int | str, feedback: ipywidgets.HTML) -> None:
        result = question.grade(given, self.language)  # type: ignore[arg-type]
        mark = "✅" if result.correct else "❌"
        feedback.value = f"{mark} {_render(result.message)}"

    def __repr__(self) -> str:  # what a notebook without widget state shows
        return f"{_label('title', self.language)}: {len(self.questions)}"


def show(*questions: Question, language: str | None = None) -> Quiz:
    """A quiz of ``questions`` (2-4 are the norm), in ``language`` ("en" or "ko"; by default
    the language of the checks). Make it the last line of a cell."""
    if not questions:
        raise ValueError("Expected at least one question in `questions`, got none")
    for i, question in enumerate(questions):
        if not isinstance(question, (Choice, Number)):
            raise ValueError(
                f"Expected `questions[{i}]` to be a quiz.Choice or quiz.Number, got {question!r}"
            )
    return Quiz(questions, _language(language))
