"""qabook's own files (templates, stylesheets, fonts, card templates, Lua scripts), wherever
qabook is installed: the wheel carries them as package data."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
LUA = PACKAGE / "lua"


def _templates() -> Path:
    try:
        return Path(str(files("qabook.templates")))
    except ModuleNotFoundError:  # an install without them: environment.problems() says so
        return PACKAGE / "templates"


TEMPLATES = _templates()
#: files every build needs, checked at start-up (a broken install is named, not a traceback)
REQUIRED = [LUA / "batch.lua", TEMPLATES / "anki" / "card.css", TEMPLATES / "epub" / "epub.css",
            TEMPLATES / "pdf" / "book.css", TEMPLATES / "pdf" / "chunk.html",
            TEMPLATES / "fonts" / "SourceSerif4-Regular.otf"]
