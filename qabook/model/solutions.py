"""The direct answer rule: a solution opens with a short paragraph that answers the item.

An exercise card shows that paragraph as the answer and folds the rest of the solution away
(the Anki deck's `Solution` and `Extra` fields), so the book is asked to open every solution
with one or two sentences that answer the question on their own.
"""

from __future__ import annotations

from typing import Any

from qabook import ast

DIRECT_WORDS = 50  #: the longest direct answer, in words (ast.word_count)


def split(solution: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """(direct answer, the rest): the first block when it is a paragraph, else (), everything."""
    if solution and solution[0]["t"] == "Para":
        return tuple(solution[:1]), tuple(solution[1:])
    return (), tuple(solution)


def problem(solution: tuple[Any, ...]) -> tuple[str, str] | None:
    """(message, hint) when the solution does not open with a direct answer, else None."""
    if not solution:
        return None
    first, _ = split(solution)
    hint = ("open the solution with a paragraph of one or two sentences that answers the item "
            "on its own (the card shows it; the rest is folded under \"Full solution\")")
    if not first:
        return "the solution does not open with a paragraph: a card has no direct answer", hint
    words = ast.word_count(first)
    if words > DIRECT_WORDS:
        return (f"the solution's first paragraph has {words} words, more than {DIRECT_WORDS}: "
                "too long for the answer a card shows"), hint
    return None
