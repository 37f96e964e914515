"""How the maintainers' tools report a ``--check``: the problems, the fix, or all clear.

>>> report_check([], "run `make sync`", "student notebooks up to date (5)")
student notebooks up to date (5)
0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["report_check"]


def report_check(problems: Sequence[str], fix: str, up_to_date: str) -> int:
    """Print ``problems`` and then ``fix`` to stderr and return 1, or ``up_to_date`` and 0."""
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(fix, file=sys.stderr)
        return 1
    print(up_to_date)
    return 0
