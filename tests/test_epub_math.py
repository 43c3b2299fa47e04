"""Math in the EPUB for every reader (render/epub_math.py): every formula of the real book,
as pandoc's MathML writes it for the EPUB, loses its TeX annotation, keeps what it shows,
reads as English words, has its multi-letter names as one identifier and a fallback drawing
that the EPUB's SVG check accepts and that draws what the print engine drew."""

from __future__ import annotations

import re
import shutil
import unicodedata

import pytest
from conftest import SOURCE, plain_drawing
from lxml import etree

from qabook import pandoc
from qabook.cache import Cache, key
from qabook.diagnostics import Diagnostics
from qabook.model.svg import check_svg
from qabook.pipeline import read_book
from qabook.render import epub_math
from qabook.tex.draw import render

M = "{http://www.w3.org/1998/Math/MathML}"
TOKENS = {f"{M}{name}" for name in ("mi", "mn", "mo", "mtext", "ms")}
#: what a text alternative may hold: letters, digits, spaces and pauses
LAYOUT = {"msub", "msup", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder",
          "munderover", "mtable"}
WORDS = re.compile(r"[\w ,.;:'-]+")


class Formula:
    def __init__(self, tex: str, display: bool, html: str):
        self.tex, self.display = tex, display
        self.before = _math(html)  # pandoc's MathML, as the EPUB carries it
        self.math = _math(html)
        assert epub_math.tex_of(self.math) == tex
        self.fallback = epub_math.fallback(tex, display)
        epub_math.finish(self.math, tex, self.fallback.name, self.fallback.box)


def _math(html: str) -> etree._Element:
    return next(etree.fromstring(html.encode("utf-8")).iter(f"{M}math"))


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> list[Formula]:
    """Every distinct formula of the real book (as the model finds them, in a copy of the
    source), through pandoc's MathML writer and finish()."""
    source = tmp_path_factory.mktemp("math") / "source"
    shutil.copytree(SOURCE, source)
    diags = Diagnostics()
    model = read_book(source, diags)
    assert model is not None and not diags.has_errors()
    bibliography = list(model.bibliography.formulas) if model.bibliography else []
    keys = sorted({(f.tex, f.display) for doc in model.documents for f in doc.formulas}
                  | {(f.tex, f.display) for f in bibliography})
    converted = pandoc.mathml(keys)
    assert all(problem is None for problem, _ in converted)
    return [Formula(tex, display, html) for (tex, display), (_, html) in zip(keys, converted)]


def _shown(math: etree._Element) -> str:
    """The characters a formula shows, in order (invisible function application left out)."""
    return "".join(e.text or "" for e in math.iter() if e.tag in TOKENS).replace(
        "\u2061", "").replace(" ", "")


def test_the_book_has_its_formulas(book) -> None:
    assert len(book) > 300
    assert sum(f.display for f in book) > 20


def test_the_tex_goes_and_what_the_formula_shows_stays(book) -> None:
    for formula in book:
        names = {etree.QName(e).localname for e in formula.math.iter()}
        assert not names & {"semantics", "annotation", "annotation-xml"}, formula.tex
        assert _shown(formula.math) == _shown(formula.before.find(f"{M}semantics")[0]), \
            formula.tex
        assert formula.math.get("display") == ("block" if formula.display else "inline")
        assert not [mi for mi in formula.math.iter(f"{M}mi") if "stretchy" in mi.attrib]
    assert sum(1 for f in book for mi in f.before.iter(f"{M}mi") if "stretchy" in mi.attrib)


def test_every_alternative_is_words_never_tex(book) -> None:
    greek = {unicodedata.name(chr(c)).split()[-1].lower().replace("lamda", "lambda")
             for c in range(0x3b1, 0x3ca)}
    # TeX command names that are also the words a formula is read with ("\\times": "times")
    english = greek | {"log", "exp", "tanh", "max", "min", "arg", "sum", "in", "to", "times",
                       "ell", "hat", "bar", "partial",
                       "end"}  # \end{aligned} in the TeX; "end sub", "end fraction" in words
    for formula in book:
        alt = formula.math.get("alttext")
        assert alt and WORDS.fullmatch(alt), (formula.tex, alt)
        assert not set(alt) & set("\\{}^_$&"), (formula.tex, alt)
        commands = set(re.findall(r"\\([A-Za-z]+)", formula.tex)) - english
        assert not commands & set(alt.split()), (formula.tex, alt)
        # a formula with layout is not read as its characters run together ("hjh")
        if any(etree.QName(e).localname in LAYOUT for e in formula.math.iter()):
            assert alt.replace(" ", "") != _shown(formula.math), (formula.tex, alt)
    long = [f for f in book if "sum" in f.tex]
    assert all("the sum" in f.math.get("alttext") for f in long)


def test_upright_names_are_one_identifier(book) -> None:
    def letter_pairs(math) -> int:  # adjacent one-letter upright identifiers
        return sum(1 for mi in math.iter(f"{M}mi")
                   if mi.get("mathvariant") == "normal" and len(mi.text or "") == 1
                   and mi.getnext() is not None and mi.getnext().tag == f"{M}mi"
                   and mi.getnext().get("mathvariant") == "normal"
                   and len(mi.getnext().text or "") == 1)

    # the book writes functions with \operatorname (one <mi> from pandoc already) and named
    # quantities with \mathrm (BLEU, BP, IS, LS: pandoc splits them into letters)
    assert sum(letter_pairs(f.before) for f in book) >= 5
    assert sum(letter_pairs(f.math) for f in book) == 0
    seen = set()
    for formula in book:
        identifiers = [mi.text for mi in formula.math.iter(f"{M}mi")]
        for name in re.findall(r"\\(?:mathrm|operatorname)\{([A-Za-z]{2,})\}", formula.tex):
            assert name in identifiers, (formula.tex, name)
            seen.add(name)
    assert {"softmax", "PPL", "LayerNorm", "BLEU", "sim"} <= seen
    applied = [f for f in book if re.search(r"\\(?:mathrm|operatorname)\{softmax\}\(",
                                            f.tex.replace("\\!\\left", ""))]
    assert applied
    for formula in applied:  # a name before parentheses is a function applied to them
        mi = next(mi for mi in formula.math.iter(f"{M}mi") if mi.text == "softmax")
        assert mi.getnext().text == "\u2061"
        assert "softmax of" in formula.math.get("alttext")


def test_a_number_grouped_with_braces_is_one_number(book) -> None:
    grouped = [f for f in book if "{,}" in f.tex]
    assert grouped
    numbers = {mn.text for f in grouped for mn in f.math.iter(f"{M}mn")}
    assert {"7,624,512", "50,000", "15,000,000"} <= numbers


def test_every_fallback_passes_the_epub_svg_check_and_draws_what_print_draws(book) -> None:
    total = 0
    for formula in book:
        data = formula.fallback.data
        assert check_svg(data) is None, formula.tex
        root = etree.fromstring(data)
        _, y, w, h = (int(v) for v in root.get("viewBox").split())
        assert root.get("width") == f"{w / 100:g}em" and root.get("height") == f"{h / 100:g}em"
        assert formula.fallback.box == (w / 100, h / 100, (y + h) / 100)
        assert formula.math.get("altimg") == epub_math.fallback_name(data)
        assert formula.math.get("altimg-valign") == f"{-formula.fallback.depth:.3f}em"
        printed = render(formula.tex, formula.display)
        assert abs(formula.fallback.width - printed.width) <= 0.02
        assert abs(formula.fallback.depth - printed.depth) <= 0.02
        _same_outline(formula.tex, formula.display, data, printed)
        total += len(data)
    assert len({f.fallback.name for f in book}) == len(book)  # one drawing per formula
    assert total < 1_000_000  # the print engine's own SVGs hold 2.5 MB


def _same_outline(tex: str, display: bool, data: bytes, printed) -> None:
    """The fallback's path, read back, passes through every point of the formula as the
    engine draws it with plain paths, each glyph where it stands (in hundredths of an em,
    give or take one for rounding): placing the print drawing's glyphs lost nothing."""
    plain = etree.fromstring(plain_drawing(tex, display))
    scale = printed.width * 100 / float(plain.get("viewBox").split()[2])
    wanted = []
    for element in plain.iter():
        if etree.QName(element).localname == "path":
            numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", element.get("d"))]
            wanted += [(numbers[i] * scale, numbers[i + 1] * scale)
                       for i in range(0, len(numbers), 2)]
    assert wanted, tex
    got = _points(etree.fromstring(data).find("{http://www.w3.org/2000/svg}path").get("d"))
    mine = set(got)
    for x, y in wanted:  # every point of the drawing is one of ours, give or take rounding
        assert any((round(x) + i, round(y) + j) in mine
                   for i in (-1, 0, 1) for j in (-1, 0, 1)), (tex, x, y)


def _points(d: str) -> list[tuple[int, int]]:
    """Every point named in relative path data (m l h v q c z), as absolute positions."""
    points, x, y, start = [], 0, 0, (0, 0)
    command = ""
    for token in re.findall(r"[a-z]|-?\d+", d):
        if token.isalpha():
            command, values = token, []
            if command == "z":
                x, y = start
            continue
        values.append(int(token))
        need = {"m": 2, "l": 2, "h": 1, "v": 1, "q": 4, "c": 6}[command]
        if len(values) < need:
            continue
        if command == "h":
            x += values[0]
        elif command == "v":
            y += values[0]
        else:
            for i in range(0, need, 2):
                points.append((x + values[i], y + values[i + 1]))
            x, y = x + values[-2], y + values[-1]
        points.append((x, y))
        if command == "m":
            start, command = (x, y), "l"
        values = []
    return points


SPOKEN = [
    (r"\frac{a}{b}", "the fraction a over b"),
    (r"x_i^2", "x sub i squared"),
    (r"\sum_{j=1}^{T} \alpha_{t,j} h_j",
     "the sum from j equals 1 to T of alpha sub t comma j h sub j"),
    (r"\frac{a+b}{c}", "the fraction with numerator a plus b, and denominator c"),
    (r"\sqrt{d_k}", "the square root of d sub k"),
    (r"\lVert x - y \rVert_2^2", "the squared 2-norm of x minus y"),
    (r"|a - c| + 1", "the absolute value of a minus c, end absolute value, plus 1"),
    (r"\hat{y} = w^\top x", "y hat equals w transpose x"),
    (r"\mathrm{softmax}(z)", "softmax of z"),
    (r"\operatorname{LayerNorm}(x)", "LayerNorm of x"),
    (r"W \in \mathbb{R}^{d \times h}", "W in the d by h real matrices"),
    (r"x_1, \dots, x_N", "x sub 1, dot dot dot, x sub N"),
    (r"\begin{bmatrix} a & b \\ c & d \end{bmatrix}",
     "the 2 by 2 matrix, row 1: a, b; row 2: c, d"),
    (r"p(w_i \mid w_{<i})", "p of open paren w sub i given w sub less than i close paren"),
    (r"s_{t-1} + 1", "s sub t minus 1, end sub, plus 1"),
    (r"\log_2 p", "log base 2 of p"),
    (r"\theta \le 2\pi", "theta is less than or equal to 2 pi"),
    (r"(1 - p)^k", "open paren 1 minus p close paren to the power k"),
    (r"\binom{n}{k}", "n choose k"),
    (r"\mathcal{L}", "script L"),
    (r"\Sigma'", "capital sigma prime"),
    (r"\nabla_w \mathcal{L}", "the gradient with respect to w of script L"),
    (r"\arg\min_k d_k", "arg min over k of d sub k"),
    (r"7{,}624{,}512 \approx 7.6", "7,624,512 is approximately 7.6"),
    (r"\phantom{x}", "blank"),
]


@pytest.mark.parametrize("tex, words", SPOKEN)
def test_what_a_formula_says(tex: str, words: str) -> None:
    [(problem, html)] = pandoc.mathml([(tex, False)])
    assert problem is None
    math = _math(html)
    epub_math.finish(math, tex, None)
    assert math.get("alttext") == words
    assert math.get("altimg") is None


def test_finish_twice_changes_nothing_more() -> None:
    tex = r"\mathrm{PPL}(s) = 2^{H(s)}, \quad 1{,}000 \big/ 2"
    [(_, html)] = pandoc.mathml([(tex, True)])
    math = _math(html)
    epub_math.finish(math, tex, "math.svg")
    once = etree.tostring(math)
    epub_math.finish(math, tex, "math.svg")
    assert etree.tostring(math) == once
    assert math.get("alttext") == ("PPL of s equals 2 to the power H of s, 1,000 over 2")


def test_merging_follows_the_tex_not_the_letters() -> None:
    """`\\mathrm{d}x` and `\\mathrm{a}\\mathrm{b}` are separate letters in the TeX: they stay
    separate identifiers; `\\mathrm{ab}` beside them is one."""
    tex = r"\mathrm{a}\mathrm{b} + \mathrm{ab} + \mathrm{d}x"
    [(_, html)] = pandoc.mathml([(tex, False)])
    math = _math(html)
    epub_math.finish(math, tex, None)
    assert [mi.text for mi in math.iter(f"{M}mi")] == ["a", "b", "ab", "d", "x"]


def test_fallback_names_are_digests() -> None:
    one = epub_math.fallback(r"x^2", False)
    two = epub_math.fallback(r"x^3", False)
    assert one.name != two.name and re.fullmatch(r"math-[0-9a-f]{16}\.svg", one.name)
    assert epub_math.fallback_svg(r"x^2", False) == one.data
    assert epub_math.fallback_name(one.data) == one.name


def test_a_formula_nested_past_the_stack_is_still_read() -> None:
    """A tree nested deeper than the recursive reading can follow is read token by token,
    never a traceback (pandoc's XHTML parsed by lxml stops at 256 levels; the reading
    follows those, and a tree built in memory can go deeper)."""
    for depth, words in ((250, "the square root of " * 250 + "alpha"), (5000, "alpha")):
        math = etree.Element(f"{M}math")
        inner = math
        for _ in range(depth):
            inner = etree.SubElement(inner, f"{M}msqrt")
        etree.SubElement(inner, f"{M}mi").text = "α"
        epub_math.finish(math, "", None)
        assert math.get("alttext") == words


def test_a_fallback_is_kept_in_the_cache(tmp_path) -> None:
    """Made once, then read back (through the cache's restricted unpickler) by the next
    build, which then needs neither the drawing nor its re-encoding."""
    made = epub_math.fallback(r"\sqrt{x_1}", True, Cache(tmp_path / "cache"))
    stored = Cache(tmp_path / "cache").get("math-fallback", key("math-fallback", r"\sqrt{x_1}",
                                                                True))
    assert stored == made and check_svg(stored.data) is None
    assert epub_math.fallback(r"\sqrt{x_1}", True, Cache(tmp_path / "cache")) == made
