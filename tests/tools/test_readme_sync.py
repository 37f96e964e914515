"""Each translated README (README.<lang>.md) follows README.md section by section
(tools.readme_sync)."""

from __future__ import annotations

import pytest

from tools import readme_sync
from tools.readme_sync import ROOT, problems

EN = """# Course
## Start
two commands
## Course map
| notebook | time |
|---|---|
| [01 · Nets](notebooks/01_nets.ipynb) | 60 min |
| [02 · Torch](notebooks/02_torch.ipynb) | 60 min |
## License
MIT
"""

KO = """# 강의
## 시작 <!-- en: Start -->
## 강의 지도 <!-- en: Course map -->
| [01 · 신경망](notebooks/ko/01_nets.ipynb) | 60분 |
| [02 · 토치](notebooks/ko/02_torch.ipynb) | 60분 |
## 용어집 <!-- ko-only -->
## 라이선스 <!-- en: License -->
"""


def test_the_committed_readmes_match() -> None:
    english = (ROOT / "README.md").read_text(encoding="utf-8")
    korean = (ROOT / "README.ko.md").read_text(encoding="utf-8")
    assert problems(english, korean) == []


def test_a_matching_pair_has_no_problem() -> None:
    assert problems(EN, KO) == []


@pytest.mark.parametrize(
    ("english", "korean", "fragment"),
    [
        (
            EN + "## Reading list\nbooks\n",
            KO,
            "section 'Reading list' has no counterpart in README.ko.md",
        ),
        (EN, KO.replace("<!-- en: Start -->", ""), "names no English section"),
        (EN, KO.replace("en: License", "en: Licence"), "translates 'Licence', which README.md"),
        (
            EN,
            KO.replace("## 시작 <!-- en: Start -->\n", "").replace(
                "## 라이선스", "## 시작 <!-- en: Start -->\n## 라이선스"
            ),
            "not in README.md's order",
        ),
        (
            EN,
            KO.replace("| [02 · 토치](notebooks/ko/02_torch.ipynb) | 60분 |\n", ""),
            "course maps differ",
        ),
    ],
    ids=["missing-section", "unmarked-section", "renamed-section", "order", "course-map-row"],
)
def test_drift_is_found(english: str, korean: str, fragment: str) -> None:
    found = problems(english, korean)
    assert any(fragment in problem for problem in found), found


def test_main_fails_and_names_the_fix(tmp_path, capsys) -> None:
    (tmp_path / "translations" / "ko").mkdir(parents=True)
    (tmp_path / "README.md").write_text(EN + "## New\nx\n", encoding="utf-8")
    (tmp_path / "README.ko.md").write_text(KO, encoding="utf-8")
    assert readme_sync.main(["--root", str(tmp_path)]) == 1
    assert "fix README.ko.md, then run: python -m tools.readme_sync" in capsys.readouterr().err
    (tmp_path / "README.md").write_text(EN, encoding="utf-8")
    assert readme_sync.main(["--root", str(tmp_path)]) == 0


def test_every_language_is_checked(tmp_path, capsys) -> None:
    """A second language's README is held to README.md the same way, with its own
    '<!-- <lang>-only -->' marker; a language without a README fails."""
    for code in ("ko", "eo"):
        (tmp_path / "translations" / code).mkdir(parents=True)
    (tmp_path / "README.md").write_text(EN, encoding="utf-8")
    (tmp_path / "README.ko.md").write_text(KO, encoding="utf-8")
    assert readme_sync.main(["--root", str(tmp_path)]) == 1
    assert "README.eo.md: missing" in capsys.readouterr().err
    eo = KO.replace("notebooks/ko/", "notebooks/eo/").replace("ko-only", "eo-only")
    (tmp_path / "README.eo.md").write_text(eo, encoding="utf-8")
    assert readme_sync.main(["--root", str(tmp_path)]) == 0
    assert problems(EN, eo, "README.eo.md") == []
    assert any("<!-- eo-only -->" in p for p in problems(EN, KO, "README.eo.md"))
