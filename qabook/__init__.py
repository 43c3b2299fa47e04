"""qabook: compile one Markdown question-and-answer book into an Anki deck, an EPUB and a PDF."""

__version__ = "0.1.0"
