"""The instructor guide shows three small screenshots of every deck, English and each
translation (``make slides-screenshots``), and links every screenshot it keeps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "instructor-guide.md"
IMAGES = ROOT / "docs" / "img" / "slides"
LANGUAGES = sorted(p.parent.name for p in (ROOT / "translations").glob("*/language.toml"))
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
MAX_BYTES = 48 * 1024  # the repository stays light: a palette PNG of a slide is 8-34 KiB


def _linked() -> set[Path]:
    text = GUIDE.read_text(encoding="utf-8")
    return {
        (GUIDE.parent / link).resolve() for link in re.findall(r"\]\((img/slides/[^)]+)\)", text)
    }


@pytest.mark.parametrize("folder", ["", *LANGUAGES])
def test_every_deck_has_three_linked_screenshots(folder: str) -> None:
    linked = _linked()
    for notebook in NOTEBOOKS:
        shots = sorted((IMAGES / folder).glob(f"{notebook}-*.png"))
        assert len(shots) == 3, f"{folder or 'en'} {notebook}: make slides-screenshots"
        for shot in shots:
            assert shot.resolve() in linked, f"{shot.relative_to(ROOT)} is not in the guide"


def test_the_guide_links_only_screenshots_that_exist() -> None:
    missing = [p.relative_to(ROOT) for p in _linked() if not p.exists()]
    assert missing == []


def test_the_screenshots_are_small_half_size_pngs() -> None:
    shots = sorted(IMAGES.rglob("*.png"))
    assert shots
    for shot in shots:
        assert shot.stat().st_size <= MAX_BYTES, f"{shot.relative_to(ROOT)}: too large"
        with Image.open(shot) as image:
            assert image.size == (960, 540), shot.relative_to(ROOT)
