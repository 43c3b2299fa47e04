"""What Anki's MathJax accepts, checked without a browser.

The commands and environments MathJax knows are read from the MathJax that ships with Anki,
under Anki's own configuration, by `scripts/mathjax_names.py` into mathjax.json; a test
regenerates the list and compares, and compares this module's verdicts with the real
MathJax's on the book's formulas and on a set of broken ones. The rules below are those of
MathJax's TeX parser that an author can break: unknown commands and environments, unbalanced
braces, `\\left`/`\\right` and `\\begin`/`\\end`, a misplaced `&` or `#`, double exponents
or subscripts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

NAMES = json.loads((Path(__file__).parent / "mathjax.json").read_text(encoding="utf-8"))
MACROS = frozenset(NAMES["macros"])
ENVIRONMENTS = frozenset(NAMES["environments"])
VERSION = NAMES["version"]
#: commands whose argument is text, not math: MathJax (without textmacros, as in Anki) does
#: not look for commands in it
TEXT_COMMANDS = frozenset({"text", "textrm", "textbf", "textit", "textsf", "texttt", "textup",
                           "textnormal", "mbox", "hbox", "textsl", "textmd", "textsc"})
#: plain TeX commands whose braced argument is a matrix, where & separates columns
MATRIX_COMMANDS = frozenset({"matrix", "pmatrix", "bordermatrix", "cases", "array"})
#: commands that attach to the atom before them instead of starting a new one
ATTACHED = frozenset({"limits", "nolimits", "displaylimits"})
#: commands that define commands or load packages: each format would treat them differently
#: (pandoc expands some, ziamath none, MathJax keeps them for the rest of the card)
DEFINING = frozenset({"newcommand", "renewcommand", "providecommand", "def", "gdef", "edef",
                      "let", "newenvironment", "renewenvironment", "DeclareMathOperator",
                      "DeclarePairedDelimiter", "DeclarePairedDelimiterX", "require", "Newextarrow",
                      "NewDocumentCommand"})


class TexError(Exception):
    """What MathJax's TeX parser would say."""


@dataclass
class _Token:
    kind: str  #: "cs" (a command; text is its name), "char", "space"
    text: str


def problem(tex: str) -> str | None:
    """Why Anki's MathJax would not typeset this TeX, or None."""
    try:
        _Parser(tokenize(tex)).run()
    except TexError as exc:
        return str(exc)
    return None


def tokenize(tex: str) -> list[_Token]:
    """TeX's tokens: commands (`\\frac`, `\\,`), characters and runs of spaces; comments go."""
    tokens: list[_Token] = []
    index = 0
    while index < len(tex):
        char = tex[index]
        if char == "\\":
            end = index + 1
            while end < len(tex) and tex[end].isascii() and tex[end].isalpha():
                end += 1
            if end == index + 1:  # a control symbol: one character of any kind
                end = min(index + 2, len(tex))
            name = tex[index + 1:end]
            if not name:
                raise TexError("a lone backslash at the end of the formula")
            tokens.append(_Token("cs", name))
            index = end
        elif char == "%":  # a comment runs to the end of the line
            newline = tex.find("\n", index)
            index = len(tex) if newline < 0 else newline + 1
        elif char.isspace():
            while index < len(tex) and tex[index].isspace():
                index += 1
            tokens.append(_Token("space", " "))
        else:
            tokens.append(_Token("char", char))
            index += 1
    return tokens


@dataclass
class _Frame:
    """A group being parsed: what opened it and the scripts of its current atom."""

    opener: str  #: "", "{", "left", "env:<name>", "matrix", "script"
    sup: bool = False
    sub: bool = False
    prime: bool = False


class _Parser:
    """One pass over the tokens with a stack of open groups."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = [t for t in tokens if t.kind != "space"]
        self.index = 0
        self.stack = [_Frame("")]
        self.script_pending = ""  #: "^" or "_" when the next item is a script's argument

    def run(self) -> None:
        while self.index < len(self.tokens):
            token = self.tokens[self.index]
            self.index += 1
            if token.kind == "cs":
                self.command(token.text)
            else:
                self.character(token.text)
        if self.script_pending:
            raise TexError("Missing superscript or subscript argument")
        top = self.stack[-1]
        if top.opener == "left":
            raise TexError("Extra \\left or missing \\right")
        if top.opener.startswith("env:"):
            raise TexError(f"Missing \\end{{{top.opener[4:]}}}")
        if len(self.stack) > 1:
            raise TexError("Missing close brace")

    # -- atoms and scripts ------------------------------------------------------------------
    def atom(self) -> None:
        """A new atom starts in the current group (unless it is a script's argument)."""
        if self.script_pending:
            self.script_pending = ""
            return
        frame = self.stack[-1]
        frame.sup = frame.sub = frame.prime = False

    def script(self, kind: str) -> None:
        if self.script_pending:
            raise TexError("Missing superscript or subscript argument")
        frame = self.stack[-1]
        if kind == "^":
            if frame.sup:
                raise TexError("Double exponent: use braces to clarify")
            frame.sup = True
        else:
            if frame.sub:
                raise TexError("Double subscripts: use braces to clarify")
            frame.sub = True
        self.script_pending = kind

    def character(self, char: str) -> None:
        if char in "^_":
            self.script(char)
        elif char == "'":
            frame = self.stack[-1]
            if frame.sup and not frame.prime:
                raise TexError("Prime causes double exponent: use braces to clarify")
            frame.prime = True
        elif char == "{":
            self.open("script" if self.script_pending else "{")
        elif char == "}":
            self.close_brace()
        elif char == "&":
            if not any(f.opener.startswith("env:") or f.opener == "matrix" for f in self.stack):
                raise TexError("Misplaced &")
            self.stack[-1].sup = self.stack[-1].sub = self.stack[-1].prime = False
        elif char == "#":
            raise TexError("You can't use 'macro parameter character #' in math mode")
        else:
            self.atom()

    def open(self, opener: str) -> None:
        if opener != "script":
            self.atom()
        self.script_pending = ""
        self.stack.append(_Frame(opener))

    def close_brace(self) -> None:
        top = self.stack[-1]
        if top.opener not in ("{", "script", "matrix"):
            raise TexError("Extra close brace or missing open brace")
        if self.script_pending:
            raise TexError("Missing superscript or subscript argument")
        self.stack.pop()

    # -- commands ---------------------------------------------------------------------------
    def command(self, name: str) -> None:
        if name == "begin":
            env = self.environment_name("begin")
            if env not in ENVIRONMENTS:
                raise TexError(f"Unknown environment '{env}'")
            self.open(f"env:{env}")
        elif name == "end":
            env = self.environment_name("end")
            top = self.stack[-1]
            if not top.opener.startswith("env:"):
                raise TexError(f"Extra \\end{{{env}}}" if top.opener != "left"
                               else "Extra \\left or missing \\right")
            if top.opener[4:] != env:
                raise TexError(f"\\begin{{{top.opener[4:]}}} ended with \\end{{{env}}}")
            self.stack.pop()
            self.atom()
        elif name == "left":
            self.delimiter("left")
            self.open("left")
        elif name == "right":
            if self.stack[-1].opener != "left":
                raise TexError("Extra \\right" if not any(f.opener == "left" for f in self.stack)
                               else "Missing close brace")
            self.delimiter("right")
            self.stack.pop()
            self.atom()
        elif name == "middle":
            if not any(f.opener == "left" for f in self.stack):
                raise TexError("Extra \\middle")
            self.delimiter("middle")
        elif name in DEFINING:
            raise TexError(f"\\{name} defines a command inside one formula, which the formats "
                           "would each treat differently; write the formula out in full")
        elif name not in MACROS:
            raise TexError(f"Undefined control sequence \\{name}")
        elif name in TEXT_COMMANDS:
            self.atom()
            self.skip_text_argument(name)
        elif name in MATRIX_COMMANDS and self.peek("{"):
            self.atom()
            self.index += 1
            self.stack.append(_Frame("matrix"))
        elif name not in ATTACHED:
            self.atom()

    def peek(self, char: str) -> bool:
        return self.index < len(self.tokens) and self.tokens[self.index].text == char \
            and self.tokens[self.index].kind == "char"

    def environment_name(self, command: str) -> str:
        if not self.peek("{"):
            raise TexError(f"Missing argument for \\{command}")
        name = []
        self.index += 1
        while self.index < len(self.tokens) and not self.peek("}"):
            name.append(self.tokens[self.index].text)
            self.index += 1
        if not self.peek("}"):
            raise TexError("Missing close brace")
        self.index += 1
        return "".join(name)

    def delimiter(self, command: str) -> None:
        if self.index >= len(self.tokens):
            raise TexError(f"Missing or unrecognized delimiter for \\{command}")
        token = self.tokens[self.index]
        if token.kind == "char" and token.text in "{}":
            raise TexError(f"Missing or unrecognized delimiter for \\{command}")
        if token.kind == "cs" and token.text not in MACROS:
            raise TexError(f"Undefined control sequence \\{token.text}")
        self.index += 1

    def skip_text_argument(self, command: str) -> None:
        """Step over `{…}` after a text command: balanced braces, no commands looked up."""
        if not self.peek("{"):
            if self.index < len(self.tokens):  # a single token is the argument
                self.index += 1
                return
            raise TexError(f"Missing argument for \\{command}")
        depth = 0
        while self.index < len(self.tokens):
            token = self.tokens[self.index]
            self.index += 1
            if token.kind == "char" and token.text == "{":
                depth += 1
            elif token.kind == "char" and token.text == "}":
                depth -= 1
                if depth == 0:
                    return
        raise TexError("Missing close brace")
