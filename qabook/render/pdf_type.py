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
