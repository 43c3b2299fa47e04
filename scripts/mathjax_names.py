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
    found.update(facts(mathjax, commands))
    chars = [chr(c) for c in range(33, 127) if chr(c) not in "\\{}%#&^_$"]
    symbols = [name for name in found["macros"] if not name.isalpha()]
    left = [f"\\left\\{name} x\\right." for name in commands + symbols]
    left += [f"\\left{char} x\\right." for char in chars]
    tags = [f"\\begin{{{env}}} a \\tag{{1}} \\end{{{env}}}" for env in found["environments"]]
    answers = verdicts(mathjax, [(f, False) for f in left + tags])
    found["delimiters"] = sorted(
        delimiter for delimiter, answer in zip(
            [f"\\{name}" for name in commands + symbols] + chars, answers) if answer is None)
    found["untagged"] = [env for env, answer in zip(found["environments"], answers[len(left):])
                         if answer == f"\\tag not allowed in {env} environment"]
    found["optional"] += [symbol for symbol, answer in zip(symbols, verdicts(
        mathjax, [(f"\\{symbol}[x", False) for symbol in symbols])) if _opens_bracket(answer)]
    found["optional"].sort()
    return found


def facts(mathjax: Path, commands: list[str]) -> dict:
    """What MathJax says of each of these commands (names without the backslash)."""
    arguments = _arguments(mathjax, commands)
    counted = [(name, arguments.get(name, 0)) for name in commands]
    taking = [(name, n) for name, n in counted if n]
    asks = {
        "optional": [f"\\{name}[x" + "{a}" * n for name, n in counted],
        "operators": [f"\\{name}" + "{a}" * n + "\\limits" for name, n in counted],
        "isolating": [f"\\{name}\\hat" + "{a}" * n for name, n in taking],
        "scripts": [f"x^\\{name}" + "{a}" * n for name, n in counted],
        "delimited": [f"\\{name} x" for name, _ in counted],
    }
    flat = verdicts(mathjax, [(f, False) for ask in asks.values() for f in ask])
    answers, start = {}, 0
    for ask, formulas in asks.items():
        answers[ask] = flat[start:start + len(formulas)]
        start += len(formulas)
    return {
        "arguments": arguments,
        "optional": [name for (name, _), answer in zip(counted, answers["optional"])
                     if _opens_bracket(answer)],
        "operators": [name for (name, _), answer in zip(counted, answers["operators"])
                      if answer is None],
        "isolating": [name for (name, _), answer in zip(taking, answers["isolating"])
                      if answer == "Missing argument for \\hat"],
        "unscriptable": [name for (name, _), answer in zip(counted, answers["scripts"])
                         if answer == "Missing open brace for superscript"],
        "delimited": [name for (name, _), answer in zip(counted, answers["delimited"])
                      if answer == f"Missing or unrecognized delimiter for \\{name}"],
    }


def _opens_bracket(answer: str | None) -> bool:
    return bool(answer) and answer.startswith("Could not find closing ']'")


def _arguments(mathjax: Path, commands: list[str]) -> dict[str, int]:
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
