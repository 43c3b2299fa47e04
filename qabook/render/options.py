"""Options of the print renderer, importable without loading WeasyPrint (the CLI needs them)."""

from __future__ import annotations

from dataclasses import dataclass

PAPER_SIZES = ("a4", "letter", "6x9in")
#: "book" is the book itself; the others are handouts (see qabook/handouts.py)
PRINT_KINDS = ("book", "handout", "worksheet", "answer-key")


@dataclass(frozen=True)
class PrintOptions:
    """What `qabook build -f pdf` prints."""

    paper: str = "a4"
    chapters: tuple[int, ...] = ()
    questions: tuple[int, ...] = ()
    kind: str = "book"  #: one of PRINT_KINDS; a selection of chapters or questions is no book
    name: str = ""  #: the handout set of book.yaml it comes from ("" for none)
    title: str = ""  #: that set's title

    @property
    def solutions(self) -> bool:
        """Whether it prints quiz solutions (the worksheet alone does not)."""
        return self.kind != "worksheet"

    def filename(self, slug: str) -> str:
        parts = [slug]
        if self.name:  # a named set: every kind says which it is
            parts += [self.name, self.kind]
        else:
            parts += [f"ch{n}" for n in self.chapters] + [f"q{n}" for n in self.questions]
            if self.kind in ("worksheet", "answer-key"):
                parts.append(self.kind)
        if self.paper != "a4":
            parts.append(self.paper)
        return "-".join(parts) + ".pdf"
