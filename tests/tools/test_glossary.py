"""The Korean glossary (translations/ko/glossary.toml) and its check, tools/glossary.py.

- the committed overlays, check catalogue and README.ko.md agree with the glossary
  (`python -m tools.glossary --check` exits 0: what `make sync-check` runs);
- the glossary is consistent: no term forbids its own rendering, every pattern compiles;
- on a small repository in a temporary folder: a forbidden variant, a first use without the
  English, a catalogue message and a README row that disagree each fail with the file, the
  cell id (or message), the term and the rendering to write; a variant that renders another
  term present in the English (신경망 for "neural network") passes; a pending entry is
  reported without failing until it is fixed, then fails until it is deleted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tools import glossary

ROOT = Path(__file__).resolve().parents[2]

GLOSSARY = """
[[term]]
en = "network"
en_pattern = '(?<!neural )\\bnetworks?\\b'
ko = "네트워크"
forbidden = ["신경망"]

[[term]]
en = "neural network"
ko = "신경망"

[[term]]
en = "target network"
ko = "타깃 네트워크"
forbidden = ["타겟"]
first_use = true

[[term]]
en = "knob"
ko = "장치"
forbidden = ["손잡이"]
"""


def notebook(cells: dict[str, str]) -> str:
    return json.dumps(
        {
            "cells": [
                {"cell_type": "markdown", "id": cid, "metadata": {}, "source": text}
                for cid, text in cells.items()
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


def overlay(entries: dict[str, str]) -> str:
    return "preamble\n\n" + "".join(
        f"<!-- cell: {cid} en: 000000000000 -->\n{text}\n\n" for cid, text in entries.items()
    )


@pytest.fixture
def repo(tmp_path: Path):
    """A repository with one notebook, its overlay, a catalogue and a glossary; returns a
    function that writes the overlay's entries and runs ``--check``."""
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    (tmp_path / "translations" / "ko").mkdir(parents=True)
    (tmp_path / "course_utils" / "checks" / "_ko").mkdir(parents=True)
    english = {
        "a": "# Title\nThe target network is a copy of the network.",
        "b": "A neural network, and a knob.",
    }
    (tmp_path / "notebooks" / "solutions" / "01_x.ipynb").write_text(notebook(english))
    (tmp_path / "translations" / "ko" / "glossary.toml").write_text(GLOSSARY, encoding="utf-8")

    def run(entries: dict[str, str], catalogue: str = "KO = {}\n", pending: str = "") -> tuple:
        (tmp_path / "translations" / "ko" / "01_x.md").write_text(
            overlay(entries), encoding="utf-8"
        )
        (tmp_path / "course_utils" / "checks" / "_ko" / "m.py").write_text(
            catalogue, encoding="utf-8"
        )
        (tmp_path / "translations" / "ko" / "glossary.toml").write_text(
            GLOSSARY + pending, encoding="utf-8"
        )
        return tmp_path, glossary.main(["--check", "--root", str(tmp_path)])

    return run


GOOD = {
    "a": "# 제목\n타깃 네트워크(target network)는 네트워크의 복사본입니다.",
    "b": "신경망, 그리고 장치.",
}


def test_the_committed_tree_agrees_with_the_glossary(capsys):
    assert glossary.main(["--check", "--root", str(ROOT)]) == 0, capsys.readouterr().err


def test_the_glossary_forbids_none_of_its_own_renderings():
    terms = glossary.load(ROOT / glossary.GLOSSARY).terms
    assert len({term.en for term in terms}) == len(terms), "a term appears twice"
    for term in terms:
        for form in (term.ko, *term.short):
            for pattern in term.forbidden:
                assert not re.search(pattern, form), (term.en, pattern, form)


@pytest.mark.parametrize(
    "drift",
    ["신경망은", "부트스트래핑", "손잡이", "경사 스텝", "hard 동기화", "soft 갱신", "사분위 평균",
     "노트북 CPU", "웜업", "리플레이 메모리"],
)  # fmt: skip
def test_the_drifts_of_issue_30_are_forbidden(drift):
    terms = glossary.load(ROOT / glossary.GLOSSARY).terms
    unit = glossary.Unit("x.md", "cell c", "A network.", f"{drift} 입니다")
    assert glossary.violations([unit], terms), drift


def test_a_clean_overlay_passes(repo):
    _, code = repo(GOOD)
    assert code == 0


def test_a_forbidden_variant_names_file_cell_term_and_rendering(repo, capsys):
    root, code = repo({**GOOD, "b": "신경망, 그리고 손잡이."})
    err = capsys.readouterr().err
    assert code == 1
    assert (
        "translations/ko/01_x.md:8: cell b: '손잡이' is not the glossary's rendering of 'knob': "
        "write '장치'" in err
    )


def test_a_variant_rendering_another_term_counts_against_its_english(repo, capsys):
    # Cell a's English has "network" but no "neural network": 신경망 there is a drift.
    _, code = repo({**GOOD, "a": "# 제목\n타깃 네트워크(target network)는 신경망의 복사본입니다."})
    err = capsys.readouterr().err
    assert code == 1 and "cell a: '신경망' is not the glossary's rendering of 'network'" in err
    # Cell b's English has one "neural network": one 신경망 passes, a second does not.
    _, code = repo({**GOOD, "b": "신경망과 신경망, 그리고 장치."})
    assert code == 1 and "cell b: '신경망'" in capsys.readouterr().err


def test_an_entry_still_marked_todo_is_not_read(repo, capsys):
    root, _ = repo(GOOD)
    path = root / "translations" / "ko" / "01_x.md"
    text = path.read_text(encoding="utf-8").replace(
        "000000000000 -->\n신경망", "000000000000 todo -->\n신경망"
    )
    path.write_text(text.replace("그리고 장치", "그리고 손잡이"), encoding="utf-8")
    assert glossary.main(["--check", "--root", str(root)]) == 0, capsys.readouterr().err


def test_code_and_formulas_are_not_read(repo):
    _, code = repo({**GOOD, "b": "신경망, 그리고 장치. `손잡이` $타겟$"})
    assert code == 0


def test_a_first_use_without_the_english_fails(repo, capsys):
    _, code = repo({**GOOD, "a": "# 제목\n타깃 네트워크는 네트워크의 복사본입니다."})
    err = capsys.readouterr().err
    assert code == 1
    assert "cell a: first use of '타깃 네트워크'" in err
    assert "write '타깃 네트워크(target network)'" in err
    # The English may follow the closing of emphasis: **타깃 네트워크**(target network).
    _, code = repo({**GOOD, "a": "# 제목\n**타깃 네트워크**(target network)는 네트워크입니다."})
    assert code == 0


CATALOGUE = 'KO = {\n    "the knob is wrong": "손잡이가 틀렸습니다",\n}\n'
PENDING = """
[[pending]]
file = "course_utils/checks/_ko/m.py"
where = "message 'the knob is wrong'"
term = "knob"
found = "손잡이"
"""


def test_a_catalogue_message_is_checked_against_its_english_template(repo, capsys):
    _, code = repo(GOOD, catalogue=CATALOGUE)
    err = capsys.readouterr().err
    assert code == 1
    assert "course_utils/checks/_ko/m.py:2: message 'the knob is wrong': '손잡이'" in err


def test_a_pending_entry_does_not_fail_until_it_is_fixed(repo, capsys):
    _, code = repo(GOOD, catalogue=CATALOGUE, pending=PENDING)
    assert code == 0 and "1 pending" in capsys.readouterr().err
    fixed = CATALOGUE.replace("손잡이", "장치")
    _, code = repo(GOOD, catalogue=fixed, pending=PENDING)
    assert code == 1 and "no longer occurs: delete it" in capsys.readouterr().err


def test_a_readme_glossary_row_must_be_the_glossary_s(repo, capsys):
    root, _ = repo(GOOD)
    (root / "README.md").write_text("# Course\n\n## Notation\nx\n", encoding="utf-8")
    readme = "# 강의\n\n## 용어집 <!-- ko-only -->\n\n| 한국어 | English | 뜻 |\n|---|---|---|\n"
    (root / "README.ko.md").write_text(readme + "| 장치 | knob | 설정 |\n", encoding="utf-8")
    assert glossary.main(["--check", "--root", str(root)]) == 0
    (root / "README.ko.md").write_text(readme + "| 손잡이 | knob | 설정 |\n", encoding="utf-8")
    assert glossary.main(["--check", "--root", str(root)]) == 1
    assert "README.ko.md:7: glossary row '손잡이' | 'knob'" in capsys.readouterr().err
