"""Each formula as text, for the tagged print PDF: words a screen reader speaks and a linear
form that search and copy find.

Both come from pandoc's MathML (texmath, the EPUB's): the words are the EPUB's own
(`tex/mathml.speech`, after the same repairs `mathml.finish` makes), the linear
form is read here ("0.8^10 ≈ 0.107", "α_t,j", "(a + b)/2"). `check` asks pandoc for the
MathML of every new formula anyway and leaves both in the cache (`remember`); the print
renderer asks pandoc only for formulas the cache does not have (`words`).
"""

from __future__ import annotations

import unicodedata

from lxml import etree

from qabook import pandoc
from qabook.cache import Cache, key
from qabook.tex.mathml import finish

Key = tuple[str, bool]  #: (TeX, display)
#: what this process (or the check it was forked from) found, for builds without a cache
_SEEN: dict[Key, tuple[str, str]] = {}
MATHML = "http://www.w3.org/1998/Math/MathML"
#: operators written with a space on each side in the linear form
SPACED = set("=≈≠<>≤≥≡∝∼→←↔⇒⇐⇔∈∉⊂⊆⊃⊇+−×±∓·⋅∧∨∪∩∣|") - {"|"}
TOKENS = {"mi", "mn", "mo", "mtext", "ms"}
ACCENTS = set("^ˆ‾¯_~˜→⃗˙¨´`ˇ˘\u0302\u0303\u0304\u0307\u0308\u20d7")
SCRIPTED = {"msub", "msup", "msubsup", "munder", "mover", "munderover", "mfrac", "msqrt",
            "mroot"}
SKIPPED = {"annotation", "annotation-xml", "mphantom", "none", "mprescripts"}


def words(formulas: list[Key], cache: Cache) -> dict[Key, tuple[str, str]]:
    """For each formula, (words, linear form); pandoc runs only for those not cached."""
    out: dict[Key, tuple[str, str]] = {}
    for formula in set(formulas):
        hit = _SEEN.get(formula) or cache.get("math-words", key("math-words", *formula))
        if hit is not None:
            out[formula] = hit
    todo = sorted(set(formulas) - set(out))
    if todo:
        out.update(remember(todo, pandoc.mathml(todo), cache))
    return out


def remember(formulas: list[Key], mathml: list[tuple[str | None, str]],
             cache: Cache) -> dict[Key, tuple[str, str]]:
    """Words and linear form of each formula from pandoc's answer (pandoc.mathml), cached."""
    out = {}
    for (tex, display), (_, html) in zip(formulas, mathml):
        math = _math(html)
        if math is None:  # texmath cannot read it (check said so for the EPUB): the TeX
            found = (" ".join(tex.split()), " ".join(tex.split()))
        else:
            finish(math, tex, None)
            found = (math.get("alttext", ""), linear(math))
        out[(tex, display)] = _SEEN[(tex, display)] = found
        cache.put("math-words", key("math-words", tex, display), found)
    return out


def _math(html: str) -> etree._Element | None:
    """The <math> element of pandoc's HTML paragraph, in the MathML namespace."""
    if not html.strip():
        return None
    try:
        root = etree.fromstring(html.encode("utf-8"), etree.XMLParser(resolve_entities=False,
                                                                      no_network=True))
    except etree.XMLSyntaxError:
        return None
    return next(root.iter(f"{{{MATHML}}}math"), None)


def linear(math: etree._Element) -> str:
    """The formula as one line of text: x^2, a_i, (a + b)/2, √(x), with spaces around
    relations and binary operators."""
    try:
        text = _linear(math)
    except RecursionError:
        text = "".join(e.text or "" for e in math.iter() if _local(e) in TOKENS)
    return " ".join(unicodedata.normalize("NFC", text).split())


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _linear(element) -> str:
    name = _local(element)
    kids = [k for k in element if isinstance(k.tag, str) and _local(k) not in SKIPPED]
    if name in TOKENS:
        text = (element.text or "").strip()
        if name == "mo" and text in SPACED:
            return f" {text} "
        if name == "mtext":
            return (element.text or "").replace("\u00a0", " ")
        text = text.replace("\u2061", "").replace("\u2062", "")
        # 𝒙 (bold italic x) is searched as x; ℝ stays ℝ
        return "".join(unicodedata.normalize("NFKC", c) if 0x1D400 <= ord(c) <= 0x1D7FF else c
                       for c in text)
    if name == "mspace":
        return " "
    said = [_linear(k) for k in kids]
    if name in ("msup", "msub") and len(said) == 2:
        return f"{said[0]}{'^' if name == 'msup' else '_'}{_group(said[1])}"
    if name == "msubsup" and len(said) == 3:
        return f"{said[0]}_{_group(said[1])}^{_group(said[2])}"
    if name == "mfrac" and len(said) == 2:
        return f"{_group(said[0])}/{_group(said[1])}"
    if name == "msqrt":
        return f"√{_group(''.join(said))}"
    if name == "mroot" and len(said) == 2:
        return f"root{_group(said[1])}{_group(said[0])}"
    if name in ("munder", "mover", "munderover") and said:
        if name == "mover" and len(said) == 2 and said[1].strip() in ACCENTS:
            return said[0]  # an accent: ŷ is read (and searched) as y
        out = said[0]
        if name in ("munder", "munderover") and len(said) > 1:
            out += f"_{_group(said[1])}"
        if name == "mover" and len(said) > 1:
            out += f"^{_group(said[1])}"
        if name == "munderover" and len(said) == 3:
            out += f"^{_group(said[2])}"
        return f" {out} " if _local(kids[0]) == "mo" else out  # ∑_i x_i: a big operator
    if name == "mtable":
        return "; ".join(_linear(row) for row in kids)
    if name in ("mtr", "mlabeledtr"):
        return ", ".join(_linear(cell) for cell in kids)
    if name == "mfenced":
        return (element.get("open", "(") + element.get("separators", ",")[:1].join(said)
                + element.get("close", ")"))
    out = ""
    for index, (kid, text) in enumerate(zip(kids, said)):
        if index and _local(kids[index - 1]) in SCRIPTED and _local(kid) != "mo":
            out += " "  # α_(t,j) h_j: a scripted operand and the next one stay apart
        out += text
    return out


def _group(text: str) -> str:
    """Text as one operand: in parentheses when it is more than one token."""
    text = " ".join(text.split())
    if len(text) <= 1 or text.replace(".", "").isdigit() or text.isalnum() or \
            (text[0] in "([{" and text[-1] in ")]}"):
        return text
    return f"({text})"
