"""Plain-text reports for the CLI: diagnostics with their excerpts, the one-line summary and
the `qabook list` table. Whatever comes from the book is shown with control characters
escaped: a source line or a file name can never drive the terminal or forge a line."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from qabook.diagnostics import Diagnostic, Diagnostics, source_line, visible
from qabook.model.nodes import Book

#: how a part of a line is shown: (text, its role) -> text; the roles are those `plain` lists
Paint = Callable[[str, str], str]
ROLES = ("where", "error", "warning", "message", "code", "gutter", "hint", "good")


def plain(text: str, role: str) -> str:
    """Text as it is (no colour)."""
    return text


def diagnostic_lines(diag: Diagnostic, source: Path, paint: Paint = plain) -> list[str]:
    """A diagnostic as printed: its headline, the source line with a caret, its hint; paint
    colours their parts (after escaping: a colour never comes from the book)."""
    lines = [f"{paint(diag.where(str(source)), 'where')}: {paint(diag.severity, diag.severity)}"
             f": {paint(diag.shown(), 'message')} {paint(f'[{diag.code}]', 'code')}"]
    excerpt = _excerpt(source_line(source, diag.location), diag.location.col)
    if excerpt:
        gutter = f"{diag.location.line:>5} | "
        lines.append(f"{paint(gutter, 'gutter')}{excerpt[0]}")
        lines.append(f"{paint(' ' * (len(gutter) - 2) + '|', 'gutter')} {excerpt[1]}"
                     f"{paint('^', diag.severity)}")
    if diag.hint:
        lines.append(f"  {paint('hint:', 'hint')} {visible(diag.hint)}")
    return lines


def _excerpt(line: str | None, col: int, width: int = 88) -> tuple[str, str] | None:
    """The source line (a window of it around col when long) and the padding of a caret,
    both with unprintable characters escaped."""
    if not line or not line.strip():
        return None
    start = max(0, min(col - 1 - width // 3, len(line) - width)) if len(line) > width else 0
    shown = line[start:start + width]
    before = visible(shown[: max(col - 1 - start, 0)])
    pad = "".join(c if c == "\t" else " " for c in before)
    text = ("…" if start else "") + visible(shown) + ("…" if start + width < len(line) else "")
    return text, (" " if start else "") + pad


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def summary_line(command: str, diags: Diagnostics, files: int | None,
                 paint: Paint = plain) -> str:
    """`qabook check: 2 errors, 1 warning` or `qabook check: no problems in 34 files`."""
    errors, warnings = len(diags.errors), len(diags.warnings)
    where = f" in {_plural(files, 'file')}" if files is not None else ""
    if not errors and not warnings:
        return f"qabook {command}: {paint('no problems', 'good')}{where}"
    counts = [paint(_plural(n, role), role) if n else _plural(n, role)
              for n, role in ((errors, "error"), (warnings, "warning"))]
    return f"qabook {command}: {', '.join(counts)}{where}"


def book_table(book: Book) -> str:
    """Chapters, questions, exercises, figures and word counts as an aligned table."""
    rows = [("Ch", "Q", "Title", "Ex", "Fig", "Words")]
    for chapter in book.chapters:
        rows.append((str(chapter.number), "", chapter.title, "", "", ""))
        for q in chapter.questions:
            rows.append(("", q.label, _clip(q.title, 48), str(len(q.exercises)),
                         str(len(q.doc.figures)), f"{q.words:,}"))
    for matter in book.front + book.back:
        rows.append(("", "", _clip(matter.title, 48), "", str(len(matter.doc.figures)),
                     f"{matter.words:,}"))
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    right = (False, False, False, True, True, True)
    lines = ["  ".join(cell.rjust(w) if r else cell.ljust(w)
                       for cell, w, r in zip(row, widths, right)).rstrip() for row in rows]
    questions = book.questions
    figures = sum(len(doc.figures) for doc in book.documents)
    cited = {c.key for doc in book.documents for c in doc.citations}
    bib = book.bibliography
    total = (f"{_plural(len(book.chapters), 'chapter')}, {_plural(len(questions), 'question')}, "
             f"{_plural(sum(len(q.exercises) for q in questions), 'exercise')}, "
             f"{_plural(figures, 'figure')}, "
             f"{sum(q.words for q in questions):,} words of answers and solutions, "
             f"{sum(m.words for m in book.front + book.back):,} words of front and back matter")
    if bib is not None:
        total += f", {len(bib.keys):,} bibliography entries ({len(cited & set(bib.keys)):,} cited)"
    return "\n".join(lines + ["", total] + _handouts(book))


def _handouts(book: Book) -> list[str]:
    """The handout sets of book.yaml, as `--handout NAME` builds them."""
    sets = book.config.handouts
    if not sets:
        return []
    lines = ["", "Handout sets (qabook build -f pdf --handout NAME):"]
    for h in sets:
        what = ", ".join([f"chapter {n}" for n in h.chapters] + [f"Q{n}" for n in h.questions])
        lines.append(f"  {h.name}: {_clip(h.title, 40)} ({what or 'every question'}): "
                     f"{', '.join(h.kinds)}")
    return lines


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
