#!/usr/bin/env python3
"""Write qabook/tex/mathjax.json: what Anki's MathJax knows, read from MathJax itself.

    QABOOK_AQT_DIR=tools/aqt .venv/bin/python scripts/mathjax_names.py

tools/aqt is the unpacked aqt wheel of the Anki version the tests use (`make test` puts it
there). Read from MathJax's own tables under Anki's configuration, in headless chromium: its
commands and environments. Then asked of MathJax, command by command: how many arguments
each needs, which take an optional [argument], which are operators (take \\limits), which
take their argument as one token (so a command that needs arguments cannot be it), which
cannot be a script without braces (x^\\sin), which need a delimiter after them (\\big), what
may follow \\left, and in which environments \\tag is refused.
tests/test_math.py checks that the committed file is still what MathJax says.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from mathjax_probe import anki_mathjax_dir, known_names, verdicts  # noqa: E402

MOST = 4  # no command of MathJax's takes more mandatory arguments than this... bar a few
SPECIAL = {"begin", "end", "left", "right", "middle"}  # their arguments are not {…} groups


def names() -> dict:
    """All of it, as the committed file holds it."""
    mathjax = anki_mathjax_dir()
    found = known_names(mathjax)
    commands = [n for n in found["macros"] if n.isascii() and n.isalpha() and n not in SPECIAL]
    found["arguments"] = arguments(mathjax, commands)
    counted = [(name, found["arguments"].get(name, 0)) for name in commands]
    taking = [(name, n) for name, n in counted if n]
    chars = [chr(c) for c in range(33, 127) if chr(c) not in "\\{}%#&^_$"]
    symbols = [name for name in found["macros"] if not name.isalpha()]
    asks = {
        "optional": [f"\\{name}[x" + "{a}" * n for name, n in counted + [(s, 0) for s in symbols]],
        "operators": [f"\\{name}" + "{a}" * n + "\\limits" for name, n in counted],
        "isolating": [f"\\{name}\\hat" + "{a}" * n for name, n in taking],
        "scripts": [f"x^\\{name}" + "{a}" * n for name, n in counted],
        "delimited": [f"\\{name} x" for name, _ in counted],
        "left": [f"\\left\\{name} x\\right." for name, _ in counted],
        "left-chars": [f"\\left{char} x\\right." for char in chars],
        "left-symbols": [f"\\left\\{name} x\\right." for name in symbols],
        "tags": [f"\\begin{{{env}}} a \\tag{{1}} \\end{{{env}}}" for env in found["environments"]],
    }
    answers = dict(zip(asks, _split(verdicts(mathjax, [(f, False) for ask in asks.values()
                                                       for f in ask]),
                                    [len(ask) for ask in asks.values()])))
    found["optional"] = [name for (name, _), answer in zip(counted + [(s, 0) for s in symbols],
                                                           answers["optional"])
                         if answer and answer.startswith("Could not find closing ']'")]
    found["operators"] = [name for (name, _), answer in zip(counted, answers["operators"])
                          if answer is None]
    found["isolating"] = [name for (name, _), answer in zip(taking, answers["isolating"])
                          if answer == "Missing argument for \\hat"]
    found["unscriptable"] = [name for (name, _), answer in zip(counted, answers["scripts"])
                             if answer == "Missing open brace for superscript"]
    found["untagged"] = [env for env, answer in zip(found["environments"], answers["tags"])
                         if answer == f"\\tag not allowed in {env} environment"]
    found["delimited"] = [name for (name, _), answer in zip(counted, answers["delimited"])
                          if answer == f"Missing or unrecognized delimiter for \\{name}"]
    found["delimiters"] = sorted(
        [f"\\{name}" for (name, _), answer in zip(counted, answers["left"]) if answer is None]
        + [f"\\{name}" for name, answer in zip(symbols, answers["left-symbols"])
           if answer is None]
        + [char for char, answer in zip(chars, answers["left-chars"]) if answer is None])
    return found


def _split(items: list, sizes: list[int]) -> list[list]:
    out, start = [], 0
    for size in sizes:
        out.append(items[start:start + size])
        start += size
    return out



def arguments(mathjax: Path, commands: list[str]) -> dict[str, int]:
    """How many {…} arguments each command needs before MathJax stops missing one."""
    formulas = [(f"\\{name}" + "{a}" * n, False) for name in commands for n in range(MOST + 2)]
    answers = iter(verdicts(mathjax, formulas))
    out = {}
    for name in commands:
        missing = [next(answers) == f"Missing argument for \\{name}" for _ in range(MOST + 2)]
        count = missing.index(False) if False in missing else MOST + 2
        if count:
            out[name] = count
    return out


def main() -> None:
    found = names()
    target = REPO / "qabook" / "tex" / "mathjax.json"
    target.write_text(json.dumps(found, indent=0, ensure_ascii=True, sort_keys=True) + "\n",
                      encoding="utf-8")
    print(f"{target}: MathJax {found['version']}, {len(found['macros'])} commands "
          f"({len(found['arguments'])} with arguments, {len(found['optional'])} with an "
          f"optional one, {len(found['operators'])} operators), "
          f"{len(found['environments'])} environments")


if __name__ == "__main__":
    main()
