"""The tagged print PDF (PDF/UA-1 as the target): each chunk's structure tree as WeasyPrint
writes it, with qabook's roles, merged into one tree for the book.

In the layout worker (`install`, once; `tagging`, around each chunk's write), WeasyPrint 70
tags the chunk (`pdf_tags=True`: headings, paragraphs, lists, tables, figures with their
`alt`, links with their annotations). Three things it cannot do are done here, from
attributes the print HTML carries (render/print_html.py):

- `data-pdf-role="Formula"` makes an element one Formula whose content is all the marked
  content inside it (the drawing and its transparent linear text), with `data-pdf-alt` as
  /Alt (words a screen reader speaks) and `data-pdf-actualtext` as /ActualText;
- `data-pdf-role="Note"` makes a footnote a Note, with its id as /ID (in the IDTree);
- running heads and folios (margin boxes) are marked as pagination artifacts: WeasyPrint
  tags them and leaves their elements out of the tree.

Table header ids (WeasyPrint numbers them per chunk) get a prefix of the chunk's HTML
digest (page markers left out), so that the book's ids stay unique; an empty inline (a page
marker's span) makes no element, so the markers leave the PDF as it was; the Span WeasyPrint makes for each run of text
gives way to its marked content in the parent; a heading or paragraph never holds one of its
own kind (an anonymous block repeats its element's tag).

In the merge (`tag_book`), every chunk's elements go, in reading order, into one Document
of one StructTreeRoot; the parent tree is renumbered (pages' /StructParents, annotations'
/StructParent, ParentTreeNextKey); elements of pad pages (dropped) are dropped with them and
blank pages carry no content; the IDTrees are merged. Every link annotation says where it
goes (/Contents), and the catalog gets MarkInfo and XMP metadata.
"""

from __future__ import annotations

import contextlib
import hashlib
import re

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from qabook.render.pages import ATTRIBUTE as MARK
from qabook.words import Words, words

PAGINATION = "/Pagination"
SPAN_KEYS = {"Type", "S", "K", "Pg", "P"}  #: a Span WeasyPrint made for one run of text
#: elements that never hold one of their own kind
NESTLESS = {"/H1", "/H2", "/H3", "/H4", "/H5", "/H6", "/P", "/Caption", "/Lbl"}
_STATE: dict = {"prefix": "", "streams": {}, "ids": []}
#: the page markers in a chunk's HTML (render/pages.py): an empty span, or an attribute
MARKERS = re.compile(rf'<span {MARK}="[^"]*"></span>| {MARK}="[^"]*"')


# ---------------------------------------------------------------------------------------
# In the layout worker: roles, alternate texts, artifacts


def install() -> None:
    """Teach WeasyPrint's tagger qabook's roles (once per process)."""
    import weasyprint.pdf
    from weasyprint.pdf import tags

    if getattr(tags._build_box_tree, "qabook", False):
        return
    original_tree, original_add = tags._build_box_tree, weasyprint.pdf.add_tags

    def build_box_tree(box, parent, pdf, page_number, nums, annotations, marks):
        yield from _tagged(original_tree, box, parent, pdf, page_number, nums, annotations,
                           marks)

    def add_tags(pdf, document, pdf_version, page_streams):
        _STATE["streams"] = {id(stream._tags): stream for stream in page_streams}
        _STATE["heights"] = [page.height for page in document.pages]
        _STATE["ids"] = []
        try:
            original_add(pdf, document, pdf_version, page_streams)
            _finish_chunk(pdf)
        finally:
            _STATE["streams"] = {}

    build_box_tree.qabook = True
    tags._build_box_tree = build_box_tree  # its recursion goes through the module's name
    weasyprint.pdf.add_tags = add_tags


@contextlib.contextmanager
def tagging(html: str):
    """Around the write of one chunk: its table header ids are made unique in the book (by
    the digest of its HTML without the page markers, which must not change the print)."""
    _STATE["prefix"] = hashlib.sha256(MARKERS.sub("", html).encode("utf-8")).hexdigest()[:10]
    try:
        yield
    finally:
        _STATE["prefix"] = ""


def _tagged(original, box, parent, pdf, page_number, nums, annotations, marks):
    import pydyf
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout.absolute import AbsolutePlaceholder

    if isinstance(box, AbsolutePlaceholder):
        box = box._box
    if isinstance(box, boxes.MarginBox):
        before = set(nums)
        yield from original(box, parent, pdf, page_number, nums, annotations, marks)
        _artifacts(set(nums) - before, nums, marks)
        return
    if isinstance(box, boxes.InlineBox) and not box.children and not box.link_annotation:
        # an empty inline (a page marker's span, render/pages.py) holds no content: no
        # element, not even an object (a later table's header ids count objects)
        return
    element = box.element
    role = element.get("data-pdf-role") if element is not None and isinstance(
        element.tag, str) and "::" not in (box.element_tag or "") else None
    if role == "Formula":
        yield _formula(box, parent, pdf, page_number, nums, marks, pydyf, boxes)
        return
    for made in original(box, parent, pdf, page_number, nums, annotations, marks):
        if made.get("S") in NESTLESS and made.get("S") == parent.get("S"):
            # an anonymous block inside a heading or paragraph (a block child of <h1>)
            # repeats its element's tag: one H1 inside another is no outline
            made["S"] = "/NonStruct"
        if made.get("S") == "/Figure" and isinstance(box, boxes.ReplacedBox):
            made["A"]["BBox"] = _bbox(box, page_number, pydyf)
        if role == "Note" and made.get("S") == "/Span":
            made["S"] = "/Note"
            made["ID"] = pydyf.String(element.get("id", ""))
        yield made


def _formula(box, parent, pdf, page_number, nums, marks, pydyf, boxes):
    """One Formula element holding every marked content inside the box."""
    element = box.element
    formula = pydyf.Dictionary({
        "Type": "/StructElem", "S": "/Formula", "K": pydyf.Array([]),
        "Pg": pdf.page_references[page_number], "P": parent.reference,
        "Alt": pydyf.String(element.get("data-pdf-alt", "")),
        "ActualText": pydyf.String(element.get("data-pdf-actualtext", "")),
    })
    pdf.add_object(formula)
    stack = [box]
    while stack:
        current = stack.pop()
        if isinstance(current, (boxes.TextBox, boxes.ReplacedBox)):
            kid = marks.pop(current, None)
            if kid is not None:
                formula["K"].append(kid["mcid"])
                nums[kid["mcid"]] = formula.reference
            if isinstance(current, boxes.ReplacedBox):
                formula["A"] = pydyf.Dictionary({"O": "/Layout",
                                                 "BBox": _bbox(current, page_number, pydyf)})
        stack.extend(reversed(getattr(current, "children", ())))
    return formula


def _bbox(box, page_number: int, pydyf):
    """A box's content box in PDF points from the page's bottom left (WeasyPrint writes
    CSS pixels from the top left)."""
    height = _STATE["heights"][page_number]
    x, y = box.content_box_x(), box.content_box_y()
    return pydyf.Array([round(v * 0.75, 3) for v in
                        (x, height - y - box.height, x + box.width, height - y)])


def _artifacts(mcids: set[int], nums: dict, marks: dict) -> None:
    """Marked content of a margin box (running head, folio) becomes a pagination artifact,
    and leaves the parent tree (its slot stays, as null: the slots are positional)."""
    import pydyf

    if not mcids:
        return
    stream = _STATE["streams"].get(id(marks))
    if stream is None:
        return
    operations = stream.stream
    for index, item in enumerate(operations):
        if isinstance(item, pydyf.Dictionary) and item.get("MCID") in mcids:
            operations[index - 1] = "/Artifact"
            operations[index] = pydyf.Dictionary({"Type": PAGINATION})
    for mcid in mcids:
        nums[mcid] = "null"


def _finish_chunk(pdf) -> None:
    """Table header ids unique in the book; every id in the chunk's IDTree."""
    import pydyf

    prefix = _STATE["prefix"]
    renamed: dict[str, str] = {}
    elements = [o for o in pdf.objects if isinstance(o, pydyf.Dictionary)
                and o.get("Type") == "/StructElem"]
    for element in elements:
        if "ID" in element:
            if element.get("S") == "/TH":
                old = _text(element["ID"])
                renamed[old] = f"th-{prefix}-{old}"
                element["ID"] = pydyf.String(renamed[old])
    _inline_spans(pdf, elements)
    ids = []
    for element in elements:
        headers = element.get("A", {}).get("Headers") if isinstance(element.get("A"),
                                                                    dict) else None
        if headers:
            element["A"]["Headers"] = pydyf.Array(
                pydyf.String(renamed.get(_text(h), _text(h))) for h in headers)
        if "ID" in element:
            ids.append((_text(element["ID"]), element.reference))
    if not ids:
        return
    root = pdf.objects[int(pdf.catalog["StructTreeRoot"].split()[0])]
    root["IDTree"] = pydyf.Dictionary({"Names": pydyf.Array(
        item for name, ref in sorted(ids) for item in (pydyf.String(name), ref))})


def _inline_spans(pdf, elements) -> None:
    """WeasyPrint gives every run of text a Span element of its own (two thirds of a book's
    elements): a Span holding one marked content of its parent's page, and nothing else,
    gives way to that marked content in its parent (the tree reads the same; the book loses
    about 10,000 objects)."""
    import pydyf

    def target(ref):
        return pdf.objects[int(ref.split()[0])] if isinstance(ref, bytes) else None

    owner: dict[bytes, bytes] = {}  # a Span's reference -> its parent's
    for element in elements:
        kids = element.get("K")
        if element.get("S") == "/Link" or not isinstance(kids, list):
            continue
        for index, ref in enumerate(kids):
            span = target(ref)
            if span is not None and span.get("Type") == "/StructElem" and \
                    span.get("S") == "/Span" and set(span) == SPAN_KEYS and \
                    len(span["K"]) == 1 and isinstance(span["K"][0], int) and \
                    span["Pg"] == element.get("Pg"):
                kids[index] = span["K"][0]
                owner[ref] = element.reference
    if not owner:
        return
    root = pdf.objects[int(pdf.catalog["StructTreeRoot"].split()[0])]
    mapping = pdf.objects[int(root["ParentTree"].split()[0])]
    for entry in mapping["Nums"]:
        if isinstance(entry, list):
            entry[:] = pydyf.Array(owner.get(ref, ref) for ref in entry)


def _text(value) -> str:
    """The text of a pydyf String (or of a str)."""
    return value.string if hasattr(value, "string") else str(value)


# ---------------------------------------------------------------------------------------
# In the merge: one tree for the book


def tag_book(book: pikepdf.Pdf, placed: list[tuple[pikepdf.Pdf, int, bool]],
             describe: dict[str, str], metadata: dict[str, str], language: str) -> None:
    """Merge every chunk's structure tree into the book's, in reading order.

    placed: each chunk's PDF, the book index of its first page kept, and whether its first
    page is a pad page (dropped); describe: where each named destination is, in words
    ("Q17 …, page 52"), for the links' /Contents, which say words in the book's language.
    """
    document = book.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document))
    root = book.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document])))
    document.P = root
    kids: list = []
    nums: list = []
    ids: list = []
    next_key = 0
    for source, first, pad in placed:
        tree = source.Root.get("/StructTreeRoot")
        if tree is None:
            continue
        found = _chunk_tree(source, tree, int(pad))
        if found is None:
            continue
        chunk_kids, pages, annots, chunk_ids = found
        # one copy for the chunk, so that each of its objects is copied once
        bundle = source.make_indirect(Array([Array(chunk_kids), Array([v for _, v in pages]),
                                             Array([v for _, _, v in annots]),
                                             Array([v for _, v in chunk_ids])]))
        copied = book.copy_foreign(bundle)
        for kid in copied[0]:
            kid.P = document
            kids.append(kid)
        for (index, _), value in zip(pages, copied[1]):
            book.pages[first + index - int(pad)].obj.StructParents = next_key
            nums += [next_key, value]
            next_key += 1
        book_pages = [page.obj for page in book.pages]
        for (index, position, _), value in zip(annots, copied[2]):
            annotation = book_pages[first + index - int(pad)].Annots[position]
            annotation.StructParent = next_key
            nums += [next_key, value]
            next_key += 1
        ids += [(name, value) for (name, _), value in zip(chunk_ids, copied[3])]
    document.K = Array(kids)
    root.ParentTree = book.make_indirect(Dictionary(Nums=Array(nums)))
    root.ParentTreeNextKey = next_key
    if ids:
        root.IDTree = book.make_indirect(Dictionary(Names=Array(
            [item for name, value in sorted(ids, key=lambda pair: pair[0])
             for item in (String(name), value)])))
    book.Root.StructTreeRoot = root
    book.Root.MarkInfo = Dictionary(Marked=True)
    _describe_links(book, describe, words(language))
    _xmp(book, metadata, language)


def _chunk_tree(source: pikepdf.Pdf, tree, skip: int):
    """A chunk's top-level elements, parent-tree entries and ids, without its pad page:
    (kids, [(page index, entry)], [(page index, annotation position, entry)], [(id, elem)])
    with page indexes in the chunk."""
    document = tree.K[0] if isinstance(tree.K, Array) else tree.K
    pad_pages = {source.pages[i].obj.objgen for i in range(skip)}
    kids = []
    for kid in document.get("/K", Array()):
        page = kid.get("/Pg")
        if page is not None and page.objgen in pad_pages:
            continue
        if "/P" in kid:
            del kid.P  # it is given the book's Document instead
        kids.append(kid)
    entries = {}
    flat = list(tree.ParentTree.get("/Nums", Array()))
    for number, value in zip(flat[::2], flat[1::2]):
        entries[int(number)] = value
    pages, annots = [], []
    for index, page in enumerate(source.pages):
        if index < skip:
            continue
        key = page.obj.get("/StructParents")
        if key is not None and int(key) in entries:
            pages.append((index, entries[int(key)]))
        for position, annotation in enumerate(page.obj.get("/Annots", Array())):
            key = annotation.get("/StructParent")
            if key is not None and int(key) in entries:
                annots.append((index, position, entries[int(key)]))
    ids = []
    names = list(tree.get("/IDTree", Dictionary()).get("/Names", Array()))
    for name, value in zip(names[::2], names[1::2]):
        page = value.get("/Pg")
        if page is None or page.objgen not in pad_pages:
            ids.append((str(name), value))
    return kids, pages, annots, ids


def _describe_links(book: pikepdf.Pdf, describe: dict[str, str], say: Words) -> None:
    """Every link annotation says where it goes (PDF/UA: /Contents on every annotation)."""
    for page in book.pages:
        for annotation in page.obj.get("/Annots", Array()):
            if annotation.get("/Subtype") != Name.Link:
                continue
            dest = annotation.get("/Dest")
            action = annotation.get("/A")
            if isinstance(dest, String):
                where = describe.get(str(dest)) or say.say("another page")
                annotation.Contents = String(say.say("Go to {where}", where=where))
            elif action is not None and action.get("/S") == Name.URI:
                annotation.Contents = String(say.say("Open {url}", url=str(action.URI)))
        if "/Annots" in page.obj:
            page.obj.Tabs = Name.S


def _xmp(book: pikepdf.Pdf, metadata: dict[str, str], language: str) -> None:
    """XMP metadata from the document information (title, authors, subject, dates)."""
    with book.open_metadata(set_pikepdf_as_editor=False) as xmp:
        xmp.load_from_docinfo(book.docinfo)
        xmp["dc:language"] = [language]
