"""MathML made ready for every reader, and read aloud: the EPUB's formulas and the tagged PDF's.

pandoc (texmath) writes each formula as presentation MathML inside `<semantics>`, with the
TeX as an `<annotation>`. A reading system without MathML (Adobe RMSDK, older Kindles,
calibre's text extraction) shows that annotation glued to the formula ("hjh_j"). `finish`
drops it, repairs what texmath gets wrong, and gives the formula its text alternative
(`alttext`, from `speech`) and, when the caller has one, a fallback image (`altimg`, from
`render/epub_math.fallback`). Everything here works on lxml elements in the MathML
namespace.

`speech` reads presentation MathML as English words, the way a teacher would read a formula
aloud: "the sum from j equals 1 to T of alpha sub t comma j h sub j". It is deterministic,
it never falls back to TeX, and a structure it does not know is read as its characters.

Both the EPUB (`render/epub_finish.py`) and the tagged print PDF (`tex/words.py`, whose
stage comes before the renderers) use them, so they live here, under every stage.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from lxml import etree

MATHML = "http://www.w3.org/1998/Math/MathML"

# ---------------------------------------------------------------------------------------
# finish: one formula of the EPUB made ready for every reader


def finish(math: etree._Element, tex: str, altimg: str | None,
           box: tuple[float, float, float] | None = None) -> None:
    """Make one `<math>` element (pandoc's, for this TeX) ready for every reading system.

    The TeX annotation goes (the presentation MathML stays); texmath's `stretchy` identifiers
    become operators; a multi-letter upright name (`\\mathrm{softmax}`) becomes one
    identifier; a number grouped with `{,}` becomes one number; `alttext` is the formula in
    words and `altimg` the fallback image's address, when there is one. `box` is that image's
    (width, height, depth) in em (`Fallback.box`), for `altimg-width/height/valign`.
    """
    _drop_annotations(math)
    for mi in list(math.iter(f"{{{MATHML}}}mi")):
        if "stretchy" in mi.attrib:  # texmath writes \big/ as a stretchy <mi>: invalid
            mi.tag = f"{{{MATHML}}}mo"
    _merge_names(math, tex)
    _merge_numbers(math, tex)
    math.set("alttext", speech(math))
    if altimg:
        math.set("altimg", altimg)
        if box:
            width, height, depth = box
            math.set("altimg-width", f"{width:.3f}em")
            math.set("altimg-height", f"{height:.3f}em")
            math.set("altimg-valign", f"{-depth:.3f}em")


def tex_of(math: etree._Element) -> str | None:
    """The TeX pandoc wrote into a formula's annotation (read it before `finish` drops it)."""
    for annotation in math.iter(f"{{{MATHML}}}annotation"):
        if annotation.get("encoding") == "application/x-tex":
            return annotation.text or ""
    return None


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _element(like: etree._Element, name: str, text: str | None = None) -> etree._Element:
    """A new MathML element in the namespace `like` is in (none, for bare test fragments)."""
    namespace = etree.QName(like).namespace
    made = etree.Element(f"{{{namespace}}}{name}" if namespace else name)
    made.text = text
    return made


def _replace(old: etree._Element, new: etree._Element) -> None:
    new.tail = old.tail
    old.getparent().replace(old, new)


def _drop_annotations(math: etree._Element) -> None:
    """`<semantics>` and its annotations go; its presentation MathML takes its place."""
    for semantics in [e for e in math.iter() if _local(e) == "semantics"]:
        shown = [c for c in semantics
                 if _local(c) and _local(c) not in ("annotation", "annotation-xml")]
        if len(shown) == 1:
            replacement = shown[0]
        else:
            replacement = _element(semantics, "mrow")
            replacement.extend(shown)
        _replace(semantics, replacement)
    for stray in [e for e in math.iter() if _local(e) in ("annotation", "annotation-xml")]:
        parent = stray.getparent()
        if stray.tail:  # keep the text that followed it
            previous = stray.getprevious()
            if previous is not None:
                previous.tail = (previous.tail or "") + stray.tail
            else:
                parent.text = (parent.text or "") + stray.tail
        parent.remove(stray)


#: TeX's upright-name commands: texmath writes one <mi> per letter of their argument
NAME = re.compile(r"\\(?:mathrm|mathsf|mathtt|mathup)\s*\{\s*([A-Za-z]{2,})\s*\}")
#: the elements whose children are read as one row (an inferred <mrow>)
ROWS = {"math", "mrow", "mtd", "msqrt", "mstyle", "mpadded", "menclose", "merror", "mphantom"}


def _merge_names(math: etree._Element, tex: str) -> None:
    """Each `\\mathrm{softmax}` of the TeX: texmath's row of one-letter upright <mi> becomes
    one <mi>, followed by a function application when parentheses follow it.

    Only a row that holds nothing but those letters, spelling a name the TeX writes in one
    such group, is merged: `\\mathrm{d}x` or `\\mathrm{a}\\mathrm{b}` stay as they are.
    """
    names = Counter(NAME.findall(tex))
    if not names:
        return
    for row in [e for e in math.iter() if _local(e) == "mrow"]:
        letters = list(row)
        if len(letters) < 2 or any(
                _local(c) != "mi" or len(c) or not c.text or len(c.text) != 1
                or c.get("mathvariant") != letters[0].get("mathvariant")
                or set(c.attrib) - {"mathvariant"} for c in letters):
            continue
        spelled = unicodedata.normalize("NFKD", "".join(c.text for c in letters))
        if names[spelled] <= 0:
            continue
        names[spelled] -= 1
        merged = _element(row, "mi", "".join(c.text for c in letters))
        merged.attrib.update(letters[0].attrib)
        _replace(row, merged)
        parent = merged.getparent()
        if _local(parent) in ROWS and _opens_group(merged):
            apply = _element(merged, "mo", "\u2061")
            apply.tail, merged.tail = merged.tail, None
            parent.insert(parent.index(merged) + 1, apply)


def _opens_group(element: etree._Element) -> bool:
    """Whether the next element (past spaces) opens parentheses: `softmax(`."""
    following = element.getnext()
    while following is not None and _local(following) == "mspace":
        following = following.getnext()
    while following is not None and _local(following) == "mrow" and len(following):
        following = following[0]
    return (following is not None and _local(following) == "mo"
            and (following.text or "").strip() in ("(", "["))


DIGITS = re.compile(r"\d{1,3}(?:,\d{3})*")
GROUP = re.compile(r"\d{3}(?:\.\d+)?")


def _merge_numbers(math: etree._Element, tex: str) -> None:
    """`7{,}624{,}512`: texmath writes three numbers and two commas (spaced as a list);
    it is one number, as TeX sets it."""
    count = tex.count("{,}")
    for parent in list(math.iter()):
        children = list(parent)
        i = 0
        while count and i + 2 < len(children):
            first, comma, rest = children[i:i + 3]
            if (_local(first) == "mn" and _local(comma) == "mo" and _local(rest) == "mn"
                    and (comma.text or "").strip() == ","
                    and DIGITS.fullmatch(first.text or "") and GROUP.fullmatch(rest.text or "")):
                first.text += "," + rest.text
                first.tail = rest.tail
                parent.remove(comma)
                parent.remove(rest)
                children = list(parent)
                count -= 1
            else:
                i += 1


# ---------------------------------------------------------------------------------------
# speech: the formula in English words

#: operators, with the form used when nothing stands before them ("w sub less than i")
RELATIONS = {
    "=": "equals", "≠": "does not equal", "<": "is less than", ">": "is greater than",
    "≤": "is less than or equal to", "≥": "is greater than or equal to",
    "≦": "is less than or equal to", "≧": "is greater than or equal to",
    "≪": "is much less than", "≫": "is much greater than",
    "≈": "is approximately", "≃": "is approximately", "≅": "is congruent to",
    "∼": "is distributed as", "~": "is distributed as", "∝": "is proportional to",
    "≡": "is equivalent to", "≔": "is defined as", "≜": "is defined as",
    "∈": "in", "∉": "not in", "⊂": "is a subset of", "⊆": "is a subset of",
    "→": "tends to", "←": "is set to", "↦": "maps to", "⇒": "implies", "⟹": "implies",
    "⇔": "if and only if", "⟺": "if and only if", "∣": "given",
}
OPERATORS = {
    "+": "plus", "−": "minus", "-": "minus", "±": "plus or minus", "∓": "minus or plus",
    "⋅": "times", "·": "times", "×": "times", "*": "times", "∗": "times", "/": "over",
    "÷": "divided by", "⊙": "element-wise times", "⊗": "tensor", "⊕": "direct sum",
    "∘": "composed with", "∩": "intersect", "∪": "union", "∖": "minus", "∧": "and",
    "∨": "or", "¬": "not", "∀": "for all", "∃": "there exists", "!": "factorial",
    "%": "percent", "′": "prime", "″": "double prime", "…": "dot dot dot",
    "⋯": "dot dot dot", "⋮": "dot dot dot", "⋱": "dot dot dot",
    ":": "colon", "∥": "double bar", "|": "bar", "‖": "double bar", "∂": "partial",
    "∇": "nabla", "'": "prime", "?": "question mark", "&": "and", "@": "at", "#": "number",
    "$": "dollar", "\\": "backslash", "^": "caret", "_": "underscore",
}
ZERO = ("0", "0pt", "0em", "0px")
PUNCTUATION = {",": ",", ";": ";", ".": "."}
#: read as operands: an ellipsis stands for terms, a postfix operator ends its operand
OPERANDS = {"…", "⋯", "⋮", "⋱", "!", "%", "′", "″"}
INVISIBLE = {"\u2061", "\u2062", "\u2063", "\u2064", "\u200b"}
BIG = {"∑": "the sum", "∏": "the product", "∫": "the integral", "∮": "the contour integral",
       "⋃": "the union", "⋂": "the intersection", "∐": "the coproduct",
       "⨁": "the direct sum", "⨂": "the tensor product"}
NAMES = {"ln": "natural log", "lg": "log", "sin": "sine", "cos": "cosine", "tan": "tangent",
         "det": "determinant", "Pr": "probability", "lim": "the limit", "argmax": "arg max",
         "argmin": "arg min", "arg max": "arg max", "arg min": "arg min"}
BINARY = {"mod"}  #: names texmath applies as functions that stand between operands
OVER = {"max", "min", "sup", "inf", "arg max", "arg min", "argmax", "argmin", "lim", "liminf",
        "limsup", "Pr"}
#: one-letter identifiers that are read "f of x" when parentheses follow them
FUNCTIONS = set("fghpqPQHLDdEMOFNGRSTUΦφψσℒ𝒩𝔼ℓ")
OPEN = {"(": "open paren", "[": "open bracket", "{": "open brace", "⟨": "open angle",
        "⌊": "open floor", "⌈": "open ceiling"}
CLOSE = {")": "close paren", "]": "close bracket", "}": "close brace", "⟩": "close angle",
         "⌋": "close floor", "⌉": "close ceiling"}
BARS = {"|", "‖", "∥", "∣"}
ACCENTS = {"\u0302": "hat", "^": "hat", "ˆ": "hat", "\u0303": "tilde", "~": "tilde",
           "˜": "tilde", "\u0304": "bar", "¯": "bar", "‾": "bar", "\u0305": "bar",
           "―": "bar", "_": "bar", "→": "vector", "\u20d7": "vector",
           "\u0307": "dot", "˙": "dot", "\u0308": "double dot", "¨": "double dot",
           "\u030c": "check", "ˇ": "check", "\u0306": "breve", "˘": "breve",
           "⏞": "overbrace", "⏟": "underbrace", "︷": "overbrace", "︸": "underbrace"}
SUPERSCRIPTS = {"2": "squared", "3": "cubed", "⊤": "transpose", "T": None, "′": "prime",
                "″": "double prime", "‴": "triple prime", "∗": "star", "*": "star",
                "†": "dagger", "∘": "degrees", "⊺": "transpose", "+": "plus", "−": "minus"}
SETS = {"ℝ": "the real numbers", "ℕ": "the natural numbers", "ℤ": "the integers",
        "ℚ": "the rational numbers", "ℂ": "the complex numbers"}
SYMBOLS = {"∞": "infinity", "ℓ": "ell", "∅": "the empty set", "ℏ": "h bar", "ı": "dotless i",
           "∇": "nabla", "∂": "partial", "ℵ": "aleph", "⊤": "transpose", "⊥": "perp",
           "′": "prime", "°": "degrees", "∠": "angle", "△": "triangle", "□": "square"}
STYLES = (("DOUBLE-STRUCK", "double-struck"), ("FRAKTUR", "fraktur"), ("SCRIPT", "script"),
          ("BOLD", "bold"))
#: what a spoken alternative may hold: words, numbers and pauses
WORD_CHARACTERS = set(" ,.;:-")


@dataclass
class _Phrase:
    """Words for part of a formula; `end` closes it when more follows ("end fraction"),
    `applies` when it is a function waiting for its argument ("log", "max over k")."""

    text: str
    end: str = ""
    applies: bool = False
    operator: bool = False  #: an operator or punctuation (nothing to apply a function to)
    compound: bool = False  #: several operands or operators: "a plus b", not "x sub i"


@dataclass
class _Node:
    """A token of a row, once fences are paired: an operand, an operator or a group."""

    kind: str  # atom, op, apply, space, group
    element: etree._Element | None = None
    char: str = ""
    children: list[_Node] = field(default_factory=list)
    close: str = ""  #: a group's closing fence ("" when it has none)
    scripts: tuple = (None, None)  #: (sub, sup) elements on a group's closing fence


def speech(math: etree._Element) -> str:
    """The formula in English words, for screen readers and as its text alternative."""
    try:
        said = _say(math, _Context()).text
    except RecursionError:  # nested deeper than Python's stack allows: its tokens in order
        said = " ".join(_token(e, _Context()).text for e in math.iter()
                        if _local(e) in ("mi", "mn", "mo", "mtext", "ms"))
    return _tidy(said) or "blank"


@dataclass(frozen=True)
class _Context:
    script: bool = False  #: inside a sub- or superscript: "," is read "comma"
    dims: bool = False  #: inside the exponent of ℝ: "×" is read "by"


def _say(element: etree._Element, ctx: _Context) -> _Phrase:
    """One element in words."""
    name = _local(element)
    if name in ("mi", "mn", "mo", "mtext", "ms"):
        return _token(element, ctx)
    if name in ("msub", "msup", "msubsup"):
        return _scripts(element, ctx)
    if name in ("munder", "mover", "munderover"):
        return _limits(element, ctx)
    if name == "mfrac":
        return _fraction(element, ctx)
    if name == "msqrt":
        inner = _row(list(element), ctx)
        return _Phrase(f"the square root of {inner.text}", "end root" if _compound(inner) else "")
    if name == "mroot" and len(element) == 2:
        base, index = (_say(e, ctx) for e in element)
        order = {"2": "square", "3": "cube"}.get(index.text, f"{index.text}-th")
        return _Phrase(f"the {order} root of {base.text}", "end root" if _compound(base) else "")
    if name == "mtable":
        return _table(element, ctx, "; ", " ")
    if name in ("mspace", "mphantom", "none", "mprescripts", "annotation", "annotation-xml"):
        return _Phrase("")
    return _row(list(element), ctx)  # math, mrow, mstyle, mpadded, menclose, mtd …


def _compound(phrase: _Phrase) -> bool:
    """Whether a part needs an end marker: it is made of several operands and operators."""
    return phrase.compound or bool(phrase.end)


def _text(element: etree._Element) -> str:
    return "".join(element.itertext()).strip()


def _name(element: etree._Element) -> str:
    """An element's characters without invisible operators: `log` of texmath's `log⁡`."""
    return "".join(c for c in _text(element) if c not in INVISIBLE)


def _token(element: etree._Element, ctx: _Context) -> _Phrase:
    text = _text(element)
    name = _local(element)
    if name == "mn":
        return _Phrase(text.replace("−", "minus ").replace("-", "minus "))
    if name in ("mtext", "ms"):
        return _Phrase(unicodedata.normalize("NFKC", text))  # \\textbf{x}: 𝐱 is x
    if text in PUNCTUATION:
        return _Phrase("comma" if text == "," and ctx.script else text, operator=True)
    if text in RELATIONS or text in OPERATORS:
        return _Phrase(_operator(text, ctx, first=False), operator=text not in OPERANDS)
    if text == "\u2061":
        return _Phrase("", applies=True)
    if text in BIG:
        return _big(element, None, None, ctx)
    if len(text) > 1:
        plain = unicodedata.normalize("NFKC", text)  # \\mathsf{KL}: 𝖪𝖫 is KL
        spoken = NAMES.get(plain, plain) if plain.isascii() else _characters(text, element)
        return _Phrase(spoken)
    return _Phrase(_character(text, element.get("mathvariant", "")))


def _operator(char: str, ctx: _Context, first: bool) -> str:
    if char == "×" and ctx.dims:
        return "by"
    if char in RELATIONS:
        word = RELATIONS[char]
        if first:  # "w sub less than i", "equals 5"
            word = word.removeprefix("is ").replace("does not equal", "not equal to")
        return word
    return OPERATORS.get(char, _characters(char, None))


def _characters(text: str, element) -> str:
    variant = element.get("mathvariant", "") if element is not None else ""
    return " ".join(_character(c, variant) for c in text if not c.isspace())


def _character(char: str, variant: str = "") -> str:
    """One character of an identifier in words: "alpha", "capital sigma", "script L"."""
    if not char:
        return ""
    if char in SYMBOLS:
        return SYMBOLS[char]
    if char in SETS:
        return SETS[char]
    if char in OPERATORS:
        return OPERATORS[char]
    if char in RELATIONS:
        return RELATIONS[char].removeprefix("is ")
    name = unicodedata.name(char, "")
    plain = unicodedata.normalize("NFKD", char)
    style = next((word for key_, word in STYLES if key_ in name or key_.lower() in variant),
                 "")
    if char == "𝔼":
        return "E"
    if "GREEK" in name or (len(plain) == 1 and "GREEK" in unicodedata.name(plain, "")):
        greek = unicodedata.name(plain, name).split()
        if greek[-1] == "SYMBOL":
            greek = greek[:-1]
        letter = greek[-1].lower().replace("lamda", "lambda")
        word = f"capital {letter}" if "CAPITAL" in greek else letter
        return f"{style} {word}" if style == "bold" else word
    if len(plain) == 1 and plain.isascii() and plain.isalnum():
        return f"{style} {plain}" if style else plain
    if char.isalnum():
        return char
    return name.lower() if name else "symbol"


def _scripts(element: etree._Element, ctx: _Context) -> _Phrase:
    """msub, msup, msubsup: "x sub i", "x squared", "the sum from … to … of"."""
    parts = list(element)
    if len(parts) < 2:
        return _row(parts, ctx)
    base = parts[0]
    sub = parts[1] if _local(element) in ("msub", "msubsup") else None
    sup = parts[-1] if _local(element) in ("msup", "msubsup") else None
    if _is_big(base):
        return _big(base, sub, sup, ctx)
    fenced = _fenced(base)
    if fenced is not None:
        open_, inner, close = fenced
        return _group(_Node("group", char=open_, children=inner, close=close,
                            scripts=(sub, sup)), ctx, applied=False)
    if sup is not None and _name(base) in ("ℝ", "ℂ", "ℤ", "ℕ", "ℚ") and sub is None:
        return _space(base, sup, ctx)
    said = _say(base, ctx)
    text, end = said.text, ""
    inner = _Context(script=True, dims=ctx.dims)
    if not text:  # {}^{14}C: scripts on nothing
        scripts = [f"subscript {_say(sub, inner).text}" if sub is not None else "",
                   f"superscript {_say(sup, inner).text}" if sup is not None else ""]
        return _Phrase(" ".join(filter(None, scripts)))
    if sub is not None:
        subscript = _say(sub, inner)
        name = _name(base)
        if said.applies and name == "log":
            text = f"log base {subscript.text}"
        elif name in OVER:  # \\max_k in text style
            return _over(name, said, subscript)
        elif name == "∇":
            return _Phrase(f"the gradient with respect to {subscript.text}", applies=True)
        else:
            text = f"{said.text} sub {subscript.text}"
        if _complex(sub):
            end = "end sub"
    if sup is not None:
        if end:
            text += f", {end},"
            end = ""
        text, end = _power(text, sup, inner)
    return _Phrase(text, end, applies=said.applies)


def _over(name: str, said: _Phrase, below: _Phrase) -> _Phrase:
    """max, min, lim with what is under them: "max over k", "the limit as n tends to …"."""
    if name == "lim":
        return _Phrase(f"the limit as {below.text}", applies=True)
    return _Phrase(f"{said.text} over {below.text}", applies=True)


def _power(text: str, sup: etree._Element, inner: _Context) -> tuple[str, str]:
    """The words of a superscript after its base: "squared", "transpose", "to the power n"."""
    raised = _text(sup)
    word = SUPERSCRIPTS.get(raised)
    if word:
        return f"{text} {word}", ""
    fenced = _fenced(sup)
    if fenced is not None and fenced[0] == "(" and len(fenced[1]) == 1:  # y^{(i)}
        return f"{text} superscript {_nodes(fenced[1], inner).text}", ""
    if _local(sup) == "mtext" or (_local(sup) == "mi" and len(raised) > 1):  # y^{LS}
        return f"{text} superscript {_say(sup, inner).text}", ""
    exponent = _say(sup, inner)
    return f"{text} to the power {exponent.text}", "end exponent" if _complex(sup) else ""


def _space(base: etree._Element, sup: etree._Element, ctx: _Context) -> _Phrase:
    """ℝ^{d×h}: "the d by h real matrices"; ℝ^n: "the real vectors of dimension n"."""
    dims = _say(sup, _Context(script=True, dims=True)).text
    kind = {"ℝ": "real", "ℂ": "complex", "ℤ": "integer", "ℕ": "natural", "ℚ": "rational"}[
        _name(base)]
    if "×" in _text(sup):
        return _Phrase(f"the {dims} {kind} matrices")
    return _Phrase(f"the {kind} vectors of dimension {dims}")


def _is_big(element: etree._Element) -> bool:
    return _local(element) == "mo" and _text(element) in BIG


def _big(base: etree._Element, lower, upper, ctx: _Context) -> _Phrase:
    """∑, ∏, ∫ with their limits: "the sum from j equals 1 to T of"."""
    words = BIG[_text(base)]
    inner = _Context(script=False, dims=ctx.dims)
    if lower is not None and _local(lower) == "mtable":  # \substack
        below = _table(lower, inner, " and ", " ").text
    else:
        below = _say(lower, inner).text if lower is not None else ""
    above = _say(upper, inner).text if upper is not None else ""
    if below and above:
        words += f" from {below} to {above}"
    elif below:
        words += f" over {below}"
    elif above:
        words += f" up to {above}"
    return _Phrase(words + " of")


def _limits(element: etree._Element, ctx: _Context) -> _Phrase:
    """munder, mover, munderover: big operators, "max over k", accents ("y hat")."""
    parts = list(element)
    if len(parts) < 2:
        return _row(parts, ctx)
    name = _local(element)
    base = parts[0]
    under = parts[1] if name in ("munder", "munderover") else None
    over = parts[-1] if name in ("mover", "munderover") else None
    if _is_big(base):
        return _big(base, under, over, ctx)
    said = _say(base, ctx)
    inner = _Context(script=True, dims=ctx.dims)
    text = said.text
    if over is not None:
        mark = _text(over)
        if mark in ACCENTS and ACCENTS[mark] == "vector":
            text = f"vector {text}"
        elif mark in ACCENTS:
            text = f"{text} {ACCENTS[mark]}" if not _compound(said) else \
                f"{ACCENTS[mark]} of {text}"
        else:
            text = f"{text} with {_say(over, inner).text} above"
    if under is not None:
        mark = _text(under)
        if _name(base) in OVER or said.applies:
            return _over(_name(base), _Phrase(text), _say(under, inner))
        if mark in ACCENTS:
            text = f"{text} {ACCENTS[mark]} below"
        else:
            text = f"{text} with {_say(under, inner).text} below"
    return _Phrase(text, said.end, applies=said.applies)


def _fraction(element: etree._Element, ctx: _Context) -> _Phrase:
    """"the fraction a over b"; "the fraction with numerator … and denominator …"; binomials."""
    if len(element) != 2:
        return _row(list(element), ctx)
    inner = _Context(script=False, dims=ctx.dims)
    top, bottom = (_say(e, inner) for e in element)
    if element.get("linethickness", "").strip() in ZERO:
        return _Phrase(f"{top.text} choose {bottom.text}")
    if _compound(top) or _compound(bottom):
        return _Phrase(f"the fraction with numerator {top.text}, and denominator "
                       f"{bottom.text}", "end fraction")
    return _Phrase(f"the fraction {top.text} over {bottom.text}")


def _table(element: etree._Element, ctx: _Context, rows_with: str, cells_with: str) -> _Phrase:
    rows = []
    for row in element:
        if _local(row) in ("mtr", "mlabeledtr"):
            cells = [_say(cell, ctx).text for cell in row if _local(cell) == "mtd"]
            rows.append(cells_with.join(c for c in cells if c))
        else:
            rows.append(_say(row, ctx).text)
    return _Phrase(rows_with.join(r for r in rows if r))


def _matrix(table: etree._Element, ctx: _Context) -> _Phrase:
    rows = [[_say(cell, ctx).text for cell in row if _local(cell) == "mtd"]
            for row in table if _local(row) in ("mtr", "mlabeledtr")]
    columns = max((len(r) for r in rows), default=0)
    said = "; ".join(f"row {n}: {', '.join(cells)}" for n, cells in enumerate(rows, 1))
    return _Phrase(f"the {len(rows)} by {columns} matrix, {said};", "end matrix")


def _complex(element: etree._Element) -> bool:
    """Whether a script needs an end marker: an operator after its first token (`t-1`, not
    `t,j` or `-1`), or a fraction or root."""
    tokens = [e for e in element.iter() if _local(e) in ("mo", "mi", "mn", "mtext")]
    return any(_text(e) in OPERATORS or _text(e) in RELATIONS
               for e in tokens[1:] if _text(e) not in OPERANDS) or any(
        _local(e) in ("mfrac", "msqrt", "mroot") for e in element.iter())


def _function_like(element: etree._Element) -> bool:
    """An identifier that parentheses after it apply to: "f of x", "softmax of …"."""
    name = _local(element)
    if name in ("msub", "msup", "msubsup", "munder", "mover", "munderover") and len(element):
        return _function_like(element[0])
    if name == "mrow" and len(element):
        return _function_like(element[0])
    if name != "mi":
        return False
    text = _text(element)
    return (len(text) > 1 and text.replace(" ", "").isalpha()) or text in FUNCTIONS


# rows ---------------------------------------------------------------------------------

def _flatten(elements: list, out: list[_Node]) -> list[_Node]:
    """A row's tokens: nested rows opened up, operators and fences told from operands."""
    for element in elements:
        name = _local(element)
        if not name:
            continue
        if name in ("mrow", "mstyle", "mpadded"):
            _flatten(list(element), out)  # fences are paired over the whole row by _nest
        elif name == "mspace":
            out.append(_Node("space", element))
        elif name in ("msub", "msup", "msubsup") and len(element) >= 2 and \
                _local(element[0]) == "mo" and (_text(element[0]) in CLOSE
                                                 or _text(element[0]) in BARS):
            parts = list(element)
            sub = parts[1] if name in ("msub", "msubsup") else None
            sup = parts[-1] if name in ("msup", "msubsup") else None
            out.append(_Node("close", element[0], _text(element[0]), scripts=(sub, sup)))
        elif name in ("mo", "mi") and _text(element) in OPEN:
            out.append(_Node("open", element, _text(element)))
        elif name in ("mo", "mi") and _text(element) in CLOSE:
            out.append(_Node("close", element, _text(element)))
        elif name in ("mo", "mi") and _text(element) in BARS and _text(element) != "∣":
            out.append(_Node("bar", element, _text(element)))
        elif name in ("mo", "mi") and _text(element) in ("\u2061",):
            out.append(_Node("apply", element))
        elif name in ("mo", "mi") and _text(element) in ("\u2062", "\u2063", "\u2064", ""):
            continue
        elif name in ("mo", "mi") and (_text(element) in RELATIONS or
                                       _text(element) in OPERATORS or
                                       _text(element) in PUNCTUATION) and \
                _text(element) not in OPERANDS and not _is_big(element):
            out.append(_Node("op", element, _text(element)))
        else:
            out.append(_Node("atom", element))
    return out


def _fenced(element: etree._Element):
    """(open, inner nodes, close) when a row is one fenced group: `\\left( … \\right)`,
    `\\lVert … \\rVert`; else None."""
    if _local(element) not in ("mrow", "mstyle", "mpadded") or len(element) < 2:
        return None
    nodes = _nest(_flatten(list(element), []))
    if len(nodes) != 1 or nodes[0].kind != "group" or not nodes[0].close \
            or any(s is not None for s in nodes[0].scripts):
        return None
    return nodes[0].char, nodes[0].children, nodes[0].close


def _nest(tokens: list[_Node]) -> list[_Node]:
    """Pair the fences: each open fence with its close, bars with the next bar of the same
    kind at the same depth. An unpaired bar is an operator ("p double bar q")."""
    stack: list[_Node] = [_Node("group")]

    def dissolve() -> None:  # an unclosed bar group: its bar was an operator
        group = stack.pop()
        stack[-1].children.append(_Node("op", group.element, group.char))
        stack[-1].children.extend(group.children)

    for token in tokens:
        if token.kind == "bar":
            if len(stack) > 1 and stack[-1].char == token.char:
                stack[-1].close = token.char
                group = stack.pop()
                stack[-1].children.append(group)
                continue
            stack.append(_Node("group", token.element, token.char))
        elif token.kind == "open":
            stack.append(_Node("group", token.element, token.char))
        elif token.kind == "close":
            while len(stack) > 1 and stack[-1].char in BARS and token.char not in BARS:
                dissolve()
            if len(stack) > 1 and (stack[-1].char == token.char or token.char in CLOSE):
                group = stack.pop()
                group.close, group.scripts = token.char, token.scripts
                stack[-1].children.append(group)
            else:
                stack[-1].children.append(_Node("op", token.element, token.char,
                                                scripts=token.scripts))
        else:
            stack[-1].children.append(token)
    while len(stack) > 1:
        if stack[-1].char in BARS:
            dissolve()
        else:
            group = stack.pop()
            stack[-1].children.append(group)
    return stack[0].children


def _row(elements: list, ctx: _Context) -> _Phrase:
    return _nodes(_nest(_flatten(elements, [])), ctx)


def _nodes(nodes: list[_Node], ctx: _Context) -> _Phrase:
    """A row in words: operands, operators, function application, groups and end markers."""
    said: list[_Phrase] = []
    waiting = False  # the last phrase is a function waiting for its argument
    for index, node in enumerate(nodes):
        if node.kind == "space":
            width = node.element.get("width", "") if node.element is not None else ""
            if _em(width) >= 0.9 and said and not said[-1].operator:
                said.append(_Phrase(",", operator=True))
            continue
        if node.kind == "apply":
            waiting = bool(said) and said[-1].text not in BINARY
            if waiting:
                said[-1].applies = True
            continue
        if node.kind == "op":
            first = not said or said[-1].operator
            word = _op_word(node, ctx, first)
            said.append(_Phrase(word, operator=True))
            waiting = False
            continue
        if node.kind == "group":
            capable = bool(said) and not said[-1].operator and (
                said[-1].applies or _capable(nodes, index))
            phrase = _group(node, ctx, applied=capable and node.char in ("(", "["))
            if waiting or (capable and node.char in ("(", "[")):
                said[-1] = _join_of(said[-1], phrase)
            else:
                said.append(phrase)
            waiting = False
            continue
        phrase = _say(node.element, ctx)
        if not phrase.text:
            continue
        if waiting and said:
            said[-1] = _join_of(said[-1], phrase)
            said[-1].applies = phrase.applies
            waiting = phrase.applies
            continue
        said.append(phrase)
        waiting = phrase.applies and not phrase.text.endswith(" of")
    return _joined(said)


def _capable(nodes: list[_Node], index: int) -> bool:
    """Whether the operand before nodes[index] (past spaces) is a function's name."""
    j = index - 1
    while j >= 0 and nodes[j].kind == "space":
        j -= 1
    return j >= 0 and nodes[j].kind == "atom" and _function_like(nodes[j].element)


def _join_of(function: _Phrase, argument: _Phrase) -> _Phrase:
    """"softmax" and its argument: "softmax of …"; "arg" and "min over k": "arg min over k"."""
    if function.text.endswith(" of") or function.text == "arg":
        return _Phrase(f"{function.text} {argument.text}", argument.end, argument.applies)
    return _Phrase(f"{function.text} of {argument.text}", argument.end, argument.applies)


def _joined(said: list[_Phrase]) -> _Phrase:
    """Phrases in order; a compound phrase followed by more gets its end marker."""
    words = []
    for i, phrase in enumerate(said):
        words.append(phrase.text)
        rest = said[i + 1:]
        if phrase.end and rest and not (rest[0].operator and rest[0].text in ",.;"):
            words.append(f", {phrase.end},")
    last = said[-1] if said else _Phrase("")
    return _Phrase(" ".join(words), last.end, last.applies,
                   operator=bool(said) and all(p.operator for p in said),
                   compound=len(said) > 1 or (len(said) == 1 and said[0].compound))


def _op_word(node: _Node, ctx: _Context, first: bool) -> str:
    char = node.char
    if char in PUNCTUATION:
        word = "comma" if char == "," and ctx.script else char
    elif char in OPEN:
        word = OPEN[char]
    elif char in CLOSE:
        word = CLOSE[char]
    else:
        word = _operator(char, ctx, first)
    sub, sup = node.scripts
    inner = _Context(script=True, dims=ctx.dims)
    if sub is not None:
        word += f" sub {_say(sub, inner).text}"
    if sup is not None:
        word = _power(word, sup, inner)[0]
    return word


def _em(width: str) -> float:
    try:
        return float(width.removesuffix("em")) if width.endswith("em") else 0.0
    except ValueError:
        return 0.0


def _group(node: _Node, ctx: _Context, applied: bool) -> _Phrase:
    """A fenced group: a function's argument, an absolute value, a norm, a matrix, cases."""
    inner = _nodes(node.children, ctx)
    tables = [n for n in node.children if n.kind == "atom" and _local(n.element) == "mtable"]
    sub, sup = node.scripts
    script = _Context(script=True, dims=ctx.dims)
    end = ""
    if len(node.children) == 1 and node.children[0].kind == "atom" and \
            _local(node.children[0].element) == "mfrac" and node.char == "(" and \
            node.children[0].element.get("linethickness", "").strip() in ZERO:  # \binom
        text = inner.text
    elif len(node.children) == 1 and tables and node.char == "{" and not node.close:
        text = _table(tables[0].element, ctx, "; ", " ").text  # cases
    elif len(node.children) == 1 and tables and node.char in "([":
        matrix = _matrix(tables[0].element, ctx)
        text, end = matrix.text, matrix.end
    elif node.char == "|" and node.close == "|":
        text = f"the absolute value of {inner.text}"
        end = "end absolute value" if _compound(inner) else ""
    elif node.char in ("‖", "∥") and node.close == node.char:
        size = _say(sub, script).text if sub is not None else ""
        squared = sup is not None and _text(sup) == "2"
        norm = f"{size}-norm" if size and " " not in size else (
            f"norm sub {size}" if size else "norm")
        text = f"the {'squared ' if squared else ''}{norm} of {inner.text}"
        end = "end norm" if _compound(inner) else ""
        if sup is not None and not squared:
            text, end = _power(text + (f", {end}," if end else ""), sup, script)
        return _Phrase(text, end)
    elif node.char == "⌊" and node.close == "⌋":
        text = f"the floor of {inner.text}"
        end = "end floor" if _compound(inner) else ""
    elif node.char == "⌈" and node.close == "⌉":
        text = f"the ceiling of {inner.text}"
        end = "end ceiling" if _compound(inner) else ""
    elif applied and _simple(node.children):
        text, end = inner.text, inner.end
    else:
        text = " ".join(filter(None, [OPEN.get(node.char, _operator(node.char, ctx, True)),
                                      inner.text,
                                      CLOSE.get(node.close, _operator(node.close, ctx, True))
                                      if node.close else ""]))
        end = ""
    if sub is not None:
        text += f" sub {_say(sub, script).text}"
    if sup is not None:
        text, end = _power(text + (f", {end}," if end else ""), sup, script)
    return _Phrase(text, end)


def _simple(nodes: list[_Node]) -> bool:
    """A function's argument that needs no spoken parentheses: operands and commas."""
    return all(n.kind in ("atom", "space") or (n.kind == "op" and n.char == ",")
               or (i == 0 and n.kind == "op" and n.char in "−-") for i, n in enumerate(nodes))


def _tidy(text: str) -> str:
    """One line of words: no space before punctuation, no doubled pauses, nothing of TeX."""
    cleaned = []
    for char in text:
        if char.isalnum() or char in WORD_CHARACTERS or char.isspace():
            cleaned.append(" " if char.isspace() else char)
        else:  # a character no table knows: its Unicode name, never TeX
            name = unicodedata.name(char, "")
            cleaned.append(f" {name.lower()} " if name else " ")
    words = " ".join("".join(cleaned).split())
    for before, after in ((" ,", ","), (" .", "."), (" ;", ";"), (" :", ":"),
                          (",,", ","), (",;", ";"), (";,", ";"), (";;", ";"),
                          (".,", "."), (",.", "."), (".;", ";"), (";.", ".")):
        while before in words:
            words = words.replace(before, after)
    return words.strip(" ,;:")
