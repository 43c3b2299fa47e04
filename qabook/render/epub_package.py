"""The EPUB package as parsed XML: what pandoc wrote, put together and finished in place.

Every XHTML file, the navigation and the package document are lxml trees from the moment
they leave pandoc until the zip is written; nothing edits their text. `Package` holds them
with the other entries in zip order; `write()` serialises the trees and derives what follows
from the content (the manifest's `mathml` and `svg` properties) instead of patching it.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Iterator

from lxml import etree

from qabook.render import RenderError

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
OPF = "http://www.idpf.org/2007/opf"
DC = "http://purl.org/dc/elements/1.1/"
MATHML = "http://www.w3.org/1998/Math/MathML"
SVG = "http://www.w3.org/2000/svg"
XML = "http://www.w3.org/XML/1998/namespace"
NS = {"h": XHTML, "epub": OPS, "opf": OPF, "dc": DC, "m": MATHML, "svg": SVG}
EPUB_TYPE = f"{{{OPS}}}type"
XML_LANG = f"{{{XML}}}lang"

#: pandoc's own output, read without entities, DTDs or the network
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          huge_tree=False, remove_blank_text=False)
#: the elements that make a file's body hold content (not just an empty section pandoc adds)
CONTENT = {"p", "div", "figure", "table", "pre", "ul", "ol", "dl", "blockquote", "aside",
           "img", "h2", "h3", "h4", "h5", "h6"}


class PackageError(RenderError):
    """pandoc's EPUB is not shaped the way this module reads it (a bug, not the book's)."""

    def __init__(self, message: str):
        super().__init__(message, code="epub.failed", hint="report a bug")


def parse(data: bytes) -> etree._ElementTree:
    try:
        return etree.ElementTree(etree.fromstring(data, _PARSER))
    except etree.XMLSyntaxError as exc:
        raise PackageError(f"pandoc wrote XML lxml cannot read: {exc}") from None


#: XHTML elements that are empty by nature (written <br/>); any other empty element is
#: written <x></x> as pandoc writes it, so a reader that parses the file as HTML (where
#: <a/> or <span/> opens an element that never closes) reads what an XML reader reads
VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())


def serialise(tree: etree._ElementTree) -> bytes:
    """A tree as its file: the XML declaration, the doctype it was read with, UTF-8."""
    for element in tree.getroot().iter(f"{{{XHTML}}}*"):
        if element.text is None and len(element) == 0 and local(element) not in VOID:
            element.text = ""
    return etree.tostring(tree, xml_declaration=True, encoding="UTF-8")


def h(name: str) -> str:
    """The XHTML element name in Clark notation."""
    return f"{{{XHTML}}}{name}"


def local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def text_of(element: etree._Element) -> str:
    """The element's text content, spaces collapsed."""
    return " ".join("".join(element.itertext()).split())


def remove(element: etree._Element) -> None:
    """Remove an element, keeping the text that follows it (its tail) where it was."""
    parent, tail = element.getparent(), element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)


def has_content(tree: etree._ElementTree) -> bool:
    body = tree.find(h("body"))
    return body is not None and any(
        local(e) in CONTENT for e in body.iter() if e is not body)


def ids(tree: etree._ElementTree) -> set[str]:
    return {value for value in tree.getroot().xpath("//@id")}


class Package:
    """The entries of an EPUB in zip order; the XML ones as trees."""

    def __init__(self, entries: list[tuple[str, bytes]]):
        self.names = [name for name, _ in entries]
        self.data: dict[str, bytes] = {}
        self.trees: dict[str, etree._ElementTree] = {}
        for name, data in entries:
            if name.endswith((".xhtml", ".opf")):
                self.trees[name] = parse(data)
            else:
                self.data[name] = data
        opfs = [name for name in self.names if name.endswith(".opf")]
        if len(opfs) != 1:
            raise PackageError("pandoc's EPUB does not have one package document")
        self.opf_name = opfs[0]
        # pandoc declares xmlns:opf on <metadata> without using it; lxml would then write
        # every element added there as <opf:meta>
        etree.cleanup_namespaces(self.trees[self.opf_name])
        self.base = PurePosixPath(self.opf_name).parent  # EPUB/

    # --- the package document ------------------------------------------------------------

    @property
    def opf(self) -> etree._Element:
        return self.trees[self.opf_name].getroot()

    @property
    def metadata(self) -> etree._Element:
        return self._one(self.opf, "opf:metadata")

    @property
    def manifest(self) -> etree._Element:
        return self._one(self.opf, "opf:manifest")

    def _one(self, parent: etree._Element, path: str) -> etree._Element:
        found = parent.find(path, NS)
        if found is None:
            raise PackageError(f"pandoc's package document has no {path}")
        return found

    def href(self, name: str) -> str:
        """A zip entry's name as the manifest writes it (relative to the package document)."""
        return str(PurePosixPath(name).relative_to(self.base))

    def media_types(self) -> dict[str, str]:
        """Each manifest href and its media type."""
        return {item.get("href"): item.get("media-type")
                for item in self.manifest.iterfind("opf:item", NS)}

    def spine(self) -> list[str]:
        """The entry names of the spine, in reading order."""
        items = {item.get("id"): item.get("href")
                 for item in self.manifest.iterfind("opf:item", NS)}
        return [str(self.base / items[ref.get("idref")])
                for ref in self._one(self.opf, "opf:spine").iterfind("opf:itemref", NS)]

    def add(self, name: str, data: bytes, media_type: str) -> None:
        """A new entry, listed in the manifest."""
        if name in self.names:
            raise PackageError(f"{name} is already in the package")
        self.names.append(name)
        self.data[name] = data
        href = self.href(name)
        etree.SubElement(self.manifest, f"{{{OPF}}}item", {
            "id": "item-" + href.replace("/", "-").replace(".", "-"),
            "href": href, "media-type": media_type})

    # --- the content --------------------------------------------------------------------

    def text_files(self) -> Iterator[tuple[str, etree._ElementTree]]:
        """The XHTML files of the spine (cover, title page, contents, the book's files), in
        reading order."""
        for name in self.spine():
            if name in self.trees:
                yield name, self.trees[name]

    @property
    def nav_name(self) -> str:
        for item in self.manifest.iterfind("opf:item", NS):
            if "nav" in (item.get("properties") or "").split():
                return str(self.base / item.get("href"))
        raise PackageError("pandoc's package has no navigation document")

    # --- out ----------------------------------------------------------------------------

    def entries(self) -> list[tuple[str, bytes]]:
        """The package's entries in zip order, trees serialised; each XHTML file's manifest
        properties say what it holds (MathML, SVG), nothing more."""
        for item in self.manifest.iterfind("opf:item", NS):
            name = str(self.base / item.get("href"))
            if name.endswith(".xhtml") and name in self.trees:
                self._properties(item, self.trees[name])
        return [(name, serialise(self.trees[name]) if name in self.trees else self.data[name])
                for name in self.names]

    @staticmethod
    def _properties(item: etree._Element, tree: etree._ElementTree) -> None:
        properties = [p for p in (item.get("properties") or "").split()
                      if p not in ("mathml", "svg")]
        root = tree.getroot()
        if root.find(".//m:math", NS) is not None:
            properties.append("mathml")
        if root.find(".//svg:svg", NS) is not None:
            properties.append("svg")
        if properties:
            item.set("properties", " ".join(properties))
        elif "properties" in item.attrib:
            del item.attrib["properties"]
