"""Page flow a typesetter would accept, decided from the chunk's own layout.

WeasyPrint 70 has no page floats: a figure or table that does not fit where it stands goes to
the next page and leaves a hole. The layout worker (pdf_layout.lay_out) lays the chunk out,
hands each layout to a `Flow`, and lays out again while the flow changes the chunk's HTML:

1. **Floats.** A page that ends with a hole (more than HOLE of its text block empty) because
   the figure or table heading the next page did not fit: the float (with the floats right
   after it) is moved after the blocks that now fill the hole (past a paragraph or list,
   which then breaks across the pages; never past another float, nor a block holding one
   (a figure in a list item, a table in an exercise), so figures keep their
   order; never right after a heading), as LaTeX sends a float to the next page's top. It
   stays in its question: into the quiz, past its first exercise at most. A long listing
   that leaves such a hole is let break across the pages instead. A move after which
   WeasyPrint sets a footnote on the page after its call is taken back. At most
   FLOAT_LAYOUTS layouts are spent on this.
2. **Stacks.** A float moved on past all the text its page could hold still leaves that page
   more than LIMIT empty (nothing but the quiz followed it): when that page already shows a
   float, the moved float is put right under it, the text that followed them after both
   (LaTeX stacks floats at a page's top the same way); when it shows none, the float is
   raised into it, after the last paragraph (of its answer or quiz, not a heading) under
   which it fits, and the text after that paragraph flows on below it (LaTeX sets a float
   on the page that calls it the same way). Kept only if it leaves fewer such pages.
3. **Runts.** A chunk whose last page holds RUNT_LINES lines or fewer, less than RUNT_FILL of
   its text block, or only one quiz box: the chunk is set a little tighter (`flow-tight-1`,
   then `flow-tight-2`: less space between blocks, then a slightly smaller leading; see
   book.css), and failing that more is carried over to its last page (the widows of the
   paragraph it continues, or the block before its first, with the heading above it), as
   set or a little looser (`flow-loose`). A cure is kept only when it leaves no new page
   more than LIMIT empty (SECTION_LIMIT before a quiz it carries over: a runt is worse).

4. **Float pages.** A page before the last that holds nothing but figures and still
   leaves more than LIMIT of its text block empty (the quiz after them did not fit) is set
   as LaTeX sets a float page: the empty space is shared out above, between and below its
   figures (a padding over each). Kept only if the pages stay as they were and the hole
   goes.

Every decision is read off the layout of the chunk's HTML and recorded as a move
(`Flow.moves`): a style, a body class, floats put after a block, each naming blocks by their
place in document order. The search is run on the chunk's *canonical* form (pdf_plan:
every page number unknown, no pad page), and its moves are replayed (`replay`) on the chunk
as printed, whatever its page numbers: a new page number elsewhere in the book then costs
one layout, not a new search, and the chunk keeps its page count from pass to pass. The
result stays a pure function of the chunk's content and page numbers (incremental and clean
builds agree). The HTML is only re-written (lxml) for a chunk that needs a change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import SequenceMatcher

import lxml.html
from lxml import etree
from weasyprint.formatting_structure import boxes

HOLE = 0.15  #: the most of a text block a page may leave empty before a float it pushes on
LIMIT = 0.20  #: the most of a text block a cure for a runt may leave empty on another page
#: ... or before a section (a quiz) it carries onto the last page: a runt is worse
SECTION_LIMIT = 0.30
RUNT_LINES = 3  #: a chunk's last page with no more lines than this is a runt
RUNT_FILL = 0.15  #: ... or filled less than this (a lone quiz box)
FLOAT_LAYOUTS = 3  #: extra layouts spent moving floats
TIGHT = ("flow-tight-1", "flow-tight-2")  #: body classes, each set tighter (book.css)
#: a body class set looser, so that the pages before the last carry more onto it
LOOSE = "flow-loose"
#: elements the flow knows by their place in document order (in both parsers' trees)
BLOCKS = frozenset({"p", "li", "ul", "ol", "div", "figure", "table", "pre", "section", "h1",
                    "h2", "h3", "h4", "h5", "h6", "blockquote", "nav", "dl"})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: what breaks across pages, and so can fill a hole however tall it is
BREAKABLE = frozenset({"p", "ul", "ol", "blockquote", "dl"})
APART = (boxes.MarginBox, boxes.FootnoteAreaBox)
#: the most extra layouts a chunk may take
MAX_LAYOUTS = FLOAT_LAYOUTS + len(TIGHT) + 3


def is_float(tag: str, parent_tag: str | None) -> bool:
    return tag == "figure" or (tag == "table" and parent_tag != "figure")


@dataclass
class _Page:
    """What the flow needs of one laid-out page (CSS pixels, from the page's top)."""

    top: float  #: the text block's top
    bottom: float  #: the text block's bottom (above the footnotes, when there are some)
    end: float | None  #: where its content ends, None for a page without content
    lines: int  #: lines of text (not in footnotes or margins)
    #: document-order index of each block seen on this page -> (its top, its bottom)
    blocks: dict[int, tuple[float, float]] = field(default_factory=dict)

    @property
    def hole(self) -> float:
        if self.end is None:
            return 0.0
        return max(0.0, self.bottom - self.end) / (self.bottom - self.top)


class Flow:
    """The chunk's HTML as the flow has changed it so far, and what it still means to try."""

    def __init__(self, html: str):
        self.html = html
        self.layouts = 0  #: extra layouts asked for
        self._tree = None
        self._parsed = None  #: the HTML _tree was parsed from (or serialised to)
        self._done: list = []  #: the moves that made _tree from the chunk's HTML
        self._moves_of = {html: ()}  #: each HTML the flow made -> the moves that made it
        self._order: list = []  #: BLOCKS elements of _tree in document order
        self._base = None  #: (html, document, pages) before a runt fix was tried
        self._tries: list = []  #: runt fixes not tried yet
        self._chosen = None
        self._limit = LIMIT
        #: the floats (by their rank among the floats, which never pass each other) and
        #: listings (by their place) changed by the last move, and those never to change
        #: again (their move was taken back)
        self._moved: set = set()
        self._stuck: set = set()
        self._undo = None  #: the HTML before the last move, if its layout stranded no note
        self._stacking = False  #: the cure being tried puts a float under another one
        #: (html, document, pages) before float pages were spread, while that is judged
        self._spread = None

    @property
    def moves(self) -> tuple:
        """The moves that make self.html from the chunk's HTML (see replay)."""
        return self._moves_of[self.html]

    # -- the loop (see pdf_layout.lay_out) ----------------------------------------------

    def floats(self, document, calls: frozenset[int] = frozenset()) -> bool:
        """Whether, judging by `document` (the layout of self.html), a float was moved: then
        self.html is to be laid out again. calls are the pages whose footnotes WeasyPrint set
        on the next page: it does that when it backtracks to put a float that did not fit
        on the next page, so the first float of the next page is moved on too."""
        if self.layouts >= FLOAT_LAYOUTS or self._base is not None or self._spread:
            return False  # (not while runts are cured: that would undo what they learn)
        pages = _pages(document, self._elements(document))
        before = self.html
        self._moved = set()
        if pages is None or not self._move_floats(pages, calls):
            return False
        self._undo = before if not calls else None
        self._again()
        return True

    def undo(self) -> bool:
        """The layout of self.html strands a footnote (sets it on the page after its call)
        where the layout before the last move did not: whether that move was taken back
        (then self.html is to be laid out again; the floats it moved stay where they were)."""
        if self._undo is None or self._base is not None or self._spread:
            return False
        self.html, self._undo = self._undo, None
        self._stuck |= self._moved
        self._load(self.html)
        self.layouts += 1
        return True

    def _ordinal(self, n: int) -> int:
        """Float n's rank among the chunk's floats."""
        return sum(1 for el in self._order[:n] if _is_float(el))

    @property
    def trying(self) -> bool:
        """Whether the layout asked for last tries a cure for a runt."""
        return (self._base is not None and self.html != self._base[0]) or \
            self._spread is not None

    def runt(self, document, clean: bool = True) -> bool:
        """Whether, judging by `document` (the layout of self.html; not clean when its notes
        strayed), another cure for a runt last page is to be laid out."""
        pages = _pages(document, self._elements(document))
        if self._spread is not None:  # float pages were spread: kept if that closed holes
            html, before, before_pages = self._spread
            if pages is not None and clean and len(pages) == len(before_pages) and \
                    _holes(pages, LIMIT) < _holes(before_pages, LIMIT):
                return self._settle(document)
            self.html = html
            return self._settle(before)
        if pages is None:
            return self._settle(document)
        if self._base is None:
            if not _is_runt(pages, document):
                stack = self._stack(pages)
                if stack is None:
                    return self._settle(document, pages)
                self._base = (self.html, document, pages)
                self._tries = [("stack", stack)]
                return self._try_next()
            self._base = (self.html, document, pages)
            self._tries = [("tight", name) for name in TIGHT] + [("carry", None),
                                                                   ("carry", LOOSE)]
            return self._try_next()
        _, _, base_pages = self._base
        fewer = _holes(pages, self._limit) < _holes(base_pages, self._limit) if \
            self._stacking else _holes(pages, self._limit) <= _holes(base_pages, self._limit)
        if clean and not _is_runt(pages, document) and len(pages) <= len(base_pages) and fewer:
            return self._settle(document, pages)
        return self._try_next()

    def chosen(self, document):
        """The layout to keep: `document`, or the one before the cures that did not work."""
        if self._chosen is None and self._spread is not None:  # out of layouts meanwhile
            self.html = self._spread[0]
            return self._spread[1]
        if self._chosen is None and self.trying:  # out of layouts in the middle of a try
            self.html = self._base[0]
            return self._base[1]
        return self._chosen if self._chosen is not None else document

    def _settle(self, document, pages: list[_Page] | None = None) -> bool:
        """Keep document (the layout of self.html), unless its pages (given when they may
        be spread: not while a spread is judged) have float pages to spread: then whether
        the spread is to be laid out."""
        if pages is not None and self.layouts < MAX_LAYOUTS:
            self._load(self.html)  # (the tree of these pages)
            moves = self._float_pages(pages)
            if moves:
                self._spread = (self.html, document, pages)
                self._undo = None
                for move in moves:
                    self._make(move)
                self._again()
                return True
        self._spread = None
        self._chosen = document
        return False

    def _float_pages(self, pages: list[_Page]) -> list[tuple]:
        """The moves that share out the hole of each page (before the last) that holds
        nothing but figures (no text carried over from the page before, no table: a
        collapsed table takes no padding): a padding over each, the same below the last."""
        moves = []
        for i, page in enumerate(pages[:-1]):
            if page.end is None or page.hole <= LIMIT:
                continue
            carried = [n for n in page.blocks if i > 0 and n in pages[i - 1].blocks]
            starting = [n for n in sorted(page.blocks) if n not in carried
                        and not any(_is_float(up) for up in self._order[n].iterancestors())]
            shown = [n for n in starting if not (n in pages[i + 1].blocks and
                                                 self._order[n].tag in ("section", "div"))]
            if not shown or any(self._order[n].tag != "figure" for n in shown) or \
                    any(self._order[n].tag not in ("section", "div") for n in carried):
                continue
            # shared among the gaps above, between and below the figures; a few pixels kept
            # back so that rounding never pushes the last one over
            gap = (page.bottom - page.end - 4) / (len(shown) + 1)
            moves += [("style", n, f"padding-top: {gap:.2f}px") for n in shown]
        return moves

    def _try_next(self) -> bool:
        html, document, pages = self._base
        while self._tries:
            kind, arg = self._tries.pop(0)
            self._load(html)
            self._limit = LIMIT
            self._stacking = kind == "stack"
            if kind == "stack":
                self._make(arg)
            elif arg:
                self._make(("class", arg))
            if kind in ("tight", "stack") or self._carry_over(pages):
                self._again()
                return True
        self.html = html  # nothing cured it: as it was
        return self._settle(document, pages)

    def _again(self) -> None:
        self.layouts += 1
        self.html = serialise(self._tree)
        self._parsed = self.html
        self._moves_of[self.html] = tuple(self._done)

    def _make(self, move: tuple) -> None:
        """Make a move on _tree (see _apply), and remember it. The tree then holds no HTML
        the flow has (until _again serialises it): _load parses anew."""
        self._order = _apply(self._tree, self._order, move)
        self._done.append(move)
        self._parsed = None

    # -- the chunk's tree --------------------------------------------------------------

    def _load(self, html: str) -> None:
        """Parse html (unless _tree already holds it and may be changed in place)."""
        if self._tree is None or self._parsed != html:
            self._tree = lxml.html.document_fromstring(html)
            self._order = _order(self._tree)
            self._parsed = html
            self._done = list(self._moves_of[html])

    def _elements(self, document) -> dict | None:
        """WeasyPrint's elements -> their index in document order, or None when its tree and
        lxml's do not hold the same blocks in the same order."""
        self._load(self.html)
        root = document.pages[0]._page_box.children[0].element if document.pages else None
        if root is None:
            return None
        theirs = _order(root)
        if [el.tag for el in theirs] != [el.tag for el in self._order]:
            return None
        return {id(el): n for n, el in enumerate(theirs)}

    # -- floats ------------------------------------------------------------------------

    def _move_floats(self, pages: list[_Page], calls: frozenset[int]) -> bool:
        """Move each float that leaves a hole before it (or that strands a footnote); whether
        any moved."""
        moved = False
        placed: set[int] = set()
        for i in range(len(pages) - 1):
            page, after = pages[i], pages[i + 1]
            stranding = i in calls
            if page.end is None or (page.hole <= HOLE and not stranding):
                continue
            room = page.bottom - page.end
            for n in sorted(after.blocks):
                element = self._order[n]
                if n in page.blocks:
                    continue  # it began on the page of the hole
                offset = after.blocks[n][0] - after.top
                if offset >= room and not stranding:
                    break  # what precedes it would not fill the hole either
                if _is_code(element) and not stranding and ("pre", n) not in self._stuck and \
                        after.blocks[n][1] - after.blocks[n][0] > room:
                    self._moved.add(("pre", n))
                    self._make(("style", n, "break-inside: auto"))  # a long listing breaks
                    moved = True
                    break
                if n in placed or not _is_float(element) or self._ordinal(n) in self._stuck:
                    continue
                if self._defer(n, max(0.0, room - offset), pages, eager=stranding):
                    placed.add(n)
                    self._moved.add(self._ordinal(n))
                    moved = True
                break
        return moved

    def _defer(self, n: int, room: float, pages: list[_Page], eager: bool = False) -> bool:
        """Move float n (and the floats right after it, in their order) after the blocks
        that fill `room` (eager: at least past the first paragraph or list); whether it
        moved. It never lands right after a heading, nor passes another float."""
        group = [self._order[n]]
        following = list(_following(group[0]))
        while following and _is_float(following[0]):
            group.append(following.pop(0))
        taken: list = []
        for block in following:
            if _holds_float(block) or ("exercise" in (block.get("class") or "").split() and
                                    any("exercise" in (t.get("class") or "") for t in taken)):
                break  # (into a quiz, past its first exercise at most)
            height = _height(self._order.index(block), pages)
            fits = height <= room
            if fits or block.tag in BREAKABLE or eager:
                taken.append(block)
                room -= height
            if not fits and (block.tag in BREAKABLE or not eager):
                break  # it fills the page, or would not fit in it
        while taken and taken[-1].tag in HEADINGS:
            taken.pop()
        if not taken:
            return False
        self._make(("move", tuple(self._order.index(el) for el in group),
                    self._order.index(taken[-1])))
        return True

    def _stack(self, pages: list[_Page]) -> tuple | None:
        """The move that may close the first hole a float left (more than LIMIT of a page
        before the last empty, the next page headed by a float that did not fit there): when
        that page shows a float of its own, the float put right under that one, the text
        that followed it after them both (as LaTeX stacks floats); when it shows none, the
        float raised into it, after the last of its blocks under which it fits, the text
        that followed that block after it (as LaTeX sets a float at the top of the page
        that calls it, or here). None when there is none."""
        for i in range(len(pages) - 1):
            page, after = pages[i], pages[i + 1]
            if page.end is None or page.hole <= LIMIT:
                continue
            floats = [n for n in page.blocks if _is_float(self._order[n]) and
                      not (i > 0 and n in pages[i - 1].blocks)]
            first, below = min(floats, default=None), _heading_float(after, self._order)
            if below is None or (first is not None and below <= first):
                continue
            group = [self._order[below], *_following_floats(self._order[below])]
            if any(self._ordinal(self._order.index(el)) in self._stuck for el in group):
                return None
            if first is None:
                under = self._raised(page, after, group)
                if under is None:
                    continue
            else:
                under = self._order.index(
                    [self._order[first], *_following_floats(self._order[first])][-1])
            return ("move", tuple(self._order.index(el) for el in group), under)
        return None

    def _raised(self, page: _Page, after: _Page, group: list) -> int | None:
        """The last block of page (one that ends there, before the floats of group in the
        same answer or quiz, not a heading) under which they all fit, or None."""
        height = sum(_height(self._order.index(el), [after]) for el in group)
        home = group[0].getparent()  # (the answer, the quiz, or a section of the answer)
        while home.tag == "section" and "quiz" not in (home.get("class") or "").split() and \
                home.getparent().getparent().tag != "body":
            home = home.getparent()
        # the blocks before the floats in reading order (so in document order too)
        ahead = {id(block) for block in _preceding(group[0]) if home in block.iterancestors()}
        fitting = [n for n, (_, bottom) in page.blocks.items()
                   if n not in after.blocks and id(self._order[n]) in ahead
                   and self._order[n].tag not in HEADINGS and not _holds_float(self._order[n])
                   and bottom + height <= page.bottom - 1]
        return max(fitting, default=None)

    # -- runts -------------------------------------------------------------------------

    def _carry_over(self, pages: list[_Page]) -> bool:
        """Carry more onto the last page: more lines of the paragraph it continues (its
        widows), or else the block before its first one (with the heading above it)."""
        last, before = pages[-1], pages[-2]
        continued = [n for n in last.blocks if n in before.blocks and self._order[n].tag == "p"]
        if continued:
            self._make(("style", max(continued), f"widows: {RUNT_LINES + 2}"))
            return True
        starting = [self._order[n] for n in sorted(last.blocks) if n not in before.blocks]
        if not starting:
            return False
        target = starting[0].getprevious()
        while target is not None and not _is_block(target):
            target = target.getprevious()
        if target is None or target.tag in HEADINGS:
            return False
        while True:
            above = target.getprevious()
            if above is not None and above.tag in HEADINGS:
                target = above
            elif above is None and target.getparent().tag == "section" and \
                    target.getparent().getparent().tag != "body":
                target = target.getparent()  # (a quiz, from its title on)
                self._limit = SECTION_LIMIT
            else:
                break
        self._make(("style", self._order.index(target), "break-before: page"))
        return True


def replay(html: str, moves: tuple) -> str:
    """html with the page flow's moves made (Flow.moves, found on a chunk of the same
    blocks); html itself when there are none."""
    if not moves:
        return html
    tree = lxml.html.document_fromstring(html)
    order = _order(tree)
    for move in moves:
        order = _apply(tree, order, move)
    return serialise(tree)


def rebase(moves: tuple, found_on: str, html: str) -> tuple | None:
    """The moves found on the HTML found_on, naming the same blocks of html: an edit that
    added or removed blocks before a moved float shifts the places the moves name. The
    blocks are paired by a diff of their tags, attributes and text (a changed block is paired
    with the one in its place when as many stand there); each move is made on both trees in
    turn, since a move changes the places later moves name. None when a block a move names
    has no pair (or is not there: the moves were found on other HTML)."""
    if not moves:
        return ()
    old_tree, new_tree = (lxml.html.document_fromstring(text) for text in (found_on, html))
    old, new = _order(old_tree), _order(new_tree)
    matcher = SequenceMatcher(None, [_signature(e) for e in old], [_signature(e) for e in new],
                              autojunk=False)
    pair = {}
    for op, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and old_end - old_start == new_end - new_start):
            pair.update(zip(old[old_start:old_end], new[new_start:new_end]))
    rebased = []
    for move in moves:
        kind, *args = move
        try:
            if kind == "style":
                moved = ("style", new.index(pair[old[args[0]]]), args[1])
            elif kind == "move":
                moved = ("move", tuple(new.index(pair[old[n]]) for n in args[0]),
                         new.index(pair[old[args[1]]]))
            else:
                moved = move
        except (KeyError, IndexError):  # a block with no pair; a place past the blocks
            return None
        rebased.append(moved)
        old, new = _apply(old_tree, old, move), _apply(new_tree, new, moved)
    return tuple(rebased)


def _signature(element) -> tuple:
    """What pairs a block with its twin in another version of the chunk."""
    return element.tag, tuple(element.attrib.items()), element.text_content()


def _apply(tree, order: list, move: tuple) -> list:
    """Make one move on tree (its blocks in document order are `order`): ("style", n, css)
    adds a declaration to block n, ("class", name) a class to the body, ("move", group, n)
    puts the blocks of group, in their order, after block n. The blocks' order after it."""
    kind, *args = move
    if kind == "style":
        add_style(order[args[0]], args[1])
    elif kind == "class":
        body = tree.find("body")
        body.set("class", " ".join([*(body.get("class") or "").split(), args[0]]))
    else:
        group, after = args
        for element in reversed([order[n] for n in group]):
            order[after].addnext(element)  # lxml moves it (its tail stays where it was)
        return _order(tree)
    return order


def _order(tree) -> list:
    """The blocks of tree in document order."""
    return [el for el in tree.iter() if _is_block(el)]


def _is_code(element) -> bool:
    """A listing (pre, unbreakable in book.css) that has not been let break yet."""
    return element.tag == "pre" and "break-inside" not in (element.get("style") or "")


def add_style(element, declaration: str) -> None:
    """Add a CSS declaration to an element's style attribute."""
    style = element.get("style")
    element.set("style", (style + "; " if style else "") + declaration)


def _following(element):
    """The blocks after element within its chunk's part (a question, a matter, an
    appendix), in reading order: its siblings, then its parent's, looking into sections
    and the answer (a quiz's exercises are blocks of their own)."""
    while element is not None and element.tag != "body":
        for sibling in element.itersiblings():
            yield from _blocks(sibling)
        element = element.getparent()
        if element is None or element.tag == "body" or element.getparent().tag == "body":
            return


def _preceding(element) -> list:
    """The blocks before element within its chunk's part, in reading order (those after
    which _following would reach it)."""
    part = element
    while part.getparent() is not None and part.getparent().tag != "body":
        part = part.getparent()
    out = []
    for block in _blocks(part) if part is not element else ():
        if block is element:
            break
        out.append(block)
    return out


def _blocks(element):
    if not _is_block(element):
        return
    if element.tag == "section" or "answer" in (element.get("class") or "").split():
        for child in element:
            yield from _blocks(child)
    else:
        yield element


def _heading_float(page: _Page, order: list) -> int | None:
    """The float at the top of page (nothing above it but the sections holding it), or
    None."""
    floats = [n for n, (top, _) in page.blocks.items()
              if _is_float(order[n]) and top <= page.top + 1]
    return min(floats) if floats else None


def _following_floats(element) -> list:
    """The floats right after element (before any other block)."""
    out = []
    for block in _following(element):
        if not _is_float(block):
            break
        out.append(block)
    return out


def _is_float(element) -> bool:
    parent = element.getparent()
    return is_float(element.tag, parent.tag if parent is not None else None)


def _holds_float(element) -> bool:
    """Whether the block is a float or holds one (a figure in a list item, a table in an
    exercise): a float moved past it would print out of its numbered order."""
    return any(_is_float(el) for el in element.iter() if isinstance(el.tag, str))


def _is_block(element) -> bool:
    """A block the flow knows by its place; not the pad page (pdf_plan), which the canonical
    form of a chunk does not have."""
    return isinstance(element.tag, str) and element.tag in BLOCKS and \
        element.get("class") != "pad"


def _height(n: int, pages: list[_Page]) -> float:
    return sum(bottom - top for page in pages for k, (top, bottom) in page.blocks.items()
               if k == n)


def _holes(pages: list[_Page], limit: float) -> int:
    """Pages before the last that leave more than limit of their text block empty."""
    return sum(page.hole > limit for page in pages[:-1])


def _is_runt(pages: list[_Page], document) -> bool:
    """Whether the last page holds RUNT_LINES lines or fewer, less than RUNT_FILL of its
    text block, or one quiz box alone."""
    content = [p for p in pages if p.end is not None]
    if len(content) < 2 or pages[-1].end is None:
        return False
    last = pages[-1]
    if last.lines <= RUNT_LINES or (last.end - last.top) < RUNT_FILL * (last.bottom - last.top):
        return True
    kinds = _top_level(document.pages[-1]._page_box)
    return len(kinds) == 1 and "exercise" in kinds[0]


def _top_level(page_box) -> list[list[str]]:
    """The classes of the outermost blocks that hold the page's lines, below the chunk's
    sections (what a reader sees as the page's pieces)."""
    out = []
    stack = [page_box]
    while stack:
        box = stack.pop()
        if isinstance(box, APART):
            continue
        element = box.element
        classes = (element.get("class") or "").split() if element is not None else []
        if isinstance(box, boxes.BlockBox) and element is not None and \
                element.tag not in ("html", "body", "section"):
            out.append(classes)
            continue
        stack.extend(reversed(getattr(box, "children", ())))
    return out


def _pages(document, order: dict | None) -> list[_Page] | None:
    if order is None:
        return None
    out = []
    for page in document.pages:
        page_box = page._page_box
        top = page_box.content_box_y()
        bottom = top + page_box.height
        for child in page_box.children:
            if isinstance(child, boxes.FootnoteAreaBox) and child.children:
                bottom = min(bottom, child.position_y)
        result = _Page(top, bottom, None, 0)
        shown = False  # a line of text or an image
        stack = list(page_box.children)
        while stack:
            box = stack.pop()
            if isinstance(box, APART):
                continue
            stack.extend(getattr(box, "children", ()))
            if isinstance(box, boxes.LineBox) and any(
                    isinstance(c, boxes.TextBox) and c.text.strip() for c in box.descendants()):
                result.lines += 1
            shown = shown or result.lines > 0 or isinstance(box, boxes.ReplacedBox)
            element = box.element
            if element is None or element.tag in ("html", "body"):
                continue
            end = box.border_box_y() + box.border_height()
            # a box broken at this page's foot reaches down to it: only its lines count
            if isinstance(box, (boxes.ReplacedBox, boxes.LineBox, boxes.TableRowBox)) or \
                    (isinstance(box, boxes.BlockBox) and end < bottom - 0.5):
                result.end = end if result.end is None else max(result.end, end)
            n = order.get(id(element))
            if n is not None and isinstance(box, boxes.BlockLevelBox):
                span = (box.position_y, box.position_y + box.margin_height())
                seen = result.blocks.get(n, span)
                result.blocks[n] = (min(seen[0], span[0]), max(seen[1], span[1]))
        if not shown:
            result.end = None
        out.append(result)
    return out


def serialise(tree) -> str:
    """A chunk's tree as the HTML document WeasyPrint reads."""
    return "<!DOCTYPE html>\n" + etree.tostring(tree, encoding="unicode", method="html")
