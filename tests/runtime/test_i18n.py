"""The course-wide language switch and its label catalogue (course_utils/i18n.py, issue 30).

- one switch: ``course_utils.set_language`` and ``checks.set_language`` are the same, and
  the checks' messages follow either, whichever was imported first;
- the catalogue: every label course_utils looks up has a Korean entry with the same
  placeholders and code, no entry is left over, and no Hangul sits inside mathtext;
- the font: a Korean figure (title, axis labels, legend, and course_utils' own figures)
  renders to PNG without one missing-glyph warning, where the same figure without the
  Korean selection gets one per Hangul syllable; English settings are never changed.
"""

from __future__ import annotations

import ast
import io
import logging
import re
import string
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch

import course_utils
from course_utils import checks, i18n, quiz
from course_utils.plotting import STATISTICS, new_figure

PACKAGE = Path(course_utils.__file__).parent
HANGUL = re.compile(r"[\uac00-\ud7a3]")
MATH = re.compile(r"(?<!\\)\$.+?(?<!\\)\$")
CODE = re.compile(r"`[^`]+`")


@pytest.fixture(autouse=True)
def english_after(style_unchanged):
    """Every test ends in English, with matplotlib's settings as they were before it."""
    yield
    i18n.set_language("en")


def _looked_up() -> set[str]:
    """The English labels course_utils passes to ``label(...)`` as literals, plus the tables
    it passes through ``label`` (quiz.LABELS, plotting.STATISTICS)."""
    found: set[str] = set()
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "label" and isinstance(node.args[0], ast.Constant):
                found.add(node.args[0].value)
    return found | set(quiz.LABELS.values()) | set(STATISTICS)


def _fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


# --- one switch ---------------------------------------------------------------------------


def test_course_utils_and_checks_share_one_switch(capsys: pytest.CaptureFixture[str]) -> None:
    assert course_utils.set_language is i18n.set_language
    course_utils.set_language("ko")
    assert checks.get_language() == "ko" and course_utils.get_language() == "ko"
    assert checks._i18n._("hint") == "힌트"  # the checks' own catalogue follows
    checks.set_language("en")
    assert i18n.get_language() == "en" and checks._i18n._("hint") == "hint"
    checks.set_language("ko")
    assert i18n.get_language() == "ko"
    assert (
        quiz.show(quiz.Number("1 + 1 = ?", answer=2, tolerance=0, explanation="")).language == "ko"
    )


def test_the_checks_follow_a_language_chosen_before_they_were_imported() -> None:
    program = (
        "import course_utils.i18n as i18n\n"
        "i18n.set_language('ko')\n"
        "from course_utils.checks._i18n import _\n"
        "print(_('hint'))\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "힌트"


@pytest.mark.parametrize("language", ["fr", "KO", None, 1])
def test_an_unknown_language_is_refused_by_both_names(language) -> None:
    for switch in (course_utils.set_language, checks.set_language):
        with pytest.raises(ValueError, match="Expected `language` to be one of 'en', 'ko'"):
            switch(language)
    assert i18n.get_language() == "en"


def test_a_callers_text_is_its_own_or_a_pair() -> None:
    assert i18n.pick("Episode", language="ko") == "Episode"  # a str: the caller's, as given
    assert i18n.pick(("push left", "왼쪽으로 밀기"), language="ko") == "왼쪽으로 밀기"
    assert i18n.pick(("push left", "왼쪽으로 밀기"), language="en") == "push left"
    with pytest.raises(ValueError, match="`action_labels\\[0\\]`"):
        i18n.pick(("a", "b", "c"), name="action_labels[0]")


# --- the catalogue -------------------------------------------------------------------------


def test_every_label_has_a_korean_entry_and_none_is_left_over() -> None:
    used = _looked_up()
    assert len(used) > 40  # the scan finds the labels (it would pass vacuously on none)
    assert sorted(used - set(i18n.KO)) == [], "labels without Korean"
    assert sorted(set(i18n.KO) - used) == [], "Korean entries no code looks up"


@pytest.mark.parametrize("english", sorted(i18n.KO))
def test_an_entry_keeps_placeholders_and_code_and_is_korean(english: str) -> None:
    korean = i18n.KO[english]
    assert HANGUL.search(korean), f"no Hangul in the Korean of {english!r}: {korean!r}"
    assert _fields(korean) == _fields(english)
    assert sorted(CODE.findall(korean)) == sorted(CODE.findall(english))
    # mathtext draws with its own fonts, which have no Hangul: Hangul and $...$ never mix
    assert not (MATH.search(korean) and HANGUL.search(korean)), korean


def test_labels_are_english_by_default_and_korean_when_chosen() -> None:
    assert i18n.label("average of {n}") == "average of {n}"
    i18n.set_language("ko")
    assert i18n.label("average of {n}").format(n=10) == "10개 이동 평균"
    assert i18n.label("not a label") == "not a label"  # never an error in a student's notebook


# --- the font --------------------------------------------------------------------------------


def _korean_figure():
    fig = new_figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.plot([1, 2, 3], [-1.0, 0.5, 2.0], label="평균 리턴")
    ax.set_title("학습 곡선: α = 0.1, ε → 0.05")
    ax.set_xlabel("에피소드")
    ax.set_ylabel("리턴 (−1 per step)")
    ax.legend(title="범례")
    return fig


def _missing_glyphs(*figures) -> list[str]:
    """The missing-glyph complaints of rendering ``figures`` to PNG: warnings (text) and
    log records (mathtext, "Font 'default' does not have a glyph")."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("matplotlib")
    logger.addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for fig in figures:
                fig.savefig(io.BytesIO(), format="png", dpi=50)
    finally:
        logger.removeHandler(handler)
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in records]
    return [m for m in messages if "missing from font" in m or "does not have a glyph" in m]


def test_without_korean_selected_hangul_is_missing() -> None:  # the symptom, as a control
    missing = _missing_glyphs(_korean_figure())
    assert len(missing) >= 10 and all("DejaVu Sans" in m for m in missing), missing


def test_a_korean_figure_renders_every_glyph() -> None:
    i18n.set_language("ko")
    assert _missing_glyphs(_korean_figure()) == []


def test_course_utils_figures_in_korean_render_every_glyph() -> None:
    import gymnasium as gym

    from course_utils import plotting

    i18n.set_language("ko")
    env = gym.make("MountainCar-v0")
    q_network = torch.nn.Linear(2, 3)
    figures = [
        plotting.plot_stats(
            {"Returns": [-200.0, -150.0, -120.0], "Loss": [1.0, 0.5, float("nan")]},
            window=2,
            xlabels={"Loss": ("Episode (mean loss)", "에피소드 (평균 손실)")},
        ),
        plotting.plot_cost_to_go(q_network, env, resolution=5),
        plotting.plot_max_q(q_network, env, [("Left", "왼쪽"), ("None", "없음"), "Right"], 5),
        plotting.neuron_figure(1.0, 0.0, "relu"),
        plotting.gradient_descent_figure(0.25, 5),
        plotting.q_values_figure(np.array([[1.0, 2.0]]), [("left", "왼쪽"), "right"], t=0),
        plotting.epsilon_schedule_figure(lambda s, a, b, f: a, 100, 1.0, 0.05, 0.5),
    ]
    assert figures[0].axes[0].get_title() == "리턴"
    assert figures[2].axes[0].get_title().startswith("탐욕 행동")
    assert _missing_glyphs(*figures) == []


def test_the_font_is_the_packaged_one_and_its_package_is_never_imported() -> None:
    from matplotlib import font_manager

    unicode_minus = matplotlib.rcParams["axes.unicode_minus"]
    i18n.set_language("ko")
    paths = i18n._packaged_fonts()
    assert [path.name for path in paths] == ["NanumGothic.ttf", "NanumGothicBold.ttf"]
    assert i18n.korean_font() == "NanumGothic"
    registered = {Path(entry.fname) for entry in font_manager.fontManager.ttflist}
    assert set(paths) <= registered
    # Latin text keeps matplotlib's font; Hangul falls back to the Korean one.
    assert matplotlib.rcParams["font.family"] == ["sans-serif", "NanumGothic"]
    # importing koreanize_matplotlib would set font.family and axes.unicode_minus for everyone
    assert "koreanize_matplotlib" not in sys.modules
    assert matplotlib.rcParams["axes.unicode_minus"] == unicode_minus


def test_bold_hangul_finds_its_weight(caplog) -> None:
    """Notebook 04's cliff figure labels in bold: without the bold face registered, matplotlib
    logged "findfont: Failed to find font weight bold for NanumGothic" into the stored output."""
    import matplotlib.pyplot as plt

    i18n.set_language("ko")
    figure, axes = plt.subplots()
    axes.set_title("절벽", fontweight="bold")
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        figure.savefig(io.BytesIO(), format="png", dpi=40)
    plt.close(figure)
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]


def test_english_leaves_font_settings_alone_and_takes_the_fallback_back() -> None:
    before = list(matplotlib.rcParams["font.family"])
    i18n.set_language("en")
    assert matplotlib.rcParams["font.family"] == before
    i18n.set_language("ko")
    i18n.set_language("ko")  # twice: appended once
    assert matplotlib.rcParams["font.family"] == [*before, "NanumGothic"]
    i18n.set_language("en")
    assert matplotlib.rcParams["font.family"] == before


def test_english_figures_do_not_change_after_a_korean_round_trip() -> None:
    from course_utils.plotting import plot_stats

    def png() -> bytes:
        buffer = io.BytesIO()
        plot_stats({"Returns": [1.0, 3.0, 2.0, 5.0]}).savefig(buffer, format="png", dpi=40)
        return buffer.getvalue()

    english = png()
    i18n.set_language("ko")
    korean = png()
    i18n.set_language("en")
    assert png() == english
    assert korean != english  # the Korean labels were drawn (the test could fail)


def test_no_korean_font_warns_once_with_how_to_install(monkeypatch) -> None:
    from matplotlib import font_manager

    monkeypatch.setattr(i18n, "_packaged_fonts", lambda: [])
    monkeypatch.setattr(i18n, "KNOWN_KOREAN_FAMILIES", ("No Such Korean Font",))
    monkeypatch.setattr(i18n._State, "font", None)
    monkeypatch.setattr(i18n._State, "warned", False)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", list(font_manager.fontManager.ttflist))
    with pytest.warns(UserWarning, match="koreanize-matplotlib") as caught:
        i18n.set_language("ko")
        i18n.set_language("ko")
    assert len(caught) == 1 and HANGUL.search(str(caught[0].message))
    assert "No Such Korean Font" not in matplotlib.rcParams["font.family"]


def test_every_install_brings_a_korean_font() -> None:
    import tomllib

    root = PACKAGE.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    assert any(d.startswith("koreanize-matplotlib") for d in project["dependencies"])
    # binder/apt.txt as repo2docker reads it: a package per line, '#' starts a comment
    apt = (root / "binder" / "apt.txt").read_text().splitlines()
    assert "fonts-nanum" in {line.partition("#")[0].strip() for line in apt}


# --- the notebooks' own text: (English, Korean) pairs ---------------------------------------
#
# A notebook prints and draws its own text as `pick(("English", "한국어"))` (its setup cell
# imports `pick` from course_utils.i18n), or hands such a pair to course_utils (an x label, a
# snapshot's caption, a progress bar's reason). Both halves are filled from the same values:
# a Korean half that names another variable, or drops one, would print something else.

NOTEBOOKS = sorted((PACKAGE.parent / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))


def _text_parts(node: ast.expr) -> tuple[str, set[str]] | None:
    """A string literal's text and its placeholders (an f-string's expressions, or a
    template's ``{fields}``); None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        # braces in mathtext ($R_{k+1}$) are TeX's, not a template's
        return node.value, set() if "$" in node.value else _fields(node.value)
    if isinstance(node, ast.JoinedStr):
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        values = {ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)}
        return text, values
    return None


def _notebook_pairs(path: Path) -> list[tuple[str, str, set[str], str, set[str]]]:
    """(cell id, English, its placeholders, Korean, its placeholders) for every 2-tuple of
    strings in the notebook's code cells whose second half holds Hangul, quizzes left out
    (their text is HTML, with its own checks in test_quiz.py)."""
    import nbformat

    pairs = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or cell.source.lstrip().startswith("quiz.show"):
            continue
        source = "\n".join(
            line[: len(line) - len(line.lstrip())] + "pass"  # an IPython magic
            if line.lstrip().startswith(("%", "!"))
            else line
            for line in cell.source.splitlines()
        )
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Tuple) or len(node.elts) != 2:
                continue
            english, korean = (_text_parts(element) for element in node.elts)
            if english is None or korean is None or not HANGUL.search(korean[0]):
                continue
            pairs.append((cell.get("id", "?"), english[0], english[1], korean[0], korean[1]))
    return pairs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem[:2])
def test_a_notebooks_korean_text_shows_the_same_values(path: Path) -> None:
    if "from course_utils.i18n import pick" not in path.read_text(encoding="utf-8"):
        pytest.skip(f"{path.name} prints no (English, Korean) pairs of its own yet")
    pairs = _notebook_pairs(path)
    assert pairs, f"{path.name} imports pick but no (English, Korean) pair was found"
    for cell_id, english, english_values, korean, korean_values in pairs:
        assert korean_values == english_values, (
            f"{path.name} cell {cell_id}: {english!r} shows {sorted(english_values)}, "
            f"its Korean {korean!r} shows {sorted(korean_values)}"
        )
        # a label with $...$ is drawn whole by mathtext, whose fonts have no Hangul: a Korean
        # label writes its formula in Unicode (maxₐ q̂(s, a)), as the catalogue's labels do
        assert not MATH.search(korean), f"{path.name} cell {cell_id}: mathtext in {korean!r}"


def test_a_pair_with_another_value_is_caught(tmp_path: Path) -> None:
    """The scan above finds a Korean half that shows a different value (it could pass on none)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from course_utils.i18n import pick\n"
            'print(pick((f"loss {loss:.2f}", f"손실 {step}")))\n'
            'print(pick(("from {:.1f} to {:.1f}", "{:.1f}부터 {:.1f}까지")).format(1, 2))'
        )
    ]
    path = tmp_path / "99_demo.ipynb"
    nbformat.write(nb, path)
    pairs = _notebook_pairs(path)
    assert len(pairs) == 2
    (_, _, english_values, _, korean_values), (_, _, template, _, korean_template) = pairs
    assert english_values == {"loss"} and korean_values == {"step"}
    assert template == korean_template == {""}
