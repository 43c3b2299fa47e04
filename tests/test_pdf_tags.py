"""The tagged print PDF (render/pdf_tags.py): one structure tree for the book, consistent
with the pages' marked content, holding what the source holds, read back with pikepdf and
poppler (pdfinfo -struct-text, pdftotext)."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from conftest import BASE, SOURCE, run
from qabook import ast, pipeline
from qabook.diagnostics import Diagnostics

HEADINGS = [f"/H{n}" for n in range(1, 7)]


@dataclass
class Tree:
    """What a PDF's structure tree holds, and every inconsistency found walking it."""

    counts: Counter = field(default_factory=Counter)
    elements: list[dict] = field(default_factory=list)  #: S, Alt, ActualText, ID, page
    problems: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  #: each link annotation's /Contents
    artifacts: int = 0  #: pagination artifacts (running heads, folios) in the content


def read_tree(path: Path) -> Tree:
    """Walk the tree from the root and check it against every page's marked content: each
    element reached once, its /P its parent, its /Pg a page of the book; each MCID of a page
    owned by exactly the element the parent tree names for it; each link annotation owned by
    the Link element whose OBJR names it, through its /StructParent."""
    out = Tree()
    with pikepdf.open(path) as pdf:
        root = pdf.Root.StructTreeRoot
        pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
        owner: dict[tuple[int, int], tuple] = {}
        objr: dict[tuple, tuple] = {}
        seen: set = set()
        stack = [(root.K[0] if isinstance(root.K, Array) else root.K, root)]
        while stack:
            element, parent = stack.pop()
            if element.objgen in seen:
                out.problems.append(f"{element.S} reached twice")
                continue
            seen.add(element.objgen)
            if element.P.objgen != parent.objgen:
                out.problems.append(f"{element.S}: /P is not its parent")
            page = element.get("/Pg")
            if page is not None and page.objgen not in pages:
                out.problems.append(f"{element.S}: /Pg is not a page of the book")
            out.counts[str(element.S)] += 1
            box = element.get("/A", Dictionary()).get("/BBox") \
                if isinstance(element.get("/A"), Dictionary) else None
            if box is not None and page is not None:
                media = [float(v) for v in page.MediaBox]
                left, bottom, right, top = (float(v) for v in box)
                if not (media[0] <= left < right <= media[2] and
                        media[1] <= bottom < top <= media[3]):
                    out.problems.append(f"{element.S}: /BBox {list(box)} is off its page")
            out.elements.append({"S": str(element.S), "Alt": str(element.get("/Alt", "")),
                                 "ActualText": str(element.get("/ActualText", "")),
                                 "ID": str(element.get("/ID", "")),
                                 "page": pages.get(page.objgen) if page is not None else None,
                                 "kids": [str(k.S) for k in _kids(element)
                                          if isinstance(k, Dictionary) and "/S" in k]})
            for kid in _kids(element):
                if isinstance(kid, int):
                    owner[(pages[page.objgen], int(kid))] = element.objgen
                elif kid.get("/Type") == Name.OBJR:
                    objr[kid.Obj.objgen] = element.objgen
                elif kid.get("/Type") == Name.MCR:
                    owner[(pages[kid.Pg.objgen], int(kid.MCID))] = element.objgen
                else:
                    stack.append((kid, element))
        flat = list(root.ParentTree.Nums)
        entries = dict(zip((int(k) for k in flat[::2]), flat[1::2]))
        if int(root.ParentTreeNextKey) <= max(entries, default=-1):
            out.problems.append("ParentTreeNextKey is not past the last key")
        for index, page in enumerate(pdf.pages):
            mcids = set()
            for operands, operator in pikepdf.parse_content_stream(page):
                if operator == pikepdf.Operator("BDC"):
                    properties = operands[1]
                    if isinstance(properties, Dictionary) and "/MCID" in properties:
                        mcids.add(int(properties.MCID))
                    elif operands[0] == Name.Artifact:
                        out.artifacts += 1
            key = page.obj.get("/StructParents")
            listed = {}
            if key is not None:
                listed = {m: e for m, e in enumerate(entries[int(key)])
                          if isinstance(e, Dictionary)}
            elif mcids:
                out.problems.append(f"page {index + 1} has marked content, no /StructParents")
            if set(listed) != mcids:
                out.problems.append(f"page {index + 1}: MCIDs in the content and in the "
                                    f"parent tree differ: {sorted(set(listed) ^ mcids)[:5]}")
            for mcid in mcids:
                if owner.get((index, mcid)) is None:
                    out.problems.append(f"page {index + 1}: MCID {mcid} is in no element")
                elif mcid in listed and owner[(index, mcid)] != listed[mcid].objgen:
                    out.problems.append(f"page {index + 1}: MCID {mcid}'s parent tree entry "
                                        "is not the element that owns it")
            if "/Annots" in page.obj and page.obj.get("/Tabs") != Name.S:
                out.problems.append(f"page {index + 1} has annotations and no /Tabs /S")
            for annotation in page.obj.get("/Annots", Array()):
                if annotation.get("/Subtype") != Name.Link:
                    continue
                out.links.append(str(annotation.get("/Contents", "")))
                key = annotation.get("/StructParent")
                if key is None or entries[int(key)].objgen != objr.get(annotation.objgen):
                    out.problems.append(f"page {index + 1}: a link annotation is not owned "
                                        "by the Link element its /StructParent names")
    return out


def _kids(element) -> list:
    kids = element.get("/K")
    return list(kids) if isinstance(kids, Array) else [] if kids is None else [kids]


def model(source: Path):
    diags = Diagnostics()
    book = pipeline.check(source, diags).book
    assert not diags.errors
    return book


def formulas_printed(book) -> int:
    """How many formulas the whole book prints: a question's prompt and its exercises'
    prompts are printed twice (Appendix B restates the prompt, Appendix A the exercise)."""
    def count(blocks) -> int:
        found = []
        ast.walk(list(blocks), lambda node: found.append(1) if node["t"] == "Math" else None)
        return len(found)

    total = sum(2 * count(q.prompt) + count(q.summary) + count(q.body) +
                sum(2 * count(e.prompt) + count(e.solution) for e in q.exercises)
                for q in book.questions)
    return total + sum(count(m.blocks) for m in [*book.front, *book.back])


def check_against_source(tree: Tree, book) -> None:
    """Counts of the tree against the source's."""
    docs = [q.doc for q in book.questions] + [m.doc for m in [*book.front, *book.back]]
    assert tree.problems == []
    assert tree.counts["/Formula"] == formulas_printed(book)
    figures = [f for doc in docs for f in doc.figures]
    assert tree.counts["/Figure"] == len(figures)
    assert sorted(e["Alt"] for e in tree.elements if e["S"] == "/Figure") == \
        sorted(f.alt for f in figures)
    # a table whose caption was left at the foot of a page is two Table elements (WeasyPrint
    # tags page by page): count those with a body
    assert sum(1 for e in tree.elements if e["S"] == "/Table" and "/TBody" in e["kids"]) == \
        sum(len(doc.tables) for doc in docs)
    assert tree.counts["/Note"] == sum(doc.footnotes for doc in docs)
    assert all(e["ID"].startswith("fn-") for e in tree.elements if e["S"] == "/Note")
    with_exercises = sum(any(q.exercises for q in c.questions) for c in book.chapters)
    # book title, contents, each front and back matter, each chapter, the two appendices and
    # the references
    assert tree.counts["/H1"] == 2 + len(book.front) + len(book.back) + len(book.chapters) + 3
    # each question, and each chapter's heading in Appendix A (if it has exercises) and B
    assert tree.counts["/H2"] == len(book.questions) + with_exercises + len(book.chapters)
    for element in tree.elements:
        if element["S"] in HEADINGS + ["/P"]:
            assert element["S"] not in element["kids"], "a heading or paragraph nested in one"
        if element["S"] == "/Formula":
            assert element["Alt"] and element["ActualText"]
    assert tree.links and all(c.startswith(("Go to ", "Open ")) for c in tree.links)
    assert tree.counts["/Link"] > 0
    assert tree.artifacts > 0  # running heads and folios


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def struct_text(path: Path) -> str:
    return subprocess.run(["pdfinfo", "-struct-text", str(path)], capture_output=True,
                          text=True, check=True).stdout


# ---------------------------------------------------------------------------------------
# a tiny book: exact counts, a formula in a prompt (printed twice), a handout on 6x9


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    book = tmp_path_factory.mktemp("tags") / "tiny"
    shutil.copytree(BASE, book)
    question = book / "chapters" / "01-one" / "q01-first.md"
    question.write_text(question.read_text("utf-8").replace(
        "What is the first question about?",
        "What is the first question about, and what is $k$-fold?"), "utf-8")
    return book


@pytest.fixture(scope="module")
def tiny_pdf(tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tags-out")
    code, _, err = run("build", "--source", str(tiny), "--out", str(out), "-f", "pdf")
    assert code == 0, err
    return next(out.glob("*.pdf"))


def test_the_tiny_books_tree_holds_what_its_source_holds(tiny, tiny_pdf) -> None:
    tree = read_tree(tiny_pdf)
    check_against_source(tree, model(tiny))
    assert tree.counts["/Formula"] == 4  # x^2, y = ax + b, and k in Q1 and in Appendix B
    assert tree.counts["/Figure"] == 2 and tree.counts["/Table"] == 1
    assert {e["Alt"] for e in tree.elements if e["S"] == "/Figure"} == \
        {"A blue box.", "An orange circle."}
    texts = {e["ActualText"]: e["Alt"] for e in tree.elements if e["S"] == "/Formula"}
    assert texts["k"] == "k" and texts["x^2"] == "x squared"
    assert tree.counts["/TH"] == 2 and tree.counts["/TD"] == 2


def test_a_formula_is_found_where_the_text_had_a_gap(tiny_pdf) -> None:
    text = " ".join(pdftotext(tiny_pdf).split())
    assert "what is k-fold?" in text
    assert "Inline math x^2 and code" in text


def test_the_catalog_says_the_pdf_is_tagged(tiny_pdf) -> None:
    with pikepdf.open(tiny_pdf) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        assert str(pdf.Root.Lang) == "en-US"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        with pdf.open_metadata() as xmp:
            assert xmp["dc:title"] == str(pdf.docinfo.Title) == "A Tiny Book"
    assert "Tagged:          yes" in subprocess.run(["pdfinfo", str(tiny_pdf)],
                                                   capture_output=True, text=True).stdout


def test_a_handout_on_6x9_keeps_one_consistent_tree(tiny, tmp_path) -> None:
    """Other chunks, pad pages and blank pages than the whole book on A4."""
    code, _, err = run("build", "--source", str(tiny), "--out", str(tmp_path), "-f", "pdf",
                       "--paper", "6x9in", "--question", "3", "--question", "1")
    assert code == 0, err
    tree = read_tree(next(tmp_path.glob("*.pdf")))
    assert tree.problems == []
    assert tree.counts["/Formula"] == 3  # Q1 alone: no Appendix B restates its prompt
    assert tree.counts["/Figure"] == 2 and tree.counts["/Note"] == 1


# ---------------------------------------------------------------------------------------
# the real book


@pytest.fixture(scope="module")
def real_tree(real_pdf) -> Tree:
    return read_tree(real_pdf)


def test_the_real_books_tree_holds_what_its_source_holds(real_tree) -> None:
    check_against_source(real_tree, model(SOURCE))


def test_the_real_books_formulas_are_searchable(real_pdf, real_tree) -> None:
    text = " ".join(pdftotext(real_pdf).split())
    # the audit's gaps: "what else can -fold cross-validation", "leave , about 10.7%"
    assert "what else can k-fold cross-validation be used for?" in text
    assert "0.8^10 ≈ 0.107" in text
    said = {e["ActualText"]: e["Alt"] for e in real_tree.elements if e["S"] == "/Formula"}
    assert said["0.8^10 ≈ 0.107"] == "0.8 to the power 10 is approximately 0.107"


def test_struct_text_reads_the_question_in_order(tiny_pdf) -> None:
    """poppler's reader of structure trees (on the tiny book: on the real one it takes
    minutes) reads the prompt, then the formula, then the rest of the sentence."""
    lines = [line.strip().strip('"') for line in struct_text(tiny_pdf).splitlines()]
    start = lines.index("What is the first question about, and what is ")
    following = [line for line in lines[start + 1:start + 8] if line]
    assert following[0] == "Formula:" and following.index("k") < 4
    assert "-fold?" in following


def test_every_link_says_where_it_goes(real_tree) -> None:
    assert len(real_tree.links) > 1000
    assert all(link.startswith(("Go to ", "Open ")) for link in real_tree.links)
    assert any(link.startswith("Go to Q28 ") and ", page " in link for link in real_tree.links)
