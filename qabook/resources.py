"""qabook's own files (templates, stylesheets, fonts, card templates, the starter book, Lua
scripts), wherever qabook runs from: a wheel carries templates/ inside the package, a
checkout has it beside."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

PACKAGE = Path(str(files("qabook")))
LUA = PACKAGE / "lua"
FONTS = [f"{family}-{style}.otf" for family in ("SourceSerif4", "SourceSans3")
         for style in ("Regular", "It", "Semibold", "SemiboldIt", "Bold", "BoldIt")] + [
    f"SourceCodePro-{style}.otf" for style in ("Regular", "It", "Semibold")]
#: the faces the Anki cards name, shipped prebuilt as WOFF2 subsets (render/fonts.py)
CARD_FACES = [f"SourceSerif4-{style}" for style in ("Regular", "It", "Bold", "BoldIt")] + [
    f"SourceSans3-{style}" for style in ("Regular", "It", "Semibold", "Bold")] + [
    f"SourceCodePro-{style}" for style in ("Regular", "It", "Semibold")]
#: every file of templates/ that qabook reads, by folder
TEMPLATE_FILES = {
    "anki": ["card.css", "question-front.html", "question-back.html", "exercise-front.html",
             "exercise-back.html", "cloze-front.html", "cloze-back.html"],
    "epub": ["epub.css"],
    "pdf": ["book.css", "chunk.html"],
    "serve": ["overview.html", "question.html", "preview.js", "preview.css"],
    "fonts": FONTS + [f"cards/{face}.woff2" for face in CARD_FACES],
}


def _templates() -> Path:
    for folder in (PACKAGE / "templates", PACKAGE.parent / "templates"):
        if (folder / "pdf" / "book.css").is_file():
            return folder
    return PACKAGE / "templates"  # missing: environment.problems() says so


TEMPLATES = _templates()
CARD_FONTS = TEMPLATES / "fonts" / "cards"
#: the book `qabook new` copies (qabook/starter.py); not needed by a build
STARTER = TEMPLATES / "starter"
#: files every build needs, checked at start-up (a broken install is named, not a traceback)
#: the catalogues of the generated words (qabook/words.py); English is the fallback
LOCALE = PACKAGE / "locale"
REQUIRED = [LUA / "batch.lua", LOCALE / "en" / "LC_MESSAGES" / "qabook.po"] + [TEMPLATES / folder / name
                                  for folder, names in TEMPLATE_FILES.items() for name in names]
