"""Launch badges (Colab, Binder) and the Colab setup cell of every course notebook.

The repository URL is written once, in ``pyproject.toml`` (``[project.urls] Repository``);
every badge and the Colab install line are derived from it here. Badges open the student
edition (the branch ``student``, written by ``python -m tools.student_edition``), never a
copy with solutions; the Colab cell installs ``course_utils`` at a fixed release tag
(``v`` + the version in pyproject.toml), which the student edition replaces by the commit
of ``main`` it was made from.

``python -m tools.launch_cells notebooks/solutions`` (re)writes, right after the title
cell of each solution notebook, a markdown cell tagged ``badges`` and a code cell tagged
``colab-setup``; ``--check`` only reports notebooks that are missing them or out of date
(exit status 1). Both cells sit outside solution regions, so the student notebooks copy
them verbatim; ``make sync`` runs this command first, then the generators.

>>> slug = github_slug("https://github.com/deep-rl-course/deep-rl-course")
>>> slug
'deep-rl-course/deep-rl-course'
>>> binder_url("01_neural_networks.ipynb", repository="https://github.com/o/r")
'https://mybinder.org/v2/gh/o/r/student?urlpath=lab/tree/notebooks/01_neural_networks.ipynb'
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

import nbformat

from tools.cells import BADGES, COLAB_SETUP, has_tag

__all__ = [
    "BADGES_TAG",
    "BRANCH",
    "SETUP_TAG",
    "STUDENT_BRANCH",
    "binder_url",
    "colab_setup_source",
    "colab_url",
    "github_slug",
    "main",
    "notebook_badges",
    "readme_badges",
    "release_tag",
    "repository_url",
    "sync_notebook",
]

BADGES_TAG = BADGES
SETUP_TAG = COLAB_SETUP
BRANCH = "main"  # the complete course, for instructors and maintainers
STUDENT_BRANCH = "student"  # what students open: no solutions (tools.student_edition)
FIRST_NOTEBOOK = "01_neural_networks.ipynb"  # where the README's Colab badge starts
NOTEBOOK_DIR = "notebooks"

_COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
_BINDER_BADGE = "https://mybinder.org/badge_logo.svg"


def repository_url(pyproject: Path = Path("pyproject.toml")) -> str:
    """The course repository's URL, from ``[project.urls] Repository`` in pyproject.toml.

    ``pyproject`` is relative to the working directory: the tools run from the repository
    root (``make`` does), never from wherever they happen to be installed.
    """
    if not pyproject.is_file():
        raise FileNotFoundError(
            f"{pyproject.resolve()} not found: run the tools from the repository root"
        )
    with pyproject.open("rb") as f:
        urls = tomllib.load(f).get("project", {}).get("urls", {})
    if "Repository" not in urls:
        raise KeyError(f"{pyproject} has no `Repository` entry in its [project.urls] table")
    return str(urls["Repository"]).rstrip("/")


def release_tag(pyproject: Path = Path("pyproject.toml")) -> str:
    """``v<version>``: the release tag of the version in pyproject.toml."""
    with pyproject.open("rb") as f:
        version = tomllib.load(f).get("project", {}).get("version")
    if not version:
        raise KeyError(f"{pyproject} has no `version` in its [project] table")
    return f"v{version}"


def github_slug(url: str) -> str:
    """``owner/name`` of a GitHub repository URL."""
    prefix = "https://github.com/"
    if not url.startswith(prefix):
        raise ValueError(f"Expected a repository URL starting with {prefix!r}, actually: {url!r}")
    slug = url[len(prefix) :].strip("/").removesuffix(".git")
    if slug.count("/") != 1:
        raise ValueError(f"Expected a URL of the form {prefix}<owner>/<name>, actually: {url!r}")
    return slug


def _student_path(notebook: str, folder: str = NOTEBOOK_DIR) -> str:
    name = Path(notebook).name
    if not name.endswith(".ipynb"):
        raise ValueError(f"Expected a notebook file name ending in .ipynb, actually: {notebook!r}")
    return f"{folder}/{name}"


def colab_url(notebook: str, repository: str | None = None, folder: str = NOTEBOOK_DIR) -> str:
    """Colab link that opens the student notebook ``<folder>/<name>`` of the student edition.

    ``folder`` is ``notebooks`` for the English edition, ``notebooks/ko`` for the Korean.
    """
    slug = github_slug(repository or repository_url())
    path = _student_path(notebook, folder)
    return f"https://colab.research.google.com/github/{slug}/blob/{STUDENT_BRANCH}/{path}"


def binder_url(
    notebook: str | None = None, repository: str | None = None, folder: str = NOTEBOOK_DIR
) -> str:
    """mybinder.org link: the student edition in JupyterLab, on ``<folder>/<name>`` or the folder."""
    slug = github_slug(repository or repository_url())
    target = _student_path(notebook, folder) if notebook else folder
    return f"https://mybinder.org/v2/gh/{slug}/{STUDENT_BRANCH}?urlpath=lab/tree/{target}"


def notebook_badges(
    notebook: str, repository: str | None = None, folder: str = NOTEBOOK_DIR
) -> str:
    """Markdown of the two badges for one notebook (same in solution and student version)."""
    return (
        f"[![Open In Colab]({_COLAB_BADGE})]({colab_url(notebook, repository, folder)}) "
        f"[![Launch Binder]({_BINDER_BADGE})]({binder_url(notebook, repository, folder)})"
    )


def readme_badges(repository: str | None = None) -> str:
    """Markdown of the README's badges for the course as a whole.

    Colab opens the first notebook (Colab opens a notebook, not a folder; the course table
    has a badge per notebook); Binder opens JupyterLab on the ``notebooks/`` folder. Both
    open the student edition.
    """
    repository = repository or repository_url()
    return (
        f"[![Open In Colab]({_COLAB_BADGE})]({colab_url(FIRST_NOTEBOOK, repository)}) "
        f"[![Launch Binder]({_BINDER_BADGE})]({binder_url(None, repository)})"
    )


def colab_setup_source(repository: str | None = None, ref: str | None = None) -> str:
    """Source of the setup cell: installs course_utils on Colab only, silent elsewhere.

    ``--no-deps`` keeps Colab's own torch, ipywidgets 7 and pygame; gymnasium is the one
    dependency Colab may lack, installed without its ``[classic-control]`` extra, whose
    pygame-ce would replace Colab's pygame. koreanize-matplotlib, installed with ``--no-deps``
    too, is only the NanumGothic font the Korean notebooks' figures need (course_utils.i18n
    registers its files and never imports it), so Colab's matplotlib stays. ``ref`` is the git tag or commit installed
    (default: :func:`release_tag`), never a moving branch.
    """
    url = repository or repository_url()
    ref = ref or release_tag()
    if not re.fullmatch(r"v\d[\w.]*|[0-9a-f]{40}", ref):
        raise ValueError(
            f"Expected a release tag v<version> or a full commit id, actually: {ref!r}"
        )
    return (
        "# Colab only: install the course helpers, keeping Colab's own torch, ipywidgets and\n"
        "# pygame. Anywhere else (make lab, Binder, conda) this cell does nothing.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install --quiet --no-deps "course_utils @ git+{url}@{ref}" "koreanize-matplotlib>=0.1.1"\n'
        '    %pip install --quiet "gymnasium>=1.0"'
    )


def _desired_cells(notebook: str, repository: str | None) -> list[Any]:
    badges = nbformat.v4.new_markdown_cell(
        notebook_badges(notebook, repository), metadata={"tags": [BADGES_TAG]}
    )
    setup = nbformat.v4.new_code_cell(
        colab_setup_source(repository), metadata={"tags": [SETUP_TAG]}
    )
    # Fixed ids: the cells are identical, byte for byte, in every notebook and its student copy.
    badges["id"], setup["id"] = BADGES_TAG, SETUP_TAG
    return [badges, setup]


def sync_notebook(nb: Any, notebook: str, repository: str | None = None) -> bool:
    """Place the badge and setup cells right after the title cell of ``nb``, in place.

    ``notebook`` is the file name the badges point to. Returns whether ``nb`` changed.
    An existing tagged cell, wherever it is, is moved and its source updated; what
    execution left on it (execution count, outputs, other metadata) is kept, so running
    the notebook does not make it stale.
    """
    cells = nb["cells"]
    if not cells or cells[0].get("cell_type") != "markdown":
        raise ValueError(f"{notebook}: expected cell 0 to be the markdown title cell")
    before = copy.deepcopy(cells)
    placed = []
    for want in _desired_cells(notebook, repository):
        tag = want["metadata"]["tags"][0]
        have = next((c for c in cells[1:] if has_tag(c, tag)), None)
        if have is not None and have["cell_type"] == want["cell_type"]:
            have["id"], have["source"] = want["id"], want["source"]
            want = have
        placed.append(want)
    kept = [c for c in cells[1:] if not (has_tag(c, BADGES_TAG) or has_tag(c, SETUP_TAG))]
    cells[:] = [cells[0], *placed, *kept]
    if nb.get("nbformat", 4) == 4 and nb.get("nbformat_minor", 0) < 5:
        nb["nbformat_minor"] = 5  # cell ids need nbformat 4.5
    return cells != before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.launch_cells", description=__doc__)
    parser.add_argument("folder", type=Path, help="folder of solution notebooks")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    paths = sorted(args.folder.glob("*.ipynb"))
    if not paths:
        print(f"no notebooks in {args.folder}", file=sys.stderr)
        return 1
    repository = repository_url()
    stale = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if sync_notebook(nb, path.name, repository):
            stale.append(path)
            if not args.check:
                nbformat.write(nb, path)
    verb = "out of date" if args.check else "updated"
    for path in stale:
        print(f"{verb}: {path}")
    if args.check and stale:
        print("run `make sync` (python -m tools.launch_cells notebooks/solutions, then the rest)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
