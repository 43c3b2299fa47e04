"""Cross-references and citations: check every one, then turn placeholders into links."""

from __future__ import annotations

from typing import Any

from qabook import ast
from qabook.diagnostics import Diagnostics, did_you_mean
from qabook.model.inlines import XREF_CLASS
from qabook.model.nodes import Document, Ref, Target

KIND_NAMES = {"question": "a question", "figure": "a figure", "table": "a table",
              "equation": "an equation", "exercise": "an exercise"}


def check_refs(doc: Document, labels: dict[str, Target], diags: Diagnostics) -> list[Target | None]:
    """The target of each of doc's refs (None when it does not resolve, after reporting it)."""
    return [_check(ref, labels, diags) for ref in doc.refs]


def _check(ref: Ref, labels: dict[str, Target], diags: Diagnostics) -> Target | None:
    written = ref.target if ref.bare else f"@{ref.target}"
    target = labels.get(ref.target)
    if target is None:
        same_kind = [label for label, t in labels.items() if t.kind == ref.kind]
        mark = "" if ref.bare else "@"
        if ref.kind == "question":
            hint = _nearest_question(ref.target, same_kind, mark)
        else:
            hint = did_you_mean(ref.target, same_kind, mark)
        diags.error(ref.location, "ref.unknown",
                    f"{written} refers to {KIND_NAMES[ref.kind]} that does not exist",
                    hint or "define the label, or correct the reference")
        return None
    if target.kind != ref.kind:
        diags.error(ref.location, "ref.kind",
                    f"{written} asks for {KIND_NAMES[ref.kind]} but '{ref.target}' is "
                    f"{KIND_NAMES[target.kind]} ({target.text})",
                    f"label {KIND_NAMES[target.kind].split()[-1]}s with the "
                    f"'{_prefix(target.kind)}' prefix")
        return None
    return target


def _nearest_question(target: str, labels: list[str], mark: str) -> str:
    """'did you mean @Q18?' for the closest existing number, if it is near."""
    wanted = int(target[1:])
    numbers = sorted((abs(int(label[1:]) - wanted), int(label[1:])) for label in labels)
    if numbers and numbers[0][0] <= 2:
        return f"did you mean {mark}Q{numbers[0][1]}?"
    return "no question has this number; write [Q…]{.noxref} for a number that is not a link"


def _prefix(kind: str) -> str:
    return {"question": "Q", "figure": "fig-", "table": "tbl-", "equation": "eq-",
            "exercise": "ex-"}[kind]


def check_citations(doc: Document, keys: dict, diags: Diagnostics) -> None:
    for citation in doc.citations:
        if citation.key not in keys:
            diags.error(citation.location, "cite.unknown",
                        f"citation key '{citation.key}' is not in the bibliography",
                        did_you_mean(citation.key, keys, "@")
                        or "add the work to references.bib, or correct the key")


def link(target: Target) -> dict:
    """The resolved form of a cross-reference: a link whose text numbers its target."""
    return ast.Link(ast.attr("", ["xref"], [["ref-kind", target.kind]]),
                    ast.text_inlines(target.text), f"#{target.anchor}", target.title)
