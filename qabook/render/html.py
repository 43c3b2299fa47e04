"""The HTML writer: resolved pandoc content to HTML fragments, many notes in one pandoc batch.

Anki and print both need HTML. Each caller hands over "documents", each a list of named parts
(prompt, summary, answer, …); every document is written by pandoc with citeproc (so its
citations are formatted and its bibliography collected) and every part comes back as its
own fragment, ids prefixed with the part's name so fragments can share a page.
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

    A document written before with the same content (and the same cited entries) comes from
    the cache; only the others go to pandoc, in one batch.
    """
    index = reference_index(bibliography)
    jobs = [_job(doc, index, lang, math, link_citations) for doc in documents]
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


def _job(doc: HtmlDocument, index: dict[str, Any], lang: str, math: str,
         link_citations: bool) -> dict:
    blocks = [ast.Div(ast.attr(name), list(content)) for name, content in doc.parts.items()]
    cited = sorted({c["citationId"] for part in doc.parts.values()
                    for node in ast.iter_nodes(part) if node["t"] == "Cite" for c in node["c"][0]})
    meta = {
        "lang": {"t": "MetaString", "c": lang},
        "link-citations": {"t": "MetaBool", "c": link_citations},
        "references": {"t": "MetaList", "c": [index[k] for k in cited if k in index]},
    }
    return {
        "write": {"pandoc-api-version": pandoc.API_VERSION, "meta": meta, "blocks": blocks},
        "format": "html5", "citeproc": bool(cited), "parts": True,
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
