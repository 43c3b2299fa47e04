"""Typography of the print PDF that CSS cannot say (issue 18, typography).

WeasyPrint 70 justifies a line by sharing out all its free space among its word spaces,
however wide they become: a line broken before a long inline formula or an unbreakable word
got spaces of 1-2 em. TeX would weigh that line against its neighbours; a typesetter with a
greedy line breaker sets such a line ragged instead. `install` makes WeasyPrint do that: a
justified line's word spaces grow to at most MAX_WORD_SPACE, and whatever space is left over
stays at the line's end (the line is set as if ragged-right).
"""

from __future__ import annotations

from fontTools.ttLib import TTFont

from qabook.resources import TEMPLATES

#: the widest word space of a justified line, in em of the paragraph's font size
MAX_WORD_SPACE = 0.45


def _natural_space() -> float:
    """The body face's own word space, in em (Source Serif 4: 0.233)."""
    font = TTFont(TEMPLATES / "fonts" / "SourceSerif4-Regular.otf", lazy=True)
    return font["hmtx"]["space"][0] / font["head"].unitsPerEm


SPACE = _natural_space()


def install() -> None:
    """Cap the word spaces of justified lines (once per process)."""
    from weasyprint.layout import inline

    if getattr(inline.justify_line, "capped", False):
        return
    justify = inline.justify_line

    def justify_line(context, line, extra_width):
        spaces = inline.count_expandable_spaces(line)
        if spaces:
            most = (MAX_WORD_SPACE - SPACE) * line.style["font_size"] * spaces
            justify(context, line, min(extra_width, most))

    justify_line.capped = True
    inline.justify_line = justify_line


#: the height of each paper (CSS lengths), for the rules that need the text block's height
HEIGHTS = {"A4": "297mm", "letter": "11in", "6in 9in": "9in"}


def page_rules(size: str, top: str, bottom: str) -> str:
    """Rules that depend on the paper: the copyright section is as tall as the text block
    (less a point, so it never spills), and book.css sets its text at the section's foot."""
    return f".copyright {{ height: calc({HEIGHTS[size]} - {top} - {bottom} - 1pt); }}\n"


def balanced(title: str) -> list[str]:
    """A display title broken into lines of nearly equal length, as a typesetter breaks a
    title: one line if it is short, else two whose longer is as short as can be, preferring a
    break after a comma or colon. (WeasyPrint 70 has no `text-wrap: balance`.)"""
    words = title.split()
    if len(title) <= 24 or len(words) < 2:
        return [title]

    def cost(i: int) -> tuple[float, int]:
        first, second = " ".join(words[:i]), " ".join(words[i:])
        # a break after punctuation is worth a few characters of imbalance
        bonus = 4 if first[-1] in ",:;—" else 0
        return (max(len(first), len(second)) - bonus, abs(len(first) - len(second)))

    best = min(range(1, len(words)), key=cost)
    return [" ".join(words[:best]), " ".join(words[best:])]
