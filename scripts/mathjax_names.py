#!/usr/bin/env python3
"""Write qabook/tex/mathjax.json: the commands and environments of Anki's MathJax.

    QABOOK_AQT_DIR=tools/aqt .venv/bin/python scripts/mathjax_names.py

tools/aqt is the unpacked aqt wheel of the Anki version the tests use (`make test` puts it
there); the names are read from MathJax's own tables under Anki's configuration, in headless
chromium. tests/test_math.py checks that the committed file is still what MathJax says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from mathjax_probe import anki_mathjax_dir, known_names  # noqa: E402


def main() -> None:
    names = known_names(anki_mathjax_dir())
    target = REPO / "qabook" / "tex" / "mathjax.json"
    target.write_text(json.dumps(names, indent=0, ensure_ascii=True) + "\n", encoding="utf-8")
    print(f"{target}: MathJax {names['version']}, {len(names['macros'])} commands, "
          f"{len(names['environments'])} environments")


if __name__ == "__main__":
    main()
