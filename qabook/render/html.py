"""The HTML writer: resolved pandoc content to HTML fragments, many notes in one pandoc batch.

Anki and print both need HTML. Each caller hands over "documents", each a list of named parts
(prompt, summary, answer, …); every document's citations are formatted and its
bibliography collected by citeproc (on a probe of its citations, see `write`), and every part
comes back from pandoc as its own fragment, ids prefixed with the part's name so fragments
can share a page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from qabook import ast, pandoc
from qabook.cache import NO_CACHE, Cache, key
from qabook.diagnostics import NOWHERE, Location
from qabook.load import Bibliography
from qabook.render import RenderError

REFS = "refs"  # citeproc's bibliography part


@dataclass
class HtmlDocument:
    """Named parts of content written together (they share citations and a bibliography)."""

    prefix: str  #: makes ids unique when several documents end up on one page
    parts: dict[str, list[Any]] = field(default_factory=dict)
    location: Location = NOWHERE  #: the file it comes from, for pandoc's complaints


def write(documents: list[HtmlDocument], bibliography: Bibliography | None, lang: str,
          math: str = "mathjax", link_citations: bool = False,
          cache: Cache = NO_CACHE) -> list[dict[str, str]]:
    """HTML of each part of each document, plus its bibliography under "refs" (maybe empty).

    Each document's citations are formatted by citeproc on a small probe of its distinct
    citations, with the entries they cite (format_citations: cached by them, so an edit that
    changes no citation of a document does not run citeproc again); the formatted citations
    and bibliography are put into the document, which pandoc then writes without citeproc.
    A document written before with the same content comes from the cache; only the others go
    to pandoc, in one batch.
    """
    index = reference_index(bibliography)
    cited = [_cited(doc, index, lang, link_citations) for doc in documents]
    formatted = format_citations(cited, cache)
    jobs = [_job(doc, lang, math, formats) for doc, formats in zip(documents, formatted)]
    keys = [key("html", json.dumps(job, sort_keys=True)) for job in jobs]
    out: list[Any] = [cache.get("html", k) for k in keys]
    todo = [i for i, parts in enumerate(out) if parts is None]
    for i, result in zip(todo, pandoc.run_batch([jobs[i] for i in todo])):
        doc = documents[i]
        if "error" in result:
            raise RenderError(f"pandoc could not write this content: {result['error']}",
                              doc.location, "pandoc.failed",
                              "simplify the markup around what the message names")
        parts = result["parts"] if isinstance(result["parts"], dict) else {}
        out[i] = {name: parts.get(name, "") for name in list(doc.parts) + [REFS]}
        cache.put("html", keys[i], out[i])
    return out


def _cited(doc: HtmlDocument, index: dict[str, Any], lang: str,
           link_citations: bool) -> tuple[dict, dict[str, dict]] | None:
    """What citeproc formats for a document (see format_citations): the metadata with the
    entries its citations cite, and its distinct citations; None when it cites nothing."""
    cites = distinct_cites(doc.parts.values())
    if not cites:
        return None
    keys = sorted({c["citationId"] for node in cites.values() for c in node["c"][0]})
    meta = {
        "lang": {"t": "MetaString", "c": lang},
        "link-citations": {"t": "MetaBool", "c": link_citations},
        "references": {"t": "MetaList", "c": [index[k] for k in keys if k in index]},
    }
    return meta, cites


def distinct_cites(pieces: Iterable[Any]) -> dict[str, dict]:
    """Every distinct citation in the pieces of content (by its JSON), in the order they
    first show each."""
    cites: dict[str, dict] = {}
    for piece in pieces:
        for node in ast.iter_nodes(list(piece)):
            if node["t"] == "Cite":
                cites.setdefault(json.dumps(node, sort_keys=True), node)
    return cites


def format_citations(probes: list[tuple[dict, dict[str, dict]] | None],
                     cache: Cache = NO_CACHE) -> list[tuple[dict, list] | None]:
    """citeproc's work, cached by the citations alone: for each probe (metadata and distinct
    citations, as distinct_cites gives them) the citations as citeproc formats them (by
    their JSON) and the reference list it makes (a Div with the id "refs", in a list), or
    None for None. citeproc runs once, in one batch, on a small document of each probe not
    in the cache: each citation in a paragraph of its own, then the empty reference list.
    The HTML writer (each document's probe) and the EPUB (the whole book's) both use it."""
    documents = [None if p is None else {
        "pandoc-api-version": pandoc.API_VERSION, "meta": p[0],
        "blocks": [ast.Para([cite]) for cite in p[1].values()] + [ast.Div(ast.attr("refs"), [])]}
        for p in probes]
    keys = [key("citeproc", json.dumps(d, sort_keys=True)) if d else "" for d in documents]
    done: list[Any] = [cache.get("citeproc", k) if k else None for k in keys]
    todo = [i for i, d in enumerate(documents) if d is not None and done[i] is None]
    jobs = [{"write": documents[i], "format": "json", "citeproc": True} for i in todo]
    for i, result in zip(todo, pandoc.run_batch(jobs) if jobs else ()):
        if "error" in result:
            raise pandoc.PandocError(result["error"])
        blocks = json.loads(result["text"])["blocks"]
        count = len(probes[i][1])
        done[i] = ([block["c"][0] for block in blocks[:count]], blocks[count:])
        cache.put("citeproc", keys[i], done[i])
    return [None if p is None else (dict(zip(p[1], result[0])), result[1])
            for p, result in zip(probes, done)]


def _job(doc: HtmlDocument, lang: str, math: str, formats: tuple[dict, Any] | None) -> dict:
    """The pandoc job of a document: its parts, each a top-level Div, with its citations
    formatted and its bibliography after them (as citeproc leaves it)."""
    def visit(node: dict) -> Any:
        return formats[0][json.dumps(node, sort_keys=True)] if node["t"] == "Cite" else None

    blocks = [ast.Div(ast.attr(name), ast.walk(list(content), visit) if formats else
                      list(content)) for name, content in doc.parts.items()]
    if formats:
        blocks += formats[1]
    meta = {"lang": {"t": "MetaString", "c": lang}}
    return {
        "write": {"pandoc-api-version": pandoc.API_VERSION, "meta": meta, "blocks": blocks},
        "format": "html5", "parts": True,
        "options": {"html_math_method": math, "identifier_prefix": f"{doc.prefix}-",
                    "wrap_text": "none", "section_divs": False},
    }


def reference_index(bibliography: Bibliography | None) -> dict[str, Any]:
    if bibliography is None:
        return {}
    index = {}
    for entry in bibliography.references.get("c", []):
        ident = entry["c"].get("id")
        if ident and ident["t"] == "MetaString":
            index[ident["c"]] = entry
        elif ident:
            index[ast.stringify(ident["c"])] = entry
    return index


def transform(content: Iterable[Any], visit: Callable[[dict], Any]) -> list[Any]:
    """A copy of content with visit applied (see ast.walk)."""
    return ast.walk(list(content), visit)


def xref_text(node: dict, with_title: bool) -> list[Any]:
    """A resolved cross-reference as plain inlines: "Q17 (“Self”-Attention)" or "Figure 17.2"."""
    text = list(node["c"][1])
    title = node["c"][2][1]
    if with_title and title:
        text += [ast.SPACE, ast.Str(f"({title})")]
    return [ast.Span(ast.attr("", ["xref"]), text)]


def is_xref(node: dict) -> bool:
    return node["t"] == "Link" and "xref" in node["c"][0][1]
