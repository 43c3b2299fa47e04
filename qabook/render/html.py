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

    Each document's citations are formatted by citeproc on a small probe: the document's
    distinct citations in order, with the entries they cite (cached by its content, so an
    edit that changes no citation of a document does not run citeproc again); the formatted
    citations and bibliography are put into the document, which pandoc then writes without
    citeproc. A document written before with the same content comes from the cache; only
    the others go to pandoc, in one batch.
    """
    index = reference_index(bibliography)
    cited = [_cited(doc, index, lang, link_citations) for doc in documents]
    formatted = _format(cited, cache)
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
           link_citations: bool) -> dict | None:
    """The citeproc probe of a document: each distinct citation once, in order, in a
    paragraph of its own, with the entries they cite; None when it cites nothing."""
    cites: dict[str, Any] = {}
    for part in doc.parts.values():
        for node in ast.iter_nodes(part):
            if node["t"] == "Cite":
                cites.setdefault(json.dumps(node, sort_keys=True), node)
    if not cites:
        return None
    keys = sorted({c["citationId"] for node in cites.values() for c in node["c"][0]})
    meta = {
        "lang": {"t": "MetaString", "c": lang},
        "link-citations": {"t": "MetaBool", "c": link_citations},
        "references": {"t": "MetaList", "c": [index[k] for k in keys if k in index]},
    }
    return {"pandoc-api-version": pandoc.API_VERSION, "meta": meta,
            "blocks": [ast.Para([cite]) for cite in cites.values()]}


def _format(probes: list[dict | None], cache: Cache) -> list[tuple[dict, Any] | None]:
    """For each probe: its citations as citeproc formats them (by their JSON) and the
    bibliography it adds (a Div), or None; citeproc runs once, in one batch, on the probes
    not in the cache."""
    keys = [key("html-cites", json.dumps(p, sort_keys=True)) if p else "" for p in probes]
    done: list[Any] = [cache.get("citeproc", k) if k else None for k in keys]
    todo = [i for i, p in enumerate(probes) if p is not None and done[i] is None]
    jobs = [{"write": probes[i], "format": "json", "citeproc": True} for i in todo]
    for i, result in zip(todo, pandoc.run_batch(jobs) if jobs else ()):
        if "error" in result:
            raise pandoc.PandocError(result["error"])
        blocks = json.loads(result["text"])["blocks"]
        count = len(probes[i]["blocks"])
        done[i] = ([block["c"][0] for block in blocks[:count]], blocks[count:])
        cache.put("citeproc", keys[i], done[i])
    out: list[tuple[dict, Any] | None] = []
    for probe, result in zip(probes, done):
        if probe is None:
            out.append(None)
            continue
        originals = [json.dumps(block["c"][0], sort_keys=True) for block in probe["blocks"]]
        out.append((dict(zip(originals, result[0])), result[1]))
    return out


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
