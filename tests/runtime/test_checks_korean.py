"""The check messages in Korean: ``checks.set_language("ko")``, the catalogue, the diagnoses.

- the language switches with ``set_language`` (and back), and a bad language is refused;
- the catalogue covers every template wrapped in ``_``/``N_``, has no leftover entry, and
  keeps each template's placeholders and backticked code;
- no message string in a converted check module escapes the catalogue (a bare literal);
- every buggy variant of ``test_checks.py`` is diagnosed in Korean: Hangul, the Korean
  labels, the Korean of the English diagnosis, and no English sentence of any template left.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import functools
import importlib
import io
import re
import string
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from course_utils import checks
from course_utils.checks import ExerciseFailure, harness
from course_utils.checks.catalogue import KO, PARTICLES, PARTS, SUCCESS, translate_success_lines
from course_utils.checks.harness import Check
from tests.runtime.test_checks import BUGGY as BUGGY_FUNCTIONS
from tests.runtime.test_checks import CORRECT as CORRECT_FUNCTIONS
from tests.runtime.test_checks import TESTED_APART
from tools import exercises
from tools.translations import message_templates

CHECKS_DIR = Path(checks.__file__).parent
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Two or more English words in a row, outside code: what a translation must not leave.
ENGLISH_WORDS = re.compile(r"[A-Za-z]{2,}(?:[ -][A-Za-z]{2,})+")
# Modules another issue is still writing: their messages are English until converted.
# strict xfail: converting one makes its case pass, and then it must leave this set.
NOT_YET_TRANSLATED: set[str] = set()

# The buggy and correct variants of every check tested apart, from that check's own test
# module (TESTED_APART: the table of exercises decides which). A test module of a check module
# with several checks (test_checks_beyond.py, notebook 06's) imports this file and runs its
# Korean tests on its own cases (test_multi_check_modules_run_the_korean_tests), so only the
# test modules of one-check modules are read here.
_CHECKS_PER_MODULE = Counter(e.module for e in exercises.load().values())
OTHER_CHECKS = {
    e.check: importlib.import_module(TESTED_APART[e.check])
    for e in exercises.load().values()
    if e.check in TESTED_APART and _CHECKS_PER_MODULE[e.module] == 1
}
BUGGY = [
    *BUGGY_FUNCTIONS,
    *((name, f, phrase) for name, tests in OTHER_CHECKS.items() for f, phrase in tests.BUGGY),
]
CORRECT = {**CORRECT_FUNCTIONS, **{name: tests.CORRECT for name, tests in OTHER_CHECKS.items()}}
# The checks that receive a function (check_replay_memory receives a class).
FUNCTION_CHECKS = sorted(name for name in CORRECT if name != "check_replay_memory")


def test_multi_check_modules_run_the_korean_tests() -> None:
    """Every check tested apart is diagnosed in Korean: here, or by its own test module."""
    for name, module_name in TESTED_APART.items():
        if name in OTHER_CHECKS:
            continue
        module = importlib.import_module(module_name)
        assert hasattr(module, "test_buggy_solution_is_diagnosed_in_korean"), module_name
        assert name in {row[0] for row in module.BUGGY}, (module_name, name)


def stub(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError("Exercise 9.9: write this")


@pytest.fixture
def korean() -> Iterator[None]:
    checks.set_language("ko")
    try:
        yield
    finally:
        checks.set_language("en")


def prose(text: str) -> str:
    """``text`` without code in backticks and without placeholders."""
    return re.sub(r"\{[^}]*\}", " ", re.sub(r"`[^`]*`", " ", text))


# --------------------------------------------------------------------------- the switch


def test_set_language_switches_and_back(capsys: pytest.CaptureFixture[str]) -> None:
    assert checks.get_language() == "en"
    checks.set_language("ko")
    try:
        assert checks.get_language() == "ko"
        checks.check_select_q_values(CORRECT["check_select_q_values"][0])
        assert capsys.readouterr().out == "✅ select_q_values: 7개 속성을 모두 만족합니다.\n"
    finally:
        checks.set_language("en")
    checks.check_select_q_values(CORRECT["check_select_q_values"][0])
    assert capsys.readouterr().out == "✅ select_q_values: all 7 properties hold.\n"


@pytest.mark.parametrize("language", ["fr", "KO", "", None, 1])
def test_set_language_refuses_an_unknown_language(language: Any) -> None:
    with pytest.raises(ValueError, match=r"`language`.*'en', 'ko'.*actually"):
        checks.set_language(language)
    assert checks.get_language() == "en"


# --------------------------------------------------------------------------- the catalogue


@functools.cache
def templates() -> dict[str, str]:
    """Every template of course_utils/checks, parsed once for the whole module."""
    return message_templates()


def test_every_template_has_a_korean_translation() -> None:
    missing = [t for t in templates() if t not in KO]
    assert not missing, (
        "templates without Korean (add them to course_utils/checks/_ko/<module>.py; "
        "`python -m tools.translations --messages` lists them):\n" + "\n".join(missing)
    )


def test_no_two_catalogue_files_translate_the_same_template() -> None:
    counts = Counter(template for part in PARTS for template in part)
    twice = [template for template, n in counts.items() if n > 1]
    assert not twice, "translated in two files of course_utils/checks/_ko/:\n" + "\n".join(twice)


def test_the_catalogue_has_no_leftover_entry() -> None:
    leftovers = [t for t in KO if t not in templates()]
    assert not leftovers, "entries that match no template any more:\n" + "\n".join(leftovers)


@pytest.mark.parametrize("template", sorted(KO), ids=lambda t: t[:50])
def test_translation_keeps_placeholders_and_code(template: str) -> None:
    korean = KO[template]
    fields = sorted(f for _, f, _, _ in string.Formatter().parse(template) if f is not None)
    parsed = list(string.Formatter().parse(korean))
    values = [f for _, f, _, _ in parsed if f is not None and f not in PARTICLES]
    assert sorted(values) == fields
    for i, (literal, field, _spec, _conversion) in enumerate(parsed):
        if field in PARTICLES:  # a particle follows a value: `{a}{을}` or `` `{a}`{을} ``
            assert literal in ("", "`"), f"{{{field}}} after {literal!r}, not a placeholder"
            assert i > 0 and parsed[i - 1][1] not in (None, *PARTICLES)
    assert sorted(re.findall(r"`[^`]*`", korean)) == sorted(re.findall(r"`[^`]*`", template))
    if ENGLISH_WORDS.search(prose(template)):
        assert HANGUL.search(korean), f"no Korean in the translation of {template!r}"


def test_success_line_of_a_stored_output_is_translated() -> None:
    english = SUCCESS.format(exercise="dqn_targets", n=9)
    text = f"before\n{english}\nafter\n"
    assert translate_success_lines(text, "ko") == (
        "before\n✅ dqn_targets: 9개 속성을 모두 만족합니다.\nafter\n"
    )
    assert translate_success_lines(text, "en") == text


# The parameters that take a message: a property, its diagnosis, what a result is.
MESSAGE_PARAMETERS = {"prop", "expected", "got", "cause", "hint", "what"}


@functools.cache
def parameters() -> dict[str, set[tuple[int, str]]]:
    """(position, name) of the parameters of every function, method and named tuple defined
    in course_utils/checks, by name (``self`` not counted): a call's positional arguments
    take these names; each definition of a name counts."""
    found: dict[str, set[tuple[int, str]]] = {}
    for path in sorted(CHECKS_DIR.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
                names = names[1:] if names[:1] in (["self"], ["cls"]) else names
            elif isinstance(node, ast.ClassDef):  # a NamedTuple: its fields, in order
                names = [
                    f.target.id
                    for f in node.body
                    if isinstance(f, ast.AnnAssign) and isinstance(f.target, ast.Name)
                ]
            else:
                continue
            found.setdefault(node.name, set()).update(enumerate(names))
    return found


def message_arguments(node: ast.Call) -> list[ast.expr]:
    """The arguments of ``node`` that go to a parameter named in MESSAGE_PARAMETERS: by
    keyword, or by position in a function of course_utils/checks."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    positions = {i for i, p in parameters().get(name, ()) if p in MESSAGE_PARAMETERS}
    return [arg for i, arg in enumerate(node.args) if i in positions] + [
        keyword.value for keyword in node.keywords if keyword.arg in MESSAGE_PARAMETERS
    ]


def bare_messages(path: Path) -> list[str]:
    """String literals and f-strings passed as a message that are English prose."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.IfExp):
            visit(node.body)
            visit(node.orelse)
        elif isinstance(node, ast.JoinedStr):  # English words in its literal parts
            text = " ".join(part.value for part in node.values if isinstance(part, ast.Constant))
            if ENGLISH_WORDS.search(prose(text)):
                found.append(f"{path.name}:{node.lineno}: f-string {ast.unparse(node)[:60]}")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if ENGLISH_WORDS.search(prose(node.value)):
                found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
        elif isinstance(node, ast.BinOp):
            visit(node.left)
            visit(node.right)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            for argument in message_arguments(node):
                visit(argument)
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("cause", "hint") for t in node.targets
        ):
            visit(node.value)
    return found


def _modules() -> list[Any]:
    params = []
    for path in sorted(CHECKS_DIR.glob("*.py")):
        marks = []
        if path.stem in NOT_YET_TRANSLATED:
            marks = [pytest.mark.xfail(strict=True, reason="messages not wrapped in _() yet")]
        params.append(pytest.param(path, marks=marks, id=path.stem))
    return params


def test_the_lint_finds_bare_messages_by_parameter_name(tmp_path: Path) -> None:
    source = tmp_path / "example.py"
    source.write_text(
        "raise chk.fail(_('fine'), expected='a plain English sentence', got=x,\n"
        "               cause=_('fine'), hint=f'an English hint {x}')\n"
        "variants = [Variant(value, 'positional English cause', _('fine'))]\n"
        "chk.expect_tensor(got, 'the English name')\n"
        "print('English elsewhere is not a message')\n",
        encoding="utf-8",
    )
    found = bare_messages(source)
    assert len(found) == 4, found
    for text in ("a plain English", "an English hint", "positional English", "the English name"):
        assert any(text in line for line in found), (text, found)


@pytest.mark.parametrize("path", _modules())
def test_no_message_escapes_the_catalogue(path: Path) -> None:
    found = bare_messages(path)
    assert not found, "wrap these in _(...) and translate them in _ko/<module>.py:\n" + "\n".join(
        found
    )


# --------------------------------------------------------------------------- the diagnoses

ENGLISH_SENTENCES = sorted(
    {m.group(0) for t in KO for m in ENGLISH_WORDS.finditer(prose(t)) if len(m.group(0)) > 12}
    - {m.group(0) for k in KO.values() for m in ENGLISH_WORDS.finditer(prose(k))}
)
PATTERNS = [
    (re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "(.+?)", re.escape(t)) + "$"), t) for t in KO
]


def korean_of(english: str) -> str | None:
    """What the Korean of one English part of a message must contain, if a single template
    produced it: the translation, or its longest text between placeholders."""
    for pattern, template in PATTERNS:
        if len(prose(template).strip()) < 12 or not pattern.match(english):
            continue  # "{first} and {last}" would match anything with an "and"
        return max(re.split(r"\{[^}]*\}", KO[template]), key=len)
    return None


def fresh(function: Any) -> Any:
    """A class with its own copy of its class attributes (a buggy memory that stores in a
    class attribute would otherwise carry the English run's transitions into the Korean one)."""
    if not isinstance(function, type):
        return function
    namespace = {
        key: copy.deepcopy(value)
        for key, value in vars(function).items()
        if key not in ("__dict__", "__weakref__")
    }
    return type(function.__name__, function.__bases__, namespace)


def failure(name: str, function: Callable[..., Any]) -> str:
    with pytest.raises(ExerciseFailure) as raised:
        getattr(checks, name)(fresh(function))
    return str(raised.value)


# Properties a check verifies on every call and does not count (the function runs, leaves
# its inputs alone, uses its arguments), and diagnoses named after a special case of a
# counted property.
NOT_COUNTED = re.compile(
    r"your function runs on a small example|`[^`]+` runs on a small example"
    r"|your function leaves its inputs unchanged|uses its arguments, not the notebook's globals"
    r"|output shape is \(B, H\) = .*|`len\(memory\)` never exceeds the capacity"
)
HEADER = re.compile(r"^❌ \w+(?: \(needs Exercise [\d.]+ first\))?: (.*) -- failed\.$", re.M)


@functools.cache
def recorded(name: str) -> frozenset[str]:
    """The properties the first correct implementation of check ``name`` records (English)."""
    made: list[Check] = []

    class Recording(Check):
        def __init__(self, exercise: str, function: Any) -> None:
            super().__init__(exercise, function)
            made.append(self)

    if name in CORRECT:
        correct = CORRECT[name][0]
    else:  # notebook 06's checks, whose tests call the Korean test with their variants
        from tests.runtime import test_checks_beyond  # noqa: PLC0415 (it imports this module)

        correct = test_checks_beyond.CORRECT[name][0]
    body = getattr(checks, name).__wrapped__
    with contextlib.redirect_stdout(io.StringIO()):
        harness._run(name.removeprefix("check_"), correct, body, make=Recording)
    return frozenset(made[-1].properties)


def cause_line(message: str, label: str) -> str:
    return next(line for line in message.splitlines() if line.strip().startswith(label))


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize(
    ("name", "function", "phrase"),
    BUGGY,
    ids=[f"{n.removeprefix('check_')}-{p[:40]}" for n, _, p in BUGGY],
)
def test_buggy_implementation_is_diagnosed_in_korean(
    name: str, function: Callable[..., Any], phrase: str
) -> None:
    english = failure(name, function)
    prop = HEADER.search(english).group(1)  # type: ignore[union-attr]
    assert prop in recorded(name) or NOT_COUNTED.fullmatch(prop), (
        f"{prop!r} can fail but is not counted when it holds (chk.holds is missing)"
    )
    checks.set_language("ko")
    try:
        message = failure(name, function)
    finally:
        checks.set_language("en")
    assert len(HANGUL.findall(message)) > 10
    for label in ("❌", "-- 실패.", "기대값:", "실제값:", "예상 원인:", "힌트:"):
        assert label in message
    for label in ("expected:", "got:", "likely cause:", "hint:", "failed."):
        assert label not in message
    if ENGLISH_WORDS.search(prose(phrase)):
        assert phrase not in message
    left = [sentence for sentence in ENGLISH_SENTENCES if sentence in message]
    assert not left, f"English left in the Korean diagnosis: {left}\n{message}"
    cause = cause_line(english, "likely cause:").split(":", 1)[1].strip()
    translated = korean_of(cause)
    if translated is not None:  # a cause made of one template: its Korean is shown
        assert translated in message


@pytest.mark.parametrize("name", FUNCTION_CHECKS)
def test_stub_and_called_function_in_korean(name: str, korean: None) -> None:
    with pytest.raises(ExerciseFailure, match="아직 구현하지 않았습니다") as raised:
        getattr(checks, name)(stub)
    assert "Exercise 9.9" in str(raised.value)  # the student's own error, as raised
    with pytest.raises(ExerciseFailure, match="괄호 없이"):
        getattr(checks, name)(None)  # what `check_x(x())` passes when x returns nothing


@pytest.mark.parametrize(
    ("name", "function"),
    [(name, functions[0]) for name, functions in CORRECT.items()],
    ids=sorted(CORRECT, key=list(CORRECT).index),
)
def test_success_line_in_korean(
    name: str, function: Callable[..., Any], korean: None, capsys: pytest.CaptureFixture[str]
) -> None:
    getattr(checks, name)(function)
    out = capsys.readouterr().out
    assert re.fullmatch(r"✅ \w+: \d+개 속성을 모두 만족합니다\.\n", out), out


def test_students_frames_are_introduced_in_korean(korean: None) -> None:
    def select_q_values(q_values_b: Any, action_b: Any) -> Any:
        raise ValueError("boom")

    with pytest.raises(ExerciseFailure) as raised:
        checks.check_select_q_values(select_q_values)
    lines = raised.value._render_traceback_()  # what IPython shows
    assert lines[0] == "작성한 코드에서 오류가 발생했습니다:"
    assert "ValueError: boom" in lines
    assert lines.index("ValueError: boom") < next(i for i, x in enumerate(lines) if "❌" in x)
