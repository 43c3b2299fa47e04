"""Options of the print renderer, importable without loading WeasyPrint (the CLI needs them)."""

from __future__ import annotations

from dataclasses import dataclass

PAPER_SIZES = ("a4", "letter", "6x9in")


@dataclass(frozen=True)
class PrintOptions:
    """What `qabook build -f pdf` prints."""

    paper: str = "a4"
    chapters: tuple[int, ...] = ()
    questions: tuple[int, ...] = ()
    solutions: bool = True

    def filename(self, slug: str) -> str:
        parts = [slug]
        parts += [f"ch{n}" for n in self.chapters] + [f"q{n}" for n in self.questions]
        if not self.solutions:
            parts.append("worksheet")
        if self.paper != "a4":
            parts.append(self.paper)
        return "-".join(parts) + ".pdf"
