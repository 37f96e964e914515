"""tools/output_language.py: the English words left in a notebook's stored outputs."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from tools import output_language as ol


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("learning target met: True", ["learning", "target", "met", "True"]),
        ("에피소드 200: 평균 보상 9.5", []),
        ("tensor([[0.5320, 0.4680]]) q_values.shape torch.Size([2, 3]) x=1", []),
        (
            "use `net.eval()` first, don't (ever) forget",
            ["use", "first", "don't", "ever", "forget"],
        ),
        ("a b I", []),  # single letters: variable names as often as words
    ],
)
def test_english_words(text: str, words: list[str]) -> None:
    assert ol.english_words(text) == words


def _notebook() -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="평균 reward\n"),
        nbformat.v4.new_output(
            "display_data", data={"image/png": "iVBOR", "text/plain": "<Figure size 6x4>"}
        ),
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": "<style>p {color: red}</style><p>greedy 정책</p><pre>def f(): pass</pre>",
                "text/plain": "fallback words",
            },
        ),
        nbformat.v4.new_output(
            "execute_result",
            data={"application/vnd.jupyter.widget-view+json": {}, "text/plain": "Self-check: 3"},
            execution_count=1,
        ),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad input", traceback=[]),
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("English prose"), cell])
    return nb


def test_counts_what_a_reader_sees_in_outputs(tmp_path: Path) -> None:
    """Streams, HTML without its styles and code, a widget's text, errors; not a figure's
    text/plain, not a fallback under HTML, not markdown cells."""
    path = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(), path)
    assert sorted(ol.count(path).elements()) == sorted(
        ["reward", "greedy", "Self-check", "ValueError", "bad", "input"]
    )


def test_main_prints_per_notebook_and_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nb.ipynb"
    nbformat.write(_notebook(), path)
    assert ol.main([str(path), str(path), "--top", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"{path}: 6 English words (6 distinct)"
    assert out[2] == "total: 12 English words (6 distinct)"
    count, word = out[3].split()
    assert count == "2" and word in {"reward", "greedy", "Self-check", "ValueError", "bad", "input"}
