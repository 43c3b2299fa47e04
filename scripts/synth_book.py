#!/usr/bin/env python3
"""Write a deterministic synthetic book of N questions with the real book's mix of content.

    python scripts/synth_book.py 270 /tmp/synth      # ten times the real book

Question i is a copy of real question i mod 27, renumbered, with its labels made unique and
its cross-references pointing at the matching copy, so the result has exactly the real
book's prose, headings, math, footnotes, citations, figures, code, tables, exercises and
cross-references per question. Chapters hold about as many questions as the real ones.
Front and back matter, figures and the bibliography are the real book's.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "source"
LABEL = re.compile(r"(?<=[#@])((?:fig|tbl|eq|ex)-[\w-]+)")
QREF = re.compile(r"(?<![\w\[])(@?)Q([0-9]+)(?![\w])")
NUMBER = re.compile(r"^number:\s*(\d+)\s*$", re.M)


def real_questions() -> list[tuple[int, str]]:
    """(number, text) of the real questions in book order."""
    files = sorted(SOURCE.glob("chapters/*/*.md"))
    questions = [(int(NUMBER.search(f.read_text()).group(1)), f.read_text()) for f in files]
    return sorted(questions)


def synthesize(count: int, target: Path) -> None:
    real = real_questions()
    position = {number: index for index, (number, _) in enumerate(real)}
    per_chapter = max(1, round(len(real) / 5))
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(SOURCE, target, ignore=shutil.ignore_patterns("chapters", "anki-history.json"))
    chapters = []
    for i in range(count):
        block, (number, text) = divmod(i, len(real))[0], real[i % len(real)]
        new = i + 1
        chapter = i // per_chapter + 1
        folder = f"chapters/{chapter:03d}"
        if not chapters or chapters[-1][1] != folder:
            chapters.append((f"Synthetic Chapter {chapter}", folder))
        text = NUMBER.sub(f"number: {new}", text, count=1)
        text = LABEL.sub(lambda m: f"{m.group(1)}-s{new}", text)
        text = QREF.sub(lambda m: _question(m, block, position, count), text)
        path = target / folder / f"q{new:04d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _book_yaml(target, chapters)


def _question(match: re.Match, block: int, position: dict[int, int], count: int) -> str:
    """The copy, in the same block, of the real question a reference names."""
    number = int(match.group(2))
    if number not in position:
        return match.group(0)
    new = block * len(position) + position[number] + 1
    return f"{match.group(1)}Q{new if new <= count else position[number] + 1}"


def _book_yaml(target: Path, chapters: list[tuple[str, str]]) -> None:
    text = (SOURCE / "book.yaml").read_text()
    head = text[: text.index("chapters:")]
    tail = text[text.index("back:"):]
    listing = "".join(f"  - title: {title}\n    folder: {folder}\n" for title, folder in chapters)
    head = head.replace("slug: ml-question-by-question", "slug: synthetic-book")
    (target / "book.yaml").write_text(head + "chapters:\n" + listing + tail)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    synthesize(int(sys.argv[1]), Path(sys.argv[2]))
