"""``python -m tools.slides``: build the lecture decks (see tools/slides/__init__.py)."""

import sys

from tools.slides import main

if __name__ == "__main__":
    sys.exit(main())
