#!/usr/bin/env python3
"""Write qabook/printable.json: the code points the book's own fonts draw, as ranges.

`check` refuses text none of the fonts draws (characters.py). Reading the fonts' character
maps costs 0.1 s, on every check; the ranges load in a millisecond. A test holds the file to
the fonts (tests/test_limits.py), so rerun this after changing templates/fonts/:

    .venv/bin/python scripts/printable.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fontTools.ttLib import TTFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from qabook import characters, resources  # noqa: E402


def ranges() -> list[list[int]]:
    """The fonts' code points, as [first, last] ranges in order."""
    points: set[int] = set()
    for name in resources.FONTS:
        points.update(TTFont(str(resources.TEMPLATES / "fonts" / name), lazy=True).getBestCmap())
    out: list[list[int]] = []
    for point in sorted(points):
        if out and out[-1][1] == point - 1:
            out[-1][1] = point
        else:
            out.append([point, point])
    return out


if __name__ == "__main__":
    characters.PRINTABLE.write_text(json.dumps(ranges()) + "\n")
    print(f"wrote {characters.PRINTABLE}")
