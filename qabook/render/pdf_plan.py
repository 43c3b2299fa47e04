"""The print book as chunks: each laid out on its own, with page numbers from a page map.

A chunk is the front matter, a chapter opener, one question, a back-matter file, Appendix A,
Appendix B or the references. Every question starts a new page and every other chunk a
right-hand page, so chunks never share a page. A chunk's HTML is fully determined by its
content and by the page map it is given (where it starts, which number every target it
links to has, which of its links land on their own page); the layout passes in pdf.py feed
it the map until nothing changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Collection

import jinja2

from qabook.render import markup


ROMAN = "front"  # the one chunk numbered i, ii, iii


@dataclass(frozen=True)
class Chunk:
    """One separately laid-out part of the print book."""

    name: str  #: unique, e.g. "question-q17"
    kind: str  #: front, opener, question, back, solutions, question-list, references
    data: dict[str, Any] = field(repr=False)  #: what the template shows
    recto: bool  #: must start on a right-hand page
    head: str = ""  #: the left running head (the chapter), when the chunk has one
    bookmarks: tuple[tuple[int, str, str], ...] = ()  #: (level, title, anchor) for the outline
    sources: tuple[str, ...] = ()  #: anchors of the questions and matters whose text it prints
    sheet: str = ""  #: a handout's chunk: what the handout is ("Worksheet"), for its heads


UNKNOWN_PAGE = "00"  #: the page of an anchor not laid out yet (a first pass's placeholder)


@dataclass
class PageMap:
    """Where everything landed: the state the layout passes converge on."""

    pages: dict[str, int] = field(default_factory=dict)  #: chunk name -> its pages
    anchors: dict[str, int] = field(default_factory=dict)  #: anchor -> physical page
    front: int = 0  #: physical pages before page 1 (the front matter and its padding)
    #: each physical page's start: the name of the block its first line is in (a page marker
    #: or an id, see render/pages.py), None for a page without content (a blank). It follows
    #: from the rest, so the passes do not compare it.
    marks: list[str | None] = field(default_factory=list, compare=False)

    def starts(self, chunks: list[Chunk]) -> dict[str, tuple[int, bool, bool]]:
        """Each chunk's first physical page, whether a blank page precedes it, and whether it
        starts on a left-hand page (then it is laid out behind a pad page that is dropped)."""
        out, page = {}, 1
        for chunk in chunks:
            blank = chunk.recto and page % 2 == 0
            page += blank
            out[chunk.name] = (page, blank, page % 2 == 0)
            page += self.pages.get(chunk.name, 1)
        return out

    def label(self, anchor: str) -> str:
        """The printed number of the page an anchor is on ("vii" in the front matter)."""
        page = self.anchors.get(anchor)
        if page is None:
            return UNKNOWN_PAGE
        return self.page_label(page)

    def page_label(self, page: int) -> str:
        """The printed number of a physical page (the PDF's page label)."""
        return roman(page) if page <= self.front else str(page - self.front)

    def edition(self) -> list[tuple[str, str | None]]:
        """Every page of the book in order: its printed number and where it starts."""
        return [(self.page_label(page), mark) for page, mark in enumerate(self.marks, 1)]


def roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"),
                           (90, "xc"), (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"),
                           (4, "iv"), (1, "i")):
        while number >= value:
            out += letters
            number -= value
    return out


def chunks(data: dict[str, Any]) -> list[Chunk]:
    """The print book in reading order (data as print_html.page_data makes it)."""
    if not data["selection"].book:
        return _handout(data)
    out = [Chunk(ROMAN, "front", {}, True,
                 bookmarks=tuple((1, m["title"], m["anchor"]) for m in data["front"]),
                 sources=tuple(m["anchor"] for m in data["front"]))]
    for chapter in data["chapters"]:
        head = chapter["heading"]
        out.append(Chunk(f"opener-{chapter['anchor']}", "opener", {"chapter": chapter}, True,
                         bookmarks=((1, head, chapter["anchor"]),)))
        for q in chapter["questions"]:
            out.append(Chunk(f"question-{q['anchor']}", "question",
                             {"chapter": chapter, "question": q}, False, head,
                             ((2, f"{q['label']} {q['title']}", q["anchor"]),), (q["anchor"],)))
    for matter in data["back"]:
        out.append(Chunk(f"back-{matter['anchor']}", "back", {"matter": matter}, True,
                         bookmarks=((1, matter["title"], matter["anchor"]),),
                         sources=(matter["anchor"],)))
    # Each appendix is one chunk, so its chapters run on, as a book sets them (a chunk per
    # chapter started each on a new page). Appendix A, the longest chunk, is laid out
    # first (longest first), beside the questions.
    if data["selection"].solutions:
        out += _appendix(data, "solutions", "appendix-a", data["words"]["appendix_a"],
                         lambda ch: any(q["exercises"] for q in ch["questions"]))
    if data["selection"].whole:
        out += _appendix(data, "question-list", "appendix-b", data["words"]["appendix_b"],
                         lambda ch: True)
    if data["references"]:
        out.append(Chunk("references", "references", {}, True,
                         bookmarks=((1, data["words"]["references"], "references"),)))
    return out


def _handout(data: dict[str, Any]) -> list[Chunk]:
    """A handout (qabook/handouts.py) in reading order: its questions, the first with the
    title block on page 1; no front matter, chapter openers, appendices or blank pages. A
    handout's quiz solutions follow its questions (an answer key has them in place, a
    worksheet none), then the works they cite."""
    head, sheet = data["running_head"], data["sheet_title"]
    out: list[Chunk] = []
    for chapter in data["chapters"]:
        qs = chapter["questions"]
        # the first question of a chapter carries the chapter's anchor (its bookmark)
        opening = (1, chapter["heading"], chapter["anchor"])
        entries = [(2, f"{q['label']} {q['title']}", q["anchor"]) for q in qs]
        if data["selection"].kind in ("worksheet", "answer-key"):
            # short questions without figures: a chapter's run on, page after page
            out.append(Chunk(f"sheet-{chapter['anchor']}", "question",
                             {"items": [(chapter, q, i == 0) for i, q in enumerate(qs)],
                              "title_block": not out}, False, head,
                             (opening, *entries), tuple(q["anchor"] for q in qs), sheet))
            continue
        for index, q in enumerate(qs):
            out.append(Chunk(f"question-{q['anchor']}", "question",
                             {"chapter": chapter, "question": q, "title_block": not out,
                              "chapter_line": index == 0}, False, head,
                             ((opening,) if index == 0 else ()) + (entries[index],),
                             (q["anchor"],), sheet))
    if data["selection"].kind == "handout" and data["solutions"]:
        title = data["solutions_title"]
        chapters = [ch for ch in data["chapters"] if any(q["exercises"]
                                                         for q in ch["questions"])]
        out += [Chunk(f"solutions-{ch['anchor']}", "solutions", {"chapters": [ch],
                                                                 "first": i == 0},
                      False, head, ((1, title, "appendix-a"),) if i == 0 else (),
                      tuple(q["anchor"] for q in ch["questions"]), sheet)
                for i, ch in enumerate(chapters)]
    if data["references"] and out:  # after the last text, not alone on a page of its own
        last = out[-1]
        out[-1] = replace(last, data={**last.data, "references_here": True},
                          bookmarks=last.bookmarks + ((1, data["words"]["references"], "references"),))
    return out


def _appendix(data, kind: str, anchor: str, title: str, keep) -> list[Chunk]:
    chapters = [ch for ch in data["chapters"] if keep(ch)]
    if not chapters:
        return []
    return [Chunk(kind, kind, {"chapters": chapters, "first": True}, True, title,
                  ((1, title, anchor),),
                  tuple(q["anchor"] for ch in chapters for q in ch["questions"]))]


class Bodies:
    """Each chunk's template, rendered and read once: the passes change only its page
    numbers (and whether it has a pad page)."""

    def __init__(self, environment: jinja2.Environment, data: dict[str, Any]):
        self.environment, self.data = environment, data
        self._made: dict[str, Body] = {}

    def __call__(self, chunk: Chunk) -> Body:
        made = self._made.get(chunk.name)
        if made is None:
            made = self._made[chunk.name] = Body(self.render(chunk))
        return made

    def render(self, chunk: Chunk) -> str:
        """The chunk's template output."""
        return self.environment.get_template("chunk.html").render(
            **self.data, chunk={**chunk.data, "kind": chunk.kind})


def chunk_html(bodies: Bodies, chunk: Chunk, start: tuple[int, bool, bool], page_map: PageMap,
               keep: Collection[str] = (), same: set[str] | None = None) -> str:
    """The chunk as a standalone HTML document, its page numbers taken from the map.

    Cross-references in keep always show their page number; the ids of those marked as on
    their target's page are added to same."""
    first, _, pad = start
    return bodies(chunk).html(_page_rules(chunk, first, pad, page_map), pad, page_map, keep,
                              same if same is not None else set())


def _page_rules(chunk: Chunk, first: int, pad: bool, page_map: PageMap) -> str:
    """This chunk's page numbers and running heads."""
    if chunk.sheet:
        return _handout_rules(chunk, first, pad, page_map)
    if chunk.kind == "front":
        numbers = "counter(page, lower-roman)"
        start = ""
    else:
        numbers = "counter(page)"
        start = f"@page :first {{ counter-set: page {first - page_map.front - pad}; }}\n"
    # an appendix's opening page (its first chunk) has no running head: its title sets the
    # head for the pages after it, as a matter title does
    left = json.dumps(chunk.head) if chunk.head and not chunk.data.get("first") else \
        "string(matter, first-except)"
    right = "string(question, first-except)" if chunk.kind == "question" else left
    if chunk.kind == "opener":
        left = right = "none"
    return (start +
            f"@page :left {{ @top-left {{ content: {left}; }} "
            f"@bottom-left {{ content: {numbers}; }} }}\n"
            f"@page :right {{ @top-right {{ content: {right}; }} "
            f"@bottom-right {{ content: {numbers}; }} }}\n")


def _handout_rules(chunk: Chunk, first: int, pad: bool, page_map: PageMap) -> str:
    """A handout's pages: numbered from 1; the left head names the handout, the right one
    what it is and the question; page 1, under the title block, has no head."""
    left = css_string(chunk.head)
    right = f"{css_string(chunk.sheet + ' · ')} string(question)" \
        if chunk.kind == "question" else left
    rules = f"@page :first {{ counter-set: page {first - page_map.front - pad}; }}\n"
    if chunk.data.get("title_block"):
        rules += "@page :first { @top-left { content: none; } @top-right { content: none; } }\n"
    return (rules +
            f"@page :left {{ @top-left {{ content: {left}; }} "
            f"@bottom-left {{ content: counter(page); }} }}\n"
            f"@page :right {{ @top-right {{ content: {right}; }} "
            f"@bottom-right {{ content: counter(page); }} }}\n")


def css_string(text: str) -> str:
    """Text as a CSS string (inside a <style> element of an HTML document)."""
    return '"' + "".join(f"\\{ord(c):x} " if c in '"\\<>&' or ord(c) < 0x20 or c == "\x7f"
                         else c for c in text) + '"'


@dataclass(frozen=True)
class _Link:
    """An internal link of a chunk's template output: its attributes as written, its target."""

    attrs: tuple[tuple[str, str | None], ...]
    target: str


class Body:
    """A chunk's template output, read once (render/markup.py): where its head ends and its
    body starts, its internal links, the ids it holds and the figure files it shows. Each
    pass then writes the chunk with its page rules, its pad page if it has one, and its page
    numbers (`html`)."""

    def __init__(self, text: str):
        found = markup.tags(text)
        self.ids = frozenset(tag.attrs["id"] for tag in found if tag.attrs.get("id"))
        #: the files it shows: every src but a data: URI (a figure; a formula is data:)
        self.sources = tuple(sorted({src for tag in found if (src := tag.attrs.get("src"))
                                     and not src.startswith("data:")}))
        #: a link, HEAD (the end of the head: the page rules) or BODY (where the body
        #: starts: the pad page), each at (start, end) in text
        slots: list[tuple[int, int, _Link | str]] = []
        placed: set[str] = set()  # (the first </head> and <body> only)
        for tag in found:
            href = tag.attrs.get("href") or ""
            if tag.closing and tag.name == "head" and HEAD not in placed:
                placed.add(HEAD)
                slots.append((tag.start, tag.start, HEAD))
            elif not tag.closing and tag.name == "body" and BODY not in placed:
                placed.add(BODY)
                slots.append((tag.end, tag.end, BODY))
            elif not tag.closing and tag.name == "a" and href.startswith("#"):
                slots.append((tag.start, tag.end, _Link(
                    tuple((k, v) for k, v in tag.attrs.items() if k != "data-page"),
                    href[1:])))
        ends = [0] + [end for _, end, _ in slots]
        self._pieces = [text[ends[i]:start] for i, (start, _, _) in enumerate(slots)] + \
            [text[ends[-1]:]]  #: the text between the slots
        self._slots = [slot for *_, slot in slots]

    def html(self, rules: str, pad: bool, page_map: PageMap, keep: Collection[str],
             same: set[str]) -> str:
        """The chunk with its page rules, a pad page first if it has one (laid out only to
        make its first page a left-hand one, dropped at the merge), every internal link
        given the printed page of its target, links to other chunks sent through the qabook:
        scheme (rewritten into destinations when the chunks are merged), and the
        cross-references that sit on their target's page marked (their ids added to same)
        unless they are in keep."""
        out = [self._pieces[0]]
        for slot, piece in zip(self._slots, self._pieces[1:]):
            if slot is HEAD:
                out.append(f"<style>{rules}</style>")
            elif slot is BODY:
                out.append('<div class="pad"></div>' if pad else "")
            else:
                out.append(self._link(slot, page_map, keep, same))
            out.append(piece)
        return "".join(out)

    def unknown(self, page_map: PageMap) -> bool:
        """Whether a link shows the page of an anchor the map does not have."""
        return any(isinstance(slot, _Link) and _numbered(slot.target) and
                   page_map.label(slot.target) == UNKNOWN_PAGE for slot in self._slots)

    def _link(self, link: _Link, page_map: PageMap, keep: Collection[str],
              same: set[str]) -> str:
        attrs = dict(link.attrs)
        target = link.target
        if target not in self.ids:
            attrs["href"] = f"qabook:{target}"
        ident = attrs.get("id")
        here = page_map.anchors.get(ident or "")
        if here is not None and here == page_map.anchors.get(target) and ident not in keep:
            same.add(ident)
            if (attrs.get("class") or "").startswith("xref"):
                attrs["class"] = "xref same-page" + attrs["class"][len("xref"):]
        if _numbered(target):
            attrs["data-page"] = page_map.label(target)
        return markup.start_tag("a", attrs)


def _numbered(target: str) -> bool:
    """Whether a link to target shows its page (not a citation or a footnote)."""
    return not target.startswith(("ref-", "fn"))


HEAD, BODY = "head", "body"  #: the slots of the page rules and the pad page
