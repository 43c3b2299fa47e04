"""What Anki's MathJax accepts, checked without a browser.

What MathJax knows is read from the MathJax that ships with Anki, under Anki's own
configuration, by `scripts/mathjax_names.py` into mathjax.json: its commands and
environments, how many arguments each command needs, which take an optional argument and
which are operators. The parser below applies the rules of MathJax's TeX parser that an
author can break: unknown commands and environments, missing arguments, unbalanced braces,
brackets, `\\left`/`\\right` and `\\begin`/`\\end`, a misplaced `&` or `#`, double
exponents or subscripts, `\\limits` off an operator, a second `\\over`, `\\tag` or `\\label`,
a `\\tag` where MathJax allows none, nested equation environments, a missing dimension.
tests/test_math.py holds it to the real MathJax on the book's formulas and on a set of
broken ones: whatever MathJax refuses there, this module refuses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

NAMES = json.loads((Path(__file__).parent / "mathjax.json").read_text(encoding="utf-8"))
MACROS = frozenset(NAMES["macros"])
ENVIRONMENTS = frozenset(NAMES["environments"])
ARGUMENTS: dict[str, int] = NAMES["arguments"]
OPTIONAL = frozenset(NAMES["optional"])
OPERATORS = frozenset(NAMES["operators"])
ISOLATING = frozenset(NAMES["isolating"])  #: take one token as an argument, not a command's
UNSCRIPTABLE = frozenset(NAMES["unscriptable"])  #: `x^\sin` needs braces: `x^{\sin}`
UNTAGGED = frozenset(NAMES["untagged"])  #: environments that refuse \tag (aligned, split …)
DELIMITERS = frozenset(NAMES["delimiters"])  #: what may follow \left, \right, \big …
VERSION = NAMES["version"]
#: commands whose argument is text, not math: MathJax (without textmacros, as in Anki) does
#: not look for commands in it
TEXT_COMMANDS = frozenset({"text", "textrm", "textbf", "textit", "textsf", "texttt", "textup",
                           "textnormal", "mbox", "hbox", "textsl", "textmd", "textsc", "tag",
                           "label", "ref", "eqref"})
#: plain TeX commands whose braced argument is a matrix, where & separates columns
MATRIX_COMMANDS = frozenset({"matrix", "pmatrix", "bordermatrix", "cases", "array"})
#: commands that attach to the operator before them
LIMITS = frozenset({"limits", "nolimits", "displaylimits"})
#: generalised fractions: one per group
FRACTIONS = frozenset({"over", "atop", "above", "choose", "brace", "brack", "overwithdelims",
                       "atopwithdelims", "abovewithdelims"})
#: commands followed by a delimiter (\genfrac and \...withdelims take theirs in their own way)
DELIMITED = frozenset(NAMES["delimited"]) - FRACTIONS - {"genfrac"}
#: commands followed by a bare dimension (`\kern 1em`)
DIMENSIONS = frozenset({"kern", "mkern", "hskip", "mskip"})
DIMENSION = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)\s*(em|ex|pt|pc|mm|cm|in|px|mu|bp|dd|cc|sp)")
#: the environments that are a whole displayed equation: they number rows and hold tags, and
#: cannot sit in one another
EQUATIONS = frozenset(name for name in ENVIRONMENTS if name.rstrip("*") in {
    "equation", "align", "alignat", "flalign", "gather", "multline", "eqnarray", "xalignat",
    "xxalignat"})
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
    """TeX's tokens: commands (`\\frac`, `\\,`), characters and runs of spaces (`%` is a
    character: MathJax does not read comments in a formula)."""
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
            name = " " if name.isspace() else name  # `\` and a newline: a control space
            # a lone backslash at the very end is a character to MathJax
            tokens.append(_Token("cs", name) if name else _Token("char", "\\"))
            index = end
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
    """A group being parsed: what opened it, what it still waits for, and its current atom."""

    opener: str  #: "", "{", "left", "env:<name>", "matrix"
    pending: list[str] = field(default_factory=list)  #: "^", "_" or a command's name
    sup: bool = False
    sub: bool = False
    prime: bool = False  #: primes were the last script: a `^` right after joins them
    operator: bool = False  #: the current atom takes \limits
    fraction: str = ""  #: the \over-like command this group already has
    argument: bool = False  #: a command's argument or a script, not an atom of its own
    tags: int = 0  #: \tag commands in this row (equation environments and the top level)
    labels: int = 0

    @property
    def env(self) -> str:
        return self.opener[4:] if self.opener.startswith("env:") else ""


class _Parser:
    """One pass over the tokens with a stack of open groups."""

    def __init__(self, tokens: list[_Token]):
        self.tokens = [t for t in tokens if t.kind != "space"]
        self.index = 0
        self.stack = [_Frame("")]

    @property
    def frame(self) -> _Frame:
        return self.stack[-1]

    def run(self) -> None:
        while self.index < len(self.tokens):
            token = self.next()
            if token.kind == "cs":
                self.command(token.text)
            else:
                self.character(token.text)
        self.finish(self.frame)
        top = self.frame.opener
        if top == "left":
            raise TexError("Extra \\left or missing \\right")
        if top.startswith("env:"):
            raise TexError(f"Missing \\end{{{top[4:]}}}")
        if len(self.stack) > 1:
            raise TexError("Missing close brace")

    def next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def peek(self, char: str) -> bool:
        return self.index < len(self.tokens) and self.tokens[self.index].kind == "char" \
            and self.tokens[self.index].text == char

    # -- atoms, scripts and arguments -------------------------------------------------------
    def item(self, operator: bool = False) -> None:
        """An item starts: an argument something waits for, or a new atom."""
        frame = self.frame
        if frame.pending:
            frame.pending.pop(0)
            if operator:
                frame.operator = True
            return
        frame.sup = frame.sub = frame.prime = False
        frame.operator = operator

    def finish(self, frame: _Frame) -> None:
        """A group (or the formula) ends: nothing may still wait for an argument."""
        if frame.pending:
            waiting = frame.pending[0]
            raise TexError("Missing superscript or subscript argument" if waiting in "^_"
                           else f"Missing argument for \\{waiting}")

    def not_a_script_argument(self) -> None:
        """What cannot be a superscript or subscript without braces around it."""
        if self.frame.pending and self.frame.pending[0] in "^_":
            which = "superscript" if self.frame.pending[0] == "^" else "subscript"
            raise TexError(f"Missing open brace for {which}")

    def script(self, kind: str) -> None:
        frame = self.frame
        self.not_a_script_argument()
        if frame.pending:
            self.finish(frame)
        if kind == "^":
            if frame.sup and not frame.prime:
                raise TexError("Double exponent: use braces to clarify")
            frame.sup = True
        else:
            if frame.sub:
                raise TexError("Double subscripts: use braces to clarify")
            frame.sub = True
        frame.prime = False
        frame.pending.append(kind)

    def character(self, char: str) -> None:
        frame = self.frame
        if char in "^_":
            self.script(char)
        elif char == "'":
            self.not_a_script_argument()
            if frame.pending:  # a command's argument: \hat'
                return self.item()
            if frame.sup and not frame.prime:
                raise TexError("Prime causes double exponent: use braces to clarify")
            frame.sup = frame.prime = True
        elif char == "{":
            argument = bool(frame.pending)
            self.item()
            self.stack.append(_Frame("{", argument=argument))
        elif char == "}":
            self.close_brace()
        elif char == "&":
            if not any(f.env or f.opener == "matrix" for f in self.stack):
                raise TexError("Misplaced &")
            self.finish(frame)
            frame.sup = frame.sub = frame.prime = False
        elif char == "#":
            raise TexError("You can't use 'macro parameter character #' in math mode")
        else:
            self.item()

    def close_brace(self) -> None:
        frame = self.frame
        if frame.opener not in ("{", "matrix"):
            raise TexError("Extra close brace or missing open brace")
        self.finish(frame)
        self.stack.pop()
        if not frame.argument:  # `{\sum}\limits`: the group is what it ends with
            self.frame.operator = frame.operator

    # -- commands ---------------------------------------------------------------------------
    def command(self, name: str) -> None:
        waiting = self.frame.pending[0] if self.frame.pending else ""
        if waiting in ISOLATING and (ARGUMENTS.get(name) or name in TEXT_COMMANDS):
            raise TexError(f"Missing argument for \\{name}")  # \frac takes \sqrt alone
        if waiting in ISOLATING and name in DELIMITED:
            raise TexError(f"Missing or unrecognized delimiter for \\{name}")
        if waiting in ISOLATING and name in LIMITS:
            raise TexError(f"\\{name} is allowed only on operators")
        if waiting and waiting not in "^_" and (name in LIMITS or name in ("\\", "cr")):
            return self.item()  # the token itself is the argument: \hat\\
        if waiting in ("^", "_") and (name in FRACTIONS or name in LIMITS or name in UNSCRIPTABLE
                                      or name in ("\\", "cr")):
            self.not_a_script_argument()
        if name == "begin":
            self.begin(self.environment_name("begin"))
        elif name == "end":
            self.end(self.environment_name("end"))
        elif name == "left":
            self.delimiter("left")
            self.item()
            self.stack.append(_Frame("left"))
        elif name == "right":
            if self.frame.opener != "left":
                raise TexError("Extra \\right" if not any(f.opener == "left" for f in self.stack)
                               else "Missing close brace")
            self.finish(self.frame)
            self.delimiter("right")
            self.stack.pop()
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
            if name in ("tag", "label"):
                self.tag(name)
            self.item()
            self.skip_text_argument(name)
        elif name in MATRIX_COMMANDS and self.peek("{"):
            self.item()
            self.index += 1
            self.stack.append(_Frame("matrix"))
        elif name in LIMITS:
            if not self.frame.operator:
                raise TexError(f"\\{name} is allowed only on operators")
        else:
            self.ordinary(name)

    def ordinary(self, name: str) -> None:
        """A command that makes or changes an atom, with what it requires after it."""
        frame = self.frame
        if name in FRACTIONS:
            if frame.fraction:
                raise TexError(f"Ambiguous use of \\{name}")
            frame.fraction = name
        elif name in ("\\", "cr", "newline"):
            self.finish(frame)
            row = self.row()
            row.tags = row.labels = 0
            if name == "\\" and self.peek("["):  # \\[4pt]: extra space, a dimension
                self.index += 1
                text = self.read_until("]", "Could not find closing ']' for argument to \\\\")
                if DIMENSION.fullmatch(text.strip()) is None:
                    raise TexError("Bracket argument to \\\\ must be a dimension")
        self.item(operator=name in OPERATORS)
        if self.peek("*"):  # \operatorname*, \sqrt* …: the star belongs to the command
            self.index += 1
        if name in DELIMITED:
            self.delimiter(name)
        if name in DIMENSIONS:
            self.dimension(name)
        if name == "unicode":
            return self.code_point()
        if name in OPTIONAL and self.peek("["):
            self.optional_argument(name)
        self.frame.pending[:0] = [name] * ARGUMENTS.get(name, 0)

    def row(self) -> _Frame:
        """The frame that numbers this row: the nearest environment, or the formula."""
        return next(f for f in reversed(self.stack) if f.env or not f.opener)

    def tag(self, name: str) -> None:
        row = self.row()
        if name == "tag" and row.env in UNTAGGED:
            raise TexError(f"\\tag not allowed in {row.env} environment")
        if name == "tag":
            row.tags += 1
        else:
            row.labels += 1
        if row.tags > 1 or row.labels > 1:
            raise TexError(f"Multiple \\{name}")

    def begin(self, env: str) -> None:
        if env not in ENVIRONMENTS:
            raise TexError(f"Unknown environment '{env}'")
        if env in EQUATIONS and any(f.env in EQUATIONS for f in self.stack):
            raise TexError("Erroneous nesting of equation structures")
        self.item()
        self.stack.append(_Frame(f"env:{env}"))

    def end(self, env: str) -> None:
        frame = self.frame
        if not frame.env:
            raise TexError(f"Extra \\end{{{env}}}" if frame.opener != "left"
                           else "Extra \\left or missing \\right")
        if frame.env != env:
            raise TexError(f"\\begin{{{frame.env}}} ended with \\end{{{env}}}")
        self.finish(frame)
        self.stack.pop()

    def environment_name(self, command: str) -> str:
        if not self.peek("{"):
            raise TexError(f"Missing argument for \\{command}")
        self.index += 1
        return self.read_until("}", "Missing close brace")

    def read_until(self, close: str, missing: str) -> str:
        """The text of the tokens up to the character `close` (which is stepped over)."""
        text = ""
        while self.index < len(self.tokens) and not self.peek(close):
            text += self.next().text
        if not self.peek(close):
            raise TexError(missing)
        self.index += 1
        return text

    def delimiter(self, command: str) -> None:
        if self.index >= len(self.tokens):
            raise TexError(f"Missing or unrecognized delimiter for \\{command}")
        token = self.next()
        if (token.text if token.kind == "char" else f"\\{token.text}") not in DELIMITERS:
            raise TexError(f"Missing or unrecognized delimiter for \\{command}")

    def dimension(self, command: str) -> None:
        text = ""
        while self.index < len(self.tokens) and self.tokens[self.index].kind == "char" and \
                len(text) < 24 and DIMENSION.fullmatch(text) is None:
            text += self.next().text
        if DIMENSION.fullmatch(text) is None:
            raise TexError(f"Missing dimension or its units for \\{command}")

    def code_point(self) -> None:
        """`\\unicode{65}` or `\\unicode{x41}` (after an optional [font]): a number."""
        if self.peek("["):
            self.optional_argument("unicode")
        if not self.peek("{"):
            raise TexError("Missing argument for \\unicode")
        self.index += 1
        text = self.read_until("}", "Missing close brace")
        if not re.fullmatch(r"\d+|x[0-9A-Fa-f]+", text):
            raise TexError("Argument to \\unicode must be a number")

    def optional_argument(self, command: str) -> None:
        """Step over `[…]` (braces inside it must balance)."""
        self.index += 1
        self.skip_balanced("]", f"Could not find closing ']' for argument to \\{command}")

    def skip_text_argument(self, command: str) -> None:
        """Step over `{…}` after a text command: balanced braces, no commands looked up."""
        if not self.peek("{"):
            if self.index < len(self.tokens):  # a single token is the argument
                self.index += 1
                return
            raise TexError(f"Missing argument for \\{command}")
        self.index += 1
        self.skip_balanced("}", "Missing close brace")

    def skip_balanced(self, close: str, missing: str) -> None:
        """Step over tokens up to and including `close` outside any braces among them."""
        depth = 0
        while self.index < len(self.tokens):
            token = self.next()
            if token.kind != "char":
                continue
            if token.text == close and depth == 0:
                return
            depth += {"{": 1, "}": -1}.get(token.text, 0)
        raise TexError(missing)
